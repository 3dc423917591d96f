package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// A write's failure is reported at the call or by a later statement, and
// at the latest by InTx, as core.Tx allows; the transaction commits
// nothing, and a failure the caller ignores still fails InTx.
func TestWritesFail(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC)
	ev := core.EventRecord{Source: "slack", EventID: "E1", CreatedAt: at}
	punch := core.Punch{EmployeeID: "e1", Kind: core.KindIn, At: at, ReceivedAt: at, ShiftDate: "2026-11-26", Source: "slack", EventID: "E1",
		Outcome: core.OutcomeAccepted}
	if err := s.InTx(ctx, func(tx core.Tx) error {
		p := punch
		if err := tx.InsertPunch(ctx, &p); err != nil {
			return err
		}
		return tx.InsertEvent(ctx, ev)
	}); err != nil {
		t.Fatal(err)
	}
	audit := core.AuditEntry{At: at, Actor: "t", Action: "x"}
	tests := []struct {
		name  string
		write func(tx core.Tx) error
		want  string
	}{
		{"duplicate event", func(tx core.Tx) error { return tx.InsertEvent(ctx, ev) }, core.ECONFLICT},
		{"second punch for an event", func(tx core.Tx) error { p := punch; return tx.InsertPunch(ctx, &p) }, core.ECONFLICT},
		{"NUL byte in text", func(tx core.Tx) error {
			return tx.InsertAudit(ctx, core.AuditEntry{At: at, Actor: "t\x00", Action: "x"})
		}, core.EINVALID},
		{"invalid UTF-8", func(tx core.Tx) error {
			return tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformSlack, Route: "\xff", Kind: "reply", CreatedAt: at})
		}, core.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := s.ListAudit(ctx, 0)
			if err != nil {
				t.Fatal(err)
			}
			var atCall, later error
			err = s.InTx(ctx, func(tx core.Tx) error {
				if err := tx.InsertAudit(ctx, audit); err != nil {
					return err
				}
				atCall = tt.write(tx)
				// The caller ignores the failure and carries on.
				tx.InsertAudit(ctx, audit)
				_, later = tx.ShiftPunches(ctx, "e1", "2026-11-26")
				return nil
			})
			if got := core.ErrorCode(atCall); got != "" && got != tt.want {
				t.Errorf("error at the call = %v, want none or code %s", atCall, tt.want)
			}
			// A read needs its answer: it is sent, and fails with the write.
			if got := core.ErrorCode(later); got != tt.want {
				t.Errorf("error of the read after the write = %v, want code %s", later, tt.want)
			}
			if got := core.ErrorCode(err); got != tt.want {
				t.Errorf("InTx = %v, want code %s", err, tt.want)
			}
			if after, _ := s.ListAudit(ctx, 0); len(after) != len(before) {
				t.Errorf("audit entries = %d after the failed transaction, want %d", len(after), len(before))
			}
		})
	}
	// The connections went back to the pool clean.
	for range 8 {
		if err := s.InTx(ctx, func(tx core.Tx) error { return tx.InsertAudit(ctx, audit) }); err != nil {
			t.Fatalf("InTx after failed ones: %v", err)
		}
	}
}

// A caller that gives up before COMMIT commits nothing, and hears why.
func TestInTxDoesNotCommitForACallerThatGaveUp(t *testing.T) {
	s := MustOpen(t)
	ctx, cancel := context.WithCancel(context.Background())
	err := s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.InsertAudit(ctx, core.AuditEntry{At: time.Now(), Actor: "t", Action: "x"}); err != nil {
			return err
		}
		cancel() // say, the HTTP handler's deadline passed
		return nil
	})
	if core.ErrorCode(err) != core.EUNAVAILABLE || !errors.Is(err, context.Canceled) {
		t.Errorf("InTx with the context done before COMMIT = %v, want unavailable wrapping context.Canceled", err)
	}
	if a, _ := s.ListAudit(context.Background(), 0); len(a) != 0 {
		t.Errorf("audit entries = %+v, want none", a)
	}
}

