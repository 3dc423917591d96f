package coretest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// stMakeupService is a real core.Service over the store under test, at the
// suite's clock, with the suite's organisation applied.
func stMakeupService(t *testing.T, s Store) *core.Service {
	t.Helper()
	stMustApply(t, s, stOrg(t))
	now := func() time.Time { return stNow }
	kv := NewMemKV(now)
	return core.NewService(s, kv, kv, core.DefaultConfig(), now)
}

// stMakeupConcurrentDecisions has 20 goroutines approve (the manager) and
// reject (HR) one request at once through the core: the store's row lock
// must let exactly one decision through and write at most one punch.
func stMakeupConcurrentDecisions(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	v, err := svc.RequestMakeup(ctx, "li", core.MakeupArgs{Date: "11-25", Clock: "09:00", Kind: core.KindIn, Reason: "地铁故障"}, core.PlatformWeCom)
	if err != nil {
		t.Fatalf("RequestMakeup: %v", err)
	}
	if v.Request.ApproverID != "boss" {
		t.Fatalf("approver = %q, want boss", v.Request.ApproverID)
	}
	id := v.Request.ID
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			d := core.MakeupDecision{ID: id, Status: core.MakeupApproved, Actor: "boss"}
			if i%2 == 1 {
				d = core.MakeupDecision{ID: id, Status: core.MakeupRejected, Actor: "alice", Note: "no"}
			}
			_, errs[i] = svc.DecideMakeup(ctx, d)
		}()
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch core.ErrorCode(err) {
		case "":
			won++
		case core.ECONFLICT:
		default:
			t.Errorf("decision %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d decisions succeeded, want exactly 1", won)
	}
	final, err := svc.MakeupView(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var made []core.Punch
	for _, p := range stMustListPunches(t, s, core.PunchFilter{EmployeeID: "li"}) {
		if p.Source == core.SourceMakeup {
			made = append(made, p)
		}
	}
	switch final.Request.Status {
	case core.MakeupApproved:
		if len(made) != 1 || made[0].MakeupID != id || final.Request.PunchID != made[0].ID {
			t.Errorf("approved with punches %+v and punch id %d; want one, linked both ways", made, final.Request.PunchID)
		}
	case core.MakeupRejected:
		if len(made) != 0 {
			t.Errorf("rejected with %d make-up punches", len(made))
		}
	default:
		t.Errorf("final status %q", final.Request.Status)
	}
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	decisions := 0
	for _, a := range audit {
		if a.Action == "makeup.approved" || a.Action == "makeup.rejected" {
			decisions++
		}
	}
	if decisions != 1 {
		t.Errorf("%d decision audit entries, want 1", decisions)
	}
}

