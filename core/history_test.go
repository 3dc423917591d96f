package core_test

import (
	"context"
	"testing"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// TestHistoryIsTheLastSevenDays: 记录 / this week answers with the day
// results of today and the six days before, oldest first, in the
// employee's zone; the punches it carries have no coordinates (the reply
// is stored with the event and in the outbox); the latest day with a gap
// names its slot for the 补卡 hint; and a retry of the event is answered
// the same without a second reply queued.
func TestHistoryIsTheLastSevenDays(t *testing.T) {
	h := newHarness(t, nil)
	// Mon 11-23 normal, Tue 11-24 late, Wed 11-25 out only, Thu 11-26 nothing.
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-23 08:50:00"), north(office, 10), "a")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-23 18:10:00"), north(office, 12), "b")
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-24 09:20:00"), north(office, 14), "c")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-24 18:10:00"), north(office, 16), "d")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-25 18:10:00"), north(office, 18), "e")
	h.clock.Set(sh(t, "2026-11-27 10:00:00")) // Friday
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	cmd := core.Command{Actor: actor, Kind: core.CmdHistory, EventID: "hist", ReplyRoute: `{"touser":"zhangsan"}`}
	queued := len(h.store.Outbox()) // the punches' replies
	r, err := h.svc.Handle(context.Background(), cmd)
	if err != nil {
		t.Fatal(err)
	}
	if r.Outcome != core.OutcomeStatus || len(r.Days) != core.HistoryDays {
		t.Fatalf("history = %s with %d days, want status with %d", r.Outcome, len(r.Days), core.HistoryDays)
	}
	want := []struct {
		date string
		st   core.DayStatus
	}{
		{"2026-11-21", core.DayRest}, {"2026-11-22", core.DayRest}, {"2026-11-23", core.DayNormal}, {"2026-11-24", core.DayLate},
		{"2026-11-25", core.DayMissingIn}, {"2026-11-26", core.DayAbsent}, {"2026-11-27", core.DayInProgress},
	}
	for i, w := range want {
		d := r.Days[i]
		if d.Date != w.date || !d.Has(w.st) {
			t.Errorf("day %d = %s %v, want %s with %s", i, d.Date, d.Statuses, w.date, w.st)
		}
		for _, p := range []*core.Punch{d.In, d.Out} {
			if p != nil && (p.Lat != 0 || p.Lng != 0 || p.At.IsZero()) {
				t.Errorf("day %s carries punch %+v, want its time without coordinates", d.Date, *p)
			}
		}
	}
	if d := r.Days[3]; d.In == nil || !d.In.At.Equal(sh(t, "2026-11-24 09:20:00")) || d.LateMin != 20 {
		t.Errorf("late day = %+v, want in at 09:20, 20 min late", d)
	}
	// The latest day with a gap is Thursday's absence: its clock-in.
	if r.ShiftDate != "2026-11-26" || r.SlotKind != core.KindIn || !r.SlotAt.Equal(sh(t, "2026-11-26 09:00:00")) {
		t.Errorf("slot = %s %s at %v, want 2026-11-26 in at 09:00", r.ShiftDate, r.SlotKind, r.SlotAt)
	}
	again, err := h.svc.Handle(context.Background(), cmd)
	if err != nil || !again.Replayed || len(again.Days) != core.HistoryDays {
		t.Errorf("retry = %+v, %v; want the stored history, replayed", again, err)
	}
	if n := len(h.store.Outbox()) - queued; n != 1 {
		t.Errorf("%d replies queued, want 1 for the event and its retry", n)
	}
}

// TestHistoryOfANightShift: a night shift's punches after midnight belong
// to the day it started, as in the status.
func TestHistoryOfANightShift(t *testing.T) {
	h := newHarness(t, nil)
	h.punch(t, "night", core.KindIn, sh(t, "2026-11-25 21:55:00"), north(office, 10), "a")
	h.punch(t, "night", core.KindOut, sh(t, "2026-11-26 02:05:00"), north(office, 12), "b")
	h.clock.Set(sh(t, "2026-11-26 12:00:00"))
	r, err := h.svc.Handle(context.Background(), core.Command{Actor: core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "night"}, Kind: core.CmdHistory})
	if err != nil {
		t.Fatal(err)
	}
	d := r.Days[len(r.Days)-2]
	if d.Date != "2026-11-25" || d.In == nil || d.Out == nil || !d.Has(core.DayNormal) || d.WorkedMin != 250 {
		t.Errorf("11-25 = %+v, want the night's in and out (250 min), normal", d)
	}
	if last := r.Days[len(r.Days)-1]; last.Date != "2026-11-26" || last.In != nil || last.Out != nil {
		t.Errorf("11-26 = %+v, want no punches: the 02:05 clock-out is the 11-25 shift's", last)
	}
}

// readCountingStore counts the reads a transaction makes of punches and
// requests, to check a command's round trips on a store where each read is
// one (PostgreSQL).
type readCountingStore struct {
	*coretest.MemStore
	reads int
}

func (s *readCountingStore) InTx(ctx context.Context, fn func(core.Tx) error) error {
	return s.MemStore.InTx(ctx, func(tx core.Tx) error { return fn(&readCountingTx{Tx: tx, reads: &s.reads}) })
}

type readCountingTx struct {
	core.Tx
	reads *int
}

func (t *readCountingTx) ShiftPunches(ctx context.Context, id, date string) ([]core.Punch, error) {
	*t.reads++
	return t.Tx.ShiftPunches(ctx, id, date)
}

func (t *readCountingTx) ShiftPunchesBetween(ctx context.Context, id, from, to string) ([]core.Punch, error) {
	*t.reads++
	return t.Tx.ShiftPunchesBetween(ctx, id, from, to)
}

func (t *readCountingTx) ListMakeups(ctx context.Context, f core.MakeupFilter) ([]core.MakeupRequest, error) {
	*t.reads++
	return t.Tx.ListMakeups(ctx, f)
}

// TestHistoryReadsTheWeekOnce: the week's punches and requests come in two
// reads, not two a day, and each day still gets its own punches and the
// requests that touch it.
func TestHistoryReadsTheWeekOnce(t *testing.T) {
	h := newHarness(t, nil)
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-23 08:50:00"), north(office, 10), "a")
	h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-24 18:10:00"), north(office, 16), "b")
	h.clock.Set(sh(t, "2026-11-27 10:00:00"))
	counting := &readCountingStore{MemStore: h.store}
	svc := core.NewService(counting, h.kv, h.kv, core.DefaultConfig(), h.clock.Now)
	actor := core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}
	r, err := svc.Handle(context.Background(), core.Command{Actor: actor, Kind: core.CmdHistory, EventID: "hist", ReplyRoute: `{"touser":"zhangsan"}`})
	if err != nil {
		t.Fatal(err)
	}
	if counting.reads > 2 {
		t.Errorf("history made %d reads of punches and requests, want 2 for the week", counting.reads)
	}
	want := map[string]core.DayStatus{"2026-11-23": core.DayMissingOut, "2026-11-24": core.DayMissingIn, "2026-11-25": core.DayAbsent}
	for _, d := range r.Days {
		if st, ok := want[d.Date]; ok && !d.Has(st) {
			t.Errorf("day %s = %v, want %s", d.Date, d.Statuses, st)
		}
	}
}