// With employee X's lock held elsewhere, a punch for X with a deadline
// fails at that deadline and stores nothing, even once the lock is free,
// while a punch for another employee goes through at once.
func TestPunchHonoursDeadlineWhileWaitingForTheLock(t *testing.T) {
	const deadline, slack = 300 * time.Millisecond, 300 * time.Millisecond
	s := MustOpen(t)
	ctx := context.Background()
	if _, err := s.ApplyOrg(ctx, coretest.BenchOrg(t, 3, 1), core.AuditEntry{At: time.Now(), Actor: "t", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 1, 5, 1, 0, 0, 0, time.UTC) }
	svc := core.NewService(s, coretest.NewMemKV(now), nil, core.DefaultConfig(), now)
	cmd := func(employee int) core.Command { return coretest.BenchCommand(employee, 3, 1) } // employee b00<n>
	// Warm up: connections, prepared statements, the roster cache.
	if r, err := svc.Handle(ctx, cmd(2)); err != nil || r.PunchID == 0 {
		t.Fatalf("warm-up punch = %+v, %v", r, err)
	}

	holder, err := pgx.ConnectConfig(ctx, s.pool.Config().ConnConfig)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_lock($1, hashtext($2))`, int32(employeeLockClass), "b000"); err != nil {
		t.Fatal(err)
	}

	type result struct {
		r    core.Reply
		err  error
		took time.Duration
	}
	run := func(c core.Command, d time.Duration) <-chan result {
		out := make(chan result, 1)
		go func() {
			cctx, cancel := context.WithTimeout(ctx, d)
			defer cancel()
			start := time.Now()
			r, err := svc.Handle(cctx, c)
			out <- result{r, err, time.Since(start)}
		}()
		return out
	}
	x := run(cmd(0), deadline)
	y := run(cmd(1), 5*time.Second)
	gotY := <-y
	if gotY.err != nil || gotY.r.PunchID == 0 {
		t.Errorf("punch for b001 = %+v, %v; want stored", gotY.r, gotY.err)
	}
	if gotY.took > deadline {
		t.Errorf("punch for b001 took %v, want well under %v: it waited for b000", gotY.took, deadline)
	}
	gotX := <-x
	if gotX.err == nil || !errors.Is(gotX.err, context.DeadlineExceeded) {
		t.Errorf("punch for b000 = %+v, %v; want an error wrapping context.DeadlineExceeded", gotX.r, gotX.err)
	}
	if gotX.took > deadline+slack {
		t.Errorf("punch for b000 failed after %v, want within %v of its %v deadline", gotX.took, slack, deadline)
	}
	t.Logf("b000 failed after %v (deadline %v); b001 took %v", gotX.took, deadline, gotY.took)

	// Nothing of the failed punch is committed, not even once the lock is
	// free.
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1, hashtext($2))`, int32(employeeLockClass), "b000"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if ps, err := s.ListPunches(ctx, core.PunchFilter{EmployeeID: "b000"}); err != nil || len(ps) != 0 {
		t.Errorf("punches of b000 = %d, %v; want none", len(ps), err)
	}
	c := cmd(0)
	if _, err := s.EventReply(ctx, "slack", c.EventID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("event of the failed punch = %v, want not found", err)
	}
	// And the platform's retry punches.
	if r, err := svc.Handle(ctx, c); err != nil || r.PunchID == 0 || r.Replayed {
		t.Errorf("retry of the punch for b000 = %+v, %v; want stored", r, err)
	}
}

func TestLockTimeout(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "300ms"},
		{1500 * time.Microsecond, "1ms"},
		{0, "1ms"},
		{-time.Second, "1ms"},
	}
	for _, tt := range tests {
		if got := lockTimeout(tt.d); got != tt.want {
			t.Errorf("lockTimeout(%v) = %q, want %q", tt.d, got, tt.want)
		}
	}
}

