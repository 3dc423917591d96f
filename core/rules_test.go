package core_test

import (
	"context"
	"errors"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestGCJ02RoundTrip(t *testing.T) {
	tests := []struct {
		name           string
		lat, lng       float64
		minOff, maxOff float64 // metres between WGS-84 and GCJ-02
	}{
		{"Beijing", 39.9087, 116.4599, 200, 800},
		{"Shenzhen", 22.5431, 114.0579, 200, 800},
		{"Urumqi", 43.8256, 87.6168, 0, 800},
		{"New York is outside China", 40.7549, -73.9840, 0, 0},
		{"Tokyo is outside China", 35.6812, 139.7671, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gLat, gLng := core.WGS84ToGCJ02(tc.lat, tc.lng)
			off := core.DistanceM(tc.lat, tc.lng, gLat, gLng)
			if off < tc.minOff || off > tc.maxOff {
				t.Errorf("offset = %.1f m, want within [%v, %v]", off, tc.minOff, tc.maxOff)
			}
			wLat, wLng := core.GCJ02ToWGS84(gLat, gLng)
			if back := core.DistanceM(tc.lat, tc.lng, wLat, wLng); back > 0.01 {
				t.Errorf("round trip error = %.4f m, want < 1 cm", back)
			}
		})
	}
}

func TestDistance(t *testing.T) {
	tests := []struct {
		name             string
		a, b, c, d       float64
		want, toleranceM float64
	}{
		{"same point", 39.9, 116.4, 39.9, 116.4, 0, 0.001},
		{"one degree of latitude", 0, 0, 1, 0, 111195, 1},
		{"Beijing to Shanghai", 39.9042, 116.4074, 31.2304, 121.4737, 1067000, 5000},
	}
	for _, tc := range tests {
		if got := core.DistanceM(tc.a, tc.b, tc.c, tc.d); math.Abs(got-tc.want) > tc.toleranceM {
			t.Errorf("%s: distance = %.1f, want %.1f ± %.1f", tc.name, got, tc.want, tc.toleranceM)
		}
	}
}

func TestValidCoordinates(t *testing.T) {
	tests := []struct {
		lat, lng float64
		want     bool
	}{
		{39.9, 116.4, true}, {-33.86, 151.2, true}, {90, 180, true},
		{0, 0, false}, {91, 0, false}, {0, -181, false}, {math.NaN(), 1, false}, {1, math.Inf(1), false},
	}
	for _, tc := range tests {
		if got := core.ValidCoordinates(tc.lat, tc.lng); got != tc.want {
			t.Errorf("ValidCoordinates(%v, %v) = %v, want %v", tc.lat, tc.lng, got, tc.want)
		}
	}
}

func TestMakeupTransitions(t *testing.T) {
	at := sh(t, "2026-11-26 10:00:00")
	tests := []struct {
		name    string
		from    core.MakeupStatus
		to      core.MakeupStatus
		wantErr string
	}{
		{"approve a pending request", core.MakeupPending, core.MakeupApproved, ""},
		{"reject a pending request", core.MakeupPending, core.MakeupRejected, ""},
		{"cancel a pending request", core.MakeupPending, core.MakeupCancelled, ""},
		{"expire a pending request", core.MakeupPending, core.MakeupExpired, ""},
		{"second approval is a conflict", core.MakeupApproved, core.MakeupApproved, core.ECONFLICT},
		{"reject after approval is a conflict", core.MakeupApproved, core.MakeupRejected, core.ECONFLICT},
		{"cancel after rejection is a conflict", core.MakeupRejected, core.MakeupCancelled, core.ECONFLICT},
		{"back to pending is invalid", core.MakeupPending, core.MakeupPending, core.EINVALID},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := core.MakeupRequest{ID: 7, Status: tc.from}
			err := m.Transition(tc.to, "M1", at, "ok")
			if code := core.ErrorCode(err); code != tc.wantErr {
				t.Fatalf("error code = %q (%v), want %q", code, err, tc.wantErr)
			}
			if err == nil && (m.Status != tc.to || m.DecidedBy != "M1" || !m.DecidedAt.Equal(at)) {
				t.Errorf("after transition: %+v", m)
			}
			if err != nil && m.Status != tc.from {
				t.Errorf("a refused transition changed the state to %s", m.Status)
			}
		})
	}
}

