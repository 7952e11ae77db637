// A tab's staff page: the payment panel's sums as staff type (what to take, the
// change from the cash given), and a confirmation quoting the reason before a
// walk-out, a void or closing a tab. The server checks and records everything; the
// page works without this script (the change is then said after recording).
(function () {
  "use strict";

  var form = document.querySelector("[data-pay-form]");
  if (form) {
    var currency = form.getAttribute("data-currency");
    var locale = form.getAttribute("data-locale") || "en";
    var money;
    try {
      money = new Intl.NumberFormat(locale, { style: "currency", currency: currency });
    } catch (e) {
      money = new Intl.NumberFormat("en", { style: "currency", currency: currency });
    }
    var digits = money.resolvedOptions().maximumFractionDigits;
    var decimals = new RegExp("^(.*)[.,]([0-9]{1," + Math.max(digits, 1) + "})$");
    var due = parseInt(form.getAttribute("data-due"), 10);
    var tip = form.querySelector("[name=tip]");
    var given = form.querySelector("[name=cash_given]");
    var toTake = form.querySelector("[data-to-take]");
    var changeRow = form.querySelector("[data-change-row]");
    var change = form.querySelector("[data-change]");

    // Minor units from what was typed, or null when it can't be read: the last
    // "." or "," followed by at most the currency's decimals is the decimal sign.
    var minor = function (text) {
      var body = (text || "").replace(/\s/g, "");
      if (!body) return 0;
      if (!/^[0-9.,]+$/.test(body)) return null;
      var match = digits ? body.match(decimals) : null;
      var whole = (match ? match[1] : body).replace(/[.,]/g, "");
      var fraction = match ? (match[2] + "000").slice(0, digits) : "";
      if (!whole && !fraction) return null;
      return parseInt(whole || "0", 10) * Math.pow(10, digits) + parseInt(fraction || "0", 10);
    };
    var show = function (amount) { return money.format(amount / Math.pow(10, digits)); };

    var update = function () {
      var tipMinor = minor(tip.value);
      if (tipMinor === null) return;
      var total = due + tipMinor;
      toTake.textContent = show(total);
      var givenMinor = given.value.trim() ? minor(given.value) : null;
      if (givenMinor !== null && givenMinor >= total) {
        change.textContent = show(givenMinor - total);
        changeRow.hidden = false;
      } else {
        changeRow.hidden = true;
      }
    };
    tip.addEventListener("input", update);
    given.addEventListener("input", update);
  }

  // Destructive forms say what they will do, with the reason typed, before sending.
  var dialog = document.getElementById("confirm-dialog");
  if (!dialog || typeof dialog.showModal !== "function") return;
  var title = dialog.querySelector("[data-confirm-title]");
  var reasonRow = dialog.querySelector("[data-confirm-reason-row]");
  var reason = dialog.querySelector("[data-confirm-reason]");
  var yes = dialog.querySelector("[data-confirm-yes]");
  var pending = null;

  document.querySelectorAll("form[data-confirm]").forEach(function (each) {
    each.addEventListener("submit", function (event) {
      if (each.getAttribute("data-confirmed") === "yes") return;
      event.preventDefault();
      var typed = each.querySelector("[name=reason]");
      title.textContent = each.getAttribute("data-confirm");
      yes.textContent = each.getAttribute("data-confirm-button");
      reason.textContent = typed ? typed.value.trim() : "";
      reasonRow.hidden = !reason.textContent;
      pending = each;
      dialog.showModal();
    });
  });

  dialog.addEventListener("close", function () {
    var form = pending;
    pending = null;
    if (!form || dialog.returnValue !== "confirm") return;
    form.setAttribute("data-confirmed", "yes");
    form.submit();
  });
})();
