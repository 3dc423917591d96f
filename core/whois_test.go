package core_test

import (
	"context"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// TestWhois checks Service.Whois: the language comes from the organisation
// file (its default for an employee without one), an inactive employee is
// returned as such, an unknown account is ENOTFOUND and still names the
// contact, a malformed identity is EINVALID, and nothing is recorded.
func TestWhois(t *testing.T) {
	wecom := func(tenant, user string) core.Identity {
		return core.Identity{Platform: core.PlatformWeCom, Tenant: tenant, UserID: user}
	}
	tests := []struct {
		name     string
		id       core.Identity
		wantCode string // "" for no error
		want     core.Whois
	}{
		{"organisation default language", wecom("corp", "zhangsan"), "",
			core.Whois{EmployeeID: "E1", Name: "张三", Lang: "zh", Active: true, Contact: "HR"}},
		{"English employee", wecom("corp", "alice"), "",
			core.Whois{EmployeeID: "E2", Name: "Alice", Lang: "en", Active: true, Contact: "HR"}},
		{"inactive employee", wecom("corp", "gone"), "",
			core.Whois{EmployeeID: "X1", Name: "离职", Lang: "zh", Active: false, Contact: "HR"}},
		{"unknown user", wecom("corp", "nobody"), core.ENOTFOUND, core.Whois{Contact: "HR"}},
		{"known user id in another tenant", wecom("other", "alice"), core.ENOTFOUND, core.Whois{Contact: "HR"}},
		{"same user id on another platform", core.Identity{Platform: core.PlatformSlack, Tenant: "corp", UserID: "alice"}, core.ENOTFOUND, core.Whois{Contact: "HR"}},
		{"no user id", wecom("corp", ""), core.EINVALID, core.Whois{Contact: "HR"}},
		{"no platform", core.Identity{Tenant: "corp", UserID: "alice"}, core.EINVALID, core.Whois{Contact: "HR"}},
		{"oversized user id", wecom("corp", strings.Repeat("u", 10000)), core.EINVALID, core.Whois{Contact: "HR"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, nil)
			audits, outbox := len(h.store.Audit()), len(h.store.Outbox())
			got, err := h.svc.Whois(context.Background(), tt.id)
			if code := core.ErrorCode(err); (err == nil) != (tt.wantCode == "") || (err != nil && code != tt.wantCode) {
				t.Fatalf("Whois(%+v) error = %v (code %q), want code %q", tt.id, err, code, tt.wantCode)
			}
			if got != tt.want {
				t.Errorf("Whois(%+v) = %+v, want %+v", tt.id, got, tt.want)
			}
			if n := len(h.store.Audit()); n != audits {
				t.Errorf("audit entries %d → %d, want none added", audits, n)
			}
			if n := len(h.store.Outbox()); n != outbox {
				t.Errorf("outbox %d → %d, want none queued", outbox, n)
			}
			if keys := h.kv.Keys(""); len(keys) != 0 {
				t.Errorf("session keys = %v, want none (no rate-limit count)", keys)
			}
		})
	}
	t.Run("the configured contact", func(t *testing.T) {
		h := newHarness(t, func(c *core.Config) { c.Contact = "Lisa (HR)" })
		got, err := h.svc.Whois(context.Background(), wecom("corp", "nobody"))
		if core.ErrorCode(err) != core.ENOTFOUND || got.Contact != "Lisa (HR)" {
			t.Errorf("Whois(unknown) = %+v, %v; want ENOTFOUND naming Lisa (HR)", got, err)
		}
	})
}
