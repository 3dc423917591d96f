package coretest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The report, retention, erasure and audit-listing methods of MemStore;
// RunReportStoreSuite holds the SQL stores to the same behaviour.

var (
	_ core.ReportSource   = (*MemStore)(nil)
	_ core.RetentionStore = (*MemStore)(nil)
	_ core.EraseStore     = (*MemStore)(nil)
	_ core.AuditFinder    = (*MemStore)(nil)
	_ core.OrgInfoStore   = (*MemStore)(nil)
)

// ScanShiftPunches calls fn for the punches of a shift-date range, ordered
// by employee id, shift date, time and id. fn runs without the store's lock.
func (m *MemStore) ScanShiftPunches(ctx context.Context, r core.ShiftRange, fn func(core.Punch) error) error {
	m.mu.Lock()
	var sel []core.Punch
	for _, p := range m.state.punches {
		if p.ShiftDate < r.From || p.ShiftDate > r.To || (r.ValidOnly && !p.Valid()) {
			continue
		}
		if r.EmployeeIDs != nil && !slices.Contains(r.EmployeeIDs, p.EmployeeID) {
			continue
		}
		sel = append(sel, p)
	}
	m.mu.Unlock()
	slices.SortStableFunc(sel, func(a, b core.Punch) int {
		if c := strings.Compare(a.EmployeeID, b.EmployeeID); c != 0 {
			return c
		}
		if c := strings.Compare(a.ShiftDate, b.ShiftDate); c != 0 {
			return c
		}
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return int(a.ID - b.ID)
	})
	for _, p := range sel {
		if err := fn(p); err != nil {
			return err
		}
	}
	return nil
}

// OrgInfo returns the last applied organisation's name, language and zone.
func (m *MemStore) OrgInfo(ctx context.Context) (core.OrgInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state.orgInfo, nil
}

// ClaimRetentionRun claims a retention day once.
func (m *MemStore) ClaimRetentionRun(ctx context.Context, day string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, taken := m.state.retention[day]; taken {
		return false, nil
	}
	if m.state.retention == nil {
		m.state.retention = map[string]time.Time{}
	}
	m.state.retention[day] = at
	return true, nil
}

// withPlace copies the place fields of reduced into p, the only fields the
// retention job and erasure may rewrite.
func withPlace(p, reduced core.Punch) core.Punch {
	p.HasLocation, p.Lat, p.Lng, p.AccuracyM = reduced.HasLocation, reduced.Lat, reduced.Lng, reduced.AccuracyM
	p.Label, p.ClientIP, p.DistanceM = reduced.Label, reduced.ClientIP, reduced.DistanceM
	return p
}

// ReducePunches rewrites the place of up to limit precise punches older than
// before, lowest id first, and deletes their event records.
func (m *MemStore) ReducePunches(ctx context.Context, before time.Time, limit int, reduce func(core.Punch) core.Punch) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for i, p := range m.state.punches {
		if n >= limit {
			break
		}
		if p.At.Before(before) && p.Precise() {
			m.state.punches[i] = withPlace(p, reduce(p))
			if p.EventID != "" {
				delete(m.state.events, eventKey(p.Source, p.EventID))
			}
			n++
		}
	}
	return n, nil
}

// PruneReplies deletes up to limit replies created before before that are
// no longer pending, lowest id first.
func (m *MemStore) PruneReplies(ctx context.Context, before time.Time, limit int) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	m.state.outbox = slices.DeleteFunc(m.state.outbox, func(o core.OutboxMessage) bool {
		if n < limit && o.Kind == core.OutboxReply && o.Status != core.OutboxPending && o.CreatedAt.Before(before) {
			n++
			return true
		}
		return false
	})
	return n, nil
}

// mentions reports whether an outbox message is addressed to or about the
// employee, by the same text match the SQL stores use.
func mentions(o core.OutboxMessage, employeeID string) bool {
	id, _ := json.Marshal(employeeID)
	return strings.Contains(string(o.Payload), `"EmployeeID":`+string(id)) || strings.Contains(o.Route, `"employee_id":`+string(id))
}

// ErasePersonalData erases an inactive employee's personal data.
func (m *MemStore) ErasePersonalData(ctx context.Context, employeeID string, reduce func(core.Punch) core.Punch, audit func(core.ErasureResult) core.AuditEntry) (core.ErasureResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var res core.ErasureResult
	e, ok := m.state.employees[employeeID]
	if !ok {
		return res, core.Errorf(core.ENOTFOUND, "no employee %q", employeeID)
	}
	if e.Active {
		return res, core.Errorf(core.ECONFLICT, "employee %s is still active: set active: false in the organisation file and apply it first", employeeID)
	}
	e.Name = core.ErasedName
	m.state.employees[employeeID] = e
	m.state.org.applies++ // the export shows another name: the version moves on, as in the SQL stores
	before := len(m.state.identities)
	m.state.identities = slices.DeleteFunc(m.state.identities, func(i core.Identity) bool { return i.EmployeeID == employeeID })
	res.Identities = before - len(m.state.identities)
	delete(m.state.intents, employeeID) // a waiting text punch names the account
	for i, p := range m.state.punches {
		if p.EmployeeID == employeeID && p.Precise() {
			m.state.punches[i] = withPlace(p, reduce(p))
			res.Punches++
		}
	}
	for i, mr := range m.state.makeups {
		if mr.EmployeeID == employeeID && (mr.Reason != "" || len(mr.Evidence) > 0 || mr.Note != "" || mr.Place != "") {
			mr.Reason, mr.Evidence, mr.Note, mr.Place = "", nil, "", ""
			m.state.makeups[i] = mr
			res.Makeups++
		}
	}
	for k, ev := range m.state.events {
		if ev.EmployeeID == employeeID {
			delete(m.state.events, k)
			res.Events++
		}
	}
	before = len(m.state.outbox)
	m.state.outbox = slices.DeleteFunc(m.state.outbox, func(o core.OutboxMessage) bool {
		return o.Status != core.OutboxPending && mentions(o, employeeID)
	})
	res.Outbox = before - len(m.state.outbox)
	a := audit(res)
	m.state.nextID++
	a.ID = m.state.nextID
	m.state.audit = append(m.state.audit, a)
	return res, nil
}

// FindAudit lists matching audit entries, newest first.
func (m *MemStore) FindAudit(ctx context.Context, f core.AuditFilter) ([]core.AuditEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.AuditEntry
	for i := len(m.state.audit) - 1; i >= 0; i-- {
		a := m.state.audit[i]
		if (f.Subject != "" && a.Subject != f.Subject) || (f.Actor != "" && a.Actor != f.Actor) || (f.Action != "" && !strings.HasPrefix(a.Action, f.Action)) {
			continue
		}
		out = append(out, a)
		if f.Limit > 0 && len(out) >= f.Limit {
			break
		}
	}
	return out, nil
}
