package core

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// The "who looked at my data" log. Every list, plot, report, export or API
// read that included a person's data is one audit entry (who, when, what)
// recorded with the ids of everyone it included, so each of them finds it
// on their own data page. The entry keeps no copy of the data; it is kept
// as long as the audit log is (no job deletes audit entries).

// AccessStore records accesses with the people they included and lists one
// person's.
type AccessStore interface {
	// RecordAccess appends a and, in the same transaction, one subject row
	// per distinct id in subjects.
	RecordAccess(ctx context.Context, a AuditEntry, subjects []string) error
	// FindAccess returns, newest first and at most limit (0: all), the
	// entries whose subjects include employeeID or whose Subject is
	// employeeID.
	FindAccess(ctx context.Context, employeeID string, limit int) ([]AuditEntry, error)
}

// Access is one entry of a person's access log, ready for a page to show.
type Access struct {
	At     time.Time
	Actor  string // employee id, "admin" or "system"
	Action string // audit action, such as "console.viewed" or "report.exported"
	// What names what was looked at: "today", "exceptions", "plot",
	// "person", "reports", "makeups", "devices", "export" or, for other
	// entries, the action itself.
	What string
	// Object is the entry's subject when it names a thing (a date, a
	// period) rather than the person.
	Object string
	// People is how many people the access included; 1 for one's own page.
	People int
}

// AccessOf turns an audit entry into what a data page shows of it.
func AccessOf(a AuditEntry, employeeID string) Access {
	out := Access{At: a.At, Actor: a.Actor, Action: a.Action, People: 1}
	var detail struct {
		Page   string `json:"page"`
		View   string `json:"view"`
		People int    `json:"people"`
		Format string `json:"format"`
	}
	_ = json.Unmarshal([]byte(a.Detail), &detail)
	if detail.People > 0 {
		out.People = detail.People
	}
	if a.Subject != employeeID {
		out.Object = a.Subject
	} else if detail.View != "" && detail.View != "person" {
		out.Object = detail.View
	}
	switch {
	case a.Action == "report.exported" || a.Action == "data.exported":
		out.What = "export"
	case detail.Page != "":
		out.What = detail.Page
	default:
		out.What = a.Action
	}
	return out
}

// AccessLog returns the accesses to employeeID's data that were not the
// person's own, newest first: what their data page lists.
func AccessLog(ctx context.Context, st AccessStore, employeeID string, limit int) ([]Access, error) {
	entries, err := st.FindAccess(ctx, employeeID, limit)
	if err != nil {
		return nil, err
	}
	out := make([]Access, 0, len(entries))
	for _, a := range entries {
		out = append(out, AccessOf(a, employeeID))
	}
	return out, nil
}

// AccessSubjects returns the distinct non-empty ids, sorted, that an access
// by actor included besides the actor: looking at one's own data is not an
// access to record.
func AccessSubjects(actor string, ids []string) []string {
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id != "" && id != actor {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}
