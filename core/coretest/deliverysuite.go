package coretest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// DeliveryStore is what the reminder delivery suite exercises: a Store that
// also keeps reminder firings and claims the outbox by lane.
type DeliveryStore interface {
	Store
	core.ReminderStore
	core.OutboxLaneStore
}

// RunDeliverySuite is the conformance suite of core.ReminderStore and
// core.OutboxLaneStore. open returns a fresh, empty store for one subtest and
// registers its own cleanup on t.
func RunDeliverySuite(t *testing.T, open func(t *testing.T) DeliveryStore) {
	cases := []struct {
		name string
		run  func(t *testing.T, s DeliveryStore)
	}{
		{"Rosters", dsRosters},
		{"FiringsAreUnique", dsFirings},
		{"EnqueueDeliveriesSkipsDuplicates", dsEnqueue},
		{"LanesAndBatchFinish", dsLanes},
		{"ConcurrentEnqueueAndClaim", dsConcurrent},
		{"Checkpoint", dsCheckpoint},
		{"BulkEnqueue", dsBulk},
		{"DeliveryProblemsAndRetry", dsRetryFailed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t, open(t)) })
	}
}

func dsRosters(t *testing.T, s DeliveryStore) {
	stMustApply(t, s, stOrg(t))
	rs, err := s.Rosters(context.Background())
	if err != nil {
		t.Fatalf("Rosters: %v", err)
	}
	var ids []string
	for _, r := range rs {
		ids = append(ids, r.Employee.ID)
	}
	stDiff(t, "roster ids (every employee, by id)", ids, []string{"alice", "boss", "gone", "li"})
	for _, r := range rs {
		want, err := s.Roster(context.Background(), r.Employee.ID)
		if err != nil {
			t.Fatalf("Roster(%s): %v", r.Employee.ID, err)
		}
		r.Loc, want.Loc = nil, nil
		stDiff(t, "Rosters entry of "+r.Employee.ID, dsNormRoster(r), dsNormRoster(want))
	}
}

func dsNormRoster(r core.Roster) core.Roster {
	r.Employee = stNormEmployee(r.Employee)
	if r.Schedule != nil {
		s := stNormSchedule(*r.Schedule)
		r.Schedule = &s
	}
	if r.Calendar != nil {
		c := stNormCalendar(*r.Calendar)
		r.Calendar = &c
	}
	for i := range r.Sites {
		r.Sites[i] = stNormSite(r.Sites[i])
	}
	r.Sites = stNilIfEmpty(r.Sites)
	return r
}

func dsMustBegin(tb testing.TB, s DeliveryStore, f core.Firing) (core.Firing, bool) {
	tb.Helper()
	got, created, err := s.BeginFiring(context.Background(), f)
	if err != nil {
		tb.Fatalf("BeginFiring(%s at %s): %v", f.ReminderID, f.FireAt, err)
	}
	return got, created
}

