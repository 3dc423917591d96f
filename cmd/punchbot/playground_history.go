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

// historyStats counts what the history holds. Late, Early, Missing,
// Absent and Field are the daily report's counts over the history's dates
// (historyReportCounts), so the summary says what the reports will show.
type historyStats struct {
	People, Days, Punches, Late, Early, Missing, Absent, Field, Makeups, Leave int
	// From and To are the history's first and last dates (YYYY-MM-DD).
	From, To string
	// Replayed counts the history's commands answered from the store: an
	// earlier run wrote them.
	Replayed int
	// filed are the requests this run filed (their cards are queued as
	// usual), as opposed to those an earlier run filed.
	filed map[int64]bool
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
	case x < 3:
		return planSeriousLate
	case x < 10:
		return planLate
	case x < 14:
		return planEarly
	case x < 17:
		return planMissingOut
	case x < 18:
		return planMissingIn
	case x < 19:
		return planAbsent
	case x < 29 && field:
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

// away is a leave or trip request of the history: filed a few days ahead,
// as people plan time off, and decided by the manager the same day.
type away struct {
	args     core.LeaveArgs
	from, to time.Time // the working days it covers, inclusive
	decision core.MakeupStatus
	note     string
}

// awayPlans draws the person's leave and trips. Which kinds a person gets
// depends on their place in the file (n), so every kind is there however
// the seed falls: approved annual leave, a morning of sick leave, a
// rejected personal day, a business trip for field staff, and a leave
// next week still waiting for the manager. days are the person's
// workdays of the previous month; workday tells the days to come.
func awayPlans(n int, field bool, days []time.Time, today time.Time, workday func(time.Time) bool, rng *rand.Rand) []away {
	if len(days) < 12 {
		return nil
	}
	var out []away
	taken := map[int]bool{}
	pick := func(length int) (int, bool) {
		// Not in the month's last week, where the make-ups are.
		for range 8 {
			i := 1 + rng.IntN(len(days)-length-6)
			free := true
			for j := i - 1; j <= i+length; j++ {
				free = free && !taken[j]
			}
			if free {
				for j := i; j < i+length; j++ {
					taken[j] = true
				}
				return i, true
			}
		}
		return 0, false
	}
	date := func(t time.Time) string { return t.Format(core.DateLayout) }
	if n%3 == 0 {
		length := 1 + rng.IntN(2)
		if i, ok := pick(length); ok {
			out = append(out, away{args: core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: date(days[i]), To: date(days[i+length-1]), Reason: "家中有事"},
				from: days[i], to: days[i+length-1], decision: core.MakeupApproved})
		}
	}
	if n%4 == 1 {
		if i, ok := pick(1); ok {
			out = append(out, away{args: core.LeaveArgs{Type: core.RequestLeave, LeaveType: "sick", From: date(days[i]), StartClock: "09:00", EndClock: "13:00", Reason: "上午去医院复查"},
				from: days[i], to: days[i], decision: core.MakeupApproved})
		}
	}
	if n%5 == 2 {
		if i, ok := pick(1); ok {
			out = append(out, away{args: core.LeaveArgs{Type: core.RequestLeave, LeaveType: "personal", From: date(days[i]), Reason: "搬家"},
				from: days[i], to: days[i], decision: core.MakeupRejected, note: "当天项目上线，请改期"})
		}
	}
	if field && n%2 == 0 {
		if i, ok := pick(2); ok {
			place := []string{"杭州 · 阿里巴巴西溪园区", "深圳 · 客户现场", "上海 · 进博会展台"}[rng.IntN(3)]
			out = append(out, away{args: core.LeaveArgs{Type: core.RequestTrip, From: date(days[i]), To: date(days[i+1]), Place: place, Reason: "拜访客户"},
				from: days[i], to: days[i+1], decision: core.MakeupApproved})
		}
	}
	if n%7 == 4 {
		// Next week's Thursday and the day after (or the first working
		// day after a holiday): pending until the manager acts.
		next := today.AddDate(0, 0, 7+int(time.Thursday-today.Weekday()))
		for i := 0; i < 30 && !workday(next); i++ {
			next = next.AddDate(0, 0, 1)
		}
		out = append(out, away{args: core.LeaveArgs{Type: core.RequestLeave, LeaveType: "annual", From: date(next), To: date(next.AddDate(0, 0, 1)), Reason: "回老家"},
			from: next, to: next.AddDate(0, 0, 1), decision: core.MakeupPending})
	}
	return out
}

