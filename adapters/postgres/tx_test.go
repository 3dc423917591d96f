package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// Every write reports its failure at the call, as core.Tx promises, and
// the transaction commits nothing; a failure the caller ignores still
// fails InTx.
func TestWritesFailAtTheCall(t *testing.T) {
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
			var atCall error
			err = s.InTx(ctx, func(tx core.Tx) error {
				if err := tx.InsertAudit(ctx, audit); err != nil {
					return err
				}
				atCall = tt.write(tx)
				// The caller ignores the failure and carries on.
				tx.InsertAudit(ctx, audit)
				tx.ShiftPunches(ctx, "e1", "2026-11-26")
				return nil
			})
			if got := core.ErrorCode(atCall); got != tt.want {
				t.Errorf("error at the call = %v, want code %s", atCall, tt.want)
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