func dsFirings(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	at := stNow.Truncate(time.Minute)
	f := core.Firing{ReminderID: "in", Kind: core.ReminderPunchIn, FireAt: at, Status: core.FiringQueuing, Late: true, CreatedAt: stNow}
	first, created := dsMustBegin(t, s, f)
	if !created || first.ID == 0 {
		t.Fatalf("first BeginFiring = %+v, created %v; want a new firing with an id", first, created)
	}
	again, created := dsMustBegin(t, s, core.Firing{ReminderID: "in", Kind: core.ReminderPunchIn, FireAt: at.In(stZone(t, "Asia/Shanghai")), Status: core.FiringSkipped, CreatedAt: stNow.Add(time.Minute)})
	if created || again.ID != first.ID || again.Status != core.FiringQueuing || !again.Late {
		t.Errorf("second BeginFiring of the same minute = %+v, created %v; want the first one back unchanged", again, created)
	}
	other, created := dsMustBegin(t, s, core.Firing{ReminderID: "in", Kind: core.ReminderPunchIn, FireAt: at.Add(time.Minute), Status: core.FiringSkipped, Note: "missed by 2h", CreatedAt: stNow})
	if !created || other.ID == first.ID {
		t.Errorf("a later minute = %+v, created %v; want a new firing", other, created)
	}
	manual, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: at.Add(-time.Hour), Manual: true, Status: core.FiringQueuing, CreatedAt: stNow})

	if err := s.FinishFiring(ctx, first.ID, core.FiringQueued, 42, "", stNow.Add(time.Second)); err != nil {
		t.Fatalf("FinishFiring: %v", err)
	}
	stWantCode(t, "FinishFiring of an unknown id", s.FinishFiring(ctx, 999999, core.FiringQueued, 0, "", stNow), core.ENOTFOUND)

	list := func(f core.FiringFilter) []core.Firing {
		t.Helper()
		fs, err := s.ListFirings(ctx, f)
		if err != nil {
			t.Fatalf("ListFirings(%+v): %v", f, err)
		}
		return fs
	}
	ids := func(fs []core.Firing) []int64 {
		var out []int64
		for _, f := range fs {
			out = append(out, f.ID)
		}
		return out
	}
	stDiff(t, "all firings, newest first", ids(list(core.FiringFilter{})), []int64{other.ID, first.ID, manual.ID})
	stDiff(t, "firings of one reminder, limit 1", ids(list(core.FiringFilter{ReminderID: "in", Limit: 1})), []int64{other.ID})
	stDiff(t, "queuing firings", ids(list(core.FiringFilter{Status: core.FiringQueuing})), []int64{manual.ID})
	stDiff(t, "firings since a minute", ids(list(core.FiringFilter{Since: at})), []int64{other.ID, first.ID})

	got := list(core.FiringFilter{ReminderID: "in"})
	want := []core.Firing{
		{ID: other.ID, ReminderID: "in", Kind: core.ReminderPunchIn, FireAt: at.Add(time.Minute), Status: core.FiringSkipped, Note: "missed by 2h", CreatedAt: stNow, UpdatedAt: stNow},
		{ID: first.ID, ReminderID: "in", Kind: core.ReminderPunchIn, FireAt: at, Status: core.FiringQueued, Late: true, Recipients: 42, CreatedAt: stNow, UpdatedAt: stNow.Add(time.Second)},
	}
	stDiff(t, "firing fields", dsNormFirings(got), dsNormFirings(want))
	if m := list(core.FiringFilter{ReminderID: "weekly"}); len(m) != 1 || !m[0].Manual {
		t.Errorf("manual firing = %+v, want Manual set", m)
	}
	_, _, err := s.BeginFiring(ctx, core.Firing{ReminderID: "", FireAt: at})
	stWantCode(t, "BeginFiring without a reminder", err, core.EINVALID)
}

func dsNormFirings(fs []core.Firing) []core.Firing {
	out := slices.Clone(fs)
	for i := range out {
		out[i].FireAt, out[i].CreatedAt, out[i].UpdatedAt = stUTC(out[i].FireAt), stUTC(out[i].CreatedAt), stUTC(out[i].UpdatedAt)
	}
	return out
}

// dsNotice is a delivery of firing id to one Slack user.
func dsNotice(firing int64, user string, now time.Time) core.OutboxMessage {
	to := core.Recipient{Platform: core.PlatformSlack, UserID: user, EmployeeID: "e-" + user, Lang: "en"}
	route, _ := json.Marshal(to)
	return core.OutboxMessage{Platform: core.PlatformSlack, Route: string(route), Kind: core.OutboxNotice,
		Payload:   json.RawMessage(`{"reminder":"weekly","kind":"broadcast","text":"hi"}`),
		DedupeKey: core.DeliveryKey("weekly", now, to), Status: core.OutboxPending, CreatedAt: now, NextAttempt: now}
}

func dsEnqueue(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	f, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow, Status: core.FiringQueuing, CreatedAt: stNow})
	batch := []core.OutboxMessage{dsNotice(f.ID, "U1", stNow), dsNotice(f.ID, "U2", stNow), dsNotice(f.ID, "U3", stNow)}
	n, err := s.EnqueueDeliveries(ctx, f.ID, batch)
	if err != nil || n != 3 {
		t.Fatalf("EnqueueDeliveries = %d, %v; want 3", n, err)
	}
	// A resumed firing queues the same deliveries again: nothing is added,
	// even mixed with new ones and duplicated within one call.
	n, err = s.EnqueueDeliveries(ctx, f.ID, append(batch, dsNotice(f.ID, "U4", stNow), dsNotice(f.ID, "U4", stNow)))
	if err != nil || n != 1 {
		t.Errorf("EnqueueDeliveries again = %d, %v; want only the new one", n, err)
	}
	// A reply queued with the same key through a transaction is a duplicate
	// too: the key space is the outbox's.
	stMustInTx(t, s, func(tx core.Tx) error { return tx.EnqueueOutbox(ctx, dsNotice(0, "U1", stNow)) })
	if d := stMustDepth(t, s); d != 4 {
		t.Errorf("depth = %d, want 4", d)
	}
	counts, err := s.FiringCounts(ctx, []int64{f.ID, 999999})
	if err != nil {
		t.Fatalf("FiringCounts: %v", err)
	}
	stDiff(t, "counts", counts, map[int64]core.DeliveryCounts{f.ID: {Queued: 4, Pending: 4}})

	_, err = s.EnqueueDeliveries(ctx, 999999, []core.OutboxMessage{dsNotice(999999, "U9", stNow)})
	stWantCode(t, "EnqueueDeliveries for an unknown firing", err, core.ENOTFOUND)
	if n, err := s.EnqueueDeliveries(ctx, f.ID, nil); err != nil || n != 0 {
		t.Errorf("EnqueueDeliveries(nil) = %d, %v; want 0, nil", n, err)
	}

	claimed, err := s.ClaimOutboxLane(ctx, core.PlatformSlack, core.LaneDeliveries, 10, stNow, time.Minute)
	if err != nil {
		t.Fatalf("ClaimOutboxLane: %v", err)
	}
	if len(claimed) != 4 {
		t.Fatalf("claimed %d deliveries, want 4", len(claimed))
	}
	want := dsNotice(f.ID, "U1", stNow)
	want.ID, want.FiringID = claimed[0].ID, f.ID
	stDiff(t, "claimed delivery", stNormOutbox(claimed[0]), stNormOutbox(want))
}

