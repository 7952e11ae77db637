// The item sheet's button names the line's price as options and quantity change:
// the item's price plus each ticked choice's, times the quantity. The server works
// the price out again from the menu; this is only what the customer reads.
(function () {
  "use strict";
  var sheet = document.querySelector("[data-item-sheet]");
  if (!sheet) return;
  var total = sheet.querySelector("[data-sheet-total]");
  var currency = sheet.getAttribute("data-currency");
  var locale = (sheet.getAttribute("data-locale") || "en").replace("_", "-");
  var digits = new Intl.NumberFormat(locale, { style: "currency", currency: currency })
    .resolvedOptions().maximumFractionDigits;
  var format = new Intl.NumberFormat(locale, { style: "currency", currency: currency });

  function update() {
    var unit = parseInt(sheet.getAttribute("data-base"), 10);
    sheet.querySelectorAll("input[data-price]:checked").forEach(function (box) {
      unit += parseInt(box.getAttribute("data-price"), 10);
    });
    var quantity = parseInt(sheet.querySelector("[name=quantity]").value, 10);
    if (!(quantity >= 1 && quantity <= 99)) quantity = 1;
    total.textContent = format.format((unit * quantity) / Math.pow(10, digits));
  }

  // A quick pick ticks its choices in place, and only those, instead of loading the
  // sheet again with them (its link, for a phone without JavaScript).
  sheet.querySelectorAll("[data-pick]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var wanted = link.getAttribute("data-pick").split(" ");
      event.preventDefault();
      sheet.querySelectorAll("input[data-price]").forEach(function (box) {
        box.checked = !box.disabled && wanted.indexOf(box.value) !== -1;
      });
      update();
      sheet.querySelector("button[type=submit]").focus();
    });
  });
  sheet.addEventListener("change", update);
  sheet.addEventListener("input", update);
})();
