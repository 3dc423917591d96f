package main

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/url"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/punchbot/punchbot/bots/wecom"
	"github.com/punchbot/punchbot/core"
)

const benchRushUsage = `usage: punchbot bench rush [flags]

The morning rush: -employees people punch within -rush (15 minutes by
default) on each platform in turn, replayed -compress times faster than real
time. Each platform's fake API enforces the platform's documented limits
shortened by the same factor, so the ratio of offered punches to the limit
is the real one, and answers beyond them the way the platform does (WeCom
45009, Feishu HTTP 429 code 99991400 with x-ogw-ratelimit-reset, Slack 429
with Retry-After). The real server runs in this process on a fresh store;
the callbacks are signed and encrypted as the platforms send them and are
resent when not acknowledged, as the platforms do.

Prints per platform: punches acknowledged, replies delivered (inline in the
callback's answer vs through an API), the limit violations the fake
answered and whether each was handled (the reply delivered later), and the
time until the last reply, compressed and in real time.

  -employees 100000      people punching, one punch each
  -rush 15m              how long the rush lasts in real time
  -compress 60           replay this many times faster (15m in 15 s)
  -platforms wecom,feishu,slack
  -store sqlite          sqlite (a temporary file) or postgres (a fresh
                         schema of PUNCHBOT_DATABASE_URL or -db, dropped after)
  -redis URL             Redis for the server (default none; "none" for none)
  -limits 1              the fakes allow this fraction of the documented
                         limits (below 1: the platform is stricter than
                         documented, so punchbot meets refusals to handle)
  -open 2048             callbacks in flight at most (the generator's bound)
  -timeout 10m           stop waiting for replies after this, per platform
`

// rushOptions are the flags of `punchbot bench rush`.
type rushOptions struct {
	employees int
	rush      time.Duration
	compress  float64
	platforms []core.Platform
	store     string
	db, redis string
	open      int
	limits    float64
	timeout   time.Duration
}

func parseRushFlags(args []string, cfg config) (rushOptions, error) {
	fs := flag.NewFlagSet("bench rush", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o rushOptions
	fs.IntVar(&o.employees, "employees", 100_000, "")
	fs.DurationVar(&o.rush, "rush", 15*time.Minute, "")
	fs.Float64Var(&o.compress, "compress", 60, "")
	platforms := fs.String("platforms", "wecom,feishu,slack", "")
	fs.StringVar(&o.store, "store", "sqlite", "")
	fs.StringVar(&o.db, "db", cfg.DatabaseURL, "")
	redis := fs.String("redis", "", "")
	fs.IntVar(&o.open, "open", 2048, "")
	fs.Float64Var(&o.limits, "limits", 1, "")
	fs.DurationVar(&o.timeout, "timeout", 10*time.Minute, "")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%v\n\n%s", err, benchRushUsage)
	}
	if *redis != "none" {
		o.redis = *redis
	}
	var err error
	if o.platforms, err = parsePlatforms(*platforms); err != nil {
		return o, err
	}
	switch {
	case o.employees < 1 || o.rush <= 0 || o.compress < 1 || o.open < 1 || o.timeout <= 0 || o.limits <= 0 || o.limits > 1:
		return o, errors.New("-employees, -rush, -open and -timeout must be positive, -compress at least 1 and -limits in (0, 1]")
	case o.store != "sqlite" && o.store != "postgres":
		return o, errors.New("-store must be sqlite or postgres")
	case o.store == "postgres" && o.db == "":
		return o, errors.New("-store postgres needs PUNCHBOT_DATABASE_URL or -db")
	}
	return o, nil
}

// rushResult is one platform's figures.
type rushResult struct {
	Platform      core.Platform
	Offered       int     // punches sent (distinct events)
	OfferedPerSec float64 // the rate the generator reached
	TargetPerSec  float64 // the rate the rush asks for
	Acked         int     // events the server acknowledged (after resends)
	Resends       int     // deliveries repeated because the first was not acknowledged
	Inline        int     // replies read from the callback's own answer
	ViaAPI        int     // replies the fake API delivered (distinct recipients)
	APIKind       string  // which API carried them
	Batched       int     // of ViaAPI, recipients reached by batch_send (Feishu in a rush)
	Violations    int     // calls the fake refused for a limit
	Handled       int     // of those, recipients that got their reply later
	LastReply     time.Duration
	Missing       int // acknowledged punches whose reply never arrived
}

