// Chinese texts for the vendored x-editable widget used by inline editing.
(function () {
  if (window.jQuery && jQuery.fn.editable) {
    jQuery.fn.editable.defaults.emptytext = "（空）";
  }
})();
