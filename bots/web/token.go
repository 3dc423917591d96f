package web

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// tokenVersion changes when the payload layout does, so old links fail
// cleanly as malformed instead of being misread.
const tokenVersion = 1

// claims is the signed payload of a link. Keys are short because the whole
// thing travels in a URL that people open on phones.
type claims struct {
	V       int            `json:"v"`
	Plat    core.Platform  `json:"p"`
	Tenant  string         `json:"t,omitempty"`
	User    string         `json:"u"`
	Name    string         `json:"n,omitempty"`
	Lang    string         `json:"l,omitempty"`
	Intent  core.PunchKind `json:"i,omitempty"`
	RPlat   core.Platform  `json:"rp,omitempty"`
	RRoute  string         `json:"rr,omitempty"`
	Expires int64          `json:"e"`
	Nonce   string         `json:"id"`
	// Purpose is "" for a punch link and purposeDevice for a device
	// enrollment link, which names the employee (Emp) instead of a chat
	// account.
	Purpose string `json:"k,omitempty"`
	Emp     string `json:"emp,omitempty"`
}

// purposeDevice marks an enrollment link (core.LinkDevice).
const purposeDevice = "device"

func (c claims) actor() core.Identity {
	return core.Identity{Platform: c.Plat, Tenant: c.Tenant, UserID: c.User}
}

func (c claims) expiry() time.Time { return time.Unix(c.Expires, 0) }

// addressed reports whether the link names whom it is for: a chat account
// for a punch link, an employee for an enrollment link.
func (c claims) addressed() bool {
	switch c.Purpose {
	case "":
		return c.Plat != "" && c.User != ""
	case purposeDevice:
		return c.Emp != ""
	}
	return false
}

// loadToken says, signed, when a page for nonce was served, so an offline
// punch uploaded later can prove its position was taken after that.
func loadToken(secret []byte, nonce string, at time.Time) string {
	ms := strconv.FormatInt(at.UnixMilli(), 10)
	return ms + "." + b64.EncodeToString(mac(secret, "load|"+nonce+"|"+ms))
}

// checkLoad returns when the page carrying token was served.
func checkLoad(secret []byte, nonce, token string) (time.Time, bool) {
	ms, sig, ok := strings.Cut(token, ".")
	if !ok {
		return time.Time{}, false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, mac(secret, "load|"+nonce+"|"+ms)) {
		return time.Time{}, false
	}
	v, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(v), true
}

// Token errors. Each maps to its own page and HTTP status so a user can tell
// a link that ran out from one that was cut short when copied.
var (
	errMalformed = errors.New("malformed link")
	errTampered  = errors.New("link signature does not match")
	errExpired   = errors.New("link expired")
)

var b64 = base64.RawURLEncoding

// sign encodes c as payload.mac, both base64url, the MAC being
// HMAC-SHA256 over the encoded payload.
func sign(secret []byte, c claims) (string, error) {
	c.V = tokenVersion
	buf, err := json.Marshal(c)
	if err != nil {
		return "", err
	}
	payload := b64.EncodeToString(buf)
	return payload + "." + b64.EncodeToString(mac(secret, payload)), nil
}

func mac(secret []byte, payload string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(payload))
	return m.Sum(nil)
}

// parse checks the signature before looking inside the payload, so a forged
// token never reaches the JSON decoder, then checks the expiry against now.
func parse(secret []byte, token string, now time.Time) (claims, error) {
	var c claims
	payload, sig, ok := strings.Cut(token, ".")
	if !ok || payload == "" || sig == "" || strings.Contains(sig, ".") {
		return c, errMalformed
	}
	got, err := b64.DecodeString(sig)
	if err != nil || len(got) != sha256.Size {
		return c, errMalformed
	}
	if !hmac.Equal(got, mac(secret, payload)) {
		return c, errTampered
	}
	buf, err := b64.DecodeString(payload)
	if err != nil {
		return c, errMalformed
	}
	dec := json.NewDecoder(bytes.NewReader(buf))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil || c.V != tokenVersion || !c.addressed() || c.Nonce == "" || c.Expires == 0 {
		return claims{}, errMalformed
	}
	if !now.Before(c.expiry()) {
		return c, errExpired
	}
	return c, nil
}
