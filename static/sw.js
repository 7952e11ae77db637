// Tabby's service worker, served at /sw.js with scope "/".
// Each feature keeps to its own section; handlers for other events go in theirs.
"use strict";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

// ---- Web Push: show what the server sent; a tap opens the tab it is about ----------
(function () {
  var FALLBACK = { title: "Tabby", body: "There's news about your tab.", url: "/" };

  function readPayload(event) {
    if (!event.data) return FALLBACK;
    try {
      var data = event.data.json();
      return data && typeof data === "object" ? data : FALLBACK;
    } catch (e) {
      return { title: FALLBACK.title, body: event.data.text() || FALLBACK.body, url: "/" };
    }
  }

  self.addEventListener("push", function (event) {
    var data = readPayload(event);
    var tag = data.tag || "tabby";
    // A browser may punish a push that shows nothing, so every push shows one.
    // Delivery is at least once: a copy of a message already on screen (same id,
    // same words) replaces it quietly instead of buzzing the phone again.
    event.waitUntil(
      self.registration.getNotifications({ tag: tag }).then(function (shown) {
        var repeat = shown.some(function (n) {
          return n.data && n.data.id === data.id && n.body === data.body;
        });
        return self.registration.showNotification(data.title || FALLBACK.title, {
          body: data.body || FALLBACK.body,
          icon: data.icon || "/static/icon.svg",
          badge: data.icon || "/static/icon.svg",
          tag: tag,
          renotify: !repeat,
          data: { url: data.url || "/", id: data.id, kind: data.kind },
        });
      })
    );
  });

  self.addEventListener("notificationclick", function (event) {
    event.notification.close();
    var url = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
    event.waitUntil(
      self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (clients) {
        for (var i = 0; i < clients.length; i++) {
          if (clients[i].url === url && "focus" in clients[i]) return clients[i].focus();
        }
        return self.clients.openWindow ? self.clients.openWindow(url) : undefined;
      })
    );
  });
})();
// ---- end Web Push ------------------------------------------------------------------
