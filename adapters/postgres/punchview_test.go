package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// viewFixture is a migrated store with the benchmark organisation of four
// employees, a second store on the same schema (another replica) and a
// service on each.
type viewFixture struct {
	a, b       *Store
	svcA, svcB *core.Service
	now        time.Time
}

func newViewFixture(t *testing.T) *viewFixture {
	t.Helper()
	ctx := context.Background()
	a := MustOpen(t)
	b, err := OpenWithSchema(ctx, testURL(t), a.schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai
	if _, err := a.ApplyOrg(ctx, coretest.BenchOrg(t, 4, 2), core.AuditEntry{At: now, Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	clock := func() time.Time { return now }
	svc := func(s *Store) *core.Service {
		return core.NewService(s, coretest.NewMemKV(clock), nil, core.DefaultConfig(), clock)
	}
	return &viewFixture{a: a, b: b, svcA: svc(a), svcB: svc(b), now: now}
}

// punch sends an explicit punch of employee e (U00e) at a location.
func (f *viewFixture) punch(t *testing.T, svc *core.Service, e int, kind core.PunchKind, at time.Time, lat, lng float64, event string) core.Reply {
	t.Helper()
	r, err := svc.Handle(context.Background(), core.Command{
		Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: fmt.Sprintf("U%03d", e)},
		Kind:  core.CmdPunch, Punch: kind, At: at, ReceivedAt: at,
		Location: &core.Location{Lat: lat, Lng: lng, AccuracyM: 10, Datum: core.WGS84},
		EventID:  event, ReplyRoute: `{"channel":"D1"}`,
	})
	if err != nil {
		t.Fatalf("Handle %s: %v", event, err)
	}
	return r
}

func punchSeq(t *testing.T, s *Store, employeeID string) int64 {
	t.Helper()
	var seq int64
	if err := s.pool.QueryRow(context.Background(), `SELECT punch_seq FROM employees WHERE id = $1`, employeeID).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	return seq
}

func TestCachedPunchesAreCheckedAtCommit(t *testing.T) {
	f := newViewFixture(t)
	lat, lng := 31.2, 121.4 // site s000-0
	// Replica A punches in and keeps employee b000's punches.
	in := f.punch(t, f.svcA, 0, core.KindIn, f.now.Add(-5*time.Minute), lat, lng, "e1")
	if in.Outcome != core.OutcomeAccepted {
		t.Fatalf("first punch = %+v", in)
	}
	v := f.a.views.get("b000")
	if v == nil || v.seq != punchSeq(t, f.a, "b000") {
		t.Fatalf("replica A's view after its punch = %+v, want one at the current sequence", v)
	}
	// Replica B punches out from elsewhere on site: A's view is now stale.
	out := f.punch(t, f.svcB, 0, core.KindOut, f.now.Add(9*time.Hour), lat+0.0005, lng, "e2")
	if out.Outcome != core.OutcomeAccepted {
		t.Fatalf("punch on B = %+v", out)
	}
	if v.seq == punchSeq(t, f.a, "b000") {
		t.Fatalf("B's punch did not move the sequence")
	}
	// A judges the next punch at B's exact coordinates: only B's punch,
	// which A's view does not hold, makes them identical.
	again := f.punch(t, f.svcA, 0, core.KindOut, f.now.Add(9*time.Hour+time.Minute), lat+0.0005, lng, "e3")
	if !slices.Contains(again.Flags, core.FlagIdenticalCoords) {
		t.Errorf("punch after another replica's = flags %v, want %s: judged from stale punches", again.Flags, core.FlagIdenticalCoords)
	}
	if v := f.a.views.get("b000"); v == nil || v.seq != punchSeq(t, f.a, "b000") || len(v.punches) != 3 {
		t.Errorf("replica A's view after the retry = %+v, want all 3 punches at the current sequence", v)
	}
	ps, err := f.a.ListPunches(context.Background(), core.PunchFilter{EmployeeID: "b000"})
	if err != nil || len(ps) != 3 {
		t.Errorf("punches = %d, %v, want 3 (no attempt left anything behind)", len(ps), err)
	}
}

func TestPunchSequenceCountsEveryChange(t *testing.T) {
	f := newViewFixture(t)
	ctx := context.Background()
	lat, lng := 31.2, 121.4
	first := f.punch(t, f.svcA, 0, core.KindIn, f.now, lat, lng, "e1")
	f.punch(t, f.svcA, 1, core.KindIn, f.now, lat+0.01, lng, "e2")
	exec := func(sql string, args ...any) {
		t.Helper()
		if _, err := f.a.pool.Exec(ctx, sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	changes := []struct {
		name      string
		change    func()
		employees []string
	}{
		{"update", func() { exec(`UPDATE punches SET lat = lat + 0.001 WHERE id = $1`, first.PunchID) }, []string{"b000"}},
		{"move to another employee", func() { exec(`UPDATE punches SET employee_id = 'b002' WHERE id = $1`, first.PunchID) }, []string{"b000", "b002"}},
		{"delete", func() { exec(`DELETE FROM punches WHERE id = $1`, first.PunchID) }, []string{"b002"}},
		{"insert by hand", func() {
			exec(`INSERT INTO punches (employee_id, kind, at, received_at, shift_date, source, event_id, outcome)
				SELECT 'b001', 'in', now(), now(), '2026-03-02', 'psql', 'by-hand', 'accepted'`)
		}, []string{"b001"}},
		{"insert by hand in a transaction that counted a punch", func() {
			// Only the counted employee's punches are skipped by the
			// trigger, and only as many as were counted.
			tx, err := f.a.pool.Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback(ctx)
			for _, q := range []string{
				`SELECT punchbot_lock_check_and_count(1, ARRAY['b002'], ARRAY[(SELECT punch_seq FROM employees WHERE id = 'b002')], ARRAY[0::bigint])`,
				`INSERT INTO punches (employee_id, kind, at, received_at, shift_date, source, event_id, outcome)
					SELECT 'b003', 'in', now(), now(), '2026-03-02', 'psql', 'by-hand-2', 'accepted'`,
			} {
				if _, err := tx.Exec(ctx, q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				t.Fatal(err)
			}
		}, []string{"b003"}},
		{"truncate", func() { exec(`TRUNCATE punches`) }, []string{"b000", "b001", "b002", "b003"}},
	}
	for _, c := range changes {
		before := map[string]int64{}
		for _, e := range c.employees {
			before[e] = punchSeq(t, f.a, e)
		}
		c.change()
		for _, e := range c.employees {
			if after := punchSeq(t, f.a, e); after <= before[e] {
				t.Errorf("%s: punch_seq of %s = %d, want more than %d", c.name, e, after, before[e])
			}
		}
	}

	// A change made by hand makes the next punch judged on fresh punches.
	in := f.punch(t, f.svcA, 3, core.KindIn, f.now, lat+0.03, lng, "e3")
	exec(`UPDATE punches SET lat = $1, lng = $2 WHERE id = $3`, lat+0.0301, lng, in.PunchID)
	out := f.punch(t, f.svcA, 3, core.KindOut, f.now.Add(9*time.Hour), lat+0.0301, lng, "e4")
	if !slices.Contains(out.Flags, core.FlagIdenticalCoords) {
		t.Errorf("punch after a repair by hand = flags %v, want %s", out.Flags, core.FlagIdenticalCoords)
	}
}

func TestGroupCommitKeepsEveryCallersOutcome(t *testing.T) {
	f := newViewFixture(t)
	ctx := context.Background()
	// Warm the views so that every later punch is judged from them and
	// goes through the group committer.
	for e := range 4 {
		f.punch(t, f.svcA, e, core.KindIn, f.now.Add(-time.Hour), 31.2+float64(e)*0.01, 121.4, fmt.Sprintf("warm-%d", e))
	}
	// 16 callers, 4 employees, and every event delivered twice, the
	// second time while the first may still be in a group.
	const events = 120
	type result struct {
		r   core.Reply
		err error
	}
	results := make([][2]result, events)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 16)
	for i := range events {
		for d := range 2 {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				e := i % 4
				r, err := f.svcA.Handle(ctx, core.Command{
					Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: fmt.Sprintf("U%03d", e)},
					Kind:  core.CmdPunch, Punch: core.KindOut, At: f.now.Add(time.Duration(i) * time.Second), ReceivedAt: f.now.Add(time.Duration(i) * time.Second),
					Location: &core.Location{Lat: 31.2 + float64(e)*0.01, Lng: 121.4, AccuracyM: 10, Datum: core.WGS84},
					EventID:  fmt.Sprintf("ev-%d", i), ReplyRoute: `{"channel":"D1"}`,
				})
				results[i][d] = result{r, err}
			}()
		}
	}
	wg.Wait()
	for i, rs := range results {
		for d, res := range rs {
			if res.err != nil {
				t.Fatalf("event %d delivery %d: %v", i, d, res.err)
			}
		}
		a, b := rs[0].r, rs[1].r
		if a.PunchID == 0 || a.PunchID != b.PunchID || a.Replayed == b.Replayed {
			t.Errorf("event %d: deliveries got punch %d (replayed %v) and %d (replayed %v), want one punch and one replay",
				i, a.PunchID, a.Replayed, b.PunchID, b.Replayed)
		}
	}
	var punches, outbox, events2, audits int
	err := f.a.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM punches WHERE event_id LIKE 'ev-%'),
		(SELECT count(*) FROM outbox WHERE dedupe_key LIKE 'reply:slack:ev-%'),
		(SELECT count(*) FROM events WHERE event_id LIKE 'ev-%'),
		(SELECT count(*) FROM audit WHERE action LIKE 'punch.%')`).Scan(&punches, &outbox, &events2, &audits)
	if err != nil {
		t.Fatal(err)
	}
	if punches != events || outbox != events || events2 != events || audits != events+4 {
		t.Errorf("punches, replies, events, punch audits = %d, %d, %d, %d; want %d, %d, %d, %d",
			punches, outbox, events2, audits, events, events, events, events+4)
	}
	for e := range 4 {
		id := fmt.Sprintf("b%03d", e)
		if v := f.a.views.get(id); v != nil && v.seq != punchSeq(t, f.a, id) {
			t.Errorf("view of %s at sequence %d, the database at %d", id, v.seq, punchSeq(t, f.a, id))
		}
	}
}

func TestGroupCommitter(t *testing.T) {
	s := MustOpen(t)
	ctx := context.Background()
	// Rows 5, 21, 37 and 53 exist: their members fail on the key.
	if _, err := s.pool.Exec(ctx, `CREATE TABLE g (id int PRIMARY KEY); INSERT INTO g VALUES (5), (21), (37), (53)`); err != nil {
		t.Fatal(err)
	}
	// Member 10 expects a punch sequence its employee is not at: stale.
	failing := func(i int) bool { return i%16 == 5 || i == 10 }
	ins := func(id int) []stmt {
		seq := int64(0)
		if id == 10 {
			seq = 1
		}
		return []stmt{
			{what: "lock", sql: lockCheckAndCountSQL, args: []any{int32(employeeLockClass), []string{fmt.Sprintf("e%02d", id)}, []int64{seq}, []int64{0}}},
			{what: "insert", sql: `INSERT INTO g (id) VALUES ($1)`, args: []any{id}, table: "g"},
		}
	}
	// The check passes for employees at punch sequence 0.
	for i := range 64 {
		if _, err := s.pool.Exec(ctx, `INSERT INTO employees (id, name) VALUES ($1, $1)`, fmt.Sprintf("e%02d", i)); err != nil {
			t.Fatal(err)
		}
	}
	// Members commit concurrently, each on a connection of its own; a
	// failing member fails its group as a whole and nothing of it stays.
	const members = 64
	errs := make([]error, members)
	var wg sync.WaitGroup
	for i := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			conn, err := s.pool.Acquire(ctx)
			if err != nil {
				errs[i] = err
				return
			}
			defer conn.Release()
			errs[i] = s.group.commit(ctx, s, conn, fmt.Sprintf("e%02d", i), ins(i))
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("group commits did not finish: a leader was lost")
	}
	rows, err := s.pool.Query(ctx, `SELECT id FROM g`)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Fatal(err)
	}
	for i, err := range errs {
		kept := slices.Contains(stored, int32(i))
		if i%16 == 5 {
			kept = false // the row was there before
		}
		switch {
		case err == nil && !kept:
			t.Errorf("member %d succeeded but its row is missing", i)
		case err != nil && !errors.Is(err, errGroupFailed):
			t.Errorf("member %d: %v, want nil or errGroupFailed", i, err)
		case err != nil && kept:
			t.Errorf("member %d was told to retry but its row was kept", i)
		case failing(i) && err == nil:
			t.Errorf("member %d with a duplicate key or a stale sequence succeeded", i)
		}
	}
	if s.group.leaders != 0 || len(s.group.queue) != 0 {
		t.Errorf("after all commits: %d leaders, %d queued, want none", s.group.leaders, len(s.group.queue))
	}
}

func TestGroupTakesDistinctEmployees(t *testing.T) {
	var g groupCommitter
	for i := range groupMax + 10 {
		g.queue = append(g.queue, &member{employeeID: fmt.Sprintf("e%d", i%(groupMax+5))})
	}
	group := g.take()
	if len(group) != groupMax {
		t.Fatalf("group of %d, want %d", len(group), groupMax)
	}
	seen := map[string]bool{}
	for _, m := range group {
		if seen[m.employeeID] {
			t.Errorf("employee %s twice in one group", m.employeeID)
		}
		seen[m.employeeID] = true
	}
	// What stays queued keeps its order.
	var rest []string
	for _, m := range g.queue {
		rest = append(rest, m.employeeID)
	}
	if want := []string{"e32", "e33", "e34", "e35", "e36", "e0", "e1", "e2", "e3", "e4"}; !slices.Equal(rest, want) {
		t.Errorf("left queued %v, want %v", rest, want)
	}
}

func TestSpeculationPausesWhenViewsGoStale(t *testing.T) {
	now := time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		stale  int // of specWindow attempts
		paused bool
	}{
		{"a few races between callers of one replica", specWindow * 5 / 100, false},
		{"another replica changes punches", specWindow*5/100 + 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var c specStats
			for i := range specWindow {
				if !c.allowed(now) {
					t.Fatalf("paused after %d attempts", i)
				}
				c.record(i < tc.stale, now)
			}
			if got := !c.allowed(now); got != tc.paused {
				t.Errorf("paused = %v, want %v", got, tc.paused)
			}
			if !c.allowed(now.Add(specPause)) {
				t.Errorf("still paused after %v", specPause)
			}
		})
	}
}

func TestMergeGroup(t *testing.T) {
	s := &Store{}
	punch := func(emp string, seq int64, n int) *member {
		return &member{employeeID: emp, stmts: []stmt{
			{what: "lock " + emp, sql: lockCheckAndCountSQL, args: []any{int32(employeeLockClass), []string{emp}, []int64{seq}, []int64{1}}},
			{what: "punch " + emp, sql: `INSERT INTO p (a, b) VALUES ($1, $2)`, args: []any{n, emp}, table: "p"},
			{what: "reply " + emp, sql: `INSERT INTO o (a) VALUES ($1) ON CONFLICT (a) WHERE a <> '' DO NOTHING`, args: []any{n}, table: "o"},
		}}
	}
	got, ok := s.mergeGroup([]*member{punch("a", 3, 1), punch("b", 7, 2)})
	if !ok || len(got) != 3 {
		t.Fatalf("mergeGroup = %d statements, %v; want 3", len(got), ok)
	}
	if emps, seqs, counts := got[0].args[1].([]string), got[0].args[2].([]int64), got[0].args[3].([]int64); got[0].sql != lockCheckAndCountSQL ||
		!slices.Equal(emps, []string{"a", "b"}) || !slices.Equal(seqs, []int64{3, 7}) || !slices.Equal(counts, []int64{1, 1}) {
		t.Errorf("lock, check and count = %s %v, want employees in group order with their sequences and counts", got[0].sql, got[0].args)
	}
	wantSQL := []string{
		`INSERT INTO p (a, b) VALUES ($1, $2), ($3, $4)`,
		`INSERT INTO o (a) VALUES ($1), ($2) ON CONFLICT (a) WHERE a <> '' DO NOTHING`,
	}
	for i, want := range wantSQL {
		if got[i+1].sql != want || got[i+1].table == "" {
			t.Errorf("statement %d = %q (table %q), want %q", i+1, got[i+1].sql, got[i+1].table, want)
		}
	}
	if args := got[1].args; len(args) != 4 || args[0] != 1 || args[3] != "b" {
		t.Errorf("punch args = %v, want both rows in group order", args)
	}

	// Members that sent different statements are not merged.
	odd := punch("c", 1, 3)
	odd.stmts = odd.stmts[:2]
	if _, ok := s.mergeGroup([]*member{punch("a", 3, 1), odd}); ok {
		t.Errorf("members of different shapes were merged")
	}
	unknown := punch("d", 1, 4)
	unknown.stmts[1].table = ""
	if _, ok := s.mergeGroup([]*member{unknown, unknown}); ok {
		t.Errorf("a statement that is not a plain insert was merged")
	}
}

// A punch judged from cached punches whose transaction must read before it
// ends (a delayed punch, earlier than the latest located one the view
// holds) sends its lock and check early; the punches it inserts afterwards
// are then counted by the trigger, so the sequence still matches the view.
func TestLockSentEarlyStillCountsPunches(t *testing.T) {
	f := newViewFixture(t)
	lat, lng := 31.21, 121.4 // a site of b001
	f.punch(t, f.svcA, 1, core.KindIn, f.now, lat, lng, "on-time")
	before := punchSeq(t, f.a, "b001")
	if v := f.a.views.get("b001"); v == nil || v.seq != before {
		t.Fatalf("view after the first punch = %+v, want one at sequence %d", v, before)
	}
	delayed := f.punch(t, f.svcA, 1, core.KindIn, f.now.Add(-30*time.Minute), lat, lng, "delayed")
	if delayed.PunchID == 0 {
		t.Fatalf("delayed punch = %+v, want it stored", delayed)
	}
	after := punchSeq(t, f.a, "b001")
	if after != before+1 {
		t.Errorf("punch_seq after the delayed punch = %d, want %d", after, before+1)
	}
	if v := f.a.views.get("b001"); v != nil && v.seq != after {
		t.Errorf("view at sequence %d, the database at %d", v.seq, after)
	}
	// The other replica sees the change.
	out := f.punch(t, f.svcB, 1, core.KindOut, f.now.Add(9*time.Hour), lat, lng, "out")
	if out.PunchID == 0 || punchSeq(t, f.a, "b001") != after+1 {
		t.Errorf("punch on the other replica = %+v, sequence %d, want stored at %d", out, punchSeq(t, f.a, "b001"), after+1)
	}
}
