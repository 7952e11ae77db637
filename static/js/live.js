// Shared by the customer and staff pages: poll a /live URL with If-None-Match,
// hand a changed answer to the page, and submit data-async forms without a reload.
(function () {
  "use strict";

  // The page's words in the customer's language, from a JSON block the server renders
  // (templates/customer/_js_text.html); English where a page has none.
  var text = {};
  var block = document.getElementById("i18n");
  if (block) {
    try { text = JSON.parse(block.textContent); } catch (e) { text = {}; }
  }

  function toast(message) {
    var el = document.getElementById("toast");
    if (!el) return;
    el.textContent = message;
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 5000);
  }

  function poller(root, onChange) {
    var url = root.getAttribute("data-live-url");
    var etag = root.getAttribute("data-etag");
    var interval = parseInt(root.getAttribute("data-interval"), 10) || 3000;
    var busy = false;
    var timer = null;

    function poll() {
      if (busy) return Promise.resolve();
      busy = true;
      var headers = { Accept: "application/json" };
      if (etag) headers["If-None-Match"] = etag;
      return fetch(url, { headers: headers, credentials: "same-origin", cache: "no-store" })
        .then(function (res) {
          // Tell the page whether the server answered (offline.js shows a banner).
          document.dispatchEvent(new Event(res.status < 500 ? "tabby:reachable" : "tabby:unreachable"));
          if (res.status === 304 || !res.ok) return null;
          etag = res.headers.get("ETag") || etag;
          return res.json();
        })
        .then(function (data) { if (data) onChange(data); })
        .catch(function () {
          // Offline for a moment: the next tick tries again.
          document.dispatchEvent(new Event("tabby:unreachable"));
        })
        .then(function () { busy = false; });
    }

    function schedule() {
      clearInterval(timer);
      timer = setInterval(function () { if (!document.hidden) poll(); }, interval);
    }
    document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });
    schedule();
    return { poll: poll };
  }

  function asyncForms(container, after) {
    container.addEventListener("submit", function (event) {
      var form = event.target;
      if (!form.hasAttribute("data-async")) return;
      event.preventDefault();
      var button = form.querySelector("button");
      if (button) { button.disabled = true; button.setAttribute("aria-busy", "true"); }
      fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (res) {
          return res.json().catch(function () { return {}; }).then(function (data) {
            if (!res.ok) toast(data.error || text.failed || "That didn't work; please try again.");
          });
        })
        .catch(function () { toast(text.offline || "No connection; nothing was changed."); })
        .then(function () {
          if (button) { button.disabled = false; button.removeAttribute("aria-busy"); }
          after();
        });
    });
  }

  function tickAges(root) {
    function label(iso) {
      var minutes = Math.floor((Date.now() - Date.parse(iso)) / 60000);
      if (minutes < 1) return text.justNow || "just now";
      if (minutes < 60) return (text.minutes || "{minutes} min").replace("{minutes}", minutes);
      var m = minutes % 60;
      return (text.hours || "{hours} h {minutes} min")
        .replace("{hours}", Math.floor(minutes / 60))
        .replace("{minutes}", (m < 10 ? "0" : "") + m);
    }
    function tick() {
      root.querySelectorAll("time[data-since]").forEach(function (el) {
        el.textContent = label(el.getAttribute("data-since"));
      });
    }
    setInterval(tick, 30000);
  }

  // Run `check` when the person comes back to this page with Back or Forward: the
  // browser shows its kept copy (bfcache, or its cache) without asking the server,
  // and the tab may have moved on since (paid, closed).
  function onReturn(check) {
    window.addEventListener("pageshow", function (event) {
      var entry = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
      if (event.persisted || (entry && entry.type === "back_forward")) check();
    });
  }

  window.Tabby = {
    poller: poller, asyncForms: asyncForms, toast: toast, tickAges: tickAges, text: text,
    onReturn: onReturn,
  };
})();