// A transaction whose caller has a deadline sets its lock_timeout in the
// statement of its first employee lock, and takes every lock it was asked
// for; without a deadline the server's setting stays. The lock statement of
// the employee whose punches are read draws the next punch's id.
func TestLocksCarryTheCallersDeadline(t *testing.T) {
	s := MustOpen(t)
	tests := []struct {
		name             string
		deadline         time.Duration // 0: none
		employees        []string
		wantMin, wantMax time.Duration // of lock_timeout; 0, 0: unset
	}{
		{"deadline, one lock", 30 * time.Second, []string{"e1"}, 25 * time.Second, 30 * time.Second},
		{"deadline, two locks", 10 * time.Second, []string{"e1", "e2"}, 5 * time.Second, 10 * time.Second},
		{"deadline, the read's lock second", 10 * time.Second, []string{"e2", "e1"}, 5 * time.Second, 10 * time.Second},
		{"no deadline", 0, []string{"e1"}, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			if tt.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.deadline)
				defer cancel()
			}
			var setting string
			var held int
			var drawn int64
			err := s.InTx(ctx, func(tx core.Tx) error {
				for _, e := range tt.employees {
					if err := tx.LockEmployee(ctx, e); err != nil {
						return err
					}
				}
				if _, err := tx.ShiftPunches(ctx, "e1", "2026-11-26"); err != nil {
					return err
				}
				if ra := tx.(*pgTx).ahead["e1"]; ra != nil {
					drawn = ra.punchID // by e1's lock statement
				}
				conn := tx.(*pgTx).conn
				if err := conn.QueryRow(ctx, `SELECT current_setting('lock_timeout')`).Scan(&setting); err != nil {
					return err
				}
				return conn.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND classid = $1`,
					int64(employeeLockClass)).Scan(&held)
			})
			if err != nil {
				t.Fatal(err)
			}
			if held != len(tt.employees) {
				t.Errorf("advisory locks held = %d, want %d", held, len(tt.employees))
			}
			if drawn <= 0 {
				t.Errorf("punch id drawn with the lock = %d, want one of the sequence", drawn)
			}
			if tt.wantMax == 0 {
				if setting != "0" {
					t.Errorf("lock_timeout = %q, want the server's 0", setting)
				}
				return
			}
			got, err := time.ParseDuration(setting)
			if err != nil {
				t.Fatalf("lock_timeout = %q: %v", setting, err)
			}
			if got < tt.wantMin || got > tt.wantMax {
				t.Errorf("lock_timeout = %v, want within [%v, %v]", got, tt.wantMin, tt.wantMax)
			}
		})
	}
}

// The reads a punch makes answer the same whether they come from what the
// lock's round trip read along or from the database, before and after the
// transaction inserts a punch of its own (ids aside: the two transactions
// draw different ones).
func TestReadAheadAnswersLikeTheDatabase(t *testing.T) {
	s := MustOpen(t)
	day := time.Date(2026, 11, 26, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		seed []seededPunch
	}{
		{"latest located read twice", []seededPunch{
			{"2026-11-24", -48 * time.Hour, true},
			{"2026-11-25", -24 * time.Hour, false},
			{"2026-11-25", -14 * time.Hour, true}, // overnight: the shift of the day before
			{"2026-11-26", 0, false},
			{"2026-11-26", 8 * time.Hour, true},
			{"2026-11-27", 24 * time.Hour, false},
		}},
		{"latest located older than the window", []seededPunch{
			{"2026-11-23", -72 * time.Hour, true},
			{"2026-11-24", -48 * time.Hour, true},
			{"2026-11-25", -24 * time.Hour, false},
			{"2026-11-26", 0, false},
		}},
		{"nothing located", []seededPunch{
			{"2026-11-26", 0, false},
		}},
	} {
		t.Run(c.name, func(t *testing.T) { checkReadAhead(t, s, "e-"+strings.ReplaceAll(c.name, " ", "-"), day, c.seed) })
	}
}

// seededPunch is a punch TestReadAheadAnswersLikeTheDatabase stores first.
type seededPunch struct {
	shift   string
	at      time.Duration // after the day
	located bool
}

// checkReadAhead seeds the employee's punches, then checks that their reads
// answer the same with the lock (from what the locked read fetched) as
// without it (one statement each).
func checkReadAhead(t *testing.T, s *Store, emp string, day time.Time, seed []seededPunch) {
	ctx := context.Background()
	if err := s.InTx(ctx, func(tx core.Tx) error {
		for i, p := range seed {
			at := day.Add(p.at)
			punch := core.Punch{EmployeeID: emp, Kind: core.KindIn, At: at, ReceivedAt: at, ShiftDate: p.shift, Source: "slack",
				EventID: fmt.Sprintf("%s-seed-%d", emp, i), HasLocation: p.located, Lat: float64(i), Outcome: core.OutcomeAccepted, Reasons: []string{"r"}}
			if err := tx.InsertPunch(ctx, &punch); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	type answer struct {
		Shifts map[string][]core.Punch
		Last   map[time.Duration]string // event id of the last located punch, or the error code
	}
	read := func(tx core.Tx) (answer, error) {
		a := answer{Shifts: map[string][]core.Punch{}, Last: map[time.Duration]string{}}
		// The first read decides what is read along: today's shift.
		for _, d := range []string{"2026-11-26", "2026-11-25", "2026-11-24", "2026-11-27", "2026-11-28"} {
			ps, err := tx.ShiftPunches(ctx, emp, d)
			if err != nil {
				return a, err
			}
			a.Shifts[d] = ps
		}
		for _, before := range []time.Duration{9 * time.Hour, 8 * time.Hour, time.Hour, -20 * time.Hour, -49 * time.Hour} {
			p, err := tx.LastLocatedPunch(ctx, emp, day.Add(before))
			if err != nil {
				a.Last[before] = core.ErrorCode(err)
				continue
			}
			a.Last[before] = p.EventID
		}
		return a, nil
	}
	var got, want [2]answer
	if err := s.InTx(ctx, func(tx core.Tx) error {
		for i := range 2 {
			var err error
			if want[i], err = read(tx); err != nil {
				return err
			}
			p := core.Punch{EmployeeID: emp, Kind: core.KindOut, At: day.Add(9 * time.Hour), ReceivedAt: day.Add(9 * time.Hour), ShiftDate: "2026-11-26",
				Source: "slack", EventID: fmt.Sprintf("%s-plain-%d", emp, i), HasLocation: true, Outcome: core.OutcomeAccepted}
			if err := tx.InsertPunch(ctx, &p); err != nil {
				return err
			}
		}
		return errors.New("roll back")
	}); err == nil {
		t.Fatal("the transaction without a lock committed")
	}
	if err := s.InTx(ctx, func(tx core.Tx) error {
		if err := tx.LockEmployee(ctx, emp); err != nil {
			return err
		}
		for i := range 2 {
			var err error
			if got[i], err = read(tx); err != nil {
				return err
			}
			p := core.Punch{EmployeeID: emp, Kind: core.KindOut, At: day.Add(9 * time.Hour), ReceivedAt: day.Add(9 * time.Hour), ShiftDate: "2026-11-26",
				Source: "slack", EventID: fmt.Sprintf("%s-plain-%d", emp, i), HasLocation: true, Outcome: core.OutcomeAccepted}
			if err := tx.InsertPunch(ctx, &p); err != nil {
				return err
			}
		}
		return errors.New("roll back")
	}); err == nil {
		t.Fatal("the transaction with a lock committed")
	}
	for i := range 2 {
		for d, w := range want[i].Shifts {
			g := got[i].Shifts[d]
			if len(g) != len(w) {
				t.Errorf("pass %d: ShiftPunches(%s) with the lock = %d punches, without = %d", i, d, len(g), len(w))
				continue
			}
			for k := range w {
				if g[k].EventID != w[k].EventID || !g[k].At.Equal(w[k].At) || len(g[k].Reasons) != len(w[k].Reasons) {
					t.Errorf("pass %d: ShiftPunches(%s)[%d] with the lock = %+v, without = %+v", i, d, k, g[k], w[k])
				}
			}
		}
		for before, w := range want[i].Last {
			if g := got[i].Last[before]; g != w {
				t.Errorf("pass %d: LastLocatedPunch(day%+v) with the lock = %s, without = %s", i, before, g, w)
			}
		}
	}
}
