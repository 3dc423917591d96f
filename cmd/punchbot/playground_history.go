package main

import (
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/punchbot/punchbot/adapters/memory"
	"github.com/punchbot/punchbot/core"
)

// The demo's history: the previous month and the current one up to
// yesterday, punched through the real core for every employee with a
// schedule and a site, so that the exceptions page, the approvals and the
// monthly report have something believable to show. Each person's day is
// drawn from a generator seeded by (employee, date), and every event id
// is fixed, so a second run replays instead of adding duplicates, and a
// run a day later adds only the new day.

// historyClock is the clock of the history's core: it stands at each
// punch's time, so the rules (windows, deadlines, rate limits) judge the
// punch as they would have on that day.
type historyClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *historyClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *historyClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// historyStats counts what the history holds.
type historyStats struct {
	Days, Punches, Late, Early, Missing, Absent, Field, Makeups int
}

// dayPlan is one person's day.
type dayPlan int

const (
	planNormal dayPlan = iota
	planLate
	planSeriousLate
	planEarly
	planMissingOut
	planMissingIn
	planAbsent
	planField
)

// rollDay draws a plan: most days on time; some late, seriously late,
// early, a punch missing, absent, or (for field schedules) a client visit.
func rollDay(rng *rand.Rand, field bool) dayPlan {
	switch x := rng.IntN(100); {
	case x < 9:
		return planLate
	case x < 12:
		return planSeriousLate
	case x < 17:
		return planEarly
	case x < 21:
		return planMissingOut
	case x < 23:
		return planMissingIn
	case x < 25:
		return planAbsent
	case x < 35 && field:
		return planField
	}
	return planNormal
}

func dayRNG(parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
	}
	return rand.New(rand.NewPCG(h.Sum64(), 2026))
}

// chatIdentity is the person's preferred chat account (the org file lists
// it first), else the web one.
func chatIdentity(e core.Employee) (core.Identity, bool) {
	for _, id := range e.Identities {
		if id.Platform != core.PlatformWeb {
			return id, true
		}
	}
	if len(e.Identities) > 0 {
		return e.Identities[0], true
	}
	return core.Identity{}, false
}

