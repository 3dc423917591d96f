package web

import "html/template"

// offlineScript is the one copy of what the location page and the start
// page (home.go) share about punches kept offline: where a punch waits
// (localStorage, one key per link, so the start page finds every link's
// punch and knows where to send it), how it is sent, and the service
// worker registration. The location page keeps a punch whose sending
// failed; either page sends it later. Both inline it under their CSP
// nonce: a separate script file would be one more thing the service
// worker must have kept for a page reopened offline.
//
// send resolves with the server's answer once the server decided (the key
// is then dropped: a link punches once, and a retry of the same body is
// the same event, "web:"+nonce) and rejects while the network or the
// server is down (the key stays).
//
// Service worker registration and scope:
// https://www.w3.org/TR/service-workers/#navigator-service-worker-register
// (the scope /l/ is the script's own directory, its maximum scope, and the
// manifest's scope, so the worker controls the start page).
const offlineScript = `var punchOffline = (function () {
  "use strict";
  var PREFIX = "punchbot:pending:", CLOCK = "punchbot:clock:";
  function store() { try { return window.localStorage; } catch (e) { return null; } }
  function get(path) {
    try { var v = store().getItem(PREFIX + path); return v ? JSON.parse(v) : null; } catch (e) { return null; }
  }
  function put(path, body) {
    try { store().setItem(PREFIX + path, JSON.stringify(body)); } catch (e) { /* private mode: only this tab keeps it */ }
  }
  // clockKey is where the location page keeps the link's clock offset
  // (page.go).
  function clockKey(path) { return CLOCK + path; }
  // drop forgets the link's punch and its clock offset: a decided link is
  // of no further use.
  function drop(path) {
    try { store().removeItem(PREFIX + path); store().removeItem(clockKey(path)); } catch (e) { /* nothing kept */ }
  }
  // A key names the page's own path; anything else (another origin, a
  // scheme-relative "//host") is not sent anywhere.
  function own(path) {
    if (path.charAt(0) !== "/" || path.charAt(1) === "/" || path.charAt(1) === "\\") { return false; }
    try { return new URL(path, window.location.origin).origin === window.location.origin; } catch (e) { return false; }
  }
  // all lists the kept punches, oldest position fix first.
  function all() {
    var s = store(), out = [];
    if (!s) { return out; }
    try {
      for (var i = 0; i < s.length; i++) {
        var k = s.key(i);
        if (!k || k.indexOf(PREFIX) !== 0) { continue; }
        var path = k.slice(PREFIX.length), body = get(path);
        if (body && own(path)) { out.push({path: path, body: body}); }
      }
    } catch (e) { /* storage went away: what was read stands */ }
    out.sort(function (a, b) { return (a.body.at || 0) - (b.body.at || 0); });
    return out;
  }
  function send(path, body) {
    return fetch(path, {method: "POST", headers: {"Accept": "application/json", "Content-Type": "application/json"},
      body: JSON.stringify(body), credentials: "omit", cache: "no-store"})
      .then(function (r) {
        if (r.status >= 500) { throw new Error("server " + r.status); }
        return r.json();
      })
      .then(function (res) { drop(path); return res; });
  }
  function register() {
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.register("` + appScope + `sw.js", {scope: "` + appScope + `"}).catch(function () { /* the pages work without it */ });
    }
  }
  return {get: get, put: put, all: all, send: send, register: register, clockKey: clockKey};
}());`

// pageFuncs gives the page templates the shared script and the paths and
// colour the manifest declares (manifest.go).
var pageFuncs = template.FuncMap{
	"offlineScript": func() template.JS { return template.JS(offlineScript) },
	"manifestPath":  func() string { return manifestPath },
	"iconPath":      func() string { return icon192Path },
	"themeColor":    func() string { return themeColor },
}
