package admin

import (
	"context"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

func (s failingStore) Org(context.Context) (core.Org, error) { return core.Org{}, s.err }

// MustParse parses an org file or fails.
func MustParse(tb testing.TB, data []byte) core.Org {
	tb.Helper()
	org, err := ParseOrg(data)
	if err != nil {
		tb.Fatalf("parse: %v", err)
	}
	return org
}

// MustMarshal exports an org or fails.
func MustMarshal(tb testing.TB, org core.Org) string {
	tb.Helper()
	data, err := MarshalOrg(org)
	if err != nil {
		tb.Fatal(err)
	}
	return string(data)
}

// TestMarshalOrgRoundTrip: the export parses back to the organisation it
// came from, for the demo and for a file using every key.
func TestMarshalOrgRoundTrip(t *testing.T) {
	for name, src := range map[string][]byte{"demo": ExampleOrg(), "full": []byte(fullOrg)} {
		t.Run(name, func(t *testing.T) {
			org := MustParse(t, src)
			first := MustMarshal(t, org)
			again := MustMarshal(t, MustParse(t, []byte(first)))
			if first != again {
				t.Errorf("export does not round-trip; diff:\n%s", strings.Join(DiffLines([]byte(first), []byte(again)), "\n"))
			}
		})
	}
}

// TestMarshalOrgKeepsStatutory: a statutory holiday exports as
// statutory: true and parses back so; other days say nothing of it.
func TestMarshalOrgKeepsStatutory(t *testing.T) {
	org := MustParse(t, []byte(fullOrg))
	out := MustMarshal(t, org)
	if got, want := strings.Count(out, "statutory: true"), 1; got != want {
		t.Errorf("export has %d statutory days, want %d:\n%s", got, want, out)
	}
	got, want := MustParse(t, []byte(out)).Calendars, org.Calendars
	if !reflect.DeepEqual(got, want) {
		t.Errorf("calendars after a round trip = %+v, want %+v", got, want)
	}
}

// TestStoresReadBackTheOrg: what the store's Org returns after ApplyOrg
// exports to the same file as the applied organisation (the SQL stores'
// Org is tested against the same organisation in adapters/sqlite and
// adapters/postgres, orgread_test.go).
func TestStoresReadBackTheOrg(t *testing.T) {
	ctx := context.Background()
	for name, st := range map[string]interface {
		core.OrgStore
		OrgReader
	}{"memory": coretest.NewMemStore()} {
		t.Run(name, func(t *testing.T) {
			org := MustParse(t, ExampleOrg())
			if _, err := st.ApplyOrg(ctx, org, core.AuditEntry{Actor: "test", Action: "org.applied"}); err != nil {
				t.Fatal(err)
			}
			got, err := st.Org(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := MustMarshal(t, org)
			if have := MustMarshal(t, got); have != want {
				t.Errorf("read back differs:\n%s", strings.Join(DiffLines([]byte(want), []byte(have)), "\n"))
			}
		})
	}
}

func TestGetOrgExportsYAML(t *testing.T) {
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodPut, "/api/v1/org", ExampleOrg(), http.StatusOK)
	rec := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /api/v1/org: status %d, body %s", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/yaml") {
		t.Errorf("Content-Type %q, want application/yaml", ct)
	}
	if got, want := rec.Body.String(), MustMarshal(t, MustParse(t, ExampleOrg())); got != want {
		t.Errorf("export differs from the applied file:\n%s", strings.Join(DiffLines([]byte(want), []byte(got)), "\n"))
	}
	if rec := f.do(http.MethodGet, "/api/v1/org", "", nil); rec.Code != http.StatusUnauthorized {
		t.Errorf("without a token: status %d, want 401", rec.Code)
	}
}