func dsLanes(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	f, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow, Status: core.FiringQueuing, CreatedAt: stNow})
	var msgs []core.OutboxMessage
	for i := range 5 {
		msgs = append(msgs, dsNotice(f.ID, fmt.Sprint("U", i), stNow))
	}
	if _, err := s.EnqueueDeliveries(ctx, f.ID, msgs); err != nil {
		t.Fatalf("EnqueueDeliveries: %v", err)
	}
	// A reply queued after the broadcast is claimed first from its lane.
	stMustInTx(t, s, func(tx core.Tx) error {
		return tx.EnqueueOutbox(ctx, core.OutboxMessage{Platform: core.PlatformSlack, Route: `{"channel":"D1"}`, Kind: "reply",
			Payload: json.RawMessage(`{}`), DedupeKey: "reply-1", Status: core.OutboxPending, CreatedAt: stNow, NextAttempt: stNow})
	})
	claim := func(lane core.OutboxLane, limit int, at time.Time) []core.OutboxMessage {
		t.Helper()
		ms, err := s.ClaimOutboxLane(ctx, core.PlatformSlack, lane, limit, at, time.Minute)
		if err != nil {
			t.Fatalf("ClaimOutboxLane(%s): %v", lane, err)
		}
		return ms
	}
	replies := claim(core.LaneReplies, 10, stNow)
	if len(replies) != 1 || replies[0].DedupeKey != "reply-1" || replies[0].FiringID != 0 {
		t.Errorf("replies lane = %+v, want only the reply", replies)
	}
	if other, err := s.ClaimOutboxLane(ctx, core.PlatformWeCom, core.LaneDeliveries, 10, stNow, time.Minute); err != nil || len(other) != 0 {
		t.Errorf("another platform's deliveries = %v, %v; want none", other, err)
	}
	first := claim(core.LaneDeliveries, 3, stNow)
	if len(first) != 3 || first[0].FiringID != f.ID {
		t.Fatalf("deliveries lane, limit 3 = %d messages (%+v), want 3 of firing %d", len(first), first, f.ID)
	}
	if again := claim(core.LaneDeliveries, 10, stNow.Add(time.Second)); len(again) != 2 {
		t.Errorf("second claim while leased = %d, want the 2 others", len(again))
	}
	first[0].Attempts, first[0].Status, first[0].SentAt = 1, core.OutboxSent, stNow.Add(time.Second)
	first[1].Attempts, first[1].Status, first[1].LastError = 1, core.OutboxFailed, "user_not_found"
	first[2].Attempts, first[2].LastError, first[2].NextAttempt = 1, "rate limited", stNow.Add(time.Hour)
	if err := s.FinishOutboxBatch(ctx, first); err != nil {
		t.Fatalf("FinishOutboxBatch: %v", err)
	}
	counts, err := s.FiringCounts(ctx, []int64{f.ID})
	if err != nil {
		t.Fatalf("FiringCounts: %v", err)
	}
	stDiff(t, "counts after a batch finish (the rate-limited one is retrying)", counts[f.ID], core.DeliveryCounts{Queued: 5, Pending: 3, Sent: 1, Failed: 1, Retrying: 1})
	// The finished retry keeps its firing and waits for its time.
	if c := claim(core.LaneDeliveries, 10, stNow.Add(2*time.Minute)); len(c) != 2 {
		t.Errorf("claim after lease expiry = %d, want the 2 leased ones (the retry waits)", len(c))
	}
	later := claim(core.LaneDeliveries, 10, stNow.Add(2*time.Hour))
	if len(later) != 3 || !slices.ContainsFunc(later, func(m core.OutboxMessage) bool {
		return m.ID == first[2].ID && m.LastError == "rate limited" && m.FiringID == f.ID
	}) {
		t.Errorf("claim at the retry time = %+v, want the retry among 3", later)
	}
	bad := first[0]
	bad.ID = 999999
	stWantCode(t, "FinishOutboxBatch with an unknown message", s.FinishOutboxBatch(ctx, []core.OutboxMessage{first[1], bad}), core.ENOTFOUND)
}

