package web

import (
	"html/template"

	"github.com/punchbot/punchbot/core"
)

// Page states, exposed as <body data-state> so scripts and tests can tell
// where the page is without parsing prose. The core's outcomes (accepted,
// field, rejected, unknown_user, …) are states too.
const (
	stateReady      = "ready"
	stateUsed       = "used"
	stateExpired    = "expired"
	stateInvalid    = "invalid"
	stateBadRequest = "bad_request"
	stateError      = "error"
	stateBadTime    = "bad_time"
)

// texts is the page catalogue. The chat replies come from bots.Headline; these
// are the words only the page needs.
var texts = map[string]map[string]string{
	"zh": {
		"title": "punchbot · 打卡", "who": "打卡人", "what": "操作",
		"in": "上班打卡", "out": "下班打卡", "auto": "打卡（按时间自动判断上班或下班）",
		"start":          "正在准备获取位置…",
		"locating":       "正在获取你的位置，浏览器询问时请选择“允许”…",
		"sending":        "正在提交打卡…",
		"denied":         "你没有允许使用位置，打卡未提交。请在浏览器设置中允许本网站使用位置，然后点“重试”。",
		"timeout":        "获取位置超时，打卡未提交。请到信号更好的地方，然后点“重试”。",
		"unavailable":    "暂时无法获取位置，打卡未提交。请打开设备的定位服务，然后点“重试”。",
		"unsupported":    "这个浏览器无法提供位置（需要 HTTPS 和定位功能），打卡未提交。",
		"network":        "网络出错，无法确认打卡结果。请点“重试”：同一个链接不会重复打卡。",
		"retry":          "重试",
		"privacy":        "你的位置只用于核对这次打卡。",
		"noscript":       "这个页面需要 JavaScript 才能读取位置。",
		"newlink":        "需要再次打卡时，请在聊天中重新发送打卡命令获取新链接（Slack：/punch in）。",
		"result":         "打卡结果",
		"verifying":      "请用指纹、面容或锁屏密码验证本人…",
		"device_failed":  "没有通过设备验证，打卡未提交。请在你绑定过的手机上打开链接，然后点“重试”。",
		"device_missing": "你的单位要求用绑定的设备打卡，但你还没有绑定设备，打卡未提交。请在聊天中发送“绑定设备”。",
		"saved":          "已保存，联网后自动上传。请不要清除浏览器数据；打卡时间按定位时间记录。",
		"uploading":      "网络已恢复，正在上传之前保存的打卡…",
		"bind_hint":      "提示：在聊天中发送“绑定设备”，以后打卡可用指纹或面容证明是你本人。你的位置只用于核对这次打卡。",
		"enroll_title":   "绑定设备",
		"enroll_intro":   "在这台手机上创建通行密钥（用指纹、面容或锁屏密码解锁）。之后用浏览器打卡时，punchbot 会确认是你本人的设备。",
		"enroll_button":  "绑定这台设备",
		"enroll_wait":    "请按手机提示验证…",
		"enrolled":       "设备已绑定。以后打卡时会请你用它验证。",
		"enroll_failed":  "没有完成绑定，什么也没有保存。请点“绑定这台设备”重试。",
		"enroll_used":    "这个绑定链接已经用过了。需要再绑定一台设备时，请重新发送“绑定设备”。",
		"enroll_privacy": "指纹和面容只留在你的手机上，punchbot 只保存公钥。你可以在“我的数据”中查看和撤销已绑定的设备。",
		stateUsed:        "这个链接已经用过了，不会重复打卡。",
		stateExpired:     "这个链接已过期，什么也没有记录。",
		stateInvalid:     "这个链接无效（可能复制不完整或被修改过），什么也没有记录。",
		stateBadRequest:  "提交的位置无效，什么也没有记录。请重试。",
		stateError:       "系统暂时出错，打卡未记录，请稍后重试。",
		stateBadTime:     "打卡时间不可信（早于打开链接的时间），什么也没有记录。",
		"h_" + stateUsed: "链接已使用", "h_" + stateExpired: "链接已过期", "h_" + stateInvalid: "链接无效",
		"home_title":     "punchbot 打卡",
		"home_heading":   "打卡",
		"home_intro":     "打卡请从聊天中打开打卡链接：在企业微信或飞书中发送“打卡”，在 Slack 中发送 /punch。",
		"home_none":      "这个浏览器里没有等待上传的打卡。",
		"home_sending":   "正在上传之前没有网络时保存的打卡…",
		"home_waiting":   "还没有网络，保存的打卡留在这个浏览器里，联网后自动上传。请不要清除浏览器数据。",
		"home_done":      "之前保存的打卡已上传，结果见下。",
		"home_item_wait": "等待网络…",
		"home_fix":       "定位时间",
	},
	"en": {
		"title": "punchbot · Punch", "who": "Who", "what": "Punch",
		"in": "Clock in", "out": "Clock out", "auto": "Punch in or out (decided by the time)",
		"start":          "Getting ready to read your location…",
		"locating":       "Reading your location. Choose “Allow” when your browser asks…",
		"sending":        "Recording your punch…",
		"denied":         "Location access was not allowed, so nothing was sent. Allow location for this site in your browser settings, then press “Try again”.",
		"timeout":        "Finding your location took too long, so nothing was sent. Move somewhere with better reception, then press “Try again”.",
		"unavailable":    "Your location is not available right now, so nothing was sent. Turn on location services, then press “Try again”.",
		"unsupported":    "This browser cannot provide a location (it needs HTTPS and geolocation), so nothing was sent.",
		"network":        "Network error: the punch could not be confirmed. Press “Try again”; the same link never punches twice.",
		"retry":          "Try again",
		"privacy":        "Your location is used only to check this punch.",
		"noscript":       "This page needs JavaScript to read your location.",
		"newlink":        "To punch again, send the punch command in chat for a new link (Slack: /punch in).",
		"result":         "Punch result",
		"verifying":      "Confirm it is you with your fingerprint, face or screen lock…",
		"device_failed":  "Your device was not verified, so nothing was sent. Open the link on the phone you bound, then press “Try again”.",
		"device_missing": "Your organisation requires a bound device for browser punches, and you have none yet, so nothing was sent. Send “bind device” in chat.",
		"saved":          "Saved, will upload when online. Keep this browser's data; the punch keeps the time of the location fix.",
		"uploading":      "Back online: uploading the punch saved earlier…",
		"bind_hint":      "Tip: send “bind device” in chat, and punches can prove with your fingerprint or face that they are yours. Your location is used only to check this punch.",
		"enroll_title":   "Bind this device",
		"enroll_intro":   "Create a passkey on this phone (unlocked with your fingerprint, face or screen lock). Browser punches will then prove they come from your own device.",
		"enroll_button":  "Bind this device",
		"enroll_wait":    "Follow your phone's prompt…",
		"enrolled":       "Device bound. Punches will ask you to confirm with it.",
		"enroll_failed":  "Binding did not finish, and nothing was saved. Press “Bind this device” to try again.",
		"enroll_used":    "This binding link was already used. To bind another device, send “bind device” again.",
		"enroll_privacy": "Your fingerprint and face never leave your phone; punchbot keeps only a public key. You can list and revoke your devices under “my data”.",
		stateUsed:        "This link was already used; it cannot punch twice.",
		stateExpired:     "This link has expired, and nothing was recorded.",
		stateInvalid:     "This link is not valid (it may be incomplete or altered), and nothing was recorded.",
		stateBadRequest:  "The position sent was not valid, and nothing was recorded. Please try again.",
		stateError:       "Something went wrong and nothing was recorded; please try again shortly.",
		stateBadTime:     "The punch time is not plausible (before the link was opened), and nothing was recorded.",
		"h_" + stateUsed: "Link already used", "h_" + stateExpired: "Link expired", "h_" + stateInvalid: "Invalid link",
		"home_title":     "punchbot · Punch",
		"home_heading":   "Punch",
		"home_intro":     "To punch, open your punch link from chat: send “punch” (打卡) in WeCom or Feishu, or /punch in Slack.",
		"home_none":      "No punches are waiting to be sent from this browser.",
		"home_sending":   "Sending the punches saved while there was no network…",
		"home_waiting":   "Still no network: the saved punches stay in this browser and upload when online. Keep this browser's data.",
		"home_done":      "The punches saved earlier were sent; the results are below.",
		"home_item_wait": "Waiting for the network…",
		"home_fix":       "Location fix",
	},
}

