// Tutti: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Copy buttons: <button data-copy-target="#input-id"> copies the input's value.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-target]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy-target"));
    if (!source) return;
    var label = button.querySelector("[data-copy-label]");
    var done = function () {
      if (label) label.textContent = "Copied";
      button.classList.add("btn-success");
      setTimeout(function () {
        if (label) label.textContent = "Copy";
        button.classList.remove("btn-success");
      }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.value).then(done);
    } else {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches("[data-select-on-focus]")) event.target.select();
  });

  // The client select only matters for the client role: show it only then.
  function syncClientField(form) {
    var role = form.querySelector("[data-role-select]");
    var wrapper = form.querySelector("[data-client-field]");
    if (!role || !wrapper) return;
    var isClient = role.value === "client";
    wrapper.hidden = !isClient;
    var select = wrapper.querySelector("select");
    if (select) select.required = isClient;
  }

  function init(root) {
    root.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-role-select]")) syncClientField(form);
    });
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-role-select]")) syncClientField(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
  document.addEventListener("htmx:load", function (event) { init(event.target); });
})();