func dsConcurrent(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	f, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow, Status: core.FiringQueuing, CreatedAt: stNow})
	const n = 60
	var msgs []core.OutboxMessage
	for i := range n {
		msgs = append(msgs, dsNotice(f.ID, fmt.Sprint("U", i), stNow))
	}
	// Two replicas resume the same firing at once.
	var wg sync.WaitGroup
	inserted := make([]int, 2)
	errs := make([]error, 2)
	for r := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inserted[r], errs[r] = s.EnqueueDeliveries(ctx, f.ID, msgs)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("concurrent EnqueueDeliveries: %v", err)
		}
	}
	if inserted[0]+inserted[1] != n {
		t.Errorf("inserted %d + %d, want %d in total", inserted[0], inserted[1], n)
	}
	claimEachOnce(t, "ClaimOutboxLane", n, func() ([]core.OutboxMessage, error) {
		return s.ClaimOutboxLane(ctx, core.PlatformSlack, core.LaneDeliveries, 7, stNow, time.Hour)
	})
}

func dsCheckpoint(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	got, err := s.Checkpoint(ctx, "reminders")
	if err != nil || !got.IsZero() {
		t.Fatalf("Checkpoint before any = %s, %v; want zero", got, err)
	}
	at := stNow.Truncate(time.Minute)
	for _, step := range []struct {
		set, want time.Time
	}{
		{at, at},
		{at.Add(time.Minute), at.Add(time.Minute)},
		{at, at.Add(time.Minute)}, // never backwards: a slow old leader cannot rewind a new one
	} {
		if err := s.SetCheckpoint(ctx, "reminders", step.set); err != nil {
			t.Fatalf("SetCheckpoint: %v", err)
		}
		got, err := s.Checkpoint(ctx, "reminders")
		if err != nil || !got.Equal(step.want) {
			t.Errorf("Checkpoint after setting %s = %s, %v; want %s", step.set, got, err, step.want)
		}
	}
	if other, _ := s.Checkpoint(ctx, "other"); !other.IsZero() {
		t.Errorf("another name's checkpoint = %s, want zero", other)
	}
}

// dsBulk queues a large firing in one call, as a broadcast to a large
// organisation does in chunks, and checks every row arrived once.
func dsBulk(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	f, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow, Status: core.FiringQueuing, CreatedAt: stNow})
	const n = 5000
	msgs := make([]core.OutboxMessage, n)
	for i := range msgs {
		msgs[i] = dsNotice(f.ID, fmt.Sprint("U", i), stNow)
	}
	start := time.Now()
	got, err := s.EnqueueDeliveries(ctx, f.ID, msgs)
	if err != nil || got != n {
		t.Fatalf("EnqueueDeliveries(%d) = %d, %v", n, got, err)
	}
	t.Logf("queued %d deliveries in %s", n, time.Since(start))
	counts, err := s.FiringCounts(ctx, []int64{f.ID})
	if err != nil {
		t.Fatalf("FiringCounts: %v", err)
	}
	if counts[f.ID].Queued != n || counts[f.ID].Pending != n {
		t.Errorf("counts = %+v, want %d queued and pending", counts[f.ID], n)
	}
}

