package core_test

import (
	"context"
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// mustRosters returns the harness organisation's rosters with zones resolved.
func mustRosters(tb testing.TB, h *harness) []core.Roster {
	tb.Helper()
	rs, err := h.store.Rosters(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	core.ResolveZones(rs)
	return rs
}

// validPunch is an accepted punch of one employee on a shift date.
func validPunch(emp string, kind core.PunchKind, at time.Time, date string) core.Punch {
	return core.Punch{EmployeeID: emp, Kind: kind, At: at, ShiftDate: date, Outcome: core.OutcomeAccepted}
}

func recipients(ds []core.Delivery) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Recipient.EmployeeID)
	}
	sort.Strings(out)
	return out
}

// dayStaff are the active employees on the 09:00–18:00 Shanghai schedules.
var dayStaff = []string{"E1", "F1", "G1", "R1", "T1", "W1"}

func TestPunchInReminderRecipients(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	rem := core.Reminder{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true}
	tests := []struct {
		name    string
		at      time.Time
		punches []core.Punch
		want    []string
	}{
		{"a workday at 08:50 in Shanghai", sh(t, "2026-11-26 08:50:00"), nil, dayStaff},
		{"one minute later nobody", sh(t, "2026-11-26 08:51:00"), nil, nil},
		{"an employee who already punched in gets nothing", sh(t, "2026-11-26 08:50:00"),
			[]core.Punch{validPunch("E1", core.KindIn, sh(t, "2026-11-26 08:40:00"), "2026-11-26")}, []string{"F1", "G1", "R1", "T1", "W1"}},
		{"a rejected attempt is not a punch", sh(t, "2026-11-26 08:50:00"),
			[]core.Punch{{EmployeeID: "E1", Kind: core.KindIn, At: sh(t, "2026-11-26 08:40:00"), ShiftDate: "2026-11-26", Outcome: core.OutcomeRejected}}, dayStaff},
		{"yesterday's punch does not count", sh(t, "2026-11-26 08:50:00"),
			[]core.Punch{validPunch("E1", core.KindIn, sh(t, "2026-11-25 08:40:00"), "2026-11-25")}, dayStaff},
		{"a public holiday (国庆节)", sh(t, "2026-10-01 08:50:00"), nil, nil},
		{"a 调休 Saturday is a workday", sh(t, "2026-10-10 08:50:00"), nil, dayStaff},
		{"an ordinary Sunday", sh(t, "2026-10-11 08:50:00"), nil, nil},
		// 08:50 in New York is 21:50 in Shanghai: Alice's morning reminder
		// and the Shanghai night shift's (22:00 start) fire at one instant.
		{"two time zones at one instant", mustTime(t, "America/New_York", "2026-11-26 08:50:00"), nil, []string{"E2", "N1"}},
		{"New York's 08:50 on a US workday only", mustTime(t, "America/New_York", "2026-11-28 08:50:00"), nil, []string{"N1"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q := core.DueQuery{At: tc.at}
			cands := core.ReminderCandidates(rem, rosters, q)
			punches := map[string][]core.Punch{}
			for _, p := range tc.punches {
				punches[p.EmployeeID] = append(punches[p.EmployeeID], p)
			}
			got := recipients(core.ReminderDeliveries(rem, cands, punches, nil, q, false))
			if !slices.Equal(got, tc.want) {
				t.Errorf("recipients at %s = %v, want %v", tc.at, got, tc.want)
			}
		})
	}
}

func TestPunchInReminderNotice(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	rem := core.Reminder{ID: "morning", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true, Audience: core.Audience{Employees: []string{"E2"}}}
	at := mustTime(t, "America/New_York", "2026-11-26 08:50:00")
	q := core.DueQuery{At: at}
	ds := core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), nil, nil, q, true)
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v, want Alice's only (the audience narrows it)", ds)
	}
	d := ds[0]
	want := core.Recipient{Platform: core.PlatformWeCom, Tenant: "corp", UserID: "alice", EmployeeID: "E2", Lang: "en"}
	if d.Recipient != want {
		t.Errorf("recipient = %+v, want %+v", d.Recipient, want)
	}
	n := d.Notice
	if n.ShiftDate != "2026-11-26" || !n.ShiftStart.Equal(mustTime(t, "America/New_York", "2026-11-26 09:00:00")) || n.TimeZone != "America/New_York" || !n.Late || n.Name != "Alice" {
		t.Errorf("notice = %+v, want the 09:00 New York shift of 2026-11-26, late, for Alice", n)
	}
	if want := core.DeliveryKey("morning", at, want); d.Key != want || !strings.Contains(d.Key, "e:E2") {
		t.Errorf("key = %q, want %q naming the employee", d.Key, want)
	}
	msgs, err := core.DeliveryMessages(ds, 7, at)
	if err != nil {
		t.Fatal(err)
	}
	var back core.Notice
	var route core.Recipient
	if err := json.Unmarshal(msgs[0].Payload, &back); err != nil || json.Unmarshal([]byte(msgs[0].Route), &route) != nil {
		t.Fatalf("payload %s / route %s do not decode: %v", msgs[0].Payload, msgs[0].Route, err)
	}
	if msgs[0].Kind != core.OutboxNotice || msgs[0].FiringID != 7 || msgs[0].DedupeKey != d.Key || route != d.Recipient || !back.ShiftStart.Equal(n.ShiftStart) {
		t.Errorf("outbox message = %+v (notice %+v), want a notice of firing 7", msgs[0], back)
	}
}