// Delivered is every reply that reached its user.
func (r rushResult) Delivered() int { return r.Inline + r.ViaAPI }

// Unhandled is the violations after which the reply never arrived.
func (r rushResult) Unhandled() int { return r.Violations - r.Handled }

func benchRush(ctx context.Context, o rushOptions, stdout io.Writer) error {
	_, err := runRush(ctx, o, stdout)
	return err
}

// runRush runs the rush on every platform in turn and returns the figures;
// the error says which platforms missed replies or left violations
// unhandled.
func runRush(ctx context.Context, o rushOptions, stdout io.Writer) ([]rushResult, error) {
	kv := "in-process state"
	if o.redis != "" {
		kv = "Redis"
	}
	fmt.Fprintf(stdout, "punchbot bench rush: %d employees within %s, compressed %g× (%s), %s + %s, Go %s, %d CPU\n",
		o.employees, o.rush, o.compress, (time.Duration(float64(o.rush) / o.compress)).Round(time.Millisecond), o.store, kv, runtime.Version(), runtime.NumCPU())
	var results []rushResult
	var failed []string
	for _, p := range o.platforms {
		r, err := rushPlatform(ctx, o, p, stdout)
		if err != nil {
			return results, fmt.Errorf("%s: %w", p, err)
		}
		results = append(results, r)
		if r.Missing > 0 || r.Unhandled() > 0 {
			failed = append(failed, string(p))
		}
	}
	fmt.Fprintln(stdout, "summary:")
	for _, r := range results {
		fmt.Fprintf(stdout, "  %-7s %d acknowledged, %d replies delivered (%d inline, %d via %s), %d limit violations (%d handled, %d unhandled), last reply after %s (real time %s)\n",
			r.Platform, r.Acked, r.Delivered(), r.Inline, r.ViaAPI, r.APIKind, r.Violations, r.Handled, r.Unhandled(),
			r.LastReply.Round(time.Millisecond), time.Duration(float64(r.LastReply)*o.compress).Round(time.Second))
	}
	if len(failed) > 0 {
		return results, fmt.Errorf("replies missing or limit violations unhandled on %s", strings.Join(failed, ", "))
	}
	return results, nil
}

