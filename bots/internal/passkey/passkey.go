// Package passkey runs the WebAuthn ceremonies of device binding with
// go-webauthn: registering a platform passkey for an employee, and
// asserting one before a browser punch or a console sign-in. The state
// between a ceremony's begin and finish (its challenge) lives in the
// SessionStore with a short TTL and is used once.
//
// Specification: Web Authentication Level 3, https://www.w3.org/TR/webauthn-3/
// (§5.1.3 create, §5.1.4 get, §7 relying-party operations).
package passkey

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"github.com/punchbot/punchbot/core"
)

// DefaultTTL bounds a ceremony: long enough to find the fingerprint
// reader, short enough that a challenge is not lying around.
const DefaultTTL = 10 * time.Minute

// Ceremonies begins and finishes registrations and assertions.
type Ceremonies struct {
	wa       *webauthn.WebAuthn
	sessions core.SessionStore
	ttl      time.Duration
}

// New configures the relying party from the public URL: its host is the RP
// ID and its origin the only accepted origin. WebAuthn needs a secure
// context, which is https or http://localhost.
func New(publicURL, name string, sessions core.SessionStore, ttl time.Duration) (*Ceremonies, error) {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http") {
		return nil, core.Errorf(core.EINVALID, "passkey: public URL %q must be an absolute http(s) URL", publicURL)
	}
	if u.Scheme == "http" && u.Hostname() != "localhost" {
		return nil, core.Errorf(core.EINVALID, "passkey: browsers allow passkeys only on https or http://localhost, not %s", publicURL)
	}
	if sessions == nil {
		return nil, core.Errorf(core.EINVALID, "passkey: a session store is required")
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	wa, err := webauthn.New(&webauthn.Config{
		RPID: u.Hostname(), RPDisplayName: name, RPOrigins: []string{u.Scheme + "://" + u.Host},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: ttl, TimeoutUVD: ttl},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: ttl, TimeoutUVD: ttl},
		},
	})
	if err != nil {
		return nil, core.WrapError(core.EINVALID, err, "passkey: relying party")
	}
	return &Ceremonies{wa: wa, sessions: sessions, ttl: ttl}, nil
}

// user adapts an employee and their devices to webauthn.User. The user
// handle is the employee id, so a discoverable credential names its owner.
type user struct {
	emp   core.Employee
	creds []webauthn.Credential
}

func (u user) WebAuthnID() []byte                         { return []byte(u.emp.ID) }
func (u user) WebAuthnName() string                       { return u.emp.ID }
func (u user) WebAuthnDisplayName() string                { return displayName(u.emp) }
func (u user) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func displayName(e core.Employee) string {
	if e.Name != "" {
		return e.Name
	}
	return e.ID
}

// newUser decodes the active devices' credential records.
func newUser(emp core.Employee, devices []core.Device) user {
	u := user{emp: emp}
	for _, d := range devices {
		if !d.Active() {
			continue
		}
		var c webauthn.Credential
		if json.Unmarshal(d.Credential, &c) == nil {
			u.creds = append(u.creds, c)
		}
	}
	return u
}

// DeviceID is the id a credential is stored under: its raw id, base64url.
func DeviceID(rawID []byte) string { return base64.RawURLEncoding.EncodeToString(rawID) }

func (c *Ceremonies) put(ctx context.Context, key string, s *webauthn.SessionData) error {
	buf, err := json.Marshal(s)
	if err != nil {
		return core.WrapError(core.EINTERNAL, err, "passkey: encode ceremony")
	}
	return c.sessions.Put(ctx, "passkey:"+key, buf, c.ttl)
}

// take reads a ceremony's state and deletes it: a challenge answers once.
func (c *Ceremonies) take(ctx context.Context, key string) (webauthn.SessionData, error) {
	var s webauthn.SessionData
	buf, err := c.sessions.Get(ctx, "passkey:"+key)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return s, core.Errorf(core.EUNAUTHORIZED, "passkey: the verification expired; start again")
		}
		return s, err
	}
	_ = c.sessions.Delete(ctx, "passkey:"+key)
	if err := json.Unmarshal(buf, &s); err != nil {
		return s, core.WrapError(core.EINTERNAL, err, "passkey: decode ceremony")
	}
	return s, nil
}

// BeginRegistration starts binding a new platform passkey for emp and
// returns the options for navigator.credentials.create as JSON. The
// person's existing devices are excluded, so one phone binds once.
func (c *Ceremonies) BeginRegistration(ctx context.Context, key string, emp core.Employee, devices []core.Device) ([]byte, error) {
	u := newUser(emp, devices)
	creation, session, err := c.wa.BeginRegistration(u,
		webauthn.WithAuthenticatorSelection(protocol.AuthenticatorSelection{
			AuthenticatorAttachment: protocol.Platform,
			ResidentKey:             protocol.ResidentKeyRequirementRequired,
			UserVerification:        protocol.VerificationRequired,
		}),
		webauthn.WithExclusions(webauthn.Credentials(u.creds).CredentialDescriptors()),
		webauthn.WithConveyancePreference(protocol.PreferNoAttestation))
	if err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "passkey: begin registration")
	}
	if err := c.put(ctx, key, session); err != nil {
		return nil, err
	}
	return json.Marshal(creation)
}

