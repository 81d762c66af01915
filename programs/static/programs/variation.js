// Site variation form: show only the fields of the chosen kind. Without JavaScript every group is shown
// (each says which kinds it is for) and the server keeps only the chosen kind's fields.
(function () {
  "use strict";
  function sync(form) {
    var select = form.querySelector("select[name=kind]");
    var kind = select ? select.value : form.getAttribute("data-kind");
    form.querySelectorAll("[data-kinds]").forEach(function (group) {
      group.hidden = group.getAttribute("data-kinds").split(" ").indexOf(kind) === -1;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-variation-form]").forEach(sync);
  });
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=kind]")) sync(event.target.form);
  });
})();
