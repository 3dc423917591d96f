package console

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/punchbot/punchbot/bots/internal/passkey"
	"github.com/punchbot/punchbot/core"
)

// Bound devices (passkeys): the person and HR list and revoke them here,
// and a bound passkey signs the person in instead of a chat link
// (passkey.go).

// Devices is what the devices page and passkey sign-in need from the core;
// core.Service implements it.
type Devices interface {
	ListDevices(ctx context.Context, v core.DeviceViewer, employeeID string) ([]core.Device, error)
	RevokeDevice(ctx context.Context, v core.DeviceViewer, id string) (core.Device, error)
	DeviceSubjectFor(ctx context.Context, employeeID string) (core.DeviceSubject, error)
	DeviceUsed(ctx context.Context, id string, credential []byte) error
}

// setupDevices turns on the devices page and passkey sign-in when the
// console has a device core and a session store, and the public URL is
// one browsers allow passkeys on.
func (c *Console) setupDevices(deps Deps) error {
	if deps.Devices == nil {
		return nil
	}
	return c.EnableDevices(deps.Devices, deps.Sessions)
}

// EnableDevices turns on the devices page and passkey sign-in after New
// (the routes check for it per request). Call it while wiring, before the
// console serves.
func (c *Console) EnableDevices(d Devices, sessions core.SessionStore) error {
	if d == nil || sessions == nil {
		return core.Errorf(core.EINVALID, "console: passkey sign-in needs the device core and a session store for its challenges")
	}
	keys, err := passkey.New(c.base, "punchbot", sessions, 0)
	if err != nil {
		return err
	}
	c.devices, c.keys = d, keys
	return nil
}

func (c *Console) registerDevices(mux *http.ServeMux) {
	mux.Handle("GET /devices", c.authenticated(c.deviceList))
	mux.Handle("POST /devices/{id}/revoke", c.authenticated(c.revokeDevice))
	mux.HandleFunc("GET /passkey", c.passkeyPage)
	mux.HandleFunc("POST /passkey", c.passkeySignIn)
}

func (v *viewer) deviceViewer() core.DeviceViewer {
	return core.DeviceViewer{Employee: v.Emp, Admin: v.Admin}
}

type devicesData struct {
	Employee core.Employee
	Self     bool
	Devices  []core.Device
	Zone     *time.Location
	Done     string
}

// deviceList shows one person's devices: one's own, or anyone's for HR.
func (c *Console) deviceList(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if c.devices == nil {
		return core.Errorf(core.ENOTFOUND, "device binding is not set up (it needs an https public URL)")
	}
	id := r.URL.Query().Get("employee")
	if id == "" {
		if v.Admin {
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return nil
		}
		id = v.Emp.ID
	}
	ds, err := c.devices.ListDevices(r.Context(), v.deviceViewer(), id)
	if err != nil {
		return err
	}
	e, err := c.store.Employee(r.Context(), id)
	if err != nil {
		return err
	}
	if err := c.auditView(r.Context(), v, "console.viewed", "devices", []string{id}, map[string]any{"page": "devices"}); err != nil {
		return err
	}
	d := devicesData{Employee: e, Self: !v.Admin && id == v.Emp.ID, Devices: ds, Zone: e.Location(), Done: r.URL.Query().Get("done")}
	nav := ""
	if d.Self {
		nav = "me"
	}
	c.render(w, r, http.StatusOK, "devices", &page{Lang: v.Lang, Title: deviceText(v.Lang, "title"), Nav: nav, V: v, Data: d})
	return nil
}

// revokeDevice revokes one device for the person or HR, then shows the list.
func (c *Console) revokeDevice(w http.ResponseWriter, r *http.Request, v *viewer) error {
	if c.devices == nil {
		return core.Errorf(core.ENOTFOUND, "device binding is not set up")
	}
	if !c.checkPost(r, v) {
		c.errorPage(w, r, http.StatusForbidden, v.Lang, "csrf")
		return nil
	}
	d, err := c.devices.RevokeDevice(r.Context(), v.deviceViewer(), r.PathValue("id"))
	done := "revoked"
	switch {
	case core.ErrorCode(err) == core.ECONFLICT:
		done = "already"
	case err != nil:
		return err
	}
	http.Redirect(w, r, "/devices?employee="+url.QueryEscape(d.EmployeeID)+"&done="+done, http.StatusSeeOther)
	return nil
}

// deviceTexts are the devices and passkey pages' words.
var deviceTexts = map[string]map[string]string{
	"zh": {
		"title": "绑定的设备", "intro_self": "这些设备上的通行密钥可以验证你的浏览器打卡，并登录控制台。丢失或更换手机时请撤销。",
		"intro_other": "%s 绑定的设备。撤销后该设备不能再验证打卡或登录；本次查看已被记录。",
		"name":        "设备", "created": "绑定时间", "used": "最近使用", "state": "状态", "active": "有效", "revoked": "已撤销（%s）",
		"revoke": "撤销", "none": "还没有绑定设备。在聊天中向机器人发送“绑定设备”获取绑定链接。",
		"done_revoked": "设备已撤销。", "done_already": "这台设备之前已经撤销。",
		"pk_title": "使用通行密钥登录", "pk_intro": "用你绑定过的手机上的指纹、面容或锁屏密码登录，不需要聊天链接。",
		"pk_button": "使用通行密钥登录", "pk_failed": "通行密钥没有通过验证，未登录。请在绑定过的设备上重试，或在聊天中发送“管理”获取登录链接。",
		"pk_link": "使用通行密钥登录", "manage": "管理绑定的设备",
		"share_title": "设备验证的浏览器打卡", "share_total": "本月浏览器打卡中，%d / %d 次由绑定设备验证（%.1f%%）。",
		"share_browser": "浏览器打卡", "share_verified": "设备验证",
	},
	"en": {
		"title": "Bound devices", "intro_self": "Passkeys on these devices verify your browser punches and sign you in to the console. Revoke one when a phone is lost or replaced.",
		"intro_other": "Devices bound by %s. A revoked device no longer verifies punches or signs in; this view is recorded.",
		"name":        "Device", "created": "Bound", "used": "Last used", "state": "State", "active": "active", "revoked": "revoked (%s)",
		"revoke": "Revoke", "none": "No device is bound yet. Send “bind device” to the bot in chat for a binding link.",
		"done_revoked": "Device revoked.", "done_already": "This device was already revoked.",
		"pk_title": "Sign in with a passkey", "pk_intro": "Sign in with the fingerprint, face or screen lock of a phone you bound; no chat link needed.",
		"pk_button": "Sign in with a passkey", "pk_failed": "The passkey was not verified, so you are not signed in. Try again on a bound device, or send “admin” in chat for a sign-in link.",
		"pk_link": "Sign in with a passkey", "manage": "Manage bound devices",
		"share_title": "Browser punches verified by a device", "share_total": "This month %d of %d browser punches were verified by a bound device (%.1f%%).",
		"share_browser": "Browser punches", "share_verified": "Device-verified",
	},
}

func deviceText(lang, key string) string { return deviceTexts[pageLang(lang)][key] }

// D translates a devices-page key.
func (p *page) D(key string) string { return deviceText(p.Lang, key) }
