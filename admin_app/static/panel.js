// Chinese texts for the vendored x-editable widget used by inline editing, and for the
// select2 pickers (their messages are drawn by the script, in English by default).
(function () {
  if (window.jQuery && jQuery.fn.editable) {
    jQuery.fn.editable.defaults.emptytext = "（空）";
  }
  if (window.jQuery && jQuery.fn.select2 && jQuery.fn.select2.defaults) {
    jQuery.extend(jQuery.fn.select2.defaults, {
      formatNoMatches: function () { return "没有找到匹配的记录"; },
      formatSearching: function () { return "正在查找…"; },
      formatLoadMore: function () { return "正在加载更多…"; },
      formatInputTooShort: function (input, min) { return "请再输入" + (min - input.length) + "个字"; },
      formatInputTooLong: function (input, max) { return "请删去" + (input.length - max) + "个字"; },
      formatSelectionTooBig: function (limit) { return "最多只能选" + limit + "项"; },
      formatAjaxError: function () { return "查找失败，请重试"; }
    });
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