// stCardRefs checks the card references of approval cards and of the
// requester's own card (Requester kept, and replaced with the rest):
// created, replaced per recipient, listed oldest first, refused for an
// unknown request, rolled back with their transaction.
func stCardRefs(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	v, err := svc.RequestMakeup(ctx, "li", core.MakeupArgs{Date: "11-25", Clock: "18:00", Kind: core.KindOut, Reason: "忘记打卡"}, core.PlatformSlack)
	if err != nil {
		t.Fatalf("RequestMakeup: %v", err)
	}
	id := v.Request.ID
	at := stNow.Add(time.Minute)
	refs := []core.CardRef{
		{RequestID: id, Platform: core.PlatformSlack, Recipient: "U1", Ref: `{"channel":"D1","ts":"1.1"}`, UpdatedAt: at},
		{RequestID: id, Platform: core.PlatformWeCom, Recipient: "boss", Ref: `{"response_code":"RC1","task_id":"makeup-1-2-0"}`, UpdatedAt: at},
		{RequestID: id, Platform: core.PlatformSlack, Recipient: "U1", Ref: `{"channel":"D1","ts":"1.2"}`, UpdatedAt: at.Add(time.Second)},
		{RequestID: id, Platform: core.PlatformWeCom, Recipient: "li", Ref: `{"response_code":"RC2","task_id":"withdraw-1-1-0-x"}`, UpdatedAt: at, Requester: true},
		{RequestID: id, Platform: core.PlatformWeCom, Recipient: "li", Ref: `{"task_id":"withdraw-1-1-0-x"}`, UpdatedAt: at.Add(2 * time.Second), Requester: true},
	}
	for _, r := range refs {
		if err := svc.RecordCardRef(ctx, r); err != nil {
			t.Fatalf("RecordCardRef(%+v): %v", r, err)
		}
	}
	got, err := svc.CardRefs(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(rs []core.CardRef) []core.CardRef {
		out := make([]core.CardRef, len(rs))
		for i, r := range rs {
			r.UpdatedAt = stUTC(r.UpdatedAt)
			out[i] = r
		}
		return out
	}
	stDiff(t, "CardRefs", norm(got), norm([]core.CardRef{refs[2], refs[1], refs[4]}))
	if others, err := svc.CardRefs(ctx, id+1000); err != nil || len(others) != 0 {
		t.Errorf("CardRefs of an unknown request = %v, %v; want none", others, err)
	}
	err = svc.RecordCardRef(ctx, core.CardRef{RequestID: id + 1000, Platform: core.PlatformSlack, Recipient: "U1", Ref: "{}"})
	stWantCode(t, "card of an unknown request", err, core.ENOTFOUND)

	// A reference written in a transaction that fails is not kept.
	boom := core.Errorf(core.EINTERNAL, "boom")
	err = s.InTx(ctx, func(tx core.Tx) error {
		mt, ok := tx.(core.MakeupTx)
		if !ok {
			t.Fatalf("%T does not implement core.MakeupTx", tx)
		}
		if err := mt.PutCardRef(ctx, core.CardRef{RequestID: id, Platform: core.PlatformFeishu, Recipient: "ou_boss", Ref: `{"message_id":"om_1"}`, UpdatedAt: at}); err != nil {
			return err
		}
		return boom
	})
	if err != boom {
		t.Errorf("InTx = %v, want the function's error", err)
	}
	if got, _ := svc.CardRefs(ctx, id); len(got) != 3 {
		t.Errorf("after a rollback: %d references, want 3", len(got))
	}
}

// rsNormRequest is stNormMakeup with the period of leave, trips, outings
// and field punches.
func rsNormRequest(m core.MakeupRequest) core.MakeupRequest {
	m = stNormMakeup(m)
	m.Start, m.End = stUTC(m.Start), stUTC(m.End)
	return m
}

// rsApprovals holds the stores to the approval engine's storage: request
// types and their fields round-trip, listing by type and status, the
// period query reports use (one query for everyone), and the leave types
// of the organisation file.
func rsApprovals(t *testing.T, s ReportStore) {
	ctx := context.Background()
	shanghai := stZone(t, "Asia/Shanghai")
	at := func(day, hour, min int) time.Time { return time.Date(2026, 12, day, hour, min, 0, 0, shanghai) }

	lts, ok := s.(core.LeaveTypeStore)
	if !ok {
		t.Fatalf("%T does not keep leave types (core.LeaveTypeStore)", s)
	}
	org := stOrg(t)
	org.LeaveTypes = []core.LeaveType{{ID: "annual", Name: "年假", AnnualQuotaDays: 5.5, Paid: true}, {ID: "sick", Name: "病假", Paid: true}, {ID: "personal", Name: "事假"}}
	stMustApply(t, s, org)
	got, err := lts.LeaveTypes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	stDiff(t, "LeaveTypes", got, org.LeaveTypes)
	org.LeaveTypes = []core.LeaveType{{ID: "sick", Name: "病假"}}
	stMustApply(t, s, org)
	if got, err = lts.LeaveTypes(ctx); err != nil {
		t.Fatal(err)
	}
	stDiff(t, "LeaveTypes after reapplying", got, org.LeaveTypes)

	base := func(emp string, typ core.RequestType, status core.MakeupStatus, created time.Time) core.MakeupRequest {
		return core.MakeupRequest{EmployeeID: emp, Type: typ, Status: status, ShiftDate: "2026-12-03", At: at(3, 9, 0), ApproverID: "boss",
			Platform: core.PlatformWeCom, CreatedAt: created}
	}
	legacy := base("li", "", core.MakeupPending, at(1, 10, 0)) // a make-up stored with no type
	legacy.Kind = core.KindIn
	makeup := base("li", core.RequestMakeup, core.MakeupApproved, at(1, 11, 0))
	makeup.Kind, makeup.PunchID = core.KindOut, 5
	field := base("li", core.RequestField, core.MakeupPending, at(3, 8, 51))
	field.Kind, field.FieldPunchID, field.Start, field.End = core.KindIn, 42, at(3, 8, 50), at(3, 8, 50)
	leave := base("li", core.RequestLeave, core.MakeupApproved, at(1, 12, 0))
	leave.LeaveType, leave.Reason, leave.Start, leave.End = "annual", "家事", at(3, 0, 0), at(5, 0, 0)
	trip := base("boss", core.RequestTrip, core.MakeupApproved, at(1, 13, 0))
	trip.Place, trip.Start, trip.End, trip.ShiftDate = "上海", at(7, 0, 0), at(9, 0, 0), "2026-12-07"
	outing := base("alice", core.RequestOuting, core.MakeupRejected, at(1, 14, 0))
	outing.Place, outing.Start, outing.End = "银行", at(3, 14, 0), at(3, 16, 0)
	before := base("li", core.RequestLeave, core.MakeupApproved, at(1, 15, 0)) // ends as the range starts
	before.LeaveType, before.Start, before.End, before.ShiftDate = "sick", at(1, 0, 0), at(2, 0, 0), "2026-12-01"
	after := base("li", core.RequestLeave, core.MakeupApproved, at(1, 16, 0)) // starts as the range ends
	after.LeaveType, after.Start, after.End, after.ShiftDate = "sick", at(6, 0, 0), at(7, 0, 0), "2026-12-06"
	reqs := []core.MakeupRequest{legacy, makeup, field, leave, trip, outing, before, after}
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range reqs {
			if err := tx.InsertMakeup(ctx, &reqs[i]); err != nil {
				return err
			}
		}
		return nil
	})
	legacy, makeup, leave, trip, outing, before, after = reqs[0], reqs[1], reqs[3], reqs[4], reqs[5], reqs[6], reqs[7]
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, want := range reqs {
			m, err := tx.GetMakeupForUpdate(ctx, want.ID)
			if err != nil {
				return err
			}
			stDiff(t, "request "+string(want.TypeOf()), rsNormRequest(m), rsNormRequest(want))
		}
		// Deciding the field request writes its fields back.
		m, err := tx.GetMakeupForUpdate(ctx, reqs[2].ID)
		if err != nil {
			return err
		}
		if err := m.Transition(core.MakeupApproved, "boss", at(3, 10, 0), ""); err != nil {
			return err
		}
		m.PunchID = 43
		reqs[2] = m
		return tx.UpdateMakeup(ctx, m)
	})
	ids := func(list []core.MakeupRequest) []int64 {
		var out []int64
		for _, m := range list {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    core.MakeupFilter
		want []core.MakeupRequest
	}{
		{"make-ups, typed or not", core.MakeupFilter{Types: []core.RequestType{core.RequestMakeup}}, []core.MakeupRequest{legacy, makeup}},
		{"approved leave and trips", core.MakeupFilter{Types: []core.RequestType{core.RequestLeave, core.RequestTrip}, Statuses: []core.MakeupStatus{core.MakeupApproved}},
			[]core.MakeupRequest{leave, trip, before, after}},
		{"one employee's field requests", core.MakeupFilter{EmployeeID: "li", Types: []core.RequestType{core.RequestField}}, []core.MakeupRequest{reqs[2]}},
		{"periods touching 12-02..12-06", core.MakeupFilter{CoverFrom: at(2, 0, 0), CoverTo: at(6, 0, 0)}, []core.MakeupRequest{reqs[2], leave, outing, before}},
		{"pending and approved approvals of the range", core.MakeupFilter{Types: []core.RequestType{core.RequestField, core.RequestLeave, core.RequestTrip, core.RequestOuting},
			Statuses: []core.MakeupStatus{core.MakeupPending, core.MakeupApproved}, CoverFrom: at(3, 0, 0), CoverTo: at(8, 0, 0)}, []core.MakeupRequest{reqs[2], leave, trip, after}},
	}
	for _, tc := range tests {
		var inTx []core.MakeupRequest
		stMustInTx(t, s, func(tx core.Tx) error {
			var err error
			inTx, err = tx.ListMakeups(ctx, tc.f)
			return err
		})
		plain, err := s.ListRequests(ctx, tc.f)
		if err != nil {
			t.Fatalf("ListRequests(%s): %v", tc.name, err)
		}
		sortByID := func(l []core.MakeupRequest) []int64 {
			out := ids(l)
			slices.Sort(out)
			return out
		}
		if got, want := sortByID(inTx), sortByID(tc.want); !slices.Equal(got, want) {
			t.Errorf("ListMakeups %s = %v, want %v", tc.name, got, want)
		}
		if got, want := sortByID(plain), sortByID(tc.want); !slices.Equal(got, want) {
			t.Errorf("ListRequests %s = %v, want %v", tc.name, got, want)
		}
		for _, m := range plain {
			for _, w := range tc.want {
				if w.ID == m.ID {
					stDiff(t, "ListRequests "+tc.name, rsNormRequest(m), rsNormRequest(w))
				}
			}
		}
	}
}

