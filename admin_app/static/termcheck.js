// 开学排查 marking screen: the search box filters the rows as one types, and the header's
// box ticks only the rows still shown (so "全选" after typing a name ticks just those).
(function () {
  "use strict";
  function shownRows(selector) {
    return Array.prototype.filter.call(document.querySelectorAll(selector), function (row) {
      return !row.hidden;
    });
  }
  function refreshCount(box) {
    var counter = document.querySelector("[data-filter-count]");
    if (!counter) { return; }
    var all = document.querySelectorAll(box.getAttribute("data-filter-rows")).length;
    var shown = shownRows(box.getAttribute("data-filter-rows")).length;
    counter.textContent = shown === all ? "" : "筛选出 " + shown + " / " + all + " 人";
  }
  function filter(box) {
    var text = box.value.trim().toLowerCase();
    var rows = document.querySelectorAll(box.getAttribute("data-filter-rows"));
    for (var i = 0; i < rows.length; i++) {
      var haystack = (rows[i].getAttribute("data-search") || "").toLowerCase();
      var hide = text !== "" && haystack.indexOf(text) === -1;
      rows[i].hidden = hide;
      var tick = rows[i].querySelector("input[name=entry]");
      // A hidden row is not marked by the bulk button.
      if (hide && tick && tick.checked) {
        tick.checked = false;
        tick.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }
    refreshCount(box);
  }
  document.addEventListener("input", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-filter-rows")) {
      filter(event.target);
    }
  });
  document.addEventListener("change", function (event) {
    var all = event.target;
    if (!all.hasAttribute || !all.hasAttribute("data-check-visible")) { return; }
    var rows = shownRows(all.getAttribute("data-check-visible"));
    for (var i = 0; i < rows.length; i++) {
      var tick = rows[i].querySelector("input[name=entry]");
      if (tick) { tick.checked = all.checked; }
    }
    // panel.js counts the ticked boxes on a box's change: let one row tell it.
    var first = rows.length ? rows[0].querySelector("input[name=entry]") : null;
    if (first) { first.dispatchEvent(new Event("change", { bubbles: true })); }
  });
})();
