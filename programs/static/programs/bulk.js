// Site tables with bulk actions: the header box ticks every row on the page; ticking a row picks
// "the sites I tick". Without JavaScript the boxes work one by one and the radio buttons as they are.
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      target.closest("table").querySelectorAll("[data-select-row]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-row], [data-select-all]")) {
      var selected = document.getElementById("scope-selected");
      if (selected) selected.checked = true;
    }
  });
})();
