package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// loadRun is what a driver saw.
type loadRun struct {
	Results []opResult
	Elapsed time.Duration
	// Offered is the rate at which deliveries started.
	Offered float64
}

// runClosedLoop delivers events first, first+1, … with conc callers, each
// sending its next event when the previous one is answered (or, if it was
// refused with Retry-After, that much later), until n events or d have
// passed, whichever comes first.
func runClosedLoop(ctx context.Context, conc, first, n int, d time.Duration, deliver func(context.Context, int) opResult) loadRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var next atomic.Int64
	results := make([][]opResult, conc)
	start := time.Now()
	var wg sync.WaitGroup
	for w := range conc {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				r := deliver(context.WithoutCancel(ctx), first+i)
				results[w] = append(results[w], r)
				if pause := retryPause(r); pause > 0 {
					// A caller told to come back later does, as the
					// platforms do, rather than spin on refusals and
					// steal the server's CPU.
					select {
					case <-time.After(pause):
					case <-ctx.Done():
					}
				}
			}
		})
	}
	wg.Wait()
	run := loadRun{Elapsed: time.Since(start)}
	for _, r := range results {
		run.Results = append(run.Results, r...)
	}
	run.Offered = float64(len(run.Results)) / run.Elapsed.Seconds()
	return run
}

// retryPause is the Retry-After of a refused delivery, at most a second.
func retryPause(r opResult) time.Duration {
	last := r.Last()
	if r.Acked() || last.RetryAfter == "" {
		return 0
	}
	sec, err := strconv.Atoi(last.RetryAfter)
	if err != nil || sec < 0 {
		return 0
	}
	return min(time.Duration(sec)*time.Second, time.Second)
}

// runOpenLoop starts deliveries at rate per second whatever the answers,
// as platforms push, until n events or d have passed. At most maxOpen are
// outstanding; a start that finds none free waits, which lowers Offered
// below rate and shows the generator, not the server, was the limit.
func runOpenLoop(ctx context.Context, rate float64, first, n int, d time.Duration, maxOpen int, deliver func(context.Context, int) opResult) loadRun {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	interval := time.Duration(float64(time.Second) / rate)
	open := make(chan struct{}, maxOpen)
	var mu sync.Mutex
	var results []opResult
	var wg sync.WaitGroup
	start := time.Now()
	started := 0
	for i := 0; i < n && ctx.Err() == nil; i++ {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			select {
			case <-time.After(wait):
			case <-ctx.Done():
			}
			if ctx.Err() != nil {
				break
			}
		}
		select {
		case open <- struct{}{}:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		started++
		wg.Go(func() {
			defer func() { <-open }()
			r := deliver(context.WithoutCancel(ctx), first+i)
			mu.Lock()
			results = append(results, r)
			mu.Unlock()
		})
	}
	startSpan := time.Since(start)
	wg.Wait()
	sort.Slice(results, func(a, b int) bool { return results[a].Event.Seq < results[b].Event.Seq })
	return loadRun{Results: results, Elapsed: time.Since(start), Offered: float64(started) / max(startSpan.Seconds(), 1e-9)}
}

// loadSummary is a run's figures.
type loadSummary struct {
	Sent, Acked        int
	AckedPerSec        float64
	P50, P90, P99, Max time.Duration // of acknowledged deliveries
	MaxAny             time.Duration // of every answered request
	ByStatus           map[int]int   // non-2xx answers
	NoAnswer           int
	FirstErr           error
	Steps              map[string][]time.Duration // per route, answered requests
}