// rushPlatform runs the rush on one platform against a fresh server.
func rushPlatform(ctx context.Context, o rushOptions, p core.Platform, stdout io.Writer) (rushResult, error) {
	res := rushResult{Platform: p, TargetPerSec: float64(o.employees) / (o.rush.Seconds() / o.compress)}
	run := newRunID()
	org := loadOrg{Platform: p, Prefix: run, Employees: o.employees, SitesPer: 1, Creds: testCreds.forRun(run)}
	t0 := time.Now()
	st, err := prepareWebhookStore(ctx, webhookOptions{store: o.store, db: o.db, pool: 32}, run, org.Org())
	if err != nil {
		return res, err
	}
	defer st.cleanup()
	fake := newRushFake(p, o.compress, o.limits)
	defer fake.srv.Close()
	if p == core.PlatformFeishu {
		// loadClient's location messages are om_<run>-<seq>, from employee
		// seq mod the organisation.
		fake.sender = func(id string) string {
			seq, err := strconv.Atoi(id[strings.LastIndexByte(id, '-')+1:])
			if err != nil {
				return id
			}
			return org.UserID(seq % org.Employees)
		}
	}
	fmt.Fprintf(stdout, "%s: organisation applied in %s; fake API limits: %s\n", p, time.Since(t0).Round(time.Millisecond), fake.describe())

	envm := serverEnv(st.env, p, org.Creds, fake.srv.URL, o.redis)
	envm["PUNCHBOT_OUTBOX_CONCURRENCY"] = "32"
	// The in-process buckets run compress times faster, like the windows.
	for _, pl := range []core.Platform{core.PlatformWeCom, core.PlatformFeishu, core.PlatformSlack} {
		name := map[core.Platform]string{core.PlatformWeCom: "WECOM", core.PlatformFeishu: "FEISHU", core.PlatformSlack: "SLACK"}[pl]
		envm["PUNCHBOT_"+name+"_RATE"] = strconv.FormatFloat(defaultRates()[pl].PerSecond*o.compress, 'f', -1, 64)
	}
	cfg, err := loadConfig(func(k string) string { return envm[k] })
	if err != nil {
		return res, err
	}
	cfg.Sched.Compress = o.compress
	// The server logs at info to nowhere, as bench webhook's does;
	// PUNCHBOT_BENCH_LOG=1 shows its warnings on stderr.
	logTo := io.Discard
	if os.Getenv("PUNCHBOT_BENCH_LOG") != "" {
		logTo = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(logTo, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srvCtx, stop := context.WithCancel(ctx)
	defer stop()
	addr := make(chan string, 1)
	done := make(chan error, 1)
	go func() { done <- serve(srvCtx, cfg, log, io.Discard, func(a string, _ *server) { addr <- a }) }()
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		return res, fmt.Errorf("server: %w", err)
	}
	defer func() {
		stop()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
		}
	}()
	client, err := newWebhookClient(base, org, run, fake.srv.URL)
	if err != nil {
		return res, err
	}

	var inline, resends atomic.Int64
	var lastInline atomic.Int64 // unix nanos
	start := time.Now()
	deliver := func(ctx context.Context, seq int) opResult {
		ev := client.Event(seq)
		var r opResult
		// A platform resends what was not acknowledged; five tries, as
		// WeCom and Feishu do (about three to four).
		for attempt := range 5 {
			if attempt > 0 {
				resends.Add(1)
			}
			var body []byte
			r, body = rushDeliver(ctx, client, ev)
			if r.Acked() {
				if p == core.PlatformWeCom && passiveReplied(client.crypto, body) {
					inline.Add(1)
					lastInline.Store(time.Now().UnixNano())
				}
				return r
			}
			pause := 100 * time.Millisecond
			if ra := retryPause(r); ra > 0 {
				pause = ra
			}
			select {
			case <-time.After(pause):
			case <-ctx.Done():
				return r
			}
		}
		return r
	}
	lr := runOpenLoop(ctx, res.TargetPerSec, 0, o.employees, o.timeout, o.open, deliver)
	res.Offered, res.OfferedPerSec, res.Resends = len(lr.Results), lr.Offered, int(resends.Load())
	for _, r := range lr.Results {
		if r.Acked() {
			res.Acked++
		}
	}
	sum := summarize(lr)
	fmt.Fprintf(stdout, "%s: %d punches offered at %.0f/s (the rush asks %.0f/s), %d acknowledged, %d resends, in %s; answer p50 %s, p99 %s; not acknowledged after 5 tries: %v, %d unanswered %v\n",
		p, res.Offered, res.OfferedPerSec, res.TargetPerSec, res.Acked, res.Resends, lr.Elapsed.Round(time.Millisecond), ms(sum.P50), ms(sum.P99), sum.ByStatus, sum.NoAnswer, sum.FirstErr)

	if res.OfferedPerSec < 0.9*res.TargetPerSec || res.Acked < res.Offered {
		// The compressed figures stand for real time only while the
		// server keeps up; past its capacity it, not the platform, sets
		// the pace (try a smaller -compress).
		fmt.Fprintf(stdout, "%s: note: this machine's server took %.0f/s of the %.0f/s asked; %d punches were shed (503) past the generator's 5 tries\n",
			p, float64(res.Acked)/max(lr.Elapsed.Seconds(), 1e-9), res.TargetPerSec, res.Offered-res.Acked)
	}
	// Wait for the replies that go through the API.
	res.Inline = int(inline.Load())
	deadline := time.Now().Add(o.timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		if res.Inline+fake.delivered() >= res.Acked {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.ViaAPI, res.APIKind = fake.delivered(), fake.describeAPI()
	fake.mu.Lock()
	res.Batched = fake.batched
	fake.mu.Unlock()
	res.Violations, res.Handled = fake.violations()
	last := time.Unix(0, lastInline.Load())
	if s := fake.stats(); s.Last.After(last) {
		last = s.Last
	}
	if !last.IsZero() && last.After(start) {
		res.LastReply = last.Sub(start)
	}
	res.Missing = max(0, res.Acked-res.Delivered())
	fmt.Fprintf(stdout, "%s: replies delivered %d of %d (%d inline in the callback answer, %d via %s), %d duplicates; limit violations %d (%d handled: delivered later; %d unhandled); last reply %s after the rush began (%s real time)\n",
		p, res.Delivered(), res.Acked, res.Inline, res.ViaAPI, res.APIKind, fake.stats().Duplicates, res.Violations, res.Handled, res.Unhandled(),
		res.LastReply.Round(time.Millisecond), time.Duration(float64(res.LastReply)*o.compress).Round(time.Second))
	return res, nil
}

// rushDeliver sends ev once and returns the result and the answer's body
// (WeCom's passive reply; Slack's slash answer is followed to the location
// page, which punches).
func rushDeliver(ctx context.Context, c *webhookClient, ev loadEvent) (opResult, []byte) {
	res := opResult{Event: ev, Start: time.Now()}
	req, route, err := c.request(ctx, ev)
	if err != nil {
		res.Steps = append(res.Steps, stepResult{Route: route, Err: err})
		return res, nil
	}
	step, body := c.exchange(req, route, true)
	res.Steps = append(res.Steps, step)
	if c.Org.Platform == core.PlatformSlack && step.Status == http.StatusOK {
		res.Steps = append(res.Steps, c.followLink(ctx, ev, body))
	}
	res.Latency = time.Since(res.Start)
	return res, body
}

// passiveReplied reports whether a WeCom callback answer is a passive
// reply that WeCom would accept: a signed envelope around an encrypted
// text message for the corp.
func passiveReplied(c *wecom.Crypto, body []byte) bool {
	var env struct{ Encrypt, MsgSignature, TimeStamp, Nonce string }
	if c == nil || xml.Unmarshal(body, &env) != nil || !c.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		return false
	}
	plain, err := c.Decrypt(env.Encrypt)
	if err != nil {
		return false
	}
	var msg struct{ MsgType, Content string }
	return xml.Unmarshal(plain, &msg) == nil && msg.MsgType == "text" && msg.Content != ""
}

// slidingLimit is one of a platform's windows, enforced exactly: at most
// limit calls in any span of per, per key.
type slidingLimit struct {
	name  string
	limit int
	per   time.Duration
	mu    sync.Mutex
	hits  map[string][]time.Time
}

func newSlidingLimit(name string, limit int, per time.Duration) *slidingLimit {
	return &slidingLimit{name: name, limit: limit, per: per, hits: map[string][]time.Time{}}
}

// allow admits one call for key now, or says how long until one would be
// admitted.
func (l *slidingLimit) allow(key string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := l.hits[key]
	cut := 0
	for cut < len(h) && now.Sub(h[cut]) >= l.per {
		cut++
	}
	h = h[cut:]
	if len(h) >= l.limit {
		l.hits[key] = h
		return false, h[0].Add(l.per).Sub(now)
	}
	l.hits[key] = append(h, now)
	return true, 0
}

// rushFake is a platform API with its documented limits, compressed:
// loadPlatform's tally, plus the windows and a record of whom each refusal
// kept waiting.
type rushFake struct {
	*loadPlatform
	platform core.Platform
	apiKind  string
	app      []*slidingLimit // per app (key "")
	perUser  []*slidingLimit // per recipient
	mu       sync.Mutex
	refused  map[string]int // recipient → refusals
	// sender, when set, names the person who sent a message the bot
	// replies to, so that a reply and a batch_send count the same person.
	sender func(messageID string) string
	// batches and batched count Feishu's message/v4/batch_send calls and
	// their recipients (confirmations sent together during the rush).
	batches, batched int
}

// describeAPI names the calls replies went through.
func (f *rushFake) describeAPI() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.batches == 0 {
		return f.apiKind
	}
	return fmt.Sprintf("%s, %d of them in %d message/v4/batch_send calls", f.apiKind, f.batched, f.batches)
}