func TestDisabledAndExpiredReminders(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	at := sh(t, "2026-11-26 08:50:00")
	tests := []struct {
		name string
		rem  core.Reminder
		want int
	}{
		{"enabled", core.Reminder{ID: "r", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true}, len(dayStaff)},
		{"disabled", core.Reminder{ID: "r", Kind: core.ReminderPunchIn, MinutesBefore: 10}, 0},
		{"until the day before", core.Reminder{ID: "r", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true, Until: "2026-11-25"}, 0},
		{"until that very day", core.Reminder{ID: "r", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true, Until: "2026-11-26"}, len(dayStaff)},
		{"a department", core.Reminder{ID: "r", Kind: core.ReminderPunchIn, MinutesBefore: 10, Enabled: true, Audience: core.Audience{Departments: []string{"nobody"}}}, 0},
	}
	for _, tc := range tests {
		if got := len(core.ReminderCandidates(tc.rem, rosters, core.DueQuery{At: at})); got != tc.want {
			t.Errorf("%s: %d candidates, want %d", tc.name, got, tc.want)
		}
	}
}

func TestPunchOutReminder(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	rem := core.Reminder{ID: "evening", Kind: core.ReminderPunchOut, Enabled: true}
	punches := map[string][]core.Punch{
		"E1": {validPunch("E1", core.KindIn, sh(t, "2026-11-26 08:45:00"), "2026-11-26")},
		"F1": {validPunch("F1", core.KindIn, sh(t, "2026-11-26 08:45:00"), "2026-11-26"), validPunch("F1", core.KindOut, sh(t, "2026-11-26 17:59:00"), "2026-11-26")},
		// W1 works flexible hours: in at 09:20, so the day ends at 18:20.
		"W1": {validPunch("W1", core.KindIn, sh(t, "2026-11-26 09:20:00"), "2026-11-26")},
		// The night shift that started the day before ends at 02:00.
		"N1": {validPunch("N1", core.KindIn, sh(t, "2026-11-25 21:55:00"), "2026-11-25")},
	}
	tests := []struct {
		at   time.Time
		want []string
	}{
		{sh(t, "2026-11-26 02:00:00"), []string{"N1"}},
		{sh(t, "2026-11-26 17:59:00"), nil},
		{sh(t, "2026-11-26 18:00:00"), []string{"E1"}},
		{sh(t, "2026-11-26 18:01:00"), nil},
		{sh(t, "2026-11-26 18:20:00"), []string{"W1"}},
	}
	for _, tc := range tests {
		q := core.DueQuery{At: tc.at}
		got := recipients(core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), punches, nil, q, false))
		if !slices.Equal(got, tc.want) {
			t.Errorf("punch-out reminder at %s: %v, want %v", tc.at.Format("01-02 15:04"), got, tc.want)
		}
	}
	// Forced (admin "run now") at 15:00: whoever is in and not out today.
	q := core.DueQuery{At: sh(t, "2026-11-26 15:00:00"), Forced: true}
	if got := recipients(core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), punches, nil, q, false)); !slices.Equal(got, []string{"E1", "W1"}) {
		t.Errorf("forced punch-out reminder: %v, want [E1 W1]", got)
	}
}