// demoHistory writes the history: every person's punches, their leave and
// trips, their managers' decisions on field punches, and make-ups for the
// most recent missing punches, approved, rejected and some still waiting.
func demoHistory(ctx context.Context, s *server, org core.Org, realNow time.Time, skip func(employee, date string) bool) (historyStats, error) {
	st := historyStats{filed: map[int64]bool{}}
	clock := &historyClock{t: realNow}
	kv := memory.New(clock.Now)
	cfg := core.DefaultConfig()
	cfg.OfflineTolerance, cfg.Contact = s.cfg.OfflineTolerance, s.cfg.Contact
	svc := core.NewService(s.store, kv, kv, cfg, clock.Now)
	handle := func(cmd core.Command) (core.Reply, error) {
		clock.Set(cmd.ReceivedAt)
		reply, err := svc.Handle(ctx, cmd)
		switch {
		case err != nil:
		case reply.Replayed:
			st.Replayed++
		case (reply.Outcome == core.OutcomeMakeupFiled || reply.Outcome == core.OutcomeFieldPending) && reply.Makeup != nil:
			st.filed[reply.Makeup.Request.ID] = true
		}
		return reply, err
	}
	type missing struct {
		emp    core.Employee
		id     core.Identity
		day    time.Time
		kind   core.PunchKind
		at     int  // minutes after midnight the punch should have been
		recent bool // forced on a recent day, so a make-up for it can still wait
	}
	var gaps []missing
	people := map[string]core.Employee{}
	for _, e := range org.Employees {
		people[e.ID] = e
	}
	// approver is the chat account of whoever the core routed a request
	// to: the manager, or HR for someone without one.
	approver := func(v *core.MakeupView) (core.Identity, bool) {
		if v == nil || v.Request.ID == 0 {
			return core.Identity{}, false
		}
		a, ok := people[v.Request.ApproverID]
		if !ok {
			return core.Identity{}, false
		}
		return chatIdentity(a)
	}
	// One person per manager misses a punch on one of the last workdays:
	// those make-ups are still waiting, so every manager has a card to
	// approve in the playground.
	forced := map[string]bool{}
	n := -1
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
		n++
		st.People++
		zone, sc := r.Zone(), r.Schedule
		site := r.Sites[0]
		today := realNow.In(zone)
		y, m, _ := today.Date()
		first := time.Date(y, m-1, 1, 0, 0, 0, 0, zone)
		midnight := time.Date(y, m, today.Day(), 0, 0, 0, 0, zone)
		if d := first.Format(core.DateLayout); st.From == "" || d < st.From {
			st.From = d
		}
		if d := midnight.AddDate(0, 0, -1).Format(core.DateLayout); d > st.To {
			st.To = d
		}
		var days, prev []time.Time
		for day := first; day.Before(midnight); day = day.AddDate(0, 0, 1) {
			if work, _ := core.DayKind(sc, r.Calendar, day); work {
				days = append(days, day)
				if day.Month() != m {
					prev = append(prev, day)
				}
			}
		}

		// Leave and trips first: their days have no punches, or none in
		// the morning.
		off, morning := map[string]bool{}, map[string]bool{}
		workday := func(d time.Time) bool { work, _ := core.DayKind(sc, r.Calendar, d); return work }
		for _, a := range awayPlans(n, sc.OutOfRange == core.OutOfRangeField, prev, midnight, workday, dayRNG(e.ID, "away")) {
			filed := a.from.AddDate(0, 0, -3).Add(10*time.Hour + time.Duration(dayRNG(e.ID, a.args.From).IntN(3600))*time.Second)
			if a.decision == core.MakeupPending {
				// Within the hour settleHistoryOutbox leaves alone: the
				// card reaches the approver's pane in the playground.
				filed = realNow.Add(-45 * time.Minute)
			}
			reply, err := handle(core.Command{Actor: id, Kind: core.CmdLeave, Leave: &a.args, At: filed, ReceivedAt: filed, Source: string(id.Platform),
				EventID: "demo-history-away-" + e.ID + "-" + a.args.From})
			if err != nil {
				return st, fmt.Errorf("history leave %s %s: %w", e.ID, a.args.From, err)
			}
			if reply.Outcome != core.OutcomeMakeupFiled || reply.Makeup == nil {
				continue
			}
			st.Leave++
			if mgrID, ok := approver(reply.Makeup); ok && a.decision != core.MakeupPending {
				at := filed.Add(90 * time.Minute)
				if _, err := handle(core.Command{Actor: mgrID, Kind: core.CmdMakeupDecide, At: at, ReceivedAt: at, Source: string(mgrID.Platform),
					EventID: "demo-history-away-decide-" + e.ID + "-" + a.args.From,
					Makeup:  &core.MakeupArgs{ID: reply.Makeup.Request.ID, Decision: a.decision, Note: a.note}}); err != nil {
					return st, fmt.Errorf("history leave decision %s %s: %w", e.ID, a.args.From, err)
				}
			}
			if a.decision != core.MakeupApproved {
				continue
			}
			for d := a.from; !d.After(a.to); d = d.AddDate(0, 0, 1) {
				if a.args.StartClock != "" {
					morning[d.Format(core.DateLayout)] = true
				} else {
					off[d.Format(core.DateLayout)] = true
				}
			}
		}

		recent := ""
		if e.ManagerID != "" && !forced[e.ManagerID] && len(days) > len(forced)+2 {
			forced[e.ManagerID] = true
			recent = days[len(days)-1-len(forced)].Format(core.DateLayout)
		}
		for _, day := range days {
			date := day.Format(core.DateLayout)
			if (skip != nil && skip(e.ID, date)) || off[date] {
				continue
			}
			st.Days++
			rng := dayRNG(e.ID, date)
			plan := rollDay(rng, sc.OutOfRange == core.OutOfRangeField)
			if date == recent {
				plan = planMissingOut
				if len(forced)%2 == 0 {
					plan = planMissingIn
				}
			}
			in := sc.StartMin - 5 - rng.IntN(20)
			out := sc.EndMin + 2 + rng.IntN(40)
			if morning[date] {
				// Back from the doctor: the afternoon is required, and on time.
				in, plan = 13*60-15+rng.IntN(14), planNormal
			}
			farIn := false
			switch plan {
			case planLate:
				in = sc.StartMin + sc.FlexibleMin + sc.LateGraceMin + 3 + rng.IntN(15)
			case planSeriousLate:
				in = sc.StartMin + sc.FlexibleMin + max(sc.SeriousLateMin, 30) + 5 + rng.IntN(30)
			}
			if (plan == planLate || plan == planSeriousLate) && rng.IntN(5) < 3 {
				// Most who come late stay late, so the day is late but
				// not also early.
				out = in + (sc.EndMin - sc.StartMin) + rng.IntN(25)
			}
			switch plan {
			case planEarly:
				out = sc.EndMin - 20 - rng.IntN(60)
			case planField:
				farIn = true
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
				mgrID, ok := approver(reply.Makeup)
				if err != nil || reply.Outcome != core.OutcomeFieldPending || !ok {
					return err
				}
				// The manager decides field punches (外勤) within the
				// hour, approving most, so the reports count them.
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
			case planMissingOut:
				gaps = append(gaps, missing{e, id, day, core.KindOut, sc.EndMin, date == recent})
			case planMissingIn:
				gaps = append(gaps, missing{e, id, day, core.KindIn, sc.StartMin, date == recent})
			}
		}
	}
	// Make-ups: the recent gaps wait for their manager (filed just now,
	// since pending requests expire after expire_after_hours); about half
	// of the older ones were filed the same day and decided, mostly
	// approved.
	reasons := []string{"忘记打卡，在客户现场开会", "手机没电，地铁上无法打卡", "系统没有响应，已拍照留证", "Forgot to clock, was in a client meeting"}
	slices.SortStableFunc(gaps, func(a, b missing) int { return b.day.Compare(a.day) })
	perPerson := map[string]int{}
	decided, waiting := 0, 0
	for _, g := range gaps {
		date := g.day.Format(core.DateLayout)
		rng := dayRNG(g.emp.ID, date, "makeup")
		if perPerson[g.emp.ID] == 2 || (!g.recent && rng.IntN(2) == 0) {
			continue
		}
		decision := core.MakeupApproved
		filed := g.day.Add(time.Duration(g.at)*time.Minute + 3*time.Hour)
		switch {
		case g.recent:
			// Within the hour, like the waiting leave.
			decision, filed = core.MakeupPending, realNow.Add(-time.Duration(30-3*min(waiting, 8))*time.Minute)
			waiting++
		case decided%3 == 1:
			decision = core.MakeupRejected
		}
		reason := reasons[rng.IntN(len(reasons))]
		reply, err := handle(core.Command{Actor: g.id, Kind: core.CmdMakeup, ReceivedAt: filed, At: filed, Source: string(g.id.Platform),
			EventID: "demo-history-makeup-" + g.emp.ID + "-" + date,
			Makeup:  &core.MakeupArgs{Date: date, Clock: fmt.Sprintf("%02d:%02d", g.at/60, g.at%60), Kind: g.kind, Reason: reason}})
		if err != nil {
			return st, fmt.Errorf("history make-up %s %s: %w", g.emp.ID, date, err)
		}
		if reply.Outcome != core.OutcomeMakeupFiled || reply.Makeup == nil || reply.Makeup.Request.ID == 0 {
			continue // refused: past the deadline or the month's quota
		}
		st.Makeups++
		perPerson[g.emp.ID]++
		mgrID, ok := approver(reply.Makeup)
		if decision == core.MakeupPending || !ok {
			continue
		}
		decided++
		at := filed.Add(time.Duration(30+rng.IntN(120)) * time.Minute)
		note := ""
		if decision == core.MakeupRejected {
			note = "请补充证明后重新提交"
		}
		if _, err := handle(core.Command{Actor: mgrID, Kind: core.CmdMakeupDecide, ReceivedAt: at, At: at, Source: string(mgrID.Platform),
			EventID: "demo-history-decide-" + g.emp.ID + "-" + date,
			Makeup:  &core.MakeupArgs{ID: reply.Makeup.Request.ID, Decision: decision, Note: note}}); err != nil {
			return st, fmt.Errorf("history decision %s %s: %w", g.emp.ID, date, err)
		}
	}
	if err := historyReportCounts(ctx, s.store, &st, realNow, skip); err != nil {
		return st, fmt.Errorf("history report: %w", err)
	}
	return st, nil
}