func newRushFake(p core.Platform, compress, limits float64) *rushFake {
	per := func(d time.Duration) time.Duration { return time.Duration(float64(d) / compress) }
	newSlidingLimit := func(name string, limit int, per time.Duration) *slidingLimit {
		return newSlidingLimit(name, max(1, int(float64(limit)*limits)), per)
	}
	f := &rushFake{platform: p, refused: map[string]int{}}
	switch p {
	case core.PlatformFeishu:
		// im/v1/messages (and its reply): 1000/min and 50/s per app, 5 QPS
		// per user (https://open.feishu.cn/document/uAjLw4CM/ukTMukTMukTM/reference/im-v1/message/create).
		f.apiKind = "im/v1/messages reply"
		f.app = []*slidingLimit{newSlidingLimit("50/s per app", 50, per(time.Second)), newSlidingLimit("1000/min per app", 1000, per(time.Minute))}
		f.perUser = []*slidingLimit{newSlidingLimit("5/s per user", 5, per(time.Second))}
	case core.PlatformWeCom:
		// message/send: 30/min and 1000/h to one member per app
		// (https://developer.work.weixin.qq.com/document/path/90454).
		f.apiKind = "message/send"
		f.perUser = []*slidingLimit{newSlidingLimit("30/min per member", 30, per(time.Minute)), newSlidingLimit("1000/h per member", 1000, per(time.Hour))}
	case core.PlatformSlack:
		// chat.postMessage: 1/s per channel (https://api.slack.com/docs/rate-limits);
		// a response_url takes 5 posts in 30 minutes.
		f.apiKind = "response_url"
		f.perUser = []*slidingLimit{newSlidingLimit("1/s per channel, 5 per response_url in 30 min", 1, per(time.Second))}
	}
	f.loadPlatform = newLoadPlatform(0, 0, nil, func(_ *loadPlatform, w http.ResponseWriter, r *http.Request) { f.serve(w, r) })
	return f
}

