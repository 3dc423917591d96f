package coretest

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// Store benchmark shape, from issue 2: 16 concurrent callers, 64 employees
// with 5 sites each, so that the per-employee lock does not serialise the
// run.
const (
	BenchConcurrency = 16
	BenchEmployees   = 64
	BenchSitesPer    = 5
)

// benchStart is the first day of the benchmark's punches.
var benchStart = time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)

// BenchOrg returns an organisation of n employees in Shanghai, each with
// sitesPer sites of their own, on an every-day 09:00–18:00 schedule.
func BenchOrg(tb testing.TB, n, sitesPer int) core.Org {
	tb.Helper()
	org := core.Org{Name: "bench", TimeZone: "Asia/Shanghai",
		Schedules: []core.Schedule{{ID: "day", Name: "Day", StartMin: 9 * 60, EndMin: 18 * 60, LateGraceMin: 5, SeriousLateMin: 30,
			CheckInOpensMin: 120, CheckOutClosesMin: 360,
			WorkDays: []time.Weekday{time.Sunday, time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}}},
	}
	for e := range n {
		emp := core.Employee{ID: fmt.Sprintf("b%03d", e), Name: fmt.Sprintf("Bench %d", e), Active: true, ScheduleID: "day",
			Identities: []core.Identity{{Platform: core.PlatformSlack, Tenant: "T1", UserID: fmt.Sprintf("U%03d", e)}}}
		for k := range sitesPer {
			id := fmt.Sprintf("s%03d-%d", e, k)
			lat, lng := benchSite(e, k)
			org.Sites = append(org.Sites, core.OrgSite{Site: core.Site{ID: id, Name: id, Lat: lat, Lng: lng, RadiusM: 200}})
			emp.SiteIDs = append(emp.SiteIDs, id)
		}
		org.Employees = append(org.Employees, emp)
	}
	if err := org.Prepare(); err != nil {
		tb.Fatalf("bench org: %v", err)
	}
	return org
}

func benchSite(e, k int) (lat, lng float64) {
	return 31.2 + float64(e)*0.01, 121.4 + float64(k)*0.02
}

// BenchCommand returns the i-th punch of a run over n employees: employee
// i mod n, in and out on consecutive days (so each shift holds two punches,
// as in real use), at the employee's last site, with a distinct event id and
// a reply route so that the outbox is written too.
func BenchCommand(i, n, sitesPer int) core.Command {
	e, seq := i%n, i/n
	at := benchStart.Add(time.Duration(seq/2)*24*time.Hour + time.Hour) // 09:00 Shanghai
	if seq%2 == 1 {
		at = at.Add(9*time.Hour + 5*time.Minute)
	}
	at = at.Add(time.Duration(i%997) * time.Millisecond)
	lat, lng := benchSite(e, sitesPer-1)
	return core.Command{
		Actor: core.Identity{Platform: core.PlatformSlack, Tenant: "T1", UserID: fmt.Sprintf("U%03d", e)},
		Kind:  core.CmdPunch, At: at, ReceivedAt: at.Add(800 * time.Millisecond),
		Location: &core.Location{Lat: lat + float64(seq%7)*1e-5, Lng: lng, AccuracyM: 15, Datum: core.WGS84},
		EventID:  fmt.Sprintf("bench-%d", i), ReplyRoute: `{"channel":"D1"}`,
	}
}

// BenchPuncher returns a function that punches for employee 0 of
// BenchOrg(n, sitesPer) through svc, each call under an event id of its
// own, failing tb on an error: for tests that watch one employee's next
// command after the organisation changed.
func BenchPuncher(tb testing.TB, svc *core.Service, n, sitesPer int) func() core.Reply {
	calls := 0
	return func() core.Reply {
		tb.Helper()
		calls++
		cmd := BenchCommand(0, n, sitesPer)
		cmd.EventID = fmt.Sprintf("puncher-%d", calls)
		r, err := svc.Handle(context.Background(), cmd)
		if err != nil {
			tb.Fatalf("Handle: %v", err)
		}
		return r
	}
}

// HandleVsRaw is the result of RunHandleVsRaw.
type HandleVsRaw struct {
	HandlePerSec float64 // punches per second through core.Service.Handle
	RawPerSec    float64 // raw single-row inserts per second
}

// Ratio is handle throughput over raw insert throughput.
func (r HandleVsRaw) Ratio() float64 { return r.HandlePerSec / r.RawPerSec }