func TestCheckMakeup(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := sh(t, "2026-11-27 10:00:00")
	policy := core.MakeupPolicy{MonthlyQuota: 3, DeadlineDays: 7}
	req := core.MakeupRequest{ShiftDate: "2026-11-25", Kind: core.KindIn, At: sh(t, "2026-11-25 09:00:00")}
	used := func(n int) []core.MakeupRequest {
		var out []core.MakeupRequest
		for range n {
			out = append(out, core.MakeupRequest{ShiftDate: "2026-11-02", Kind: core.KindOut, Status: core.MakeupApproved})
		}
		return out
	}
	tests := []struct {
		name    string
		req     core.MakeupRequest
		month   []core.MakeupRequest
		punches []core.Punch
		want    string
		used    int
	}{
		{"allowed", req, used(2), nil, "", 0},
		{"quota used up", req, used(3), nil, core.MakeupQuotaExhausted, 3},
		{"rejected requests do not use quota", req, append(used(2), core.MakeupRequest{Status: core.MakeupRejected}), nil, "", 0},
		{"past the deadline", core.MakeupRequest{ShiftDate: "2026-11-10", Kind: core.KindIn, At: sh(t, "2026-11-10 09:00:00")}, nil, nil, core.MakeupPastDeadline, 0},
		{"in the future", core.MakeupRequest{ShiftDate: "2026-11-28", Kind: core.KindIn, At: sh(t, "2026-11-28 09:00:00")}, nil, nil, core.MakeupInFuture, 0},
		{"slot already has a valid punch", req, nil, []core.Punch{{Kind: core.KindIn, Outcome: core.OutcomeAccepted, TimeResult: core.TimeNormal}}, core.MakeupSlotValid, 0},
		{"a late punch may be made up", req, nil, []core.Punch{{Kind: core.KindIn, Outcome: core.OutcomeAccepted, TimeResult: core.TimeLate}}, "", 0},
		{"one open request per slot", req, []core.MakeupRequest{{ShiftDate: "2026-11-25", Kind: core.KindIn, Status: core.MakeupPending}}, nil, core.MakeupAlreadyOpen, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := core.CheckMakeup(policy, tc.req, tc.month, tc.punches, now, loc)
			rule := ""
			if got != nil {
				rule = got.Rule
			}
			if rule != tc.want {
				t.Fatalf("refusal = %q, want %q", rule, tc.want)
			}
			if got != nil && got.Used != tc.used {
				t.Errorf("used = %d, want %d", got.Used, tc.used)
			}
		})
	}
}

func TestOrgPrepare(t *testing.T) {
	valid := func() core.Org { return testOrg() }
	tests := []struct {
		name   string
		mutate func(*core.Org)
		paths  []string // field paths that must be reported
	}{
		{"valid", func(*core.Org) {}, nil},
		{"unknown manager", func(o *core.Org) { o.Employees[0].ManagerID = "nobody" }, []string{"employees[0].manager"}},
		{"unknown site", func(o *core.Org) { o.Employees[1].SiteIDs = []string{"mars"} }, []string{"employees[1].sites[0]"}},
		{"duplicate employee", func(o *core.Org) { o.Employees[1].ID = "E1" }, []string{"employees[1].id"}},
		{"control character in an employee id", func(o *core.Org) { o.Employees[1].ID = "E\x1f2"; o.Employees[0].ManagerID = "" }, []string{"employees[1].id"}},
		{"bad time zone", func(o *core.Org) { o.Employees[0].TimeZone = "Mars/Olympus" }, []string{"employees[0].timezone"}},
		{"impossible site", func(o *core.Org) { o.Sites[0].Lat = 95 }, []string{"sites[0].lat"}},
		{"bad datum", func(o *core.Org) { o.Sites[0].Datum = "bd09" }, []string{"sites[0].datum"}},
		{"end before start", func(o *core.Org) { o.Schedules[0].EndMin = 8 * 60 }, []string{"schedules[0].end"}},
		{"identity bound twice", func(o *core.Org) { o.Employees[1].Identities = o.Employees[0].Identities }, []string{"employees[1].identities[0].user"}},
		{"manager cycle", func(o *core.Org) { o.Employees[0].ManagerID = "E2"; o.Employees[1].ManagerID = "E1" }, []string{"employees"}},
		{"several problems at once", func(o *core.Org) { o.Employees[0].ManagerID = "x"; o.Sites[0].RadiusM = 1 }, []string{"employees[0].manager", "sites[0].radius_m"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.mutate(&o)
			err := o.Prepare()
			var ve *core.ValidationError
			if tc.paths == nil {
				if err != nil {
					t.Fatalf("Prepare() = %v, want nil", err)
				}
				return
			}
			if !errors.As(err, &ve) {
				t.Fatalf("Prepare() = %v, want a *ValidationError", err)
			}
			for _, p := range tc.paths {
				found := false
				for _, f := range ve.Fields {
					found = found || f.Path == p
				}
				if !found {
					t.Errorf("problems %v do not name %s", ve.Fields, p)
				}
			}
		})
	}
}

func TestOrgPrepareConvertsGCJ02SitesOnce(t *testing.T) {
	gLat, gLng := core.WGS84ToGCJ02(office.Lat, office.Lng)
	o := core.Org{Sites: []core.OrgSite{{Site: core.Site{ID: "g", Lat: gLat, Lng: gLng}, Datum: core.GCJ02}}}
	if err := o.Prepare(); err != nil {
		t.Fatal(err)
	}
	s := o.Sites[0]
	if d := core.DistanceM(s.Lat, s.Lng, office.Lat, office.Lng); d > 0.01 || s.RadiusM != core.DefaultRadiusM {
		t.Errorf("site = %+v (%.3f m from the WGS-84 point), want converted with default radius", s, d)
	}
	// What was written stays, for the export to write back.
	if s.Datum != core.GCJ02 || s.Written == nil || *s.Written != (core.LatLng{Lat: gLat, Lng: gLng}) {
		t.Errorf("site = %+v written %v, want datum gcj02 and %v,%v as written", s, s.Written, gLat, gLng)
	}
	if err := o.Prepare(); err != nil || core.DistanceM(o.Sites[0].Lat, o.Sites[0].Lng, office.Lat, office.Lng) > 0.01 {
		t.Errorf("a second Prepare moved the site again")
	}
}

