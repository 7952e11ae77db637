// The receipt's Print button: shown only where the page can print.
(function () {
  "use strict";
  var button = document.querySelector("[data-print]");
  if (!button || typeof window.print !== "function") return;
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
})();