// stMakeupRevoked holds the stores to taking an approval back: the
// revoked state round-trips with who and why, the status filters tell it
// from approved (so it no longer covers time or takes balance), and the
// audit entry and the notices are committed with it.
func stMakeupRevoked(t *testing.T, s Store) {
	ctx := context.Background()
	svc := stMakeupService(t, s)
	approved := func(a core.LeaveArgs) int64 {
		t.Helper()
		v, err := svc.RequestLeave(ctx, "li", a, core.PlatformWeCom)
		if err != nil {
			t.Fatalf("RequestLeave(%+v): %v", a, err)
		}
		if _, err := svc.DecideMakeup(ctx, core.MakeupDecision{ID: v.Request.ID, Status: core.MakeupApproved, Actor: "boss"}); err != nil {
			t.Fatalf("approve: %v", err)
		}
		return v.Request.ID
	}
	leave := approved(core.LeaveArgs{Type: core.RequestLeave, From: "2026-11-27", Reason: "家事"})
	trip := approved(core.LeaveArgs{Type: core.RequestTrip, From: "2026-11-30", Place: "上海"})
	if _, err := svc.CancelMakeup(ctx, "li", leave); err != nil {
		t.Fatalf("withdraw the leave: %v", err)
	}
	if _, err := svc.DecideMakeup(ctx, core.MakeupDecision{ID: trip, Status: core.MakeupRevoked, Actor: "alice", Note: "客户改期"}); err != nil {
		t.Fatalf("revoke the trip: %v", err)
	}
	_, err := svc.CancelMakeup(ctx, "li", leave)
	stWantCode(t, "withdrawing twice", err, core.ECONFLICT)

	type taken struct {
		Status          core.MakeupStatus
		DecidedBy, Note string
	}
	ids := func(list []core.MakeupRequest) []int64 {
		var out []int64
		for _, m := range list {
			out = append(out, m.ID)
		}
		return out
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, tc := range []struct {
			id   int64
			want taken
		}{{leave, taken{core.MakeupRevoked, "li", ""}}, {trip, taken{core.MakeupRevoked, "alice", "客户改期"}}} {
			m, err := tx.GetMakeupForUpdate(ctx, tc.id)
			if err != nil {
				return err
			}
			stDiff(t, "taken-back request", taken{m.Status, m.DecidedBy, m.Note}, tc.want)
		}
		revoked, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "li", Statuses: []core.MakeupStatus{core.MakeupRevoked}})
		if err != nil {
			return err
		}
		stDiff(t, "revoked requests", ids(revoked), []int64{leave, trip})
		covering, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "li", Types: []core.RequestType{core.RequestLeave, core.RequestTrip},
			Statuses: []core.MakeupStatus{core.MakeupPending, core.MakeupApproved}})
		if err != nil {
			return err
		}
		stDiff(t, "pending or approved after taking back", ids(covering), []int64(nil))
		return nil
	})
	audit, err := s.ListAudit(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range audit {
		if a.Action == "leave.withdrawn" || a.Action == "trip.revoked" {
			actions = append(actions, a.Action)
		}
	}
	slices.Sort(actions)
	stDiff(t, "audit of taking back", actions, []string{"leave.withdrawn", "trip.revoked"})
	// The manager hears of the withdrawal on Slack, besides the card update.
	msgs, err := s.ClaimOutbox(ctx, core.PlatformSlack, 50, stNow.Add(time.Hour), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	notices := 0
	for _, m := range msgs {
		if m.Kind == core.OutboxMakeupResult && strings.Contains(string(m.Payload), `"Status":"revoked"`) {
			notices++
		}
	}
	if notices != 1 {
		t.Errorf("%d withdrawal notices to the manager on Slack, want 1", notices)
	}
}

func stMakeups(t *testing.T, s Store) {
	ctx := context.Background()
	shanghai := stZone(t, "Asia/Shanghai")
	mk := func(emp, date string, kind core.PunchKind, created time.Time) core.MakeupRequest {
		return core.MakeupRequest{EmployeeID: emp, ShiftDate: date, Kind: kind, At: time.Date(2026, 11, 20, 18, 5, 0, 0, shanghai),
			Reason: "忘记打卡", Evidence: []string{"file_v2_1", "file_v2_2"}, Status: core.MakeupPending, ApproverID: "boss",
			Platform: core.PlatformFeishu, CreatedAt: created}
	}
	reqs := []core.MakeupRequest{
		mk("li", "2026-11-20", core.KindOut, time.Date(2026, 11, 21, 10, 0, 0, 0, shanghai)),
		mk("li", "2026-11-24", core.KindIn, time.Date(2026, 11, 24, 12, 0, 0, 0, shanghai)),
		mk("li", "2026-10-30", core.KindIn, time.Date(2026, 10, 31, 12, 0, 0, 0, shanghai)),
		mk("boss", "2026-11-20", core.KindOut, time.Date(2026, 11, 21, 11, 0, 0, 0, shanghai)),
	}
	reqs[2].Evidence = nil
	reqs[1].ApproverID = "hr" // routed elsewhere, for the ApproverID filter
	stMustInTx(t, s, func(tx core.Tx) error {
		for i := range reqs {
			if err := tx.InsertMakeup(ctx, &reqs[i]); err != nil {
				return err
			}
			if reqs[i].ID == 0 {
				t.Errorf("InsertMakeup left the id at 0")
			}
		}
		return nil
	})

	// Approve the first: load for update, transition, write back.
	decided := time.Date(2026, 11, 21, 14, 30, 0, 0, shanghai)
	stMustInTx(t, s, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		stDiff(t, "GetMakeupForUpdate", stNormMakeup(m), stNormMakeup(reqs[0]))
		if err := m.Transition(core.MakeupApproved, "boss", decided, "ok"); err != nil {
			return err
		}
		m.PunchID = 77
		reqs[0] = m
		return tx.UpdateMakeup(ctx, m)
	})
	stMustInTx(t, s, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		stDiff(t, "approved request", stNormMakeup(m), stNormMakeup(reqs[0]))
		return nil
	})
	// A second decision on the same request is refused by the core, and
	// the stored state stays approved.
	err := s.InTx(ctx, func(tx core.Tx) error {
		m, err := tx.GetMakeupForUpdate(ctx, reqs[0].ID)
		if err != nil {
			return err
		}
		if err := m.Transition(core.MakeupRejected, "hr", decided, "no"); err != nil {
			return err
		}
		return tx.UpdateMakeup(ctx, m)
	})
	stWantCode(t, "second decision", err, core.ECONFLICT)

	ids := func(ms []core.MakeupRequest) []int64 {
		var out []int64
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	tests := []struct {
		name string
		f    core.MakeupFilter
		want []int64
	}{
		{"one employee, oldest first", core.MakeupFilter{EmployeeID: "li"}, []int64{reqs[2].ID, reqs[0].ID, reqs[1].ID}},
		{"by shift date", core.MakeupFilter{EmployeeID: "li", ShiftDate: "2026-11-24"}, []int64{reqs[1].ID}},
		{"by status", core.MakeupFilter{EmployeeID: "li", Statuses: []core.MakeupStatus{core.MakeupPending}}, []int64{reqs[2].ID, reqs[1].ID}},
		{"several statuses", core.MakeupFilter{Statuses: []core.MakeupStatus{core.MakeupApproved, core.MakeupRejected}}, []int64{reqs[0].ID}},
		{"created in November (Shanghai)", core.MakeupFilter{EmployeeID: "li", From: time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai), To: time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)}, []int64{reqs[0].ID, reqs[1].ID}},
		{"to is exclusive", core.MakeupFilter{EmployeeID: "li", To: reqs[1].CreatedAt}, []int64{reqs[2].ID, reqs[0].ID}},
		{"everyone", core.MakeupFilter{}, []int64{reqs[2].ID, reqs[0].ID, reqs[3].ID, reqs[1].ID}},
		{"waiting for one approver", core.MakeupFilter{ApproverID: "boss", Statuses: []core.MakeupStatus{core.MakeupPending}}, []int64{reqs[2].ID, reqs[3].ID}},
		{"routed to another", core.MakeupFilter{ApproverID: "hr"}, []int64{reqs[1].ID}},
	}
	stMustInTx(t, s, func(tx core.Tx) error {
		for _, tc := range tests {
			ms, err := tx.ListMakeups(ctx, tc.f)
			if err != nil {
				return err
			}
			stDiff(t, "ListMakeups "+tc.name, ids(ms), tc.want)
		}
		ms, err := tx.ListMakeups(ctx, core.MakeupFilter{EmployeeID: "boss"})
		if err != nil {
			return err
		}
		if len(ms) == 1 {
			stDiff(t, "listed request", stNormMakeup(ms[0]), stNormMakeup(reqs[3]))
		}
		return nil
	})
}