func summarize(run loadRun) loadSummary {
	s := loadSummary{Sent: len(run.Results), ByStatus: map[int]int{}, Steps: map[string][]time.Duration{}}
	var acked []time.Duration
	for _, r := range run.Results {
		for _, st := range r.Steps {
			if st.Status != 0 {
				s.Steps[st.Route] = append(s.Steps[st.Route], st.Latency)
				s.MaxAny = max(s.MaxAny, st.Latency)
			}
		}
		last := r.Last()
		switch {
		case r.Acked():
			s.Acked++
			acked = append(acked, r.Latency)
		case last.Status == 0:
			s.NoAnswer++
			if s.FirstErr == nil {
				s.FirstErr = last.Err
			}
		default:
			s.ByStatus[last.Status]++
		}
	}
	s.AckedPerSec = float64(s.Acked) / max(run.Elapsed.Seconds(), 1e-9)
	s.P50, s.P90, s.P99, s.Max = percentile(acked, 0.50), percentile(acked, 0.90), percentile(acked, 0.99), percentile(acked, 1)
	return s
}

// percentile is the nearest-rank percentile; it sorts d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(p*float64(len(d))+0.999999) - 1
	return d[min(max(i, 0), len(d)-1)]
}

func ms(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 1, 64) + " ms" }

// Format renders the summary in the bench's one-screen style.
func (s loadSummary) Format(w io.Writer, run loadRun) {
	fmt.Fprintf(w, "sent:    %d deliveries in %s (offered %.0f/s)\n", s.Sent, run.Elapsed.Round(time.Millisecond), run.Offered)
	fmt.Fprintf(w, "acked:   %d, %.1f acknowledged/s\n", s.Acked, s.AckedPerSec)
	fmt.Fprintf(w, "latency: p50 %s, p90 %s, p99 %s, max %s (acknowledged); max of any answer %s\n", ms(s.P50), ms(s.P90), ms(s.P99), ms(s.Max), ms(s.MaxAny))
	routes := make([]string, 0, len(s.Steps))
	for r := range s.Steps {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	if len(routes) > 1 {
		for _, r := range routes {
			d := s.Steps[r]
			fmt.Fprintf(w, "         %s: p50 %s, p99 %s, max %s\n", r, ms(percentile(d, .5)), ms(percentile(d, .99)), ms(percentile(d, 1)))
		}
	}
	codes := make([]int, 0, len(s.ByStatus))
	for c := range s.ByStatus {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	var parts []string
	for _, c := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, s.ByStatus[c]))
	}
	if s.NoAnswer > 0 {
		parts = append(parts, fmt.Sprintf("no answer×%d (%v)", s.NoAnswer, s.FirstErr))
	}
	if len(parts) == 0 {
		parts = []string{"none"}
	}
	fmt.Fprintf(w, "non-2xx: %s\n", strings.Join(parts, ", "))
}

// replySink is a fake of the platforms' send APIs that accepts everything,
// so the outbox drains during a run; the rate-limited fakes of
// loadplatforms.go are for the broadcast benchmark. It counts calls and,
// given a timer, times the confirmations it receives.
type replySink struct {
	srv   *httptest.Server
	calls atomic.Int64
	timer *confirmTimer
}

func newReplySink(timer *confirmTimer) *replySink {
	k := &replySink{timer: timer}
	k.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if k.timer != nil {
			body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
			k.timer.observe(r, body, time.Now())
		} else {
			_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 4<<20))
		}
		k.calls.Add(1)
		p := r.URL.Path
		switch {
		case p == "/open-apis/auth/v3/tenant_access_token/internal":
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-sink", "expire": 7200})
		case p == "/open-apis/bot/v3/info":
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{"open_id": "ou_bot"}})
		case strings.HasPrefix(p, "/open-apis/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": "om_sink"}})
		case p == "/cgi-bin/gettoken":
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "sink-token", "expires_in": 7200})
		case strings.HasPrefix(p, "/cgi-bin/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "sink"})
		case strings.HasPrefix(p, "/slack/"):
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": "DSINK", "ts": "1700000000.000100"})
		default:
			http.NotFound(w, r)
		}
	}))
	return k
}

func (k *replySink) URL() string { return k.srv.URL }
func (k *replySink) Close()      { k.srv.Close() }
