// The customer's open tab: follow its lines live and say when something is ready.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root || !window.Tabby) return;
  var body = document.getElementById("tab-body");
  var announcer = document.getElementById("live-status");

  function statuses() {
    var seen = {};
    body.querySelectorAll("[data-line-id]").forEach(function (el) {
      seen[el.getAttribute("data-line-id")] = el.getAttribute("data-status");
    });
    return seen;
  }

  window.Tabby.poller(root, function (data) {
    if (data.redirect) { window.location.assign(data.redirect); return; }
    var before = statuses();
    var ready = data.lines.filter(function (line) {
      return line.status === "ready" && before[String(line.id)] !== "ready";
    });
    body.innerHTML = data.html;
    if (ready.length) {
      var names = ready.map(function (line) { return line.name; }).join(", ");
      var message = names + (ready.length === 1 ? " is ready" : " are ready");
      announcer.textContent = message;
      window.Tabby.toast(message);
    }
  });
})();