func TestDiffLines(t *testing.T) {
	before := "sites:\n  - id: a\n    radius_m: 300\n  - id: b\n    radius_m: 200\n"
	tests := []struct {
		name, after string
		want        []string
	}{
		{"equal", before, nil},
		{"changed value", strings.Replace(before, "200", "250", 1), []string{"    - id: b", "-     radius_m: 200", "+     radius_m: 250"}},
		{"added", before + "  - id: c\n", []string{"+   - id: c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DiffLines([]byte(before), []byte(tt.after))
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("DiffLines =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}

// TestDiffOrg: POST /api/v1/org/diff says what an apply would change and
// changes nothing; an invalid file gets the apply's problems.
func TestDiffOrg(t *testing.T) {
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodPut, "/api/v1/org", ExampleOrg(), http.StatusOK)
	before := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil).Body.String()
	edited := strings.Replace(string(ExampleOrg()), "radius_m: 300", "radius_m: 250", 1)
	got := MustDecode[diffJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", []byte(edited), http.StatusOK))
	if strings.Join(got.Changes, "\n") != "    - id: wangjing\n-     radius_m: 300\n+     radius_m: 250" {
		t.Errorf("changes = %q", got.Changes)
	}
	if same := MustDecode[diffJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", ExampleOrg(), http.StatusOK)); len(same.Changes) != 0 {
		t.Errorf("the applied file itself changes %q", same.Changes)
	}
	bad := MustDecode[errorBody](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", []byte(strings.Replace(edited, "radius_m: 250", "radius_m: 5", 1)), http.StatusBadRequest))
	if len(bad.Problems) != 1 || !strings.Contains(bad.Problems[0].Message, "between 10 and 5000") {
		t.Errorf("invalid file: %+v", bad)
	}
	if after := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil).Body.String(); after != before {
		t.Errorf("a diff changed the organisation")
	}
}

// TestMarshalOrgWritesEmoji: characters beyond U+FFFF (emoji) are written
// as they are, as YAML allows; yaml.v3 alone escapes them ("\U0001F4E2").
// Text that spells an escape stays text.
func TestMarshalOrgWritesEmoji(t *testing.T) {
	org := MustParse(t, []byte(`name: "Acme 🏢"
employees:
  - {id: E1, name: "Ann 😀"}
reminders:
  - id: policy
    kind: broadcast
    cron: "0 10 * * MON"
    text: "📢 本周五起远程办公请在 09:30 前打卡\n第二行 ✅ 🎉"
  - id: literal
    kind: broadcast
    cron: "0 10 * * MON"
    text: '\U0001F4E2 is how YAML escapes 📢'
`))
	got := MustMarshal(t, org)
	for _, want := range []string{
		"name: Acme 🏢\n",
		"name: Ann 😀\n",
		"text: |-\n      📢 本周五起远程办公请在 09:30 前打卡\n      第二行 ✅ 🎉\n",
		"text: \\U0001F4E2 is how YAML escapes 📢\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("export lacks %s:\n%s", want, got)
		}
	}
	if back := MustMarshal(t, MustParse(t, []byte(got))); back != got {
		t.Errorf("export does not read back to itself:\n%s", strings.Join(DiffLines([]byte(got), []byte(back)), "\n"))
	}
}

// TestMarshalOrgDeviceBinding: the export writes the device binding, the
// organisation's and each schedule's, so it reads back the same; without
// it an export applied to a new store turned passkeys off.
func TestMarshalOrgDeviceBinding(t *testing.T) {
	org := MustParse(t, []byte(bindingOrg))
	got := MustMarshal(t, org)
	for _, want := range []string{"\ndevice_binding: optional\n", "    confirm_within_min: 10\n    device_binding: required\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("export lacks %q:\n%s", want, got)
		}
	}
	if back := MustParse(t, []byte(got)); !reflect.DeepEqual(back.Devices, org.Devices) {
		t.Errorf("devices read back = %+v, want %+v", back.Devices, org.Devices)
	}
	if off := MustMarshal(t, MustParse(t, []byte(strings.Replace(bindingOrg, "device_binding: optional\n", "", 1)))); strings.Contains(off, "\ndevice_binding:") {
		t.Errorf("export of an organisation with binding off names it:\n%s", off)
	}

	// GET /api/v1/org exports the stored policy.
	f := MustFixture(t, testToken)
	f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(bindingOrg), http.StatusOK)
	rec := f.do(http.MethodGet, "/api/v1/org", "Bearer "+testToken, nil)
	if body := rec.Body.String(); rec.Code != http.StatusOK || !strings.Contains(body, "\ndevice_binding: optional\n") || !strings.Contains(body, "device_binding: required\n") {
		t.Errorf("GET /api/v1/org: status %d, body\n%s\nwant both device bindings", rec.Code, body)
	}
}
