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

// Inline edit (x-editable) posts the version of the row the list page showed, as an edit
// form posts its hidden field: the server refuses an edit made from an outdated row
// (someone saved it since the page was drawn) and says what changed. A successful edit
// answers the row's new version, which every cell of that row then carries.
(function ($) {
  if (!$) {
    return;
  }
  $.ajaxPrefilter(function (options, original, jqXHR) {
    var data = original.data;
    if (!data || typeof data !== "object" || data.list_form_pk === undefined) {
      return;
    }
    var name = Object.keys(data).filter(function (key) {
      return key !== "list_form_pk" && key !== "csrf_token";
    })[0];
    var $cells = $("a[data-pk]").filter(function () {
      return String($(this).attr("data-pk")) === String(data.list_form_pk);
    });
    var $cell = $cells.filter(function () {
      return $(this).attr("name") === name;
    });
    var version = $cell.attr("data-version");
    if (version === undefined) {
      return;
    }
    options.data = (options.data ? options.data + "&" : "") + "version=" + encodeURIComponent(version);
    jqXHR.done(function (body, status, xhr) {
      var next = xhr.getResponseHeader("X-Record-Version");
      if (next) {
        $cells.attr("data-version", next);
      }
    });
  });
})(window.jQuery);