// demoHistory writes the history and files three make-ups on the last
// workdays: one approved, one rejected, one still waiting for the manager.
func demoHistory(ctx context.Context, s *server, org core.Org, realNow time.Time, skip func(employee, date string) bool) (historyStats, error) {
	var st historyStats
	clock := &historyClock{t: realNow}
	kv := memory.New(clock.Now)
	cfg := core.DefaultConfig()
	cfg.OfflineTolerance, cfg.Contact = s.cfg.OfflineTolerance, s.cfg.Contact
	svc := core.NewService(s.store, kv, kv, cfg, clock.Now)
	handle := func(cmd core.Command) (core.Reply, error) {
		clock.Set(cmd.ReceivedAt)
		return svc.Handle(ctx, cmd)
	}
	type missing struct {
		emp  core.Employee
		id   core.Identity
		day  time.Time
		kind core.PunchKind
		at   int // minutes after midnight the punch should have been
	}
	var gaps []missing
	managed := 0
	managers := map[string]core.Employee{}
	for _, e := range org.Employees {
		managers[e.ID] = e
	}
	for _, e := range org.Employees {
		if !e.Active || e.ScheduleID == "" || len(e.SiteIDs) == 0 {
			continue
		}
		id, ok := chatIdentity(e)
		if !ok {
			continue
		}
		r, err := s.svc.Roster(ctx, e.ID)
		if err != nil || r.Schedule == nil || len(r.Sites) == 0 {
			continue
		}
		zone, sc := r.Zone(), r.Schedule
		site := r.Sites[0]
		today := realNow.In(zone)
		y, m, _ := today.Date()
		first := time.Date(y, m-1, 1, 0, 0, 0, 0, zone)
		var days []time.Time
		for day := first; day.Before(time.Date(y, m, today.Day(), 0, 0, 0, 0, zone)); day = day.AddDate(0, 0, 1) {
			if work, _ := core.DayKind(sc, r.Calendar, day); work {
				days = append(days, day)
			}
		}
		// Each managed person misses a punch on one of the last workdays,
		// the newest first: those become the make-ups below.
		forced := ""
		if e.ManagerID != "" && len(days) > managed+1 {
			forced = days[len(days)-2-managed].Format(core.DateLayout)
			managed++
		}
		for _, day := range days {
			date := day.Format(core.DateLayout)
			if skip != nil && skip(e.ID, date) {
				continue
			}
			st.Days++
			rng := dayRNG(e.ID, date)
			plan := rollDay(rng, sc.OutOfRange == core.OutOfRangeField)
			if date == forced {
				plan = planMissingOut
				if managed%2 == 0 {
					plan = planMissingIn
				}
			}
			in := sc.StartMin - 5 - rng.IntN(20)
			out := sc.EndMin + 2 + rng.IntN(40)
			farIn := false
			switch plan {
			case planLate:
				in = sc.StartMin + sc.FlexibleMin + sc.LateGraceMin + 3 + rng.IntN(15)
				st.Late++
			case planSeriousLate:
				in = sc.StartMin + sc.FlexibleMin + max(sc.SeriousLateMin, 30) + 5 + rng.IntN(30)
				st.Late++
			case planEarly:
				out = sc.EndMin - 20 - rng.IntN(60)
				st.Early++
			case planField:
				farIn = true
				st.Field++
			}
			at := func(min int) time.Time {
				return day.Add(time.Duration(min) * time.Minute).Add(time.Duration(rng.IntN(50)) * time.Second)
			}
			punch := func(kind core.PunchKind, min int, far bool, slot string) error {
				north := 10 + rng.Float64()*60
				if far {
					north = site.RadiusM + 2500 + rng.Float64()*500
				}
				lat, lng := site.Lat+north/111320, site.Lng+(rng.Float64()-0.5)*0.0004
				loc := &core.Location{Lat: lat, Lng: lng, AccuracyM: 8 + float64(rng.IntN(25)), Datum: core.WGS84, Label: site.Name}
				if id.Platform == core.PlatformWeCom || id.Platform == core.PlatformFeishu {
					loc.Lat, loc.Lng = core.WGS84ToGCJ02(lat, lng)
					loc.Datum = core.GCJ02
				}
				t := at(min)
				reply, err := handle(core.Command{Actor: id, Kind: core.CmdPunch, Punch: kind, At: t, ReceivedAt: t, Location: loc,
					Source: string(id.Platform), EventID: "demo-history-" + e.ID + "-" + date + "-" + slot})
				st.Punches++
				if err == nil && reply.Outcome == core.OutcomeConfirm {
					// An early clock-out asks "sure?"; the person taps 确认
					// a few seconds later.
					t = t.Add(time.Duration(3+rng.IntN(10)) * time.Second)
					reply, err = handle(core.Command{Actor: id, Kind: core.CmdConfirm, At: t, ReceivedAt: t, Source: string(id.Platform),
						EventID: "demo-history-" + e.ID + "-" + date + "-" + slot + "-confirm"})
				}
				if err != nil || reply.Outcome != core.OutcomeFieldPending || reply.Makeup == nil {
					return err
				}
				// The manager decides field punches (外勤) within the
				// hour, approving most, so the reports count them.
				mgr, ok := managers[e.ManagerID]
				mgrID, ok2 := chatIdentity(mgr)
				if !ok || !ok2 {
					return nil
				}
				decision := core.MakeupApproved
				if rng.IntN(4) == 0 {
					decision = core.MakeupRejected
				}
				t = t.Add(time.Duration(20+rng.IntN(40)) * time.Minute)
				_, err = handle(core.Command{Actor: mgrID, Kind: core.CmdMakeupDecide, At: t, ReceivedAt: t, Source: string(mgrID.Platform),
					EventID: "demo-history-field-" + e.ID + "-" + date, Makeup: &core.MakeupArgs{ID: reply.Makeup.Request.ID, Decision: decision}})
				return err
			}
			if plan != planAbsent && plan != planMissingIn {
				if err := punch(core.KindIn, in, farIn, "in"); err != nil {
					return st, fmt.Errorf("history punch %s %s: %w", e.ID, date, err)
				}
			}
			if plan != planAbsent && plan != planMissingOut {
				if err := punch(core.KindOut, out, false, "out"); err != nil {
					return st, fmt.Errorf("history punch %s %s: %w", e.ID, date, err)
				}
			}
			switch plan {
			case planAbsent:
				st.Absent++
			case planMissingOut:
				st.Missing++
				gaps = append(gaps, missing{e, id, day, core.KindOut, sc.EndMin})
			case planMissingIn:
				st.Missing++
				gaps = append(gaps, missing{e, id, day, core.KindIn, sc.StartMin})
			}
		}
	}
	// Make-ups for the three most recent gaps of people with a manager:
	// approved, rejected, and pending (filed recently enough to be open).
	decisions := []core.MakeupStatus{core.MakeupPending, core.MakeupRejected, core.MakeupApproved}
	reasons := []string{"忘记打卡，在客户现场开会", "手机没电，地铁上无法打卡", "系统没有响应，已拍照留证"}
	n := 0
	slices.SortStableFunc(gaps, func(a, b missing) int { return b.day.Compare(a.day) })
	for _, g := range gaps {
		if n == len(decisions) {
			break
		}
		mgr, ok := managers[g.emp.ManagerID]
		if !ok || realNow.Sub(g.day) > 20*24*time.Hour {
			continue
		}
		mgrID, ok := chatIdentity(mgr)
		if !ok {
			continue
		}
		filed := g.day.Add(time.Duration(g.at)*time.Minute + 3*time.Hour)
		if decisions[n] == core.MakeupPending {
			// Pending requests expire after 72 hours; file this one
			// recently so it is still waiting for the manager.
			filed = realNow.Add(-20 * time.Minute)
		}
		date := g.day.Format(core.DateLayout)
		reply, err := handle(core.Command{Actor: g.id, Kind: core.CmdMakeup, ReceivedAt: filed, At: filed, Source: string(g.id.Platform),
			EventID:    "demo-history-makeup-" + g.emp.ID + "-" + date,
			Makeup:     &core.MakeupArgs{Date: date, Clock: fmt.Sprintf("%02d:%02d", g.at/60, g.at%60), Kind: g.kind, Reason: reasons[n]},
			ReplyRoute: ""})
		if err != nil {
			return st, fmt.Errorf("history make-up %s %s: %w", g.emp.ID, date, err)
		}
		st.Makeups++
		if decisions[n] != core.MakeupPending && reply.Makeup != nil && reply.Makeup.Request.ID > 0 {
			at := filed.Add(50 * time.Minute)
			note := ""
			if decisions[n] == core.MakeupRejected {
				note = "请补充证明后重新提交"
			}
			if _, err := handle(core.Command{Actor: mgrID, Kind: core.CmdMakeupDecide, ReceivedAt: at, At: at, Source: string(mgrID.Platform),
				EventID: "demo-history-decide-" + g.emp.ID + "-" + date,
				Makeup:  &core.MakeupArgs{ID: reply.Makeup.Request.ID, Decision: decisions[n], Note: note}}); err != nil {
				return st, fmt.Errorf("history decision %s %s: %w", g.emp.ID, date, err)
			}
		}
		n++
	}
	return st, nil
}

// settleHistoryOutbox marks the history's messages due before cutoff as
// delivered when they were due: they belong to days that are over, and a
// person would have read them then. Only the newer ones (the make-up still
// waiting for the manager) reach the playground's panes.
func settleHistoryOutbox(ctx context.Context, s *server, cutoff time.Time) (int, error) {
	n := 0
	for p := range s.senders {
		for {
			batch, err := s.store.ClaimOutbox(ctx, p, 100, cutoff, time.Minute)
			if err != nil {
				return n, err
			}
			if len(batch) == 0 {
				break
			}
			for _, m := range batch {
				m.Status, m.SentAt, m.LastError = core.OutboxSent, m.NextAttempt, ""
				if err := s.store.FinishOutbox(ctx, m); err != nil {
					return n, err
				}
				n++
			}
		}
	}
	return n, nil
}
