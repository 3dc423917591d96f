package postgres

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// roundTrips records what a store sends: one entry per round trip, the
// number of statements in it.
type roundTrips struct {
	mu    sync.Mutex
	sizes []int
}

func (r *roundTrips) add(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sizes = append(r.sizes, n)
}

func (r *roundTrips) take() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sizes
	r.sizes = nil
	return out
}

func (r *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	r.add(1)
	return ctx
}
func (r *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (r *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceBatchStartData) context.Context {
	r.add(data.Batch.Len())
	return ctx
}
func (r *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (r *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}

// TestPunchRoundTrips: what a punch costs PostgreSQL, counted by a pgx
// tracer on a replica that serves the employee from its cache. A shared
// location is two round trips: BEGIN, the employee's lock (drawing the punch
// id), the read of their recent punches and the read of their waiting text
// punch; then the punch, audit, event and outbox inserts with COMMIT. Its
// rate limit and the text punch it completes need nothing more, and using
// that text punch up is one more statement with COMMIT. A text punch
// waiting for its location is one round trip of writes, and a position the
// platform reports on its own two single reads (an earlier reply to its
// event, the waiting text punch) with no transaction.
func TestPunchRoundTrips(t *testing.T) {
	ctx := context.Background()
	a := MustOpen(t)
	org := coretest.BenchOrg(t, 2, 1)
	if _, err := a.ApplyOrg(ctx, org, core.AuditEntry{At: time.Now(), Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatal(err)
	}
	cfg, err := ParsePoolConfig(testURL(t))
	if err != nil {
		t.Fatal(err)
	}
	trips := &roundTrips{}
	cfg.ConnConfig.Tracer = trips
	b, err := openConfig(ctx, cfg, a.schema)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	mustEventually(t, 5*time.Second, "the replica listens", b.cache.inUse)

	cmd := coretest.BenchCommand(0, 2, 1) // b000 at their site, 09:00 Shanghai
	clock := cmd.ReceivedAt
	now := func() time.Time { return clock }
	kv := coretest.NewMemKV(now)
	svc := core.NewService(b, kv, kv, core.DefaultConfig(), now)
	n := 0
	handle := func(c core.Command) core.Reply {
		t.Helper()
		n++
		c.EventID = fmt.Sprint("rt-", n)
		clock = clock.Add(time.Minute)
		c.At, c.ReceivedAt = clock, clock
		r, err := svc.Handle(ctx, c)
		if err != nil {
			t.Fatalf("Handle: %v", err)
		}
		return r
	}
	// Until the replica serves b000 from its cache (its own first
	// notification may clear it once).
	mustEventually(t, 2*time.Second, "the replica caches b000", func() bool {
		handle(cmd)
		id, ok := b.cache.account(account{platform: core.PlatformSlack, tenant: "T1", user: "U000"})
		return ok && id == "b000"
	})
	// The first miss started a load of the whole organisation in the
	// background; under load its batch could otherwise be sent while a
	// case below is counted.
	b.loads.Wait()
	trips.take()

	text := cmd
	text.Location, text.Punch = nil, core.KindOut
	report := cmd
	report.Kind, report.ReplyRoute = core.CmdReportLocation, ""
	tests := []struct {
		name     string
		cmd      core.Command
		want     core.Outcome
		wantKind core.PunchKind
		trips    []int // statements per round trip
	}{
		{"a shared location", cmd, core.OutcomeAccepted, "", []int{4, 5}},
		{"a text punch waiting for its location", text, core.OutcomeNeedLocation, core.KindOut, []int{5}},
		{"the location completing it", cmd, core.OutcomeAccepted, core.KindOut, []int{4, 6}},
		// The look-up of an earlier reply to the event, then the read.
		{"a reported position, nothing waiting", report, core.OutcomeNoted, "", []int{1, 1}},
	}
	for _, tt := range tests {
		got := handle(tt.cmd)
		if got.Outcome != tt.want || (tt.wantKind != "" && got.Kind != tt.wantKind) {
			t.Errorf("%s: reply %s/%s, want %s/%s", tt.name, got.Outcome, got.Kind, tt.want, tt.wantKind)
		}
		if sizes := trips.take(); !slices.Equal(sizes, tt.trips) {
			t.Errorf("%s: statements per round trip = %v, want %v", tt.name, sizes, tt.trips)
		}
	}
}