func stateText(lang, state string) string { return texts[pageLang(lang)][state] }

func intentText(lang string, k core.PunchKind) string {
	switch k {
	case core.KindIn:
		return texts[lang]["in"]
	case core.KindOut:
		return texts[lang]["out"]
	}
	return texts[lang]["auto"]
}

// page is what the template renders: either the punch page (Punch true)
// or a message page.
type page struct {
	Lang    string
	Title   string
	Heading string
	State   string
	Punch   bool
	Name    string
	What    string
	Message string
	Good    bool
	Wait    bool // submitted, waiting for approval (a field punch): neither ok nor bad
	T       map[string]string
	Nonce   string
	// Binding is the device binding that applies ("off", "optional",
	// "required"); Assert the passkey request options (JSON), when the
	// person has a device to verify with.
	Binding string
	Assert  string
	// ServerNow (Unix ms) lets the page turn its clock into the server's;
	// Load is the signed token that says when the page was served, which an
	// offline punch carries.
	ServerNow int64
	Load      string
	// Enroll makes the page the device-binding page.
	Enroll bool
	// Home makes the page the start page (home.go).
	Home bool
}

func punchPage(c claims) page {
	lang := pageLang(c.Lang)
	t := texts[lang]
	what := intentText(lang, c.Intent)
	return page{Lang: lang, Title: what + " · punchbot", Heading: what, State: stateReady, Punch: true, Name: c.Name, What: what, T: t, Binding: string(core.DeviceBindingOff)}
}