func TestMissedPunchNotice(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	rem := core.Reminder{ID: "missed", Kind: core.ReminderMissedPunch, Enabled: true, Audience: core.Audience{Employees: []string{"E1", "F1", "R1", "T1"}}}
	punches := map[string][]core.Punch{
		"E1": {validPunch("E1", core.KindIn, sh(t, "2026-11-26 08:45:00"), "2026-11-26")},
		"F1": {validPunch("F1", core.KindIn, sh(t, "2026-11-26 08:45:00"), "2026-11-26"), validPunch("F1", core.KindOut, sh(t, "2026-11-26 18:05:00"), "2026-11-26")},
		"T1": {validPunch("T1", core.KindOut, sh(t, "2026-11-26 18:05:00"), "2026-11-26")},
	}
	// T1 already asked for a make-up of the missing check-in.
	makeups := []core.MakeupRequest{{EmployeeID: "T1", ShiftDate: "2026-11-26", Kind: core.KindIn, Status: core.MakeupPending}}
	at := sh(t, "2026-11-27 09:00:00")
	q := core.DueQuery{At: at}
	ds := core.ReminderDeliveries(rem, core.ReminderCandidates(rem, rosters, q), punches, makeups, q, false)
	got := map[string][]string{}
	for _, d := range ds {
		for _, m := range d.Notice.Missing {
			got[d.Recipient.EmployeeID] = append(got[d.Recipient.EmployeeID], m.Date+" "+string(m.Kind)+" "+m.At.In(sh(t, "2026-01-01 00:00:00").Location()).Format("15:04"))
		}
	}
	want := map[string][]string{
		"E1": {"2026-11-26 out 18:00"},
		"R1": {"2026-11-26 in 09:00", "2026-11-26 out 18:00"},
	}
	if len(got) != len(want) || !slices.Equal(got["E1"], want["E1"]) || !slices.Equal(got["R1"], want["R1"]) {
		t.Errorf("missing slots = %v, want %v", got, want)
	}
	if n := len(core.ReminderCandidates(rem, rosters, core.DueQuery{At: sh(t, "2026-11-27 08:59:00")})); n != 0 {
		t.Errorf("at 08:59: %d candidates, want none (default 09:00 local)", n)
	}
	// After a rest day (Saturday's notice is about Friday; Sunday's about
	// Saturday, which nobody works).
	if n := len(core.ReminderCandidates(rem, rosters, core.DueQuery{At: sh(t, "2026-11-29 09:00:00")})); n != 0 {
		t.Errorf("Sunday morning: %d candidates, want none", n)
	}
	// A reminder with its own schedule decides per zone.
	noon := core.DueQuery{At: sh(t, "2026-11-27 12:00:00"), LocalFires: func(loc *time.Location) bool { return loc.String() == "Asia/Shanghai" }}
	if n := len(core.ReminderCandidates(rem, rosters, noon)); n != 4 {
		t.Errorf("with LocalFires: %d candidates, want the 4 named", n)
	}
}

func TestBroadcastDeliveries(t *testing.T) {
	emps := []core.Employee{
		{ID: "a", Name: "A", Active: true, Department: "Ops", Lang: "zh", Identities: []core.Identity{{Platform: core.PlatformWeb, UserID: "a"}, {Platform: core.PlatformSlack, Tenant: "T", UserID: "UA"}}},
		{ID: "b", Name: "B", Active: true, Department: "Sales", Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: "ou_b"}}},
		{ID: "c", Name: "C", Active: false, Department: "Ops", Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "c"}}},
		{ID: "d", Name: "D", Active: true, Department: "Ops", Identities: []core.Identity{{Platform: core.PlatformWeb, UserID: "d"}}},
	}
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	chats := []core.ChatTarget{{Platform: core.PlatformSlack, ChatID: "C1"}, {Platform: core.PlatformSlack, ChatID: "C1"}}
	tests := []struct {
		name        string
		aud         core.Audience
		want        []string
		unreachable []string
	}{
		{"everyone active", core.Audience{Everyone: true}, []string{"a", "b"}, []string{"d"}},
		{"a department and a person, once each", core.Audience{Departments: []string{"Ops"}, Employees: []string{"a", "b"}}, []string{"a", "b"}, []string{"d"}},
		{"named chats only, once each", core.Audience{Chats: chats}, []string{"slack:C1"}, nil},
		{"nobody", core.Audience{}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := core.Reminder{ID: "b", Kind: core.ReminderBroadcast, Text: "**hi**", Markdown: true, Audience: tc.aud, Enabled: true}
			ds, unreachable := core.BroadcastDeliveries(r, emps, at, "zh", false)
			var got []string
			for _, d := range ds {
				if d.Recipient.ChatID != "" {
					got = append(got, string(d.Recipient.Platform)+":"+d.Recipient.ChatID)
				} else {
					got = append(got, d.Recipient.EmployeeID)
				}
				if d.Notice != ds[0].Notice || d.Notice.Text != "**hi**" || !d.Notice.Markdown {
					t.Errorf("delivery %+v does not share the broadcast notice", d)
				}
			}
			if !slices.Equal(got, tc.want) || !slices.Equal(unreachable, tc.unreachable) {
				t.Errorf("recipients %v, unreachable %v; want %v, %v", got, unreachable, tc.want, tc.unreachable)
			}
		})
	}
}

