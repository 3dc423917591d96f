package web

import "net/http"

// The location page's service worker: it keeps a copy of each location
// page it served, so a link reopened without a network (the tab was closed,
// the phone restarted the browser) still shows the page, which then keeps
// the punch until the network returns. The network always wins while it
// answers: the copy is only for when it does not.
//
// Its scope, /l/, is also the manifest's scope and start URL (manifest.go).
// It keeps the start page from its install on, before anyone opened it: an
// installed app may first be launched offline, and the start page is what
// sends the punches kept meanwhile. Chrome once made a worker with a fetch
// handler a condition of installing (https://web.dev/articles/install-criteria);
// Chromium 156 no longer does (its Page.getInstallabilityErrors reports
// nothing without one), but an installed app that shows the browser's
// offline error when launched without a network would be worse than none.
//
// Service workers: https://www.w3.org/TR/service-workers/ (register,
// FetchEvent.respondWith, the Cache interface).

const serviceWorker = `"use strict";
var CACHE = "punchbot-pages-v1";
self.addEventListener("install", function (ev) {
  self.skipWaiting();
  // The start page is the scope itself. Failing to keep it (no network at
  // this moment) must not fail the install: the page is kept when opened.
  ev.waitUntil(caches.open(CACHE).then(function (c) { return c.add(self.registration.scope); }).catch(function () {}));
});
self.addEventListener("activate", function (ev) { ev.waitUntil(self.clients.claim()); });
self.addEventListener("fetch", function (ev) {
  var req = ev.request;
  if (req.method !== "GET" || req.mode !== "navigate") { return; }
  ev.respondWith(fetch(req).then(function (resp) {
    if (resp.ok) {
      var copy = resp.clone();
      caches.open(CACHE).then(function (c) { return c.put(req, copy); });
    }
    return resp;
  }, function () {
    return caches.match(req).then(function (hit) { return hit || Response.error(); });
  }));
});
`

// serveWorker serves the worker script; its path under /l/ gives it the
// location pages as its scope.
func (p *Pages) serveWorker(w http.ResponseWriter, r *http.Request) {
	serveAsset(w, "text/javascript; charset=utf-8", "default-src 'none'; connect-src 'self'", []byte(serviceWorker))
}
