// When the café's Wi-Fi drops: say so, keep an order tapped meanwhile and send it
// once back online (exactly once: it carries its request key, which the server
// dedupes on), and refuse anything else that needs the server, saying why.
(function () {
  "use strict";
  var STORE = "tabby-outbox";
  var banner = document.getElementById("offline-banner");
  var outbox = document.getElementById("outbox");
  var here = (location.pathname.match(/^\/tab\/([A-Za-z0-9_-]+)/) || [])[1];
  var flushing = false;

  function toast(message) { if (window.Tabby) window.Tabby.toast(message); }

  // Words in the customer's language (templates/customer/_js_text.html), English if absent;
  // "{label}" and the like are filled in here.
  function say(key, english, values) {
    var words = (window.Tabby && window.Tabby.text) || {};
    var message = words[key] || english;
    Object.keys(values || {}).forEach(function (name) {
      message = message.split("{" + name + "}").join(values[name]);
    });
    return message;
  }

  function load() {
    try { return JSON.parse(localStorage.getItem(STORE)) || []; } catch (e) { return []; }
  }
  function save(items) { localStorage.setItem(STORE, JSON.stringify(items)); }
  function drop(key) {
    save(load().filter(function (item) { return item.key !== key; }));
  }

  function freshKey() {
    var bytes = new Uint8Array(9);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return (b + 256).toString(16).slice(1); }).join("");
  }

  function render() {
    if (!outbox) return;
    var mine = load().filter(function (item) { return item.tab === here; });
    var list = outbox.querySelector("ul");
    list.textContent = "";
    mine.forEach(function (item) {
      var li = document.createElement("li");
      li.setAttribute("data-queued", item.key);
      li.textContent = item.label;
      list.appendChild(li);
    });
    outbox.hidden = !mine.length;
  }

  function showOffline(off) { if (banner) banner.hidden = !off; }

  function queue(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) { fields[name] = String(value); });
    var key = fields.request_key || freshKey();
    var name = form.closest("article");
    name = name && name.querySelector("h3") ? name.querySelector("h3").textContent : say("yourOrder", "Your order");
    var label = (fields.quantity || "1") + " × " + name + (fields.note ? " (" + fields.note + ")" : "");
    var items = load();
    if (!items.some(function (item) { return item.key === key; })) {
      items.push({ key: key, tab: here, url: form.action, fields: fields, label: label });
      save(items);
    }
    // The next tap is a new order, so it needs a key of its own.
    if (form.elements.request_key) {
      form.elements.request_key.value = freshKey() + "-" + (fields.item_id || "");
    }
    render();
    toast(say("queued", "You're offline. {label}: will send when you're back online.", { label: label }));
  }

  // The token on a page kept from earlier may have expired; a fresh page has one.
  function freshToken(tab) {
    var fallback = document.querySelector('meta[name="csrf-token"]').content;
    return fetch("/tab/" + tab, { credentials: "same-origin", cache: "no-store" })
      .then(function (res) { return res.text(); })
      .then(function (html) {
        var found = html.match(/<meta name="csrf-token" content="([^"]+)"/);
        return found ? found[1] : fallback;
      });
  }

  function send(item, token) {
    var body = new FormData();
    Object.keys(item.fields).forEach(function (name) { body.append(name, item.fields[name]); });
    body.set("csrf_token", token);
    return fetch(item.url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": token },
    }).then(function (res) {
      // A server error may pass; a refusal won't, so say so rather than retry forever.
      var final = res.ok || (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429);
      if (!final) throw new Error("try later");
      drop(item.key);
      return res.json().catch(function () { return {}; }).then(function (data) {
        toast(res.ok
          ? data.message || say("sent", "Sent: {label}", { label: item.label })
          : say("notSent", "Not sent: {label}. {error}", { label: item.label, error: data.error || "" }));
      });
    });
  }

  function sendAll() {
    var items = load();
    if (!items.length) return Promise.resolve();
    return freshToken(items[0].tab).then(function (token) {
      // One at a time, in the order they were tapped; stop at the first failure.
      return items.reduce(function (chain, item) {
        return chain.then(function () { return send(item, token); });
      }, Promise.resolve());
    });
  }

  function flush() {
    if (flushing || !navigator.onLine || !load().length) return;
    flushing = true;
    // Another page of Tabby on this phone may be sending too: take turns.
    var run = navigator.locks ? navigator.locks.request(STORE, sendAll) : sendAll();
    run.catch(function () { /* still unreachable: kept for the next try */ }).then(function () {
      flushing = false;
      render();
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (navigator.onLine || (form.method || "").toLowerCase() !== "post") return;
    event.preventDefault();
    if (form.classList.contains("order-form")) {
      queue(form);
    } else {
      toast(say("offlineRefused", "You're offline, so this can't be done now. Nothing was changed."));
    }
  }, true);

  window.addEventListener("offline", function () { showOffline(true); });
  window.addEventListener("online", function () { showOffline(false); flush(); });
  document.addEventListener("tabby:unreachable", function () { showOffline(true); });
  document.addEventListener("tabby:reachable", function () { showOffline(false); flush(); });
  window.addEventListener("storage", function (event) { if (event.key === STORE) render(); });

  showOffline(!navigator.onLine);
  render();
  flush();
})();
