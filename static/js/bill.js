// The bill: the pay button says what the chosen part and tip come to (every figure is
// worked out on the server and sent with the page), the "Other tip" box opens when
// "Other" is chosen, a rating is sent as soon as it is tapped, and the bill follows
// the tab live, so a comp given at the counter shows before the customer pays.
(function () {
  "use strict";
  // Words in the customer's language (templates/customer/_js_text.html), English if absent.
  var words = (window.Tabby && window.Tabby.text) || {};
  var csrf = document.querySelector('meta[name="csrf-token"]');

  var payForm = document.querySelector("[data-pay-form]");
  var figures = {};
  if (payForm) {
    try { figures = JSON.parse(payForm.getAttribute("data-figures")) || {}; } catch (e) { figures = {}; }
    // With this script the button always names the amount (see app.css).
    payForm.classList.add("js");
  }

  function chosen(name, fallback) {
    var input = payForm && (payForm.querySelector('input[name="' + name + '"]:checked') ||
      payForm.querySelector('input[type="hidden"][name="' + name + '"]'));
    return input ? input.value : fallback;
  }

  function setText(selector, text) {
    var el = document.querySelector(selector);
    if (el && text) el.textContent = text;
  }

  function showFigures() {
    if (!payForm) return;
    Object.keys(figures).forEach(function (share) {
      setText('[data-share-due="' + share + '"]', figures[share].due);
    });
    var shown = figures[chosen("share", "all")];
    if (!shown) return;
    setText("[data-due]", shown.due);
    Object.keys(shown.tips).forEach(function (percent) {
      setText('[data-tip-amount="' + percent + '"]', shown.tips[percent]);
    });
    var tip = chosen("tip", "none");
    var label = tip === "custom"
      ? payForm.getAttribute("data-custom-label").replace("{amount}", shown.due)
      : payForm.getAttribute("data-label").replace("{amount}", shown.totals[tip] || shown.totals.none);
    setText("[data-pay-label]", label);
  }

  if (payForm) {
    var custom = payForm.querySelector('input[name="custom_tip"]');
    payForm.addEventListener("change", function (event) {
      if (event.target.name !== "share" && event.target.name !== "tip") return;
      showFigures();
      if (event.target.name === "tip" && event.target.value === "custom" && custom) custom.focus();
    });
    showFigures();
  }

  var ratingForm = document.querySelector("[data-rating-form]");
  if (ratingForm) {
    var ratingStatus = ratingForm.querySelector("[data-rating-status]");
    function sendRating() {
      return fetch(ratingForm.action, {
        method: "POST",
        body: new FormData(ratingForm),
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": csrf ? csrf.content : "" },
      })
        .then(function (res) {
          return res.json().catch(function () { return {}; }).then(function (data) {
            ratingStatus.textContent = res.ok ? data.message : (data.error || words.failed || "That didn't work; please try again.");
          });
        })
        .catch(function () { ratingStatus.textContent = words.ratingOffline || "No connection; your rating wasn't sent."; });
    }
    ratingForm.addEventListener("change", function (event) {
      if (event.target.name === "rating") sendRating();
    });
    ratingForm.addEventListener("submit", function (event) {
      event.preventDefault();
      sendRating();
    });
  }

  var root = document.querySelector("[data-live-url]");
  if (!root || !window.Tabby) return;
  var table = document.getElementById("bill-table");
  var flags = document.getElementById("bill-flags");
  var announcer = document.getElementById("bill-status");
  var pending = null;

  function typing() {
    var here = document.activeElement;
    return table.contains(here) || (flags && flags.contains(here));
  }

  function apply(data) {
    // Never swap the lines under someone typing what wasn't right.
    if (typing()) { pending = data; return; }
    pending = null;
    table.innerHTML = data.table;
    if (flags) {
      var open = flags.querySelector("details[open]");
      flags.innerHTML = data.flags;
      var details = flags.querySelector("details");
      if (open && details) details.open = true;
    }
    figures = data.figures || figures;
    showFigures();
    announcer.textContent = words.billUpdated || "Your bill was updated.";
  }
  [table, flags].forEach(function (el) {
    if (el) el.addEventListener("focusout", function () {
      setTimeout(function () { if (pending) apply(pending); }, 0);
    });
  });

  var poller = window.Tabby.poller(root, function (data) {
    // Paid: the receipt takes this page's place, so Back does not bring it back.
    if (data.redirect) { window.location.replace(data.redirect); return; }
    apply(data);
  });
  // Back to a bill kept from before (bfcache, or the browser's cache): ask at once.
  window.Tabby.onReturn(poller.poll);
})();