// RunHandleVsRaw measures, in one run and with BenchConcurrency callers,
// punches per second through core.Service.Handle on s (identity, idempotency,
// verification, one transaction with punch, audit, event and outbox) against
// raw single-row inserts per second made by raw(ctx, i) into a comparable
// table. The two are interleaved in rounds so that a noisy machine affects
// both alike. It reports handle_punches/s, raw_inserts/s, ratio and the
// bytes the client allocated per punch (handle_B/punch).
func RunHandleVsRaw(b *testing.B, s Store, raw func(ctx context.Context, i int) error) HandleVsRaw {
	b.Helper()
	ctx := context.Background()
	if _, err := s.ApplyOrg(ctx, BenchOrg(b, BenchEmployees, BenchSitesPer), core.AuditEntry{At: benchStart, Actor: "bench", Action: "org.applied"}); err != nil {
		b.Fatalf("ApplyOrg: %v", err)
	}
	// The clock follows the punches, which move on a day every two punches
	// of an employee: a clock stuck on the first day would have every
	// punch read, as "today and after", all of its employee's punches so
	// far, and the cost of a punch would grow with -benchtime.
	var clock benchClock
	clock.advance(benchStart)
	// No rate limiter: the benchmark measures the store, and 16 callers
	// punching as 64 employees would exceed any sane per-employee limit.
	svc := core.NewService(s, NewMemKV(clock.now), nil, core.DefaultConfig(), clock.now)

	var next atomic.Int64
	handle := func(n int) error {
		return benchParallel(n, func(int) error {
			i := int(next.Add(1))
			cmd := BenchCommand(i, BenchEmployees, BenchSitesPer)
			clock.advance(cmd.ReceivedAt)
			r, err := svc.Handle(ctx, cmd)
			if err == nil && (r.PunchID == 0 || r.Replayed) {
				err = fmt.Errorf("punch %d was not stored: %+v", i, r)
			}
			return err
		})
	}
	var nextRaw atomic.Int64
	insert := func(n int) error {
		return benchParallel(n, func(int) error { return raw(ctx, int(nextRaw.Add(1))) })
	}

	// Warm up: connections, prepared statements, caches.
	if err := handle(4 * BenchConcurrency); err != nil {
		b.Fatalf("warm-up Handle: %v", err)
	}
	if err := insert(4 * BenchConcurrency); err != nil {
		b.Fatalf("warm-up insert: %v", err)
	}

	const rounds = 4
	per := max(b.N/rounds, BenchConcurrency)
	var handleTime, rawTime time.Duration
	var handleAlloc uint64
	var before, after runtime.MemStats
	b.ResetTimer()
	for range rounds {
		runtime.ReadMemStats(&before)
		start := time.Now()
		if err := handle(per); err != nil {
			b.Fatalf("Handle: %v", err)
		}
		handleTime += time.Since(start)
		runtime.ReadMemStats(&after)
		handleAlloc += after.TotalAlloc - before.TotalAlloc
		start = time.Now()
		if err := insert(per); err != nil {
			b.Fatalf("raw insert: %v", err)
		}
		rawTime += time.Since(start)
	}
	b.StopTimer()
	res := HandleVsRaw{
		HandlePerSec: float64(per*rounds) / handleTime.Seconds(),
		RawPerSec:    float64(per*rounds) / rawTime.Seconds(),
	}
	b.ReportMetric(res.HandlePerSec, "handle_punches/s")
	b.ReportMetric(res.RawPerSec, "raw_inserts/s")
	b.ReportMetric(res.Ratio(), "ratio")
	// What the client allocates per punch drives its garbage collector,
	// which competes with the database for the same cores.
	b.ReportMetric(float64(handleAlloc)/float64(per*rounds), "handle_B/punch")
	return res
}

// benchClock is the latest time it was advanced to, safe for concurrent
// use.
type benchClock struct{ unixNano atomic.Int64 }

func (c *benchClock) now() time.Time { return time.Unix(0, c.unixNano.Load()).UTC() }

func (c *benchClock) advance(t time.Time) {
	for {
		cur := c.unixNano.Load()
		if t.UnixNano() <= cur || c.unixNano.CompareAndSwap(cur, t.UnixNano()) {
			return
		}
	}
}

// benchParallel runs fn n times on BenchConcurrency goroutines and returns
// the first error.
func benchParallel(n int, fn func(i int) error) error {
	var wg sync.WaitGroup
	var left atomic.Int64
	left.Store(int64(n))
	errs := make(chan error, BenchConcurrency)
	for range BenchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for left.Add(-1) >= 0 {
				if err := fn(0); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	return <-errs
}