// historyReportCounts sets st's late, early, missing, absent and field
// counts from the daily report of the history's dates, built by the same
// core.BuildDailyReport the reports use and counted as the monthly report
// counts its days (core.MonthlyRowOf: seriously late is late), so the
// summary and the reports agree. What the history planned differs: a
// late arrival who leaves on time is late and early, a field punch the
// manager rejected makes no field day, an approved make-up fills a gap.
// The days skip leaves to the story are not the history's: counted before
// the story punches, the story's day would be absent on a first run only.
func historyReportCounts(ctx context.Context, src core.ReportSource, st *historyStats, now time.Time, skip func(employee, date string) bool) error {
	st.Late, st.Early, st.Missing, st.Absent, st.Field = 0, 0, 0, 0, 0
	if st.From == "" || st.To < st.From {
		return nil // nobody to punch, or no day before today
	}
	rep, err := core.BuildDailyReport(ctx, src, st.From, st.To, core.ScopeAll(), now)
	if err != nil {
		return err
	}
	for _, r := range rep.Rows {
		if skip != nil && skip(r.EmployeeID, r.Date) {
			continue
		}
		for _, status := range r.Statuses {
			switch status {
			case core.DayLate, core.DaySeriousLate:
				st.Late++
			case core.DayEarlyLeave:
				st.Early++
			case core.DayMissingIn, core.DayMissingOut:
				st.Missing++
			case core.DayAbsent:
				st.Absent++
			case core.DayField:
				st.Field++
			}
		}
	}
	return nil
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

// resendWaitingCards queues again the approval cards of the requests an
// earlier run left waiting, when the history was already in the file: the
// cards went to that run's simulators, which kept them in memory, so
// without this a rerun's panes would show none of them although the
// requests still wait. Left out are the requests this run filed (their
// cards are queued already) and those whose first card is still queued:
// none on record and due after cutoff, which settleHistoryOutbox left for
// this run's workers (an earlier run filed it but stopped, or did not
// serve, before sending it). occasion is the run's, so a second call in
// the same run sends nothing more. It returns how many requests it resent
// cards for.
func resendWaitingCards(ctx context.Context, s *server, hist historyStats, cutoff time.Time, occasion string) (int, error) {
	if hist.Replayed == 0 {
		return 0, nil // a first run: every card is on its way already
	}
	pending, err := s.svc.ListMakeups(ctx, core.MakeupFilter{Statuses: []core.MakeupStatus{core.MakeupPending}})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, m := range pending {
		if hist.filed[m.ID] {
			continue
		}
		refs, err := s.svc.CardRefs(ctx, m.ID)
		if err != nil {
			return n, err
		}
		// The requester's own submitted card (CardRef.Requester) says
		// nothing of whether the approval card went out.
		refs = slices.DeleteFunc(refs, func(r core.CardRef) bool { return r.Requester })
		if len(refs) == 0 && !m.CreatedAt.Before(cutoff) {
			continue
		}
		cards, err := s.svc.ResendApprovalCards(ctx, m.ID, occasion)
		if err != nil {
			return n, fmt.Errorf("resend the card of request %d: %w", m.ID, err)
		}
		if cards > 0 {
			n++
		}
	}
	return n, nil
}
