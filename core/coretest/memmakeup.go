package coretest

import (
	"context"

	"github.com/punchbot/punchbot/core"
)

var (
	_ core.MakeupTx  = memTx{}
	_ core.Directory = (*MemStore)(nil)
)

// PutCardRef creates or replaces the card reference of one recipient.
func (t memTx) PutCardRef(ctx context.Context, ref core.CardRef) error {
	found := false
	for _, mr := range t.m.state.makeups {
		found = found || mr.ID == ref.RequestID
	}
	if !found {
		return core.Errorf(core.ENOTFOUND, "no make-up request %d", ref.RequestID)
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
