// The customer's open tab: follow its lines live and say when something is ready.
(function () {
  "use strict";
  var root = document.querySelector("[data-live-url]");
  if (!root || !window.Tabby) return;
  var body = document.getElementById("tab-body");
  var announcer = document.getElementById("live-status");
  var readyAlert = document.getElementById("ready-alert");

  // Whether or not push is on, an open page says so itself when something is ready.
  function alertReady(message) {
    announcer.textContent = message;
    if (readyAlert) {
      // Said once, in the page, until dismissed (a toast over the page would say it
      // twice); brought into view if the page was scrolled past it.
      readyAlert.querySelector("[data-ready-text]").textContent = message;
      readyAlert.hidden = false;
      var typing = document.activeElement && document.activeElement.matches("input, textarea");
      if (!typing && readyAlert.getBoundingClientRect().top < 0) {
        readyAlert.scrollIntoView({ block: "start" });
      }
    } else {
      window.Tabby.toast(message);
    }
    if (navigator.vibrate) {
      try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed without a tap */ }
    }
  }
  if (readyAlert) {
    readyAlert.querySelector("[data-ready-dismiss]").addEventListener("click", function () {
      readyAlert.hidden = true;
    });
  }

  function statuses() {
    var seen = {};
    body.querySelectorAll("[data-line-id]").forEach(function (el) {
      seen[el.getAttribute("data-line-id")] = el.getAttribute("data-status");
    });
    return seen;
  }

  var poller = window.Tabby.poller(root, function (data) {
    // Paid: the receipt takes this page's place, so Back does not bring it back.
    if (data.redirect) { window.location.replace(data.redirect); return; }
    var before = statuses();
    var ready = data.lines.filter(function (line) {
      return line.status === "ready" && before[String(line.id)] !== "ready";
    });
    body.innerHTML = data.html;
    if (ready.length) {
      var text = window.Tabby.text;
      var names = ready.map(function (line) { return line.name; }).join(text.listJoin || ", ");
      var template = ready.length === 1 ? text.oneReady || "{names} is ready"
        : text.manyReady || "{names} are ready";
      alertReady(template.replace("{names}", names));
    }
  });
  // Back to a tab page kept from before: ask at once whether it has moved on.
  window.Tabby.onReturn(poller.poll);
})();