// FinishRegistration checks the browser's answer to BeginRegistration and
// returns the device to store (ID and Credential set).
func (c *Ceremonies) FinishRegistration(ctx context.Context, key string, emp core.Employee, devices []core.Device, body []byte) (core.Device, error) {
	session, err := c.take(ctx, key)
	if err != nil {
		return core.Device{}, err
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(body)
	if err != nil {
		return core.Device{}, core.WrapError(core.EINVALID, err, "passkey: the registration answer is malformed")
	}
	cred, err := c.wa.CreateCredential(newUser(emp, devices), session, parsed)
	if err != nil {
		return core.Device{}, core.WrapError(core.EUNAUTHORIZED, err, "passkey: the registration was not accepted")
	}
	buf, err := json.Marshal(cred)
	if err != nil {
		return core.Device{}, core.WrapError(core.EINTERNAL, err, "passkey: encode credential")
	}
	return core.Device{ID: DeviceID(cred.ID), EmployeeID: emp.ID, Credential: buf}, nil
}

// BeginLogin starts an assertion by one of emp's active devices and
// returns the options for navigator.credentials.get as JSON.
func (c *Ceremonies) BeginLogin(ctx context.Context, key string, emp core.Employee, devices []core.Device) ([]byte, error) {
	u := newUser(emp, devices)
	if len(u.creds) == 0 {
		return nil, core.Errorf(core.ENOTFOUND, "passkey: %s has no bound device", emp.ID)
	}
	assertion, session, err := c.wa.BeginLogin(u, webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "passkey: begin assertion")
	}
	if err := c.put(ctx, key, session); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// Asserted is a verified assertion: the device and its updated credential
// record (new sign counter) to write back.
type Asserted struct {
	DeviceID   string
	EmployeeID string
	Credential []byte
}

// FinishLogin verifies the browser's answer to BeginLogin against emp's
// active devices. A revoked device's credential is not among them and
// fails here.
func (c *Ceremonies) FinishLogin(ctx context.Context, key string, emp core.Employee, devices []core.Device, body []byte) (Asserted, error) {
	session, err := c.take(ctx, key)
	if err != nil {
		return Asserted{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return Asserted{}, core.WrapError(core.EINVALID, err, "passkey: the verification answer is malformed")
	}
	cred, err := c.wa.ValidateLogin(newUser(emp, devices), session, parsed)
	if err != nil {
		return Asserted{}, core.WrapError(core.EUNAUTHORIZED, err, "passkey: the device was not verified")
	}
	return asserted(emp.ID, cred)
}

func asserted(employeeID string, cred *webauthn.Credential) (Asserted, error) {
	buf, err := json.Marshal(cred)
	if err != nil {
		return Asserted{}, core.WrapError(core.EINTERNAL, err, "passkey: encode credential")
	}
	return Asserted{DeviceID: DeviceID(cred.ID), EmployeeID: employeeID, Credential: buf}, nil
}

// BeginDiscoverable starts an assertion by any passkey of this site, for a
// sign-in that does not know who is signing in yet.
func (c *Ceremonies) BeginDiscoverable(ctx context.Context, key string) ([]byte, error) {
	assertion, session, err := c.wa.BeginDiscoverableLogin(webauthn.WithUserVerification(protocol.VerificationRequired))
	if err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "passkey: begin assertion")
	}
	if err := c.put(ctx, key, session); err != nil {
		return nil, err
	}
	return json.Marshal(assertion)
}

// Owner finds the employee a user handle names and their devices.
type Owner func(ctx context.Context, employeeID string) (core.Employee, []core.Device, error)

// FinishDiscoverable verifies a discoverable assertion; owner resolves the
// user handle (an employee id) to the employee and their active devices.
func (c *Ceremonies) FinishDiscoverable(ctx context.Context, key string, body []byte, owner Owner) (Asserted, error) {
	session, err := c.take(ctx, key)
	if err != nil {
		return Asserted{}, err
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(body)
	if err != nil {
		return Asserted{}, core.WrapError(core.EINVALID, err, "passkey: the verification answer is malformed")
	}
	var empID string
	_, cred, err := c.wa.ValidatePasskeyLogin(func(rawID, userHandle []byte) (webauthn.User, error) {
		emp, devices, err := owner(ctx, string(userHandle))
		if err != nil {
			return nil, err
		}
		empID = emp.ID
		return newUser(emp, devices), nil
	}, session, parsed)
	if err != nil {
		return Asserted{}, core.WrapError(core.EUNAUTHORIZED, err, "passkey: the device was not verified")
	}
	return asserted(empID, cred)
}
