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

// The Content-Security-Policy (admin_app/access/security.py) runs no inline event handlers and
// no javascript: URLs, so the pages' behaviour is declared with data- attributes and
// attached here, once, by delegation (rows added later are covered too). Vanilla DOM, so
// the standalone print page can use it without jQuery.
(function () {
  // A link to "javascript:void(0)" only carries a script's click handler (dropdown
  // toggles, Flask-Admin's filter menu, pagination placeholders): never follow it, which
  // the policy would refuse and report.
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target.closest && event.target.closest('a[href^="javascript:"]');
      if (link) {
        event.preventDefault();
      }
    },
    true
  );

  document.addEventListener("click", function (event) {
    var target = event.target.closest ? event.target : null;
    if (!target) {
      return;
    }
    // A button or link that asks first: data-confirm="确定…？".
    var asking = target.closest("[data-confirm]");
    if (asking && !window.confirm(asking.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    // A bulk action of a list's 选中操作 menu (Flask-Admin's actions.js does the work).
    var action = target.closest("[data-model-action]");
    if (action && window.modelActions) {
      event.preventDefault();
      window.modelActions.execute(action.getAttribute("data-model-action"));
      return;
    }
    // The "添加" button under an inline list (Flask-Admin's form.js clones the row).
    var inlineAdd = target.closest("[data-inline-add]");
    if (inlineAdd && window.faForm) {
      event.preventDefault();
      window.faForm.addInlineField(inlineAdd, inlineAdd.getAttribute("data-inline-add"));
      return;
    }
    // A print button on a printable page.
    if (target.closest("[data-print]")) {
      event.preventDefault();
      window.print();
      return;
    }
    // A "select all" box: data-check-all="<selector of the boxes>".
    var all = target.closest("[data-check-all]");
    if (all) {
      var boxes = document.querySelectorAll(all.getAttribute("data-check-all"));
      for (var i = 0; i < boxes.length; i++) {
        boxes[i].checked = all.checked;
      }
      countChecked(all.form);
    }
    // A group's 全选 / 全不选 button: data-check-group="<selector>" data-check-to="1|0".
    var group = target.closest("[data-check-group]");
    if (group) {
      event.preventDefault();
      var members = document.querySelectorAll(group.getAttribute("data-check-group"));
      for (var j = 0; j < members.length; j++) {
        if (!members[j].disabled) {
          members[j].checked = group.getAttribute("data-check-to") === "1";
        }
      }
      countChecked(group.form);
    }
  });

  // A form that counts its ticked boxes (data-count-boxes="<selector>") shows the count in
  // its [data-count-shown] elements, and its button asks with the count
  // (data-confirm-template="将登记 {n} 条…"), so the confirmation says how many records
  // the click will create.
  function countChecked(form) {
    if (!form || !form.hasAttribute("data-count-boxes")) {
      return;
    }
    var n = form.querySelectorAll(form.getAttribute("data-count-boxes") + ":checked").length;
    var shown = form.querySelectorAll("[data-count-shown]");
    for (var i = 0; i < shown.length; i++) {
      shown[i].textContent = String(n);
    }
    var asking = form.querySelectorAll("[data-confirm-template]");
    for (var k = 0; k < asking.length; k++) {
      var many = asking[k].getAttribute("data-confirm-many");
      var limit = parseInt(asking[k].getAttribute("data-confirm-limit") || "0", 10);
      var text = limit && n > limit && many ? many : asking[k].getAttribute("data-confirm-template");
      asking[k].setAttribute("data-confirm", text.replace(/\{n\}/g, String(n)));
    }
  }
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box && box.type === "checkbox" && box.form) {
      countChecked(box.form);
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    var counting = document.querySelectorAll("form[data-count-boxes]");
    for (var i = 0; i < counting.length; i++) {
      countChecked(counting[i]);
    }
  });

  // A select that shows its choice at once (the period of the ranking): submit its form.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select && select.hasAttribute && select.hasAttribute("data-autosubmit") && select.form) {
      select.form.submit();
    }
  });
})();

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

// 考核指标: each method has its own labelled parameter boxes (data-method); only the chosen
// method's are shown, so an admin never wonders which box belongs to what. Without the
// script every box shows, each described with its method's name.
(function ($) {
  if (!$) {
    return;
  }
  function showParams() {
    var method = $("select[name=method]").val();
    $("[data-method]").each(function () {
      $(this).closest(".form-group").toggle($(this).attr("data-method") === method);
    });
  }
  $(function () {
    if ($("[data-method]").length) {
      showParams();
      $(document).on("change", "select[name=method]", showParams);
    }
  });
})(window.jQuery);
// The score sheet of an inspection: the total under the sheet follows the typed scores, and
// a score below the item's maximum marks its reason box as needed (the server refuses the
// save without it, so this only tells earlier). A box that holds no number adds nothing.
(function () {
  function number(text) {
    var value = parseFloat(String(text).replace(/[，。]/g, "."));
    return isFinite(value) ? value : null;
  }
  function refresh(sheet) {
    var total = 0;
    var boxes = sheet.querySelectorAll("input[data-max]");
    for (var i = 0; i < boxes.length; i++) {
      var value = number(boxes[i].value);
      var reason = boxes[i].closest("tr").querySelector("input[name^='sheet_reason_']");
      var below = value !== null && value < number(boxes[i].getAttribute("data-max"));
      if (reason) {
        reason.classList.toggle("reason-needed", below && !reason.value.trim());
        reason.placeholder = below ? "低于满分，须填写扣分原因" : "";
      }
      if (value !== null) {
        total += value;
      }
    }
    var shown = sheet.querySelector("[data-sheet-total]");
    if (shown) {
      shown.textContent = String(Math.round(total * 10) / 10);
    }
  }
  function changed(event) {
    var sheet = event.target.closest && event.target.closest("[data-score-sheet]");
    if (sheet) {
      refresh(sheet);
    }
  }
  document.addEventListener("input", changed);
  document.addEventListener("change", changed);
  function start() {
    var sheets = document.querySelectorAll("[data-score-sheet]");
    for (var i = 0; i < sheets.length; i++) {
      refresh(sheets[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
