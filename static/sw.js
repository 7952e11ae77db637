// Tabby's service worker, served at /sw.js with scope "/".
// Each feature keeps to its own section; handlers for other events go in theirs.
// The route fills in __TABBY_RELEASE__ and __TABBY_SHELL__, so a new release is a
// changed script, which is what makes browsers install the new worker.
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

// ---- Offline: the app shell, versioned static files and the last good tab pages ----
(function () {
  var RELEASE = "__TABBY_RELEASE__";
  var SHELL = "__TABBY_SHELL__".split(" ").filter(function (url) { return url.charAt(0) === "/"; });
  var PREFIX = "tabby-";
  // Pages name their static files by release, so both caches go when a release does.
  var STATIC_CACHE = PREFIX + "static-" + RELEASE;
  var PAGE_CACHE = PREFIX + "pages-" + RELEASE;
  // A customer's own tab pages; counter and back-office pages never match.
  var TAB_PAGE = /^\/tab\/[A-Za-z0-9_-]+(\/(menu|bill|receipt))?$/;

  self.addEventListener("install", function (event) {
    event.waitUntil(
      caches.open(STATIC_CACHE).then(function (cache) {
        // One missing file must not keep the new release from installing.
        return Promise.all(SHELL.map(function (url) {
          return cache.add(url).catch(function () {});
        }));
      })
    );
  });

  self.addEventListener("activate", function (event) {
    event.waitUntil(
      caches.keys().then(function (names) {
        return Promise.all(names.filter(function (name) {
          return name.indexOf(PREFIX) === 0 && name !== STATIC_CACHE && name !== PAGE_CACHE;
        }).map(function (name) { return caches.delete(name); }));
      })
    );
  });

  function keepable(response) {
    return response && response.ok && response.type === "basic" && !response.redirected &&
      !/no-store/i.test(response.headers.get("Cache-Control") || "");
  }

  function fromStatic(request) {
    return caches.open(STATIC_CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (keepable(response)) cache.put(request, response.clone());
          return response;
        });
      });
    });
  }

  function offlinePage() {
    var html = '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      "<title>Offline · Tabby</title></head><body><main><h1>You're offline</h1>" +
      "<p>This page isn't saved on this phone yet. Reconnect and try again.</p>" +
      "</main></body></html>";
    return new Response(html, {
      status: 503, headers: { "Content-Type": "text/html; charset=utf-8" },
    });
  }

  // Network first, so a tab page is never older than it must be; the last good copy
  // is kept per page for when the café's Wi-Fi drops.
  function tabPage(request, url) {
    var key = url.origin + url.pathname;
    return fetch(request).then(function (response) {
      if (keepable(response)) {
        var copy = response.clone();
        caches.open(PAGE_CACHE).then(function (cache) { return cache.put(key, copy); });
      }
      return response;
    }).catch(function () {
      return caches.open(PAGE_CACHE).then(function (cache) {
        return cache.match(key).then(function (hit) { return hit || offlinePage(); });
      });
    });
  }

  self.addEventListener("fetch", function (event) {
    var request = event.request;
    if (request.method !== "GET") return;  // posts always go to the server, uncached
    var url = new URL(request.url);
    if (url.origin !== self.location.origin) return;
    if (url.pathname.indexOf("/static/") === 0 && url.searchParams.has("v")) {
      event.respondWith(fromStatic(request));
    } else if (request.mode === "navigate" && TAB_PAGE.test(url.pathname)) {
      event.respondWith(tabPage(request, url));
    }
  });
})();
// ---- end Offline -------------------------------------------------------------------
