// Chinese texts for the vendored x-editable widget used by inline editing.
(function () {
  if (window.jQuery && jQuery.fn.editable) {
    jQuery.fn.editable.defaults.emptytext = "（空）";
  }
})();

// One kind of date input across the panel: the browser's own <input type="date">, which
// accepts typing and picking alike in the browser's language. Flask-Admin marks list
// filters' date boxes with data-role="datepicker" and would attach its English range
// picker, which mangles typed dates; the server filters take one YYYY-MM-DD day each.
(function ($) {
  if (!$) {
    return;
  }
  var registered = false;
  function nativeDates() {
    if (registered || !window.faForm) {
      return;
    }
    registered = true;
    faForm.addFieldConverter(function ($el, role) {
      if (role !== "datepicker" && role !== "datetimepicker") {
        return false;
      }
      // A max keeps the year to four digits, so typing moves on to the month.
      $el.attr({ type: "date", min: "1900-01-01", max: "2099-12-31" }).removeAttr("data-role");
      return true;
    });
  }
  // form.js loads after this file and announces itself before it styles any field.
  $(document).on("adminFormReady", nativeDates);
  nativeDates();
})(window.jQuery);
