// Customer pages install the service worker (notifications; later, offline use).
(function () {
  "use strict";
  if (!("serviceWorker" in navigator) || !document.body.classList.contains("customer")) return;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {
    /* no worker: the page still updates live */
  });
})();