func messagePage(lang, state, message string) page {
	lang = pageLang(lang)
	t := texts[lang]
	heading := t["h_"+state]
	if heading == "" {
		heading = t["result"]
	}
	if message == "" {
		message = t[state]
	}
	good := state == string(core.OutcomeAccepted) || state == string(core.OutcomeField)
	wait := state == string(core.OutcomeFieldPending)
	return page{Lang: lang, Title: heading + " · punchbot", Heading: heading, State: state, Message: message, Good: good, Wait: wait, T: t}
}

// pageTemplate is the whole page: no external assets (there is no CDN),
// inline CSS and JS allowed by a per-response CSP nonce, and a live region
// so screen readers hear each step.
var pageTemplate = template.Must(template.New("page").Funcs(pageFuncs).Parse(`<!doctype html>
<html lang="{{.Lang}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="theme-color" content="{{themeColor}}">
<link rel="manifest" href="{{manifestPath}}">
<link rel="icon" type="image/png" sizes="192x192" href="{{iconPath}}">
<title>{{.Title}}</title>
<style nonce="{{.Nonce}}">
:root{color-scheme:light dark;--fg:#1a1a1a;--bg:#fff;--muted:#555;--ok:#0a6b2d;--bad:#a4161a;--wait:#8a4b00;--accent:#1a5fb4}
@media (prefers-color-scheme:dark){:root{--fg:#eee;--bg:#161616;--muted:#bbb;--ok:#6fd28f;--bad:#ff8a8a;--wait:#f5b455;--accent:#8ab4f8}}
*{box-sizing:border-box}
body{margin:0;font:1.0625rem/1.5 system-ui,-apple-system,"Segoe UI","PingFang SC","Microsoft YaHei",sans-serif;color:var(--fg);background:var(--bg)}
main{max-width:32rem;margin:0 auto;padding:1.5rem 1rem}
h1{font-size:1.5rem;margin:0 0 1rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1.25rem}
dt{color:var(--muted)}dd{margin:0;font-weight:600}
#status{font-size:1.125rem;padding:.75rem 1rem;border-left:.25rem solid var(--accent);margin:0 0 1rem;white-space:pre-line}
#status.ok{border-color:var(--ok);color:var(--ok)}#status.bad{border-color:var(--bad);color:var(--bad)}#status.wait{border-color:var(--wait);color:var(--wait)}
button{font:inherit;font-weight:600;padding:.75rem 1.5rem;border:0;border-radius:.5rem;background:var(--accent);color:var(--bg);cursor:pointer;min-height:2.75rem}
button:focus-visible{outline:3px solid var(--fg);outline-offset:2px}
button[hidden]{display:none}
.note{color:var(--muted);font-size:.9375rem}
#kept{list-style:none;margin:0 0 1rem;padding:0}#kept li{padding:.5rem 0;border-bottom:1px solid var(--muted);white-space:pre-line}
#kept .when{display:block;color:var(--muted);font-size:.9375rem}#kept .ok{color:var(--ok)}#kept .bad{color:var(--bad)}#kept .wait{color:var(--wait)}
</style>
</head>
<body data-state="{{.State}}">
<main>
<h1>{{.Heading}}</h1>
{{- if .Punch}}
<dl>
<dt>{{index .T "who"}}</dt><dd id="who">{{.Name}}</dd>
<dt>{{index .T "what"}}</dt><dd id="what">{{.What}}</dd>
</dl>
<p id="status" role="status" aria-live="polite">{{index .T "start"}}</p>
<button id="retry" type="button" hidden>{{index .T "retry"}}</button>
<p class="note" id="hint">{{index .T "privacy"}}</p>
<noscript><p class="bad">{{index .T "noscript"}}</p></noscript>
<script nonce="{{.Nonce}}">{{offlineScript}}</script>
<script nonce="{{.Nonce}}">
(function () {
  "use strict";
  var T = {{.T}};
  var binding = {{.Binding}};
  var assertJSON = {{.Assert}};
  var load = {{.Load}};
  var path = window.location.pathname;
  // The offset between this device's clock and the server's, measured when
  // the server sent the page; a copy reopened offline (sw.go) uses the
  // offset measured the first time, not its stale server time.
  // The same load token means the same served page: a copy.
  var offset = {{.ServerNow}} - Date.now();
  try {
    var clockKey = punchOffline.clockKey(path);
    var kept = JSON.parse(window.localStorage.getItem(clockKey) || "null");
    if (kept && kept.load === load) { offset = kept.offset; }
    else { window.localStorage.setItem(clockKey, JSON.stringify({load: load, offset: offset})); }
  } catch (e) { /* no storage: the measured offset stands */ }
  punchOffline.register();
  var status = document.getElementById("status");
  var retry = document.getElementById("retry");
  var hint = document.getElementById("hint");
  var busy = false, assertion = null, next = start, delay = 2000, timer = null, asked = 0;
  function show(text, cls, state) {
    status.textContent = text;
    status.className = cls || "";
    document.body.setAttribute("data-state", state);
  }
  function offerRetry(step) {
    busy = false;
    next = step;
    retry.hidden = false;
    retry.disabled = false;
    retry.focus();
  }
  function pending() { return punchOffline.get(path); }
  function start() {
    var saved = pending();
    if (saved) { upload(saved); return; }
    if (binding === "required" && !assertJSON) { show(T.device_missing, "bad", "device_missing"); return; }
    if (binding === "optional" && !assertJSON) { hint.textContent = T.bind_hint; }
    if (assertJSON) { verify(); } else { locate(); }
  }
  function verify() {
    if (busy) { return; }
    if (!window.PublicKeyCredential || !PublicKeyCredential.parseRequestOptionsFromJSON) {
      if (binding === "required") { show(T.device_failed, "bad", "device_failed"); return; }
      locate();
      return;
    }
    busy = true;
    retry.hidden = true;
    show(T.verifying, "", "verifying");
    var opts = JSON.parse(assertJSON);
    navigator.credentials.get({publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(opts.publicKey)})
      .then(function (cred) {
        assertion = cred.toJSON();
        // Verified now, while online, the link remembers the device; only
        // when that fails does the punch carry the assertion itself.
        return fetch(window.location.pathname + "/passkey", {method: "POST", headers: {"Accept": "application/json", "Content-Type": "application/json"},
          body: JSON.stringify(assertion), credentials: "omit", cache: "no-store"})
          .then(function (r) { if (r.ok) { assertion = null; } }, function () { /* offline: the punch carries it */ });
      })
      .then(function () { busy = false; locate(); })
      .catch(function () {
        busy = false;
        if (binding === "required") { show(T.device_failed, "bad", "device_failed"); offerRetry(verify); }
        else { locate(); }
      });
  }
  function locate() {
    if (busy) { return; }
    if (!window.isSecureContext || !navigator.geolocation) {
      show(T.unsupported, "bad", "unsupported");
      return;
    }
    busy = true;
    retry.hidden = true;
    retry.disabled = true;
    show(T.locating, "", "locating");
    asked = Date.now();
    navigator.geolocation.getCurrentPosition(send, failed, {enableHighAccuracy: true, timeout: 15000, maximumAge: 0});
  }
  function failed(err) {
    var code = err && err.code;
    if (code === 1) { show(T.denied, "bad", "denied"); }
    else if (code === 3) { show(T.timeout, "bad", "timeout"); }
    else { show(T.unavailable, "bad", "unavailable"); }
    offerRetry(locate);
  }
  function send(pos) {
    var body = {
      lat: pos.coords.latitude, lng: pos.coords.longitude, accuracy: pos.coords.accuracy,
      // A fresh fix (maximumAge 0) cannot predate the request for it.
      at: Math.round(Math.max(pos.timestamp || 0, asked) + offset), load: load
    };
    if (assertion) { body.assertion = assertion; }
    upload(body);
  }
  function keep(body) {
    punchOffline.put(path, body);
    show(T.saved, "", "saved");
    busy = false;
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(function () { upload(body); }, delay);
    delay = Math.min(delay * 2, 60000);
  }
  function upload(body) {
    if (timer) { clearTimeout(timer); timer = null; }
    busy = true;
    show(pending() ? T.uploading : T.sending, "", "sending");
    punchOffline.send(path, body)
      .then(function (res) {
        var good = res.status === "accepted" || res.status === "field";
        show(res.headline, good ? "ok" : res.status === "field_pending" ? "wait" : "bad", res.status);
        if (res.retry) { offerRetry(start); } else { busy = false; hint.textContent = T.newlink; }
      })
      .catch(function () { keep(body); });
  }
  window.addEventListener("online", function () { var saved = pending(); if (saved) { delay = 2000; upload(saved); } });
  retry.addEventListener("click", function () { next(); });
  start();
}());
</script>
{{- else if .Home}}
<p id="intro">{{index .T "home_intro"}}</p>
<p id="status" role="status" aria-live="polite">{{index .T "home_none"}}</p>
<ul id="kept"></ul>
<noscript><p class="bad">{{index .T "noscript"}}</p></noscript>
<script nonce="{{.Nonce}}">{{offlineScript}}</script>
<script nonce="{{.Nonce}}">
(function () {
  "use strict";
  var T = {{.T}};
  var locale = {{.Lang}} === "en" ? "en" : "zh-CN";
  var status = document.getElementById("status");
  var list = document.getElementById("kept");
  var rows = {}, busy = false, delay = 2000, timer = null;
  punchOffline.register();
  function show(text, state) {
    status.textContent = text;
    document.body.setAttribute("data-state", state);
  }
  // row is the list entry of one kept punch: when its position was fixed
  // (the time it will be recorded at) and what became of it.
  function row(k) {
    var r = rows[k.path];
    if (!r) {
      var li = document.createElement("li"), when = document.createElement("span"), res = document.createElement("span");
      when.className = "when";
      when.textContent = T.home_fix + " " + (k.body.at ? new Date(k.body.at).toLocaleString(locale) : "?");
      li.appendChild(when);
      li.appendChild(res);
      list.appendChild(li);
      r = rows[k.path] = {li: li, res: res};
    }
    return r;
  }
  function mark(r, text, cls, state) {
    r.res.textContent = text;
    r.res.className = cls;
    r.li.setAttribute("data-state", state);
  }
  function run() {
    if (timer) { clearTimeout(timer); timer = null; }
    var kept = punchOffline.all();
    if (!kept.length) {
      if (!busy) { show(Object.keys(rows).length ? T.home_done : T.home_none, Object.keys(rows).length ? "done" : "none"); }
      return;
    }
    busy = true;
    show(T.home_sending, "sending");
    var left = kept.length, waiting = 0;
    kept.forEach(function (k) {
      var r = row(k);
      mark(r, T.sending, "", "sending");
      punchOffline.send(k.path, k.body).then(function (res) {
        var good = res.status === "accepted" || res.status === "field";
        mark(r, res.headline, good ? "ok" : res.status === "field_pending" ? "wait" : "bad", res.status);
      }, function () {
        waiting++;
        mark(r, T.home_item_wait, "wait", "saved");
      }).then(function () {
        if (--left > 0) { return; }
        busy = false;
        if (waiting) {
          show(T.home_waiting, "waiting");
          timer = setTimeout(run, delay);
          delay = Math.min(delay * 2, 60000);
        } else {
          delay = 2000;
          show(T.home_done, "done");
        }
      });
    });
  }
  window.addEventListener("online", function () { if (!busy) { delay = 2000; run(); } });
  run();
}());
</script>
{{- else}}
<p id="status" role="status" class="{{if .Good}}ok{{else if .Wait}}wait{{else}}bad{{end}}">{{.Message}}</p>
<p class="note" id="hint">{{index .T "newlink"}}</p>
{{- end}}
</main>
</body>
</html>
`))
