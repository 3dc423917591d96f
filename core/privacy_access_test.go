package core_test

import (
	"slices"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestAccessOf(t *testing.T) {
	at := time.Date(2026, 11, 30, 2, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		in   core.AuditEntry
		want core.Access
	}{
		{"today's list", core.AuditEntry{At: at, Actor: "H1", Action: "console.viewed", Subject: "today:2026-11-30", Detail: `{"page":"today","people":7}`},
			core.Access{At: at, Actor: "H1", Action: "console.viewed", What: "today", Object: "today:2026-11-30", People: 7}},
		{"one person's page", core.AuditEntry{At: at, Actor: "M1", Action: "console.viewed", Subject: "E2", Detail: `{"page":"person","view":"person"}`},
			core.Access{At: at, Actor: "M1", Action: "console.viewed", What: "person", People: 1}},
		{"monthly export", core.AuditEntry{At: at, Actor: "admin", Action: "report.exported", Subject: "monthly:2026-11", Detail: `{"format":"csv","people":5}`},
			core.Access{At: at, Actor: "admin", Action: "report.exported", What: "export", Object: "monthly:2026-11", People: 5}},
		{"own data export by someone", core.AuditEntry{At: at, Actor: "H1", Action: "data.exported", Subject: "E2", Detail: `{"format":"json","view":"person"}`},
			core.Access{At: at, Actor: "H1", Action: "data.exported", What: "export", People: 1}},
		{"other entry", core.AuditEntry{At: at, Actor: "E2", Action: "device.enrolled", Subject: "E2", Detail: `not json`},
			core.Access{At: at, Actor: "E2", Action: "device.enrolled", What: "device.enrolled", People: 1}},
	} {
		if got := core.AccessOf(c.in, "E2"); got != c.want {
			t.Errorf("%s: AccessOf = %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestAccessSubjects(t *testing.T) {
	got := core.AccessSubjects("M1", []string{"E2", "M1", "", "E1", "E2"})
	if want := []string{"E1", "E2"}; !slices.Equal(got, want) {
		t.Errorf("AccessSubjects = %q, want %q (sorted, distinct, without the viewer)", got, want)
	}
}
