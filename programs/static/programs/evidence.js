// SOW task form: show only the evidence settings of the chosen kind. Without JavaScript all are shown
// and the server keeps only those of the chosen kind.
(function () {
  "use strict";
  function sync(form) {
    var select = form.querySelector("select[name=evidence_kind]");
    if (!select) return;
    form.querySelectorAll("[data-evidence]").forEach(function (group) {
      group.hidden = group.getAttribute("data-evidence") !== select.value;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-evidence-form]").forEach(sync);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=evidence_kind]")) sync(event.target.form);
  });
})();
