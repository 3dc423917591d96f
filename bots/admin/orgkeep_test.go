package admin

import (
	"context"
	"net/http"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// keepOrg sets every organisation-wide setting away from its default.
const keepOrg = `name: Acme
lang: en
timezone: Europe/Berlin
device_binding: optional
sites:
  - {id: hq, lat: 39.9965, lng: 116.4803}
schedules:
  - {id: day, start: "09:00", end: "18:00", device_binding: required}
employees:
  - {id: E1, name: Ann, schedule: day, sites: [hq]}
makeup: {monthly_quota: 3, deadline_days: 7, expire_after_hours: 72}
leave_types:
  - {id: annual, name: 年假, annual_quota_days: 5, paid: true}
  - {id: sick, name: 病假, paid: true}
`

// orgSettings are the organisation-wide settings an apply must not reset.
type orgSettings struct {
	Name, Lang, TimeZone string
	Makeup               core.MakeupPolicy
	LeaveTypes           []core.LeaveType
	Devices              core.DevicePolicy
}

func mustSettings(tb testing.TB, st Store) orgSettings {
	tb.Helper()
	org, err := CurrentOrg(context.Background(), st)
	if err != nil {
		tb.Fatalf("CurrentOrg: %v", err)
	}
	return orgSettings{org.Name, org.Lang, org.TimeZone, org.Makeup, org.LeaveTypes, org.Devices}
}

// keepStores are the stores the API is tested on here: bots do not import
// adapters, so the same apply through SQLite is in
// adapters/sqlite/orgkeep_admin_test.go.
func keepStores(t *testing.T) map[string]Store {
	t.Helper()
	return map[string]Store{"memory": &memStore{MemStore: coretest.NewMemStore()}}
}

func keepFixture(t *testing.T, st Store) *fixture {
	f := &fixture{mux: http.NewServeMux(), now: time.Date(2026, 9, 16, 12, 0, 0, 0, time.UTC)}
	New(Deps{Store: st, Token: testToken, Now: func() time.Time { return f.now }}).Register(f.mux)
	return f
}

// TestPutOrgPartialKeepsSettings: PUT /api/v1/org with a partial file
// once set monthly_quota, deadline_days, expire_after_hours and every
// annual_quota_days to 0 (unlimited), and device binding to off.
func TestPutOrgPartialKeepsSettings(t *testing.T) {
	for name, st := range keepStores(t) {
		t.Run(name, func(t *testing.T) {
			f := keepFixture(t, st)
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(keepOrg), http.StatusOK)
			want := mustSettings(t, st)
			if want.Makeup.MonthlyQuota != 3 || want.Devices.Default != core.DeviceBindingOptional || len(want.LeaveTypes) != 2 {
				t.Fatalf("after the full file: settings = %+v", want)
			}

			// A wrong type is refused with its field, not applied as "1".
			body := f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(`{"name": 1}`), http.StatusBadRequest)
			eb := MustDecode[errorBody](t, body)
			wantProblem := Problem{Line: 1, Column: 10, Field: "name", Message: `must be text, not the number 1; write it in quotes ("1") if that is what you mean`}
			if len(eb.Problems) != 1 || eb.Problems[0] != wantProblem {
				t.Errorf(`PUT {"name": 1}: problems = %+v, want [%+v]`, eb.Problems, wantProblem)
			}
			if got := mustSettings(t, st); !reflect.DeepEqual(got, want) {
				t.Fatalf("after a refused file: settings = %+v, want %+v", got, want)
			}

			// A file that only renames changes only the name.
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(`{"name": "Acme GmbH"}`), http.StatusOK)
			want.Name = "Acme GmbH"
			if got := mustSettings(t, st); !reflect.DeepEqual(got, want) {
				t.Errorf("after {\"name\": \"Acme GmbH\"}: settings = %+v, want %+v", got, want)
			}

			// A file of one new person keeps every setting, and the person
			// gets the stored organisation's language and zone.
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte("employees:\n  - {id: E2, name: Bob}\n"), http.StatusOK)
			if got := mustSettings(t, st); !reflect.DeepEqual(got, want) {
				t.Errorf("after a file of one employee: settings = %+v, want %+v", got, want)
			}
			org, err := st.Org(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(org.Employees, func(e core.Employee) bool { return e.ID == "E2" })
			if i < 0 || org.Employees[i].Lang != "en" || org.Employees[i].TimeZone != "Europe/Berlin" {
				t.Errorf("E2 = %+v, want lang en and zone Europe/Berlin (the stored organisation's)", org.Employees)
			}

			// What the file names wins: one make-up key, and an explicit 0.
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte("makeup:\n  deadline_days: 0\ndevice_binding: off\n"), http.StatusOK)
			want.Makeup.DeadlineDays = 0
			want.Devices.Default = core.DeviceBindingOff
			if got := mustSettings(t, st); !reflect.DeepEqual(got, want) {
				t.Errorf("after naming deadline_days and device_binding: settings = %+v, want %+v", got, want)
			}
		})
	}
}

// TestDiffOrgPartialKeepsSettings: the diff shows what the apply does, so
// a partial file's diff names only what it changes.
func TestDiffOrgPartialKeepsSettings(t *testing.T) {
	for name, st := range keepStores(t) {
		t.Run(name, func(t *testing.T) {
			f := keepFixture(t, st)
			f.MustDo(t, http.MethodPut, "/api/v1/org", []byte(keepOrg), http.StatusOK)
			tests := []struct {
				file string
				want []string
			}{
				{`{"name": "Acme"}`, []string{}},
				{`{"name": "Acme GmbH"}`, []string{"- name: Acme", "+ name: Acme GmbH"}},
				{"makeup: {monthly_quota: 5}", []string{"-   monthly_quota: 3", "+   monthly_quota: 5"}},
			}
			for _, tt := range tests {
				got := MustDecode[diffJSON](t, f.MustDo(t, http.MethodPost, "/api/v1/org/diff", []byte(tt.file), http.StatusOK)).Changes
				if !slices.Equal(got, tt.want) {
					t.Errorf("diff of %q = %q, want %q", tt.file, got, tt.want)
				}
			}
		})
	}
}

// TestParseOrgJSONTypes: JSON carries types, so a number or boolean
// where text belongs is refused; YAML's bare staff numbers stay text.
func TestParseOrgJSONTypes(t *testing.T) {
	tests := []struct{ file, want string }{
		{`{"name": 1}`, `line 1: name: must be text, not the number 1; write it in quotes ("1") if that is what you mean`},
		{`{"name": "Acme", "employees": [{"id": 1001, "name": true}]}`, "line 1: employees[0].id: must be text, not the number 1001; write it in quotes (\"1001\") if that is what you mean\n" +
			`line 1: employees[0].name: must be text, not the boolean true; write it in quotes ("true") if that is what you mean`},
		{"name: Acme\nemployees:\n  - {id: 1001, name: Ann}\n", ""},
		{`{"name": "1"}`, ""},
	}
	for _, tt := range tests {
		_, err := ParseOrg([]byte(tt.file))
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("ParseOrg(%q) error =\n%s\nwant\n%s", tt.file, got, tt.want)
		}
	}
}