// dsRetryFailed: HR lists a firing's failed and retried deliveries with the
// platform's error, and sends the failed ones again, and only those.
func dsRetryFailed(t *testing.T, s DeliveryStore) {
	ctx := context.Background()
	f, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow, Status: core.FiringQueuing, CreatedAt: stNow})
	other, _ := dsMustBegin(t, s, core.Firing{ReminderID: "weekly", Kind: core.ReminderBroadcast, FireAt: stNow.Add(time.Hour), Status: core.FiringQueuing, CreatedAt: stNow})
	var msgs []core.OutboxMessage
	for i := range 4 {
		msgs = append(msgs, dsNotice(f.ID, fmt.Sprint("U", i), stNow))
	}
	if _, err := s.EnqueueDeliveries(ctx, f.ID, msgs); err != nil {
		t.Fatalf("EnqueueDeliveries: %v", err)
	}
	if _, err := s.EnqueueDeliveries(ctx, other.ID, []core.OutboxMessage{dsNotice(other.ID, "U9", stNow.Add(time.Hour))}); err != nil {
		t.Fatalf("EnqueueDeliveries: %v", err)
	}
	claimed, err := s.ClaimOutboxLane(ctx, core.PlatformSlack, core.LaneDeliveries, 10, stNow.Add(time.Hour), time.Minute)
	if err != nil || len(claimed) != 5 {
		t.Fatalf("ClaimOutboxLane = %d, %v; want 5", len(claimed), err)
	}
	byUser := map[string]*core.OutboxMessage{}
	for i := range claimed {
		var to core.Recipient
		_ = json.Unmarshal([]byte(claimed[i].Route), &to)
		byUser[to.UserID] = &claimed[i]
	}
	byUser["U0"].Attempts, byUser["U0"].Status, byUser["U0"].SentAt = 1, core.OutboxSent, stNow
	byUser["U1"].Attempts, byUser["U1"].Status, byUser["U1"].LastError = 5, core.OutboxFailed, "channel_not_found"
	byUser["U2"].Attempts, byUser["U2"].LastError, byUser["U2"].NextAttempt = 1, "rate limited", stNow.Add(time.Minute)
	byUser["U3"].Attempts, byUser["U3"].Status, byUser["U3"].LastError = 5, core.OutboxFailed, "user_disabled"
	byUser["U9"].Attempts, byUser["U9"].Status, byUser["U9"].LastError = 5, core.OutboxFailed, "other firing"
	if err := s.FinishOutboxBatch(ctx, claimed); err != nil {
		t.Fatalf("FinishOutboxBatch: %v", err)
	}
	problems := func(limit int) []string {
		t.Helper()
		ps, err := s.DeliveryProblems(ctx, f.ID, limit)
		if err != nil {
			t.Fatalf("DeliveryProblems: %v", err)
		}
		var out []string
		for _, p := range core.DeliveryProblemsOf(ps) {
			out = append(out, fmt.Sprintf("%s %s %d %s", p.Recipient.UserID, p.Status, p.Attempts, p.LastError))
		}
		return out
	}
	stDiff(t, "problems (failed first, then retried)", problems(0),
		[]string{"U1 failed 5 channel_not_found", "U3 failed 5 user_disabled", "U2 pending 1 rate limited"})
	stDiff(t, "problems, limit 1", problems(1), []string{"U1 failed 5 channel_not_found"})

	n, err := s.RetryFailedDeliveries(ctx, f.ID, stNow.Add(2*time.Hour))
	if err != nil || n != 2 {
		t.Fatalf("RetryFailedDeliveries = %d, %v; want the 2 failed", n, err)
	}
	counts, err := s.FiringCounts(ctx, []int64{f.ID, other.ID})
	if err != nil {
		t.Fatalf("FiringCounts: %v", err)
	}
	stDiff(t, "counts after the retry", counts, map[int64]core.DeliveryCounts{f.ID: {Queued: 4, Pending: 3, Sent: 1, Retrying: 3}, other.ID: {Queued: 1, Failed: 1}})
	stDiff(t, "problems after the retry (the errors are kept)", problems(0),
		[]string{"U1 pending 0 channel_not_found", "U2 pending 1 rate limited", "U3 pending 0 user_disabled"})
	again, err := s.ClaimOutboxLane(ctx, core.PlatformSlack, core.LaneDeliveries, 10, stNow.Add(2*time.Hour), time.Minute)
	if err != nil {
		t.Fatalf("ClaimOutboxLane: %v", err)
	}
	var users []string
	for _, m := range again {
		var to core.Recipient
		_ = json.Unmarshal([]byte(m.Route), &to)
		users = append(users, to.UserID)
	}
	slices.Sort(users)
	stDiff(t, "claimed after the retry (never the sent one)", users, []string{"U1", "U2", "U3"})
	if n, err := s.RetryFailedDeliveries(ctx, f.ID, stNow.Add(2*time.Hour)); err != nil || n != 0 {
		t.Errorf("RetryFailedDeliveries again = %d, %v; want 0: nothing failed", n, err)
	}
	_, err = s.RetryFailedDeliveries(ctx, 0, stNow)
	stWantCode(t, "RetryFailedDeliveries of firing 0 (the replies)", err, core.EINVALID)
}
