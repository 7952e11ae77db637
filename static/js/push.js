// "Notify me when ready" on the tab page. Permission is only ever asked from the
// tap on the button; the page says plainly when notifications can't be had.
(function () {
  "use strict";
  var box = document.getElementById("notify");
  if (!box) return;
  var onButton = box.querySelector("[data-notify-on]");
  var offButton = box.querySelector("[data-notify-off]");
  var status = box.querySelector("[data-notify-status]");
  var iosHelp = box.querySelector("[data-ios-help]");
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var OPTED_OUT = "tabby-push-off";

  var TEXT = window.Tabby && window.Tabby.text ? window.Tabby.text : {};
  var ENGLISH = {
    checking: "Checking whether this phone can show notifications…",
    ready: "Get a notification on this phone when your order is ready.",
    working: "Turning on notifications…",
    subscribed: "We'll notify this phone when your order is ready.",
    denied: "Notifications are blocked for this site. Allow them in your browser's site " +
      "settings — until then keep this page open: it tells you when your order is ready.",
    unsupported: "This browser can't show notifications. Keep this page open: it updates " +
      "by itself and tells you when your order is ready.",
    ios: "On iPhone and iPad, notifications work once this app is on your Home Screen.",
    dismissed: "No notifications then. Keep this page open: it tells you when your order is ready.",
    error: "Notifications couldn't be turned on. Keep this page open: it tells you when " +
      "your order is ready, or try again.",
  };
  Object.keys(ENGLISH).forEach(function (key) { if (!TEXT[key]) TEXT[key] = ENGLISH[key]; });

  function show(state) {
    box.hidden = false;
    box.setAttribute("data-state", state);
    status.textContent = TEXT[state];
    onButton.hidden = !(state === "ready" || state === "error" || state === "dismissed");
    onButton.disabled = false;
    offButton.hidden = state !== "subscribed";
    iosHelp.hidden = state !== "ios";
  }

  function isIOS() {
    return /iPhone|iPad|iPod/.test(navigator.userAgent) ||
      (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  }

  function installed() {
    return window.navigator.standalone === true ||
      (window.matchMedia && window.matchMedia("(display-mode: standalone)").matches);
  }

  function supported() {
    return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function keyBytes(base64url) {
    var padded = base64url + "===".slice((base64url.length + 3) % 4);
    var raw = atob(padded.replace(/-/g, "+").replace(/_/g, "/"));
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        Accept: "application/json",
        "X-CSRFToken": csrf ? csrf.content : "",
      },
      body: JSON.stringify(body),
    }).then(function (res) {
      if (!res.ok) throw new Error("server said " + res.status);
      return res.json();
    });
  }

  function registration() {
    return navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
      return navigator.serviceWorker.ready;
    });
  }

  function bind(subscription) {
    return post(box.getAttribute("data-subscribe-url"), subscription.toJSON());
  }

  function askPermission() {
    // Older Safari only takes a callback; newer browsers return a promise.
    return new Promise(function (resolve) {
      var asked = Notification.requestPermission(resolve);
      if (asked && asked.then) asked.then(resolve);
    });
  }

  function turnOn() {
    onButton.disabled = true;
    show("working");
    askPermission()
      .then(function (permission) {
        if (permission === "denied") return "denied";
        if (permission !== "granted") return "dismissed";
        return registration()
          .then(function (reg) {
            return reg.pushManager.getSubscription().then(function (existing) {
              return existing || reg.pushManager.subscribe({
                userVisibleOnly: true,
                applicationServerKey: keyBytes(box.getAttribute("data-vapid-key")),
              });
            });
          })
          .then(bind)
          .then(function () {
            try { localStorage.removeItem(OPTED_OUT); } catch (e) { /* private mode */ }
            return "subscribed";
          });
      })
      .catch(function () { return "error"; })
      .then(show);
  }

  function turnOff() {
    offButton.disabled = true;
    registration()
      .then(function (reg) { return reg.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) return null;
        return post(box.getAttribute("data-unsubscribe-url"), { endpoint: subscription.endpoint });
      })
      .then(function () {
        try { localStorage.setItem(OPTED_OUT, "1"); } catch (e) { /* private mode */ }
        show("ready");
      })
      .catch(function () { show("subscribed"); })
      .then(function () { offButton.disabled = false; });
  }

  function optedOut() {
    try { return localStorage.getItem(OPTED_OUT) === "1"; } catch (e) { return false; }
  }

  onButton.addEventListener("click", turnOn);
  offButton.addEventListener("click", turnOff);

  if (!supported()) {
    show(isIOS() && !installed() ? "ios" : "unsupported");
    return;
  }
  if (Notification.permission === "denied") {
    show("denied");
    return;
  }
  show("checking");
  // A phone that said yes before is bound to this tab too without asking again.
  registration()
    .then(function (reg) { return reg.pushManager.getSubscription(); })
    .then(function (subscription) {
      if (!subscription || Notification.permission !== "granted" || optedOut()) return "ready";
      return bind(subscription).then(function () { return "subscribed"; });
    })
    .catch(function () { return "ready"; })
    .then(show);
})();
