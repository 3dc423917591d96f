package core_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// newModeHarness is newHarness with the day schedule asking to confirm
// clock-outs within 10 minutes of the clock-in (as the org file's default)
// and running in mode.
func newModeHarness(tb testing.TB, mode core.PunchMode) *harness {
	tb.Helper()
	org := testOrg()
	for i := range org.Schedules {
		if org.Schedules[i].ID == "day" {
			org.Schedules[i].ConfirmWithinMin = 10
			org.Schedules[i].PunchMode = mode
		}
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	store := coretest.NewMemStore()
	if _, err := store.ApplyOrg(context.Background(), org, core.AuditEntry{Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
	clock := &testClock{}
	kv := coretest.NewMemKV(clock.Now)
	return &harness{svc: core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now), store: store, kv: kv, clock: clock}
}

var zhangsan = core.Identity{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "zhangsan"}

// step is one thing the user does at a time, and what it must answer.
type step struct {
	at       string // Asia/Shanghai "2006-01-02 15:04:05"
	cmd      core.CommandKind
	kind     core.PunchKind // for CmdPunch
	located  bool           // CmdPunch with a location on site
	far      bool           // CmdPunch with a location 2 km off site
	event    string
	outcome  core.Outcome
	wantKind core.PunchKind // checked when set
	earlyMin int
	reason   string // must be among the reasons when set
	replayed bool
}

func (h *harness) do(tb testing.TB, s step) core.Reply {
	tb.Helper()
	at := sh(tb, s.at)
	h.clock.Set(at)
	cmd := core.Command{Actor: zhangsan, Kind: s.cmd, Punch: s.kind, At: at, EventID: s.event, ReplyRoute: `{"touser":"zhangsan"}`}
	if s.cmd == "" {
		cmd.Kind = core.CmdPunch
	}
	if s.located {
		cmd.Location = north(office, 30)
	}
	if s.far {
		cmd.Location = north(office, 2000)
	}
	got, err := h.svc.Handle(context.Background(), cmd)
	if err != nil {
		tb.Fatalf("%s %s at %s: %v", cmd.Kind, s.kind, s.at, err)
	}
	return got
}

func runSteps(t *testing.T, h *harness, steps []step) []core.Reply {
	t.Helper()
	var replies []core.Reply
	for i, s := range steps {
		got := h.do(t, s)
		replies = append(replies, got)
		if got.Outcome != s.outcome {
			t.Fatalf("step %d (%s %s %s at %s): outcome = %s (reasons %v), want %s", i, s.cmd, s.kind, s.event, s.at, got.Outcome, got.Reasons, s.outcome)
		}
		if s.wantKind != "" && got.Kind != s.wantKind {
			t.Errorf("step %d: kind = %q, want %q", i, got.Kind, s.wantKind)
		}
		if got.EarlyMin != s.earlyMin {
			t.Errorf("step %d: early = %d min, want %d", i, got.EarlyMin, s.earlyMin)
		}
		if s.reason != "" && !slices.Contains(got.Reasons, s.reason) {
			t.Errorf("step %d: reasons = %v, want %s among them", i, got.Reasons, s.reason)
		}
		if got.Replayed != s.replayed {
			t.Errorf("step %d: replayed = %v, want %v", i, got.Replayed, s.replayed)
		}
	}
	return replies
}

// valid returns the employee's counting punches of one kind, by time.
func (h *harness) valid(tb testing.TB, kind core.PunchKind) []core.Punch {
	tb.Helper()
	var out []core.Punch
	for _, p := range h.punches(tb, "E1") {
		if p.Valid() && p.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

func TestEarlyClockOutConfirmation(t *testing.T) {
	in := step{at: "2026-11-26 07:49:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted, wantKind: core.KindIn}
	// 08:55 is 545 minutes before 18:00: the question.
	ask := step{at: "2026-11-26 08:55:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, wantKind: core.KindOut, earlyMin: 545, reason: core.ReasonConfirmEarly}
	tests := []struct {
		name    string
		steps   []step
		wantOut []string // clock times of the counting clock-outs
	}{
		{"confirm records the clock-out at its own time", []step{in, ask,
			{at: "2026-11-26 08:56:30", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, wantKind: core.KindOut, earlyMin: 545},
		}, []string{"08:55"}},
		{"a retried confirm answers the same and stores nothing more", []step{in, ask,
			{at: "2026-11-26 08:56:30", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 545},
			{at: "2026-11-26 08:56:40", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 545, replayed: true},
			{at: "2026-11-26 08:56:50", cmd: core.CmdConfirm, event: "yes-again", outcome: core.OutcomeNothingPending},
		}, []string{"08:55"}},
		{"decline drops it", []step{in, ask,
			{at: "2026-11-26 08:56:00", cmd: core.CmdDecline, event: "no", outcome: core.OutcomeDeclined, wantKind: core.KindOut},
			{at: "2026-11-26 08:56:10", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeNothingPending},
		}, nil},
		{"the question expires after 5 minutes", []step{in, ask,
			{at: "2026-11-26 09:00:01", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeNothingPending},
		}, nil},
		{"4 min 59 s later still confirms", []step{in, ask,
			{at: "2026-11-26 08:59:59", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 545},
		}, []string{"08:55"}},
		{"another command in between drops it", []step{in, ask,
			{at: "2026-11-26 08:55:30", cmd: core.CmdStatus, event: "st", outcome: core.OutcomeStatus},
			{at: "2026-11-26 08:56:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeNothingPending},
		}, nil},
		{"a request for a location keeps it", []step{in, ask,
			{at: "2026-11-26 08:55:30", kind: core.KindOut, event: "text", outcome: core.OutcomeNeedLocation},
			{at: "2026-11-26 08:56:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, wantKind: core.KindOut, earlyMin: 545},
		}, []string{"08:55"}},
		{"a punch in between drops it", []step{in, ask,
			{at: "2026-11-26 08:55:30", kind: core.KindIn, located: true, event: "in-again", outcome: core.OutcomeRepeat, wantKind: core.KindIn},
			{at: "2026-11-26 08:56:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeNothingPending},
			{at: "2026-11-26 08:56:10", cmd: core.CmdConfirm, event: "yes-2", outcome: core.OutcomeNothingPending},
		}, nil},
		{"a platform retry of the question asks the same and keeps it", []step{in, ask,
			{at: "2026-11-26 08:55:05", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, earlyMin: 545, replayed: true},
			{at: "2026-11-26 08:56:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 545},
			// After the confirm, a late retry of the question does not arm it again.
			{at: "2026-11-26 08:56:05", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, earlyMin: 545, replayed: true},
			{at: "2026-11-26 08:56:10", cmd: core.CmdConfirm, event: "yes-2", outcome: core.OutcomeNothingPending},
		}, []string{"08:55"}},
		{"nothing pending", []step{in,
			{at: "2026-11-26 08:00:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeNothingPending},
			{at: "2026-11-26 08:00:10", cmd: core.CmdDecline, event: "no", outcome: core.OutcomeNothingPending},
		}, nil},
		{"a new question replaces the old one", []step{in, ask,
			{at: "2026-11-26 09:30:00", kind: core.KindOut, located: true, event: "out-2", outcome: core.OutcomeConfirm, earlyMin: 510},
			{at: "2026-11-26 09:31:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 510},
		}, []string{"09:30"}},
		{"an explicit clock-out within 10 minutes of the clock-in asks even when on time", []step{
			{at: "2026-11-26 17:55:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted},
			{at: "2026-11-26 18:01:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, reason: core.ReasonSoonAfterIn},
			{at: "2026-11-26 18:02:00", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted},
		}, []string{"18:01"}},
		{"10 minutes after the clock-in no longer asks", []step{
			{at: "2026-11-26 17:55:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted},
			{at: "2026-11-26 18:05:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeAccepted},
		}, []string{"18:05"}},
		{"an on-time clock-out is recorded at once", []step{in,
			{at: "2026-11-26 18:03:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeAccepted},
		}, []string{"18:03"}},
		{"a refused clock-out is not asked about", []step{in,
			{at: "2026-11-26 12:00:00", kind: core.KindOut, far: true, event: "out", outcome: core.OutcomeRejected, earlyMin: 360, reason: core.ReasonOutOfRange},
		}, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newModeHarness(t, core.PunchStandard)
			replies := runSteps(t, h, tc.steps)
			var got []string
			for _, p := range h.valid(t, core.KindOut) {
				got = append(got, p.At.In(sh(t, tc.steps[0].at).Location()).Format("15:04"))
			}
			if !slices.Equal(got, tc.wantOut) {
				t.Errorf("counting clock-outs = %v, want %v", got, tc.wantOut)
			}
			for i, r := range replies {
				if r.Outcome == core.OutcomeConfirm && (r.Day == nil || r.Day.In == nil) {
					t.Errorf("step %d: the question carries no day with its clock-in (%+v)", i, r.Day)
				}
			}
		})
	}
}

func TestConfirmationOffRecordsAtOnce(t *testing.T) {
	h := newHarness(t, nil) // ConfirmWithinMin 0
	h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 07:49:00"), north(office, 30), "in")
	got := h.punch(t, "zhangsan", core.KindOut, sh(t, "2026-11-26 08:55:00"), north(office, 30), "out")
	if got.Outcome != core.OutcomeAccepted || got.EarlyMin != 545 {
		t.Errorf("with confirm_within_min 0: outcome %s early %d, want accepted 545", got.Outcome, got.EarlyMin)
	}
}

func TestReshareAndRepeatedClockIn(t *testing.T) {
	in := step{at: "2026-11-26 07:49:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted, wantKind: core.KindIn}
	tests := []struct {
		name   string
		steps  []step
		wantIn int // counting clock-ins
	}{
		{"a location re-shared 2 s later repeats the clock-in", []step{in,
			{at: "2026-11-26 07:49:02", located: true, event: "loc", outcome: core.OutcomeRepeat, wantKind: core.KindIn, reason: core.ReasonAlreadyIn},
		}, 1},
		{"9 min 59 s later is still a re-share", []step{in,
			{at: "2026-11-26 07:58:59", located: true, event: "loc", outcome: core.OutcomeRepeat, wantKind: core.KindIn},
		}, 1},
		{"10 min later the location is a clock-out to confirm", []step{in,
			{at: "2026-11-26 07:59:00", located: true, event: "loc", outcome: core.OutcomeConfirm, wantKind: core.KindOut, earlyMin: 601},
		}, 1},
		{"a first location is a clock-in", []step{
			{at: "2026-11-26 08:30:00", located: true, event: "loc", outcome: core.OutcomeAccepted, wantKind: core.KindIn},
			{at: "2026-11-26 08:30:03", located: true, event: "loc-2", outcome: core.OutcomeRepeat, wantKind: core.KindIn},
		}, 1},
		{"typing 上班 again", []step{in,
			{at: "2026-11-26 09:10:00", kind: core.KindIn, located: true, event: "in-2", outcome: core.OutcomeRepeat, wantKind: core.KindIn, reason: core.ReasonAlreadyIn},
			{at: "2026-11-26 09:20:00", kind: core.KindIn, located: true, event: "in-3", outcome: core.OutcomeRepeat, wantKind: core.KindIn},
		}, 1},
		{"a clock-in after the clock-out (standard)", []step{in,
			{at: "2026-11-26 18:05:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeAccepted},
			{at: "2026-11-26 18:06:00", kind: core.KindIn, located: true, event: "in-2", outcome: core.OutcomeRepeat},
		}, 1},
		{"a repeated clock-in on a rest day", []step{
			{at: "2026-11-28 10:00:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted},
			{at: "2026-11-28 10:00:05", kind: core.KindIn, located: true, event: "in-2", outcome: core.OutcomeRepeat},
		}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newModeHarness(t, core.PunchStandard)
			replies := runSteps(t, h, tc.steps)
			if got := len(h.valid(t, core.KindIn)); got != tc.wantIn {
				t.Errorf("counting clock-ins = %d, want %d", got, tc.wantIn)
			}
			last := replies[len(replies)-1]
			if last.Outcome != core.OutcomeRepeat {
				return
			}
			if last.Day == nil || last.Day.In == nil || !last.Day.In.At.Equal(sh(t, tc.steps[0].at)) {
				t.Errorf("repeat reply's day = %+v, want the first clock-in at %s", last.Day, tc.steps[0].at)
			}
			all := h.punches(t, "E1")
			if stored := all[len(all)-1]; stored.Outcome != core.OutcomeRepeat || stored.Valid() {
				t.Errorf("stored attempt = %s (valid %v), want a non-counting repeat", stored.Outcome, stored.Valid())
			}
		})
	}
}

func TestPunchModes(t *testing.T) {
	in := step{at: "2026-11-26 09:00:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted}
	early := []step{in,
		{at: "2026-11-26 12:00:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, earlyMin: 360},
		{at: "2026-11-26 12:00:10", cmd: core.CmdConfirm, event: "yes", outcome: core.OutcomeAccepted, earlyMin: 360},
	}
	tests := []struct {
		name      string
		mode      core.PunchMode
		steps     []step
		worked    int
		statuses  []core.DayStatus
		countedIn string
	}{
		{"standard: a later clock-out supersedes the early one", core.PunchStandard, append(slices.Clone(early),
			step{at: "2026-11-26 18:00:00", kind: core.KindOut, located: true, event: "out-2", outcome: core.OutcomeAccepted}),
			540, []core.DayStatus{core.DayNormal}, "09:00"},
		{"strict: the first clock-out stands, a second is refused", core.PunchStrict, append(slices.Clone(early),
			step{at: "2026-11-26 18:00:00", kind: core.KindOut, located: true, event: "out-2", outcome: core.OutcomeRejected, reason: core.ReasonAlreadyOut}),
			180, []core.DayStatus{core.DayEarlyLeave}, "09:00"},
		{"strict: a clock-in after the clock-out is refused", core.PunchStrict, append(slices.Clone(early),
			step{at: "2026-11-26 13:00:00", kind: core.KindIn, located: true, event: "in-2", outcome: core.OutcomeRejected, reason: core.ReasonAlreadyOut},
			step{at: "2026-11-26 18:00:00", located: true, event: "loc", outcome: core.OutcomeRejected, reason: core.ReasonAlreadyOut}),
			180, []core.DayStatus{core.DayEarlyLeave}, "09:00"},
		{"strict: a clock-out without a clock-in is refused", core.PunchStrict, []step{
			{at: "2026-11-26 18:00:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeRejected, reason: core.ReasonNotIn}},
			0, []core.DayStatus{core.DayAbsent}, ""},
		{"standard: a clock-out without a clock-in counts, the day misses its clock-in", core.PunchStandard, []step{
			{at: "2026-11-26 18:00:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeAccepted, reason: core.ReasonNotIn}},
			0, []core.DayStatus{core.DayMissingIn}, ""},
		{"strict: a repeated clock-in is a repeat", core.PunchStrict, []step{in,
			{at: "2026-11-26 09:01:00", kind: core.KindIn, located: true, event: "in-2", outcome: core.OutcomeRepeat},
			{at: "2026-11-26 18:10:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeAccepted}},
			550, []core.DayStatus{core.DayNormal}, "09:00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newModeHarness(t, tc.mode)
			runSteps(t, h, tc.steps)
			r, err := h.svc.Roster(context.Background(), "E1")
			if err != nil {
				t.Fatal(err)
			}
			day := core.ComputeDay(r, "2026-11-26", h.punches(t, "E1"), sh(t, "2026-11-27 12:00:00"))
			if day.WorkedMin != tc.worked || !slices.Equal(day.Statuses, tc.statuses) {
				t.Errorf("day = worked %d %v, want worked %d %v", day.WorkedMin, day.Statuses, tc.worked, tc.statuses)
			}
			gotIn := ""
			if day.In != nil {
				gotIn = day.In.At.In(r.Zone()).Format("15:04")
			}
			if gotIn != tc.countedIn {
				t.Errorf("counted clock-in = %q, want %q", gotIn, tc.countedIn)
			}
			rows := core.DailyRows(r, []string{"2026-11-26"}, h.punches(t, "E1"), sh(t, "2026-11-27 12:00:00"))
			if rows[0].WorkedMin != tc.worked || !slices.Equal(rows[0].Statuses, tc.statuses) {
				t.Errorf("report row = worked %d %v, want worked %d %v", rows[0].WorkedMin, rows[0].Statuses, tc.worked, tc.statuses)
			}
		})
	}
}

// TestCountedPunches runs the one rule on the same punches under both modes
// (make-ups may write punches the live rules would refuse).
func TestCountedPunches(t *testing.T) {
	at := func(s string) time.Time { return sh(t, "2026-11-26 "+s) }
	p := func(k core.PunchKind, s string, o core.Outcome) core.Punch {
		return core.Punch{Kind: k, At: at(s), ShiftDate: "2026-11-26", Outcome: o}
	}
	punches := []core.Punch{
		p(core.KindOut, "08:30:00", core.OutcomeAccepted), // a make-up before the clock-in
		p(core.KindIn, "09:00:00", core.OutcomeAccepted),
		p(core.KindIn, "09:05:00", core.OutcomeRepeat),
		p(core.KindOut, "12:00:00", core.OutcomeAccepted),
		p(core.KindOut, "18:00:00", core.OutcomeAccepted),
		p(core.KindOut, "19:00:00", core.OutcomeRejected),
	}
	tests := []struct {
		mode    core.PunchMode
		in, out string
	}{
		{core.PunchStandard, "09:00", "18:00"},
		{"", "09:00", "18:00"},
		{core.PunchStrict, "09:00", "12:00"},
	}
	for _, tc := range tests {
		in, out := core.CountedPunches(tc.mode, punches, "2026-11-26")
		if in == nil || out == nil {
			t.Fatalf("%q: in %v out %v, want both", tc.mode, in, out)
		}
		if got := in.At.Format("15:04"); got != tc.in {
			t.Errorf("%q: counted in = %s, want %s", tc.mode, got, tc.in)
		}
		if got := out.At.Format("15:04"); got != tc.out {
			t.Errorf("%q: counted out = %s, want %s", tc.mode, got, tc.out)
		}
	}
}

func TestReportedLocationCompletesIntent(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	at := sh(t, "2026-11-26 08:40:00")
	h.clock.Set(at)
	ask := h.do(t, step{at: "2026-11-26 08:40:00", kind: core.KindIn, event: "text", outcome: core.OutcomeNeedLocation})
	if ask.Outcome != core.OutcomeNeedLocation {
		t.Fatalf("text 上班 = %s, want %s", ask.Outcome, core.OutcomeNeedLocation)
	}
	h.clock.Set(at.Add(20 * time.Second))
	report := core.Command{Actor: zhangsan, Kind: core.CmdReportLocation, At: at.Add(20 * time.Second), Location: north(office, 15), EventID: "loc-report", ReplyRoute: `{"touser":"zhangsan"}`}
	got, err := h.svc.Handle(context.Background(), report)
	if err != nil {
		t.Fatal(err)
	}
	if got.Outcome != core.OutcomeAccepted || got.Kind != core.KindIn {
		t.Fatalf("LOCATION report after 上班 = %s/%s, want an accepted clock-in", got.Outcome, got.Kind)
	}
	// A retry of the report answers the same; the intent is used up.
	again, err := h.svc.Handle(context.Background(), report)
	if err != nil || !again.Replayed || again.PunchID != got.PunchID {
		t.Errorf("retried report = %+v, %v; want the same punch replayed", again, err)
	}
	later := report
	later.EventID, later.At = "loc-report-2", at.Add(time.Minute)
	h.clock.Set(later.At)
	if got, err := h.svc.Handle(context.Background(), later); err != nil || got.Outcome != core.OutcomeNoted {
		t.Errorf("a later report = %s, %v; want only noted", got.Outcome, err)
	}
	if n := len(h.punches(t, "E1")); n != 1 {
		t.Errorf("stored %d punches, want 1", n)
	}
}

// TestInlineQuestionIsAlsoQueued: an answer given in the callback's own
// response (a WeCom passive reply) cannot carry buttons, so the question
// alone is also queued for the bot to send with them.
func TestInlineQuestionIsAlsoQueued(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	send := func(at, event string, kind core.PunchKind) core.Reply {
		t.Helper()
		h.clock.Set(sh(t, at))
		got, err := h.svc.Handle(context.Background(), core.Command{Actor: zhangsan, Kind: core.CmdPunch, Punch: kind, At: sh(t, at),
			Location: north(office, 20), EventID: event, ReplyRoute: `{"touser":"zhangsan"}`, ReplyInline: true})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	send("2026-11-26 08:50:00", "in", core.KindIn)
	if n := len(h.store.Outbox()); n != 0 {
		t.Fatalf("an inline clock-in queued %d messages, want 0", n)
	}
	if got := send("2026-11-26 12:00:00", "out", core.KindOut); got.Outcome != core.OutcomeConfirm {
		t.Fatalf("clock-out at 12:00 = %s, want %s", got.Outcome, core.OutcomeConfirm)
	}
	send("2026-11-26 12:00:03", "out", core.KindOut) // the platform's retry
	if n := len(h.store.Outbox()); n != 1 {
		t.Errorf("the inline question queued %d messages (with its retry), want 1", n)
	}
}

// TestStrictFirstPunchIsAClockIn: under strict alternation a location
// shared alone late in the day, with no clock-in yet, is a late clock-in,
// not a clock-out that would be refused.
func TestStrictFirstPunchIsAClockIn(t *testing.T) {
	for _, tc := range []struct {
		mode core.PunchMode
		want core.PunchKind
	}{{core.PunchStrict, core.KindIn}, {core.PunchStandard, core.KindOut}} {
		h := newModeHarness(t, tc.mode)
		got := h.do(t, step{at: "2026-11-26 15:00:00", located: true, event: "loc"})
		if got.Kind != tc.want {
			t.Errorf("%s: a first location at 15:00 is %s (%s), want %s", tc.mode, got.Kind, got.Outcome, tc.want)
		}
	}
}

// TestConfirmedPunchKeepsItsSignals: flags the question's punch carried
// stay on the punch recorded at the confirm.
func TestConfirmedPunchKeepsItsSignals(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	runSteps(t, h, []step{
		{at: "2026-11-26 08:50:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted},
		// Sent at 12:00, delivered at 12:05: flagged as delivered late.
	})
	h.clock.Set(sh(t, "2026-11-26 12:05:00"))
	ask, err := h.svc.Handle(context.Background(), core.Command{Actor: zhangsan, Kind: core.CmdPunch, Punch: core.KindOut, At: sh(t, "2026-11-26 12:00:00"),
		Location: north(office, 25), EventID: "out", ReplyRoute: `{"touser":"zhangsan"}`})
	if err != nil || ask.Outcome != core.OutcomeConfirm || !slices.Contains(ask.Flags, core.FlagOfflineDelay) {
		t.Fatalf("question = %s %v, %v; want confirm flagged %s", ask.Outcome, ask.Flags, err, core.FlagOfflineDelay)
	}
	got := h.do(t, step{at: "2026-11-26 12:06:00", cmd: core.CmdConfirm, event: "yes"})
	if got.Outcome != core.OutcomeAccepted || !got.At.Equal(sh(t, "2026-11-26 12:00:00")) || !slices.Contains(got.Flags, core.FlagOfflineDelay) {
		t.Errorf("confirmed = %s at %s flags %v, want accepted at 12:00 flagged %s", got.Outcome, got.At, got.Flags, core.FlagOfflineDelay)
	}
}

// TestConcurrentClockInsCountOnce: the same clock-in sent many times at
// once (a double tap, a platform retry under another id) counts once.
func TestConcurrentClockInsCountOnce(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	at := sh(t, "2026-11-26 08:50:00")
	h.clock.Set(at)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.svc.Handle(context.Background(), core.Command{Actor: zhangsan, Kind: core.CmdPunch, Punch: core.KindIn, At: at,
				Location: north(office, 20), EventID: fmt.Sprintf("tap-%d", i)})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(h.valid(t, core.KindIn)); n != 1 {
		t.Errorf("%d counting clock-ins from 8 concurrent taps, want 1", n)
	}
	if n := len(h.punches(t, "E1")); n != 8 {
		t.Errorf("%d stored attempts, want 8 (7 repeats)", n)
	}
}

// TestConcurrentConfirmsRecordOnce: two clicks on 确认 (two events) at
// once record the clock-out once.
func TestConcurrentConfirmsRecordOnce(t *testing.T) {
	h := newModeHarness(t, core.PunchStandard)
	runSteps(t, h, []step{
		{at: "2026-11-26 08:50:00", kind: core.KindIn, located: true, event: "in", outcome: core.OutcomeAccepted},
		{at: "2026-11-26 12:00:00", kind: core.KindOut, located: true, event: "out", outcome: core.OutcomeConfirm, earlyMin: 360},
	})
	h.clock.Set(sh(t, "2026-11-26 12:00:30"))
	var wg sync.WaitGroup
	outcomes := make([]core.Outcome, 4)
	for i := range outcomes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r, err := h.svc.Handle(context.Background(), core.Command{Actor: zhangsan, Kind: core.CmdConfirm, EventID: fmt.Sprintf("click-%d", i)})
			if err != nil {
				t.Error(err)
			}
			outcomes[i] = r.Outcome
		}()
	}
	wg.Wait()
	if n := len(h.valid(t, core.KindOut)); n != 1 {
		t.Errorf("%d clock-outs from 4 concurrent confirms, want 1", n)
	}
	for i, o := range outcomes {
		if o != core.OutcomeAccepted && o != core.OutcomeNothingPending {
			t.Errorf("confirm %d = %s, want accepted or nothing pending", i, o)
		}
	}
}
