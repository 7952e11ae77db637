// The bill: typing an amount in "Other tip" picks the "Other" choice, so it is one tap less;
// a rating is sent as soon as it is tapped; and the bill follows the tab live, so a comp
// or discount given at the counter shows before the customer pays.
(function () {
  "use strict";
  var custom = document.querySelector('input[name="custom_tip"]');
  var other = document.querySelector('input[name="tip"][value="custom"]');
  if (custom && other) {
    custom.addEventListener("input", function () {
      if (custom.value.trim()) other.checked = true;
    });
  }

  // Words in the customer's language (templates/customer/_js_text.html), English if absent.
  var words = (window.Tabby && window.Tabby.text) || {};
  var csrf = document.querySelector('meta[name="csrf-token"]');
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
  var announcer = document.getElementById("bill-status");
  var pending = null;

  function chosenShare() {
    var checked = document.querySelector('input[name="share"]:checked') ||
      document.querySelector('input[type="hidden"][name="share"]');
    return checked ? checked.value : "all";
  }

  function apply(data) {
    // Never swap the table under someone typing what wasn't right.
    if (table.contains(document.activeElement)) { pending = data; return; }
    pending = null;
    table.innerHTML = data.table;
    Object.keys(data.dues).forEach(function (share) {
      var el = document.querySelector('[data-share-due="' + share + '"]');
      if (el) el.textContent = data.dues[share];
    });
    var share = chosenShare();
    var due = document.querySelector("[data-due]");
    if (due && data.dues[share]) due.textContent = data.dues[share];
    var tips = data.tips[share] || {};
    Object.keys(tips).forEach(function (percent) {
      var el = document.querySelector('[data-tip-amount="' + percent + '"]');
      if (el) el.textContent = tips[percent];
    });
    announcer.textContent = words.billUpdated || "Your bill was updated.";
  }
  table.addEventListener("focusout", function () {
    setTimeout(function () { if (pending) apply(pending); }, 0);
  });

  window.Tabby.poller(root, function (data) {
    if (data.redirect) { window.location.assign(data.redirect); return; }
    apply(data);
  });
})();
