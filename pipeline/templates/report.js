/* Filters for report.html: show or hide index rows and sections by their data-* attributes.
   Only toggles the `hidden` property and sets textContent: the page's data is never parsed as markup. */
(function () {
  "use strict";
  var ids = ["outlet", "lang", "from", "to", "score", "diag", "coverage"];
  var controls = {};
  ids.forEach(function (id) { controls[id] = document.getElementById("f-" + id); });
  var items = Array.prototype.slice.call(document.querySelectorAll("[data-filterable]"));
  var counter = document.getElementById("f-count");

  function keep(el) {
    var d = el.dataset;
    var outlet = controls.outlet.value;
    if (outlet && (d.outlets || "").split("\n").indexOf(outlet) < 0) return false;
    var lang = controls.lang.value;
    if (lang && (d.langs || "").split(" ").indexOf(lang) < 0) return false;
    var from = controls.from.value, to = controls.to.value, date = d.date || "";
    if ((from || to) && !date) return false;
    if (from && date < from) return false;
    if (to && date > to) return false;
    var min = parseFloat(controls.score.value);
    if (!isNaN(min) && min > 0) {
      var score = parseFloat(d.score);
      if (isNaN(score) || score < min) return false;
    }
    var diag = controls.diag.value;
    if (diag && d.diag !== diag) return false;
    var coverage = controls.coverage.value;
    if (coverage && d.coverage !== coverage) return false;
    return true;
  }

  function apply() {
    var shown = { piece: 0, match: 0 }, total = { piece: 0, match: 0 };
    items.forEach(function (el) {
      var ok = keep(el);
      el.hidden = !ok;
      var kind = el.dataset.kind;
      if (Object.prototype.hasOwnProperty.call(total, kind)) {
        total[kind] += 1;
        if (ok) shown[kind] += 1;
      }
    });
    counter.textContent = shown.piece + " of " + total.piece + " pieces, " +
      shown.match + " of " + total.match + " matches shown";
  }

  ids.forEach(function (id) {
    controls[id].addEventListener("input", apply);
    controls[id].addEventListener("change", apply);
  });
  document.getElementById("f-reset").addEventListener("click", function () {
    ids.forEach(function (id) { controls[id].value = controls[id].defaultValue || ""; });
    apply();
  });
  apply();
}());
