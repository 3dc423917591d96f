package coretest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// ReportStore is what reports, the console, the retention job and erasure
// need on top of Store. MemStore, adapters/sqlite and adapters/postgres
// implement it.
type ReportStore interface {
	Store
	core.ReportSource
	core.RetentionStore
	core.EraseStore
	core.AuditFinder
	core.OrgInfoStore
}

// RunReportStoreSuite is the conformance suite of the report, retention,
// erasure and audit-listing methods. open returns a fresh, empty store for
// one subtest and registers its own cleanup on t.
func RunReportStoreSuite(t *testing.T, open func(t *testing.T) ReportStore) {
	cases := []struct {
		name string
		run  func(t *testing.T, s ReportStore)
	}{
		{"OrgInfo", rsOrgInfo},
		{"ScanShiftPunches", rsScan},
		{"ScanStopsOnError", rsScanError},
		{"ClaimRetentionRun", rsClaim},
		{"ReducePunches", rsReduce},
		{"ConcurrentReducePunches", rsConcurrentReduce},
		{"PruneReplies", rsPruneReplies},
		{"ErasePersonalData", rsErase},
		{"FindAudit", rsFindAudit},
		{"Approvals", rsApprovals}, // makeupsuite.go
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

func rsOrgInfo(t *testing.T, s ReportStore) {
	ctx := context.Background()
	info, err := s.OrgInfo(ctx)
	if err != nil || info != (core.OrgInfo{}) {
		t.Errorf("OrgInfo before any apply = %+v, %v; want the zero value", info, err)
	}
	org := stOrg(t)
	org.Lang = "en"
	stMustApply(t, s, org)
	info, err = s.OrgInfo(ctx)
	if want := (core.OrgInfo{Name: "Acme", Lang: "en", TimeZone: "Asia/Shanghai"}); err != nil || info != want {
		t.Errorf("OrgInfo = %+v, %v; want %+v", info, err, want)
	}
	org.Lang, org.Name = "zh", "Acme 2"
	stMustApply(t, s, org)
	if info, _ = s.OrgInfo(ctx); info.Lang != "zh" || info.Name != "Acme 2" {
		t.Errorf("OrgInfo after a second apply = %+v, want the second file's", info)
	}
}

// rsPunch is a punch of employee on a shift date at hh:mm Shanghai time.
func rsPunch(employee, date string, hh, mm int, kind core.PunchKind, outcome core.Outcome) core.Punch {
	d, _ := time.ParseInLocation(core.DateLayout, date, time.FixedZone("CST", 8*3600))
	at := d.Add(time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute)
	return core.Punch{EmployeeID: employee, Kind: kind, At: at, ReceivedAt: at, ShiftDate: date, Source: "wecom",
		HasLocation: true, Lat: 39.9962, Lng: 116.4811, AccuracyM: 20, Label: "T1", SiteID: "hq", DistanceM: 14, ClientIP: "10.1.2.3",
		Outcome: outcome, TimeResult: core.TimeNormal, Flags: []string{core.FlagOfflineDelay}}
}

func rsScan(t *testing.T, s ReportStore) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	acc, rej := core.OutcomeAccepted, core.OutcomeRejected
	// Inserted out of order on purpose.
	for _, p := range []core.Punch{
		rsPunch("li", "2026-11-26", 18, 0, core.KindOut, acc),
		rsPunch("boss", "2026-11-25", 9, 0, core.KindIn, acc),
		rsPunch("li", "2026-11-25", 8, 55, core.KindIn, acc),
		rsPunch("li", "2026-11-26", 8, 50, core.KindIn, rej),
		rsPunch("li", "2026-11-26", 8, 59, core.KindIn, core.OutcomeField),
		rsPunch("alice", "2026-11-30", 9, 0, core.KindIn, acc), // outside the range
		rsPunch("boss", "2026-11-24", 9, 0, core.KindIn, acc),  // outside the range
	} {
		stMustInsertPunch(t, s, p)
	}
	type key struct {
		emp, date string
		hh, mm    int
		out       core.Outcome
	}
	scan := func(r core.ShiftRange) []key {
		t.Helper()
		var got []key
		err := s.ScanShiftPunches(ctx, r, func(p core.Punch) error {
			local := p.At.In(time.FixedZone("CST", 8*3600))
			got = append(got, key{p.EmployeeID, p.ShiftDate, local.Hour(), local.Minute(), p.Outcome})
			if p.Label != "T1" || p.SiteID != "hq" || !slices.Equal(p.Flags, []string{core.FlagOfflineDelay}) {
				t.Errorf("scanned punch lost fields: %+v", p)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ScanShiftPunches(%+v): %v", r, err)
		}
		return got
	}
	stDiff(t, "all punches of 25-26 Nov", scan(core.ShiftRange{From: "2026-11-25", To: "2026-11-26"}), []key{
		{"boss", "2026-11-25", 9, 0, acc},
		{"li", "2026-11-25", 8, 55, acc},
		{"li", "2026-11-26", 8, 50, rej},
		{"li", "2026-11-26", 8, 59, core.OutcomeField},
		{"li", "2026-11-26", 18, 0, acc},
	})
	stDiff(t, "valid punches of li", scan(core.ShiftRange{From: "2026-11-25", To: "2026-11-26", ValidOnly: true, EmployeeIDs: []string{"li"}}), []key{
		{"li", "2026-11-25", 8, 55, acc},
		{"li", "2026-11-26", 8, 59, core.OutcomeField},
		{"li", "2026-11-26", 18, 0, acc},
	})
	if got := scan(core.ShiftRange{From: "2026-11-25", To: "2026-11-26", EmployeeIDs: []string{}}); len(got) != 0 {
		t.Errorf("an empty employee list selected %v, want nothing", got)
	}
	// A lean scan keeps what reports read.
	var lean []core.Punch
	err := s.ScanShiftPunches(ctx, core.ShiftRange{From: "2026-11-26", To: "2026-11-26", ValidOnly: true, Lean: true}, func(p core.Punch) error {
		lean = append(lean, p)
		return nil
	})
	want := rsPunch("li", "2026-11-26", 8, 59, core.KindIn, core.OutcomeField)
	if err != nil || len(lean) != 2 {
		t.Fatalf("lean scan = %d punches, %v; want 2", len(lean), err)
	}
	got := lean[0]
	if got.EmployeeID != want.EmployeeID || got.Kind != want.Kind || !got.At.Equal(want.At) || got.ShiftDate != want.ShiftDate || got.Source != want.Source ||
		got.SiteID != want.SiteID || got.Outcome != want.Outcome || !slices.Equal(got.Flags, want.Flags) || !got.Valid() {
		t.Errorf("lean punch = %+v, want the report fields of %+v", got, want)
	}
}

func rsScanError(t *testing.T, s ReportStore) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	for i := range 3 {
		stMustInsertPunch(t, s, rsPunch("li", "2026-11-25", 9, i, core.KindIn, core.OutcomeAccepted))
	}
	stop := errors.New("stop")
	n := 0
	err := s.ScanShiftPunches(ctx, core.ShiftRange{From: "2026-11-01", To: "2026-11-30"}, func(core.Punch) error {
		n++
		return stop
	})
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("ScanShiftPunches = %v after %d calls, want the callback's error after 1", err, n)
	}
}

func rsClaim(t *testing.T, s ReportStore) {
	ctx := context.Background()
	ok, err := s.ClaimRetentionRun(ctx, "2026-11-26", stNow)
	if err != nil || !ok {
		t.Fatalf("first claim = %v, %v; want true", ok, err)
	}
	if ok, err = s.ClaimRetentionRun(ctx, "2026-11-26", stNow.Add(time.Hour)); err != nil || ok {
		t.Errorf("second claim of the same day = %v, %v; want false", ok, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 8 {
		wg.Go(func() {
			ok, err := s.ClaimRetentionRun(ctx, "2026-11-27", stNow)
			if err != nil {
				t.Errorf("concurrent claim: %v", err)
			}
			if ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d of 8 concurrent claims won, want exactly 1", wins)
	}
}

func rsReduce(t *testing.T, s ReportStore) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	old1 := rsPunch("li", "2026-10-12", 9, 0, core.KindIn, core.OutcomeAccepted)
	old1.EventID = "ev-old1"
	old1 = stMustInsertPunch(t, s, old1)
	old2 := rsPunch("li", "2026-10-12", 18, 0, core.KindOut, core.OutcomeRejected)
	old2.DistanceM, old2.Reasons = 1234, []string{core.ReasonOutOfRange}
	old2 = stMustInsertPunch(t, s, old2)
	old3 := stMustInsertPunch(t, s, rsPunch("boss", "2026-10-13", 9, 0, core.KindIn, core.OutcomeAccepted))
	recent := rsPunch("li", "2026-11-25", 9, 0, core.KindIn, core.OutcomeAccepted)
	recent.EventID = "ev-recent"
	recent = stMustInsertPunch(t, s, recent)
	// The event records of the old punch, of the recent one, and of an old
	// command that stored no punch (a make-up request, say).
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, e := range []core.EventRecord{
			{Source: "wecom", EventID: "ev-old1", EmployeeID: "li", Reply: core.Reply{Outcome: core.OutcomeAccepted, DistanceM: 14, AccuracyM: 20}, CreatedAt: old1.At},
			{Source: "wecom", EventID: "ev-recent", EmployeeID: "li", Reply: core.Reply{Outcome: core.OutcomeAccepted}, CreatedAt: recent.At},
			{Source: "wecom", EventID: "ev-makeup", EmployeeID: "li", Reply: core.Reply{Outcome: core.OutcomeMakeupFiled}, CreatedAt: old1.At},
		} {
			if err := tx.InsertEvent(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	cutoff := stNow.Add(-30 * 24 * time.Hour)

	n, err := s.ReducePunches(ctx, cutoff, 2, core.ReducePunch)
	if err != nil || n != 2 {
		t.Fatalf("ReducePunches(limit 2) = %d, %v; want 2", n, err)
	}
	n, err = s.ReducePunches(ctx, cutoff, 2, core.ReducePunch)
	if err != nil || n != 1 {
		t.Fatalf("second ReducePunches = %d, %v; want the 1 left", n, err)
	}
	if n, err = s.ReducePunches(ctx, cutoff, 2, core.ReducePunch); err != nil || n != 0 {
		t.Errorf("third ReducePunches = %d, %v; want 0 (idempotent)", n, err)
	}
	byID := map[int64]core.Punch{}
	for _, p := range stMustListPunches(t, s, core.PunchFilter{}) {
		byID[p.ID] = stNormPunch(p)
	}
	for _, want := range []core.Punch{core.ReducePunch(old1), core.ReducePunch(old2), core.ReducePunch(old3), recent} {
		stDiff(t, fmt.Sprintf("punch %d", want.ID), byID[want.ID], stNormPunch(want))
	}
	if p := byID[old2.ID]; p.DistanceM != 5000 || core.DistanceBand(p.DistanceM) != "1–5 km" || !p.LocationReduced() || p.Precise() {
		t.Errorf("reduced rejected attempt = %+v, want the 1–5 km band and no precise data", p)
	}
	if p := byID[recent.ID]; !p.Precise() || p.Lat == 0 {
		t.Errorf("a recent punch was reduced: %+v", p)
	}
	_, err = s.EventReply(ctx, "wecom", "ev-old1")
	stWantCode(t, "EventReply of a reduced punch's event", err, core.ENOTFOUND)
	for _, id := range []string{"ev-recent", "ev-makeup"} {
		if _, err := s.EventReply(ctx, "wecom", id); err != nil {
			t.Errorf("EventReply(%s) = %v; want it kept", id, err)
		}
	}
	p, err := s.PunchByEvent(ctx, "wecom", "ev-old1")
	if err != nil {
		t.Fatalf("PunchByEvent(ev-old1): %v", err)
	}
	stDiff(t, "PunchByEvent(ev-old1)", stNormPunch(p), stNormPunch(core.ReducePunch(old1)))
}

func rsConcurrentReduce(t *testing.T, s ReportStore) {
	ctx := context.Background()
	stMustApply(t, s, stOrg(t))
	const n = 60
	for i := range n {
		stMustInsertPunch(t, s, rsPunch("li", "2026-10-12", 9, i%60, core.KindIn, core.OutcomeAccepted))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	total := 0
	for range 4 {
		wg.Go(func() {
			for {
				k, err := s.ReducePunches(ctx, stNow, 7, core.ReducePunch)
				if err != nil {
					t.Errorf("concurrent ReducePunches: %v", err)
					return
				}
				mu.Lock()
				total += k
				mu.Unlock()
				if k == 0 {
					return
				}
			}
		})
	}
	wg.Wait()
	if total != n {
		t.Errorf("replicas reduced %d punches in total, want each of the %d exactly once", total, n)
	}
	for _, p := range stMustListPunches(t, s, core.PunchFilter{}) {
		if p.Precise() {
			t.Errorf("punch %d still precise after the concurrent runs", p.ID)
		}
	}
}

func rsErase(t *testing.T, s ReportStore) {
	ctx := context.Background()
	org := stOrg(t)
	stMustApply(t, s, org)
	audit := func(r core.ErasureResult) core.AuditEntry {
		return core.AuditEntry{At: stNow, Actor: "admin", Action: "employee.erased", Subject: "gone", Detail: fmt.Sprintf(`{"punches":%d}`, r.Punches)}
	}
	_, err := s.ErasePersonalData(ctx, "nobody", core.ReducePunch, audit)
	stWantCode(t, "erase unknown", err, core.ENOTFOUND)
	_, err = s.ErasePersonalData(ctx, "li", core.ReducePunch, audit)
	stWantCode(t, "erase active", err, core.ECONFLICT)
	if e, _ := s.Employee(ctx, "li"); e.Name != "李雷" || len(e.Identities) != 2 {
		t.Errorf("a refused erasure changed li: %+v", e)
	}

	// What gone left behind: punches (one rejected), a make-up, a recorded
	// reply, a delivered and a pending message about them, and li's data.
	in := rsPunch("gone", "2026-11-02", 9, 20, core.KindIn, core.OutcomeAccepted)
	in = stMustInsertPunch(t, s, in)
	out := stMustInsertPunch(t, s, rsPunch("gone", "2026-11-02", 18, 0, core.KindOut, core.OutcomeAccepted))
	rej := stMustInsertPunch(t, s, rsPunch("gone", "2026-11-03", 9, 0, core.KindIn, core.OutcomeRejected))
	liP := stMustInsertPunch(t, s, rsPunch("li", "2026-11-02", 9, 0, core.KindIn, core.OutcomeAccepted))
	mk := core.MakeupRequest{EmployeeID: "gone", ShiftDate: "2026-11-03", Kind: core.KindIn, At: stNow.Add(-23 * 24 * time.Hour),
		Reason: "地铁故障，医院证明", Evidence: []string{"file-1"}, Status: core.MakeupApproved, Note: "ok 张经理", CreatedAt: stNow, Place: "协和医院"}
	liMk := core.MakeupRequest{EmployeeID: "li", ShiftDate: "2026-11-03", Kind: core.KindIn, At: stNow, Reason: "keep", Status: core.MakeupPending, CreatedAt: stNow}
	stMustInTx(t, s, func(tx core.Tx) error {
		if err := tx.InsertMakeup(ctx, &mk); err != nil {
			return err
		}
		if err := tx.InsertMakeup(ctx, &liMk); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "ev-gone", EmployeeID: "gone", Reply: core.Reply{EmployeeName: "Former"}, CreatedAt: stNow}); err != nil {
			return err
		}
		if err := tx.InsertEvent(ctx, core.EventRecord{Source: "wecom", EventID: "ev-li", EmployeeID: "li", CreatedAt: stNow}); err != nil {
			return err
		}
		for _, m := range []core.OutboxMessage{
			{Platform: core.PlatformWeCom, Route: `{"touser":"gone"}`, Kind: "reply", Payload: []byte(`{"Outcome":"accepted","EmployeeID":"gone","EmployeeName":"Former"}`), DedupeKey: "d1"},
			{Platform: core.PlatformWeCom, Route: `{"platform":"wecom","user_id":"gone","employee_id":"gone"}`, Kind: "reminder", Payload: []byte(`{}`), DedupeKey: "d2"},
			{Platform: core.PlatformWeCom, Route: `{"touser":"lilei"}`, Kind: "reply", Payload: []byte(`{"EmployeeID":"li"}`), DedupeKey: "d3"},
		} {
			m.Status, m.CreatedAt, m.NextAttempt = core.OutboxPending, stNow, stNow
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	// Deliver the first and the third; the second stays pending.
	msgs, err := s.ClaimOutbox(ctx, core.PlatformWeCom, 10, stNow, time.Minute)
	if err != nil || len(msgs) != 3 {
		t.Fatalf("ClaimOutbox = %d, %v; want 3", len(msgs), err)
	}
	for _, m := range msgs {
		if m.DedupeKey == "d2" {
			m.Status, m.Attempts, m.NextAttempt, m.LastError = core.OutboxPending, 1, stNow, "try later"
		} else {
			m.Status, m.Attempts, m.SentAt = core.OutboxSent, 1, stNow
		}
		if err := s.FinishOutbox(ctx, m); err != nil {
			t.Fatalf("FinishOutbox: %v", err)
		}
	}

	res, err := s.ErasePersonalData(ctx, "gone", core.ReducePunch, audit)
	if err != nil {
		t.Fatalf("ErasePersonalData: %v", err)
	}
	stDiff(t, "erasure result", res, core.ErasureResult{Punches: 3, Identities: 1, Makeups: 1, Events: 1, Outbox: 1})
	e, err := s.Employee(ctx, "gone")
	if err != nil || e.Name != core.ErasedName || len(e.Identities) != 0 || e.Active {
		t.Errorf("erased employee = %+v, %v; want no name and no identities", e, err)
	}
	_, err = s.FindIdentity(ctx, core.PlatformWeCom, "corp1", "gone")
	stWantCode(t, "identity of the erased employee", err, core.ENOTFOUND)
	byID := map[int64]core.Punch{}
	for _, p := range stMustListPunches(t, s, core.PunchFilter{}) {
		byID[p.ID] = stNormPunch(p)
	}
	for _, p := range []core.Punch{in, out, rej} {
		stDiff(t, fmt.Sprintf("erased punch %d", p.ID), byID[p.ID], stNormPunch(core.ReducePunch(p)))
	}
	stDiff(t, "li's punch", byID[liP.ID], stNormPunch(liP))
	var mks []core.MakeupRequest
	stMustInTx(t, s, func(tx core.Tx) error {
		var err error
		mks, err = tx.ListMakeups(ctx, core.MakeupFilter{})
		return err
	})
	for _, m := range mks {
		switch m.EmployeeID {
		case "gone":
			if m.Reason != "" || len(m.Evidence) != 0 || m.Note != "" || m.Place != "" || m.Status != core.MakeupApproved || m.ShiftDate != "2026-11-03" {
				t.Errorf("erased make-up = %+v, want reason, evidence, note and place gone, status and slot kept", m)
			}
		case "li":
			if m.Reason != "keep" {
				t.Errorf("li's make-up changed: %+v", m)
			}
		}
	}
	if _, err := s.EventReply(ctx, "wecom", "ev-gone"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("the erased employee's event record is still there (%v)", err)
	}
	if _, err := s.EventReply(ctx, "wecom", "ev-li"); err != nil {
		t.Errorf("li's event record: %v", err)
	}
	if d := stMustDepth(t, s); d != 1 {
		t.Errorf("outbox depth = %d, want the pending message kept", d)
	}
	entries, err := s.FindAudit(ctx, core.AuditFilter{Subject: "gone", Action: "employee.erased"})
	if err != nil || len(entries) != 1 || entries[0].Detail != `{"punches":3}` {
		t.Errorf("erasure audit = %+v, %v; want one entry with the counts", entries, err)
	}
	// A second erasure finds nothing left to remove.
	if res, err = s.ErasePersonalData(ctx, "gone", core.ReducePunch, audit); err != nil || res != (core.ErasureResult{}) {
		t.Errorf("second erasure = %+v, %v; want nothing to do", res, err)
	}
}

func rsFindAudit(t *testing.T, s ReportStore) {
	ctx := context.Background()
	entries := []core.AuditEntry{
		{At: stNow, Actor: "admin", Action: "console.viewed", Subject: "li"},
		{At: stNow.Add(time.Second), Actor: "boss", Action: "console.viewed", Subject: "li"},
		{At: stNow.Add(2 * time.Second), Actor: "boss", Action: "report.exported", Subject: "2026-11"},
		{At: stNow.Add(3 * time.Second), Actor: "li", Action: "punch.accepted", Subject: "li"},
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, e := range entries {
			if err := tx.InsertAudit(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
	actions := func(f core.AuditFilter) []string {
		t.Helper()
		got, err := s.FindAudit(ctx, f)
		if err != nil {
			t.Fatalf("FindAudit(%+v): %v", f, err)
		}
		var out []string
		for _, e := range got {
			out = append(out, e.Actor+" "+e.Action+" "+e.Subject)
		}
		return out
	}
	stDiff(t, "all", actions(core.AuditFilter{}), []string{"li punch.accepted li", "boss report.exported 2026-11", "boss console.viewed li", "admin console.viewed li"})
	stDiff(t, "subject li", actions(core.AuditFilter{Subject: "li"}), []string{"li punch.accepted li", "boss console.viewed li", "admin console.viewed li"})
	stDiff(t, "actor boss, prefix console.", actions(core.AuditFilter{Actor: "boss", Action: "console."}), []string{"boss console.viewed li"})
	stDiff(t, "limit 2", actions(core.AuditFilter{Limit: 2}), []string{"li punch.accepted li", "boss report.exported 2026-11"})
	if got := actions(core.AuditFilter{Action: "console.%"}); got != nil {
		t.Errorf("a LIKE wildcard in the prefix matched %v, want nothing", got)
	}
}

// rsPruneReplies: only replies that are no longer pending and older than
// the cutoff go, oldest first, limit at a time; cards, reminder deliveries
// and pending replies stay whatever their age.
func rsPruneReplies(t *testing.T, s ReportStore) {
	ctx := context.Background()
	old := stNow.Add(-40 * 24 * time.Hour)
	type queued struct {
		key    string
		kind   string
		at     time.Time
		status string
	}
	msgs := []queued{
		{"sent-old", core.OutboxReply, old, core.OutboxSent},
		{"failed-old", core.OutboxReply, old.Add(time.Minute), core.OutboxFailed},
		{"pending-old", core.OutboxReply, old, core.OutboxPending},
		{"card-old", "card", old, core.OutboxSent},
		{"notice-old", core.OutboxNotice, old, core.OutboxSent},
		{"sent-recent", core.OutboxReply, stNow, core.OutboxSent},
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, q := range msgs {
			m := core.OutboxMessage{Platform: core.PlatformWeCom, Route: `{"touser":"lilei"}`, Kind: q.kind, Payload: []byte(`{"DistanceM":37.5}`),
				DedupeKey: q.key, Status: core.OutboxPending, CreatedAt: q.at, NextAttempt: stNow}
			if q.status == core.OutboxPending {
				m.NextAttempt = stNow.Add(time.Hour) // not claimed below
			}
			if err := tx.EnqueueOutbox(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	claimed, err := s.ClaimOutbox(ctx, core.PlatformWeCom, 10, stNow, time.Minute)
	if err != nil || len(claimed) != len(msgs)-1 {
		t.Fatalf("ClaimOutbox = %d, %v; want %d", len(claimed), err, len(msgs)-1)
	}
	for _, m := range claimed {
		m.Status, m.Attempts, m.SentAt = core.OutboxSent, 1, stNow
		if m.DedupeKey == "failed-old" {
			m.Status, m.SentAt, m.LastError = core.OutboxFailed, time.Time{}, "blocked by the user"
		}
		if err := s.FinishOutbox(ctx, m); err != nil {
			t.Fatalf("FinishOutbox: %v", err)
		}
	}

	cutoff := stNow.Add(-30 * 24 * time.Hour)
	for i, want := range []int{1, 1, 0} {
		if n, err := s.PruneReplies(ctx, cutoff, 1); err != nil || n != want {
			t.Errorf("PruneReplies(limit 1) call %d = %d, %v; want %d", i+1, n, err, want)
		}
	}
	if n, err := s.PruneReplies(ctx, stNow.Add(time.Minute), 10); err != nil || n != 1 {
		t.Errorf("PruneReplies(after the recent reply) = %d, %v; want 1, the recent reply", n, err)
	}
	if n, err := s.PruneReplies(ctx, stNow.Add(365*24*time.Hour), 10); err != nil || n != 0 {
		t.Errorf("PruneReplies(a year on) = %d, %v; want 0: cards, notices and pending replies stay", n, err)
	}
	if got := stMustDepth(t, s); got != 1 {
		t.Errorf("OutboxDepth after pruning = %d, want 1 (the pending reply)", got)
	}
	left, err := s.ClaimOutbox(ctx, core.PlatformWeCom, 10, stNow.Add(2*time.Hour), time.Minute)
	if err != nil || len(left) != 1 || left[0].DedupeKey != "pending-old" {
		t.Errorf("ClaimOutbox after pruning = %+v, %v; want the pending reply", left, err)
	}
}