func (f *rushFake) describe() string {
	var parts []string
	for _, l := range append(slices.Clone(f.app), f.perUser...) {
		parts = append(parts, fmt.Sprintf("%s (%d per %s)", l.name, l.limit, l.per))
	}
	return strings.Join(parts, ", ")
}

// admit checks the app's windows and the recipient's; a refusal is
// counted against the recipient.
func (f *rushFake) admit(recipient string) (bool, time.Duration) {
	if ok, wait := f.admitApp(recipient); !ok {
		return false, wait
	}
	now := time.Now()
	for _, l := range f.perUser {
		if ok, wait := l.allow(recipient, now); !ok {
			f.refuse(recipient)
			return false, wait
		}
	}
	return true, 0
}

// admitApp checks the app's windows alone; a refusal is counted against
// recipient.
func (f *rushFake) admitApp(recipient string) (bool, time.Duration) {
	now := time.Now()
	for _, l := range f.app {
		if ok, wait := l.allow("", now); !ok {
			f.refuse(recipient)
			return false, wait
		}
	}
	return true, 0
}

func (f *rushFake) refuse(recipient string) {
	f.loadTally.refuse()
	f.mu.Lock()
	f.refused[recipient]++
	f.mu.Unlock()
}

// delivered is how many recipients got a reply.
func (f *rushFake) delivered() int { return f.stats().Recipients }

// violations counts refusals, and those whose recipient got the reply
// afterwards.
func (f *rushFake) violations() (total, handled int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for who, n := range f.refused {
		total += n
		if f.count(who) > 0 {
			handled += n
		}
	}
	return total, handled
}

// seconds is a wait as whole seconds for a header, at least 1.
func seconds(d time.Duration) string { return strconv.Itoa(max(1, int(math.Ceil(d.Seconds())))) }

