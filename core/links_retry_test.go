package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// eventCountingStore counts the look-ups of an event's recorded reply.
type eventCountingStore struct {
	*coretest.MemStore
	lookups int
}

func (s *eventCountingStore) EventReply(ctx context.Context, source, eventID string) (core.EventRecord, error) {
	s.lookups++
	return s.MemStore.EventReply(ctx, source, eventID)
}

// TestLocationPageRetry: a location-page punch refused for a fix the next
// one may cure leaves the link's event to the next try, a good fix then
// punches, and a coarse fix on the spent link gets the first reply and
// stores nothing. Only the retryable refusal looks the event up: a punch
// that goes through pays no read for it (the event's unique key judges
// its retries).
func TestLocationPageRetry(t *testing.T) {
	h := newHarness(t, nil)
	store := &eventCountingStore{MemStore: h.store}
	svc := core.NewService(store, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	ctx := context.Background()
	h.clock.Set(sh(t, "2026-11-26 08:50:00"))
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	coarse := north(office, 10)
	coarse.AccuracyM = 5000
	steps := []struct {
		name        string
		loc         *core.Location
		wantOutcome core.Outcome
		wantReplay  bool
		wantLookups int // cumulative
		wantPunches int // cumulative, refused attempts included
	}{
		{"a coarse fix is refused and stored without the link's event", coarse, core.OutcomeRejected, false, 1, 1},
		{"a good fix on the same link punches, with no look-up", north(office, 10), core.OutcomeAccepted, false, 1, 2},
		{"a coarse fix on the spent link answers the first reply", coarse, core.OutcomeAccepted, true, 2, 2},
	}
	for _, st := range steps {
		r, err := svc.Handle(ctx, core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindIn, Source: "web", EventID: "web:nonce1",
			At: h.clock.Now(), Location: st.loc})
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if r.Outcome != st.wantOutcome || r.Replayed != st.wantReplay {
			t.Errorf("%s: outcome %s replayed %t, want %s replayed %t", st.name, r.Outcome, r.Replayed, st.wantOutcome, st.wantReplay)
		}
		if store.lookups != st.wantLookups {
			t.Errorf("%s: %d event look-ups so far, want %d", st.name, store.lookups, st.wantLookups)
		}
		if n := len(h.punches(t, "E1")); n != st.wantPunches {
			t.Errorf("%s: %d punches stored so far, want %d", st.name, n, st.wantPunches)
		}
	}
	// A punch from elsewhere (a chat location) never looks its event up.
	before := store.lookups
	if _, err := svc.Handle(ctx, core.Command{Actor: actor, Kind: core.CmdPunch, Punch: core.KindOut, EventID: "chat-1", At: h.clock.Now(), Location: coarse}); err != nil {
		t.Fatal(err)
	}
	if store.lookups != before {
		t.Errorf("a chat punch looked its event up %d times, want 0", store.lookups-before)
	}
}
