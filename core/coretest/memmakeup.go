package coretest

import (
	"context"
	"slices"
	"sort"

	"github.com/punchbot/punchbot/core"
)

var (
	_ core.MakeupTx       = memTx{}
	_ core.Directory      = (*MemStore)(nil)
	_ core.LeaveTypeStore = (*MemStore)(nil)
)

// LeaveTypes returns the leave types of the last applied organisation.
func (m *MemStore) LeaveTypes(ctx context.Context) ([]core.LeaveType, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.state.leaveTypes), nil
}

// ListRequests returns the requests matching f, oldest first, outside any
// transaction (reports read approvals this way).
func (m *MemStore) ListRequests(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []core.MakeupRequest
	for _, mr := range m.state.makeups {
		if f.Matches(mr) {
			mr.Evidence = slices.Clone(mr.Evidence)
			out = append(out, mr)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].CreatedAt.Before(out[j].CreatedAt) })
	return out, nil
}

// PutCardRef creates or replaces the card reference of one recipient.
func (t memTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	found := false
	for _, mr := range t.m.state.makeups {
		found = found || mr.ID == ref.RequestID
	}
	if !found {
		return core.Errorf(core.ENOTFOUND, "no request %d", ref.RequestID)
	}
	for i, r := range t.m.state.cardRefs {
		if r.RequestID == ref.RequestID && r.Platform == ref.Platform && r.Recipient == ref.Recipient {
			t.m.state.cardRefs[i] = ref
			return nil
		}
	}
	t.m.state.cardRefs = append(t.m.state.cardRefs, ref)
	return nil
}

// CardRefs returns a request's card references in the order they were
// first recorded.
func (t memTx) CardRefs(ctx context.Context, requestID int64) ([]core.CardRef, error) {
	var out []core.CardRef
	for _, r := range t.m.state.cardRefs {
		if r.RequestID == requestID {
			out = append(out, r)
		}
	}
	return out, nil
}