func (f *rushFake) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	p := r.URL.Path
	switch f.platform {
	case core.PlatformFeishu:
		switch p {
		case "/open-apis/auth/v3/tenant_access_token/internal":
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "tenant_access_token": "t-rush", "expire": 7200})
		case "/open-apis/im/v1/messages", "/open-apis/im/v1/messages/" + strings.TrimSuffix(strings.TrimPrefix(p, "/open-apis/im/v1/messages/"), "/reply") + "/reply":
			// A new message names its recipient; a reply (the bot answers
			// the punch's message) names the message, one per punch.
			var req struct {
				ReceiveID string `json:"receive_id"`
			}
			_ = json.Unmarshal(body, &req)
			if req.ReceiveID == "" {
				req.ReceiveID = strings.TrimSuffix(strings.TrimPrefix(p, "/open-apis/im/v1/messages/"), "/reply")
				if f.sender != nil {
					// The person, as batch_send names them.
					req.ReceiveID = f.sender(req.ReceiveID)
				}
			}
			if ok, wait := f.admit(req.ReceiveID); !ok {
				// Feishu's answer beyond a limit (frequency-control doc).
				w.Header().Set("x-ogw-ratelimit-reset", seconds(wait))
				writeLoadJSON(w, http.StatusTooManyRequests, map[string]any{"code": 99991400, "msg": "request trigger frequency limit"})
				return
			}
			f.record(req.ReceiveID)
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "success", "data": map[string]any{"message_id": "om_rush"}})
		case "/open-apis/message/v4/batch_send/":
			// One call of the app's limits to up to 200 people (docs
			// "批量发送消息": 1000/min, 50/s).
			var req struct {
				OpenIDs []string `json:"open_ids"`
				UserIDs []string `json:"user_ids"`
			}
			_ = json.Unmarshal(body, &req)
			to := append(req.OpenIDs, req.UserIDs...)
			if len(to) == 0 || len(to) > 200 {
				writeLoadJSON(w, http.StatusBadRequest, map[string]any{"code": 9499, "msg": "bad request"})
				return
			}
			if ok, wait := f.admitApp(to[0]); !ok {
				w.Header().Set("x-ogw-ratelimit-reset", seconds(wait))
				writeLoadJSON(w, http.StatusTooManyRequests, map[string]any{"code": 99991400, "msg": "request trigger frequency limit"})
				return
			}
			f.record(to...)
			f.mu.Lock()
			f.batches++
			f.batched += len(to)
			f.mu.Unlock()
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"message_id": "bm_rush"}})
		default:
			writeLoadJSON(w, http.StatusOK, map[string]any{"code": 0, "msg": "ok", "bot": map[string]any{"open_id": "ou_bot"}, "data": map[string]any{}})
		}
	case core.PlatformWeCom:
		switch p {
		case "/cgi-bin/gettoken":
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "access_token": "rush-token", "expires_in": 7200})
		case "/cgi-bin/message/send":
			var req struct {
				ToUser string `json:"touser"`
			}
			_ = json.Unmarshal(body, &req)
			if ok, _ := f.admit(req.ToUser); !ok {
				writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 45009, "errmsg": "api freq out of limit"})
				return
			}
			f.record(strings.Split(req.ToUser, "|")...)
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok", "msgid": "rush"})
		default:
			writeLoadJSON(w, http.StatusOK, map[string]any{"errcode": 0, "errmsg": "ok"})
		}
	case core.PlatformSlack:
		switch {
		case strings.HasPrefix(p, "/slack/response/"):
			who := "resp:" + strings.TrimPrefix(p, "/slack/response/")
			if ok, wait := f.admit(who); !ok {
				w.Header().Set("Retry-After", seconds(wait))
				writeLoadJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
				return
			}
			f.record(who)
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true})
		case p == "/slack/api/chat.postMessage":
			form, _ := url.ParseQuery(string(body))
			ch := form.Get("channel")
			if ok, wait := f.admit(ch); !ok {
				w.Header().Set("Retry-After", seconds(wait))
				writeLoadJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
				return
			}
			f.record(ch)
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": ch, "ts": "1700000000.000100"})
		case p == "/slack/api/conversations.open":
			form, _ := url.ParseQuery(string(body))
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": "D" + form.Get("users")}})
		default:
			writeLoadJSON(w, http.StatusOK, map[string]any{"ok": true, "user_id": "UBOT", "team_id": testCreds.SlackTeam})
		}
	}
}