func TestParseClock(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{{"09:00", 540, true}, {"26:00", 1560, true}, {"00:00", 0, true}, {"9:5", 545, true}, {"25:61", 0, false}, {"nine", 0, false}}
	for _, tc := range tests {
		got, err := core.ParseClock(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseClock(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
	if got := core.FormatClock(1560); got != "26:00" {
		t.Errorf("FormatClock(1560) = %s", got)
	}
}

// scriptedSender fails with the queued errors, then succeeds.
type scriptedSender struct {
	mu   sync.Mutex
	errs []error
	sent []int64
}

func (s *scriptedSender) Send(ctx context.Context, m core.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.errs) > 0 {
		err := s.errs[0]
		s.errs = s.errs[1:]
		return err
	}
	s.sent = append(s.sent, m.ID)
	return nil
}

func TestOutboxWorker(t *testing.T) {
	tests := []struct {
		name      string
		errs      []error
		runs      int
		status    string
		attempts  int
		nextAfter time.Duration
	}{
		{"sent first time", nil, 1, core.OutboxSent, 1, 0},
		{"a transient failure backs off", []error{errors.New("timeout")}, 1, core.OutboxPending, 1, time.Second},
		{"the platform's wait is honoured", []error{&core.Error{Code: core.ERATELIMIT, RetryAfter: 30 * time.Second}}, 1, core.OutboxPending, 1, 30 * time.Second},
		{"retried after the backoff", []error{errors.New("timeout")}, 2, core.OutboxSent, 2, 0},
		{"a malformed message fails at once", []error{core.Errorf(core.EINVALID, "bad user")}, 1, core.OutboxFailed, 1, 0},
		{"gives up after max attempts", []error{errors.New("a"), errors.New("b"), errors.New("c")}, 3, core.OutboxFailed, 3, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.punch(t, "zhangsan", core.KindIn, sh(t, "2026-11-26 08:50:00"), north(office, 10), "e")
			sender := &scriptedSender{errs: tc.errs}
			w := &core.OutboxWorker{Store: h.store, Senders: map[core.Platform]core.Sender{core.PlatformWeCom: sender}, Now: h.clock.Now, MaxAttempts: 3}
			for range tc.runs {
				if _, err := w.RunOnce(context.Background()); err != nil {
					t.Fatal(err)
				}
				h.clock.Set(h.clock.Now().Add(time.Hour))
			}
			msg := h.store.Outbox()[0]
			if msg.Status != tc.status || msg.Attempts != tc.attempts {
				t.Errorf("status %s after %d attempts, want %s after %d (last error %q)", msg.Status, msg.Attempts, tc.status, tc.attempts, msg.LastError)
			}
			if tc.nextAfter > 0 {
				sentAt := h.clock.Now().Add(-time.Hour)
				if got := msg.NextAttempt.Sub(sentAt); got != tc.nextAfter {
					t.Errorf("next attempt in %s, want %s", got, tc.nextAfter)
				}
			}
			if tc.status == core.OutboxFailed && msg.LastError == "" {
				t.Errorf("failed without the error recorded")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second} {
		if got := core.Backoff(n, time.Minute); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
	if got := core.Backoff(40, time.Minute); got != time.Minute {
		t.Errorf("Backoff(40) = %s, want the cap", got)
	}
}

func TestErrorHelpers(t *testing.T) {
	wrapped := core.WrapError(core.EUNAVAILABLE, errors.New("dial tcp: refused"), "database down")
	tests := []struct {
		err         error
		code, msg   string
		retryAfterS int
	}{
		{nil, "", "", 0},
		{errors.New("boom"), core.EINTERNAL, "internal error", 0},
		{core.Errorf(core.ENOTFOUND, "no employee %q", "E9"), core.ENOTFOUND, `no employee "E9"`, 0},
		{wrapped, core.EUNAVAILABLE, "database down", 0},
		{&core.Error{Code: core.ERATELIMIT, RetryAfter: 3 * time.Second}, core.ERATELIMIT, "", 3},
	}
	for _, tc := range tests {
		if got := core.ErrorCode(tc.err); got != tc.code {
			t.Errorf("ErrorCode(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if got := core.ErrorMessage(tc.err); got != tc.msg {
			t.Errorf("ErrorMessage(%v) = %q, want %q", tc.err, got, tc.msg)
		}
		if got := int(core.RetryAfter(tc.err).Seconds()); got != tc.retryAfterS {
			t.Errorf("RetryAfter(%v) = %d, want %d", tc.err, got, tc.retryAfterS)
		}
	}
}