func TestApprovalDigest(t *testing.T) {
	emps := []core.Employee{
		{ID: "boss", Name: "Boss", Active: true, Lang: "en", Identities: []core.Identity{{Platform: core.PlatformSlack, UserID: "UB"}}},
		{ID: "hr", Name: "HR", Active: true, Role: core.RoleHR, Identities: []core.Identity{{Platform: core.PlatformFeishu, UserID: "ou_hr"}}},
		{ID: "e1", Name: "张三", Active: true, ManagerID: "boss", Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "e1"}}},
		{ID: "e2", Name: "李四", Active: true, Identities: []core.Identity{{Platform: core.PlatformWeCom, UserID: "e2"}}},
	}
	at := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	mk := func(id int64, emp, approver string, age time.Duration, st core.MakeupStatus) core.MakeupRequest {
		return core.MakeupRequest{ID: id, EmployeeID: emp, ApproverID: approver, ShiftDate: "2026-11-27", Kind: core.KindIn, Status: st, CreatedAt: at.Add(-age)}
	}
	pending := []core.MakeupRequest{
		mk(1, "e1", "", 30*time.Hour, core.MakeupPending),      // manager: boss
		mk(2, "e1", "boss", 25*time.Hour, core.MakeupPending),  // named approver
		mk(3, "e1", "boss", 2*time.Hour, core.MakeupPending),   // too recent
		mk(4, "e2", "", 48*time.Hour, core.MakeupPending),      // nobody: HR
		mk(5, "e1", "boss", 72*time.Hour, core.MakeupApproved), // decided
	}
	r := core.Reminder{ID: "digest", Kind: core.ReminderApprovalDigest, OlderThanHrs: 24, Enabled: true}
	ds := core.DigestDeliveries(r, pending, emps, at, false)
	got := map[string][]int64{}
	for _, d := range ds {
		for _, p := range d.Notice.Pending {
			got[d.Recipient.EmployeeID] = append(got[d.Recipient.EmployeeID], p.ID)
		}
		if d.Notice.PendingTotal != len(d.Notice.Pending) {
			t.Errorf("total %d, listed %d", d.Notice.PendingTotal, len(d.Notice.Pending))
		}
	}
	if len(got) != 2 || !slices.Equal(got["boss"], []int64{1, 2}) || !slices.Equal(got["hr"], []int64{4}) {
		t.Errorf("digest = %v, want boss [1 2] (oldest first) and hr [4]", got)
	}
	if ds[0].Notice.Pending[0].EmployeeName != "张三" {
		t.Errorf("digest item = %+v, want the requester's name", ds[0].Notice.Pending[0])
	}
	var many []core.MakeupRequest
	for i := range core.MaxDigestItems + 5 {
		many = append(many, mk(int64(100+i), "e1", "boss", 30*time.Hour, core.MakeupPending))
	}
	if ds := core.DigestDeliveries(r, many, emps, at, false); len(ds) != 1 || len(ds[0].Notice.Pending) != core.MaxDigestItems || ds[0].Notice.PendingTotal != core.MaxDigestItems+5 {
		t.Errorf("a long digest lists %d of %d, want %d of %d", len(ds[0].Notice.Pending), ds[0].Notice.PendingTotal, core.MaxDigestItems, core.MaxDigestItems+5)
	}
}

func TestPunchWindow(t *testing.T) {
	h := newHarness(t, nil)
	rosters := mustRosters(t, h)
	rem := core.Reminder{ID: "m", Kind: core.ReminderMissedPunch, Enabled: true}
	cands := core.ReminderCandidates(rem, rosters, core.DueQuery{At: sh(t, "2026-11-27 09:00:00")})
	from, to := core.PunchWindow(cands)
	if !from.Equal(sh(t, "2026-11-26 07:00:00")) || !to.Equal(sh(t, "2026-11-27 04:01:00")) {
		t.Errorf("window = %s – %s, want the 26th's 07:00 to the night shift's check-out close (04:00) plus a minute", from, to)
	}
}
