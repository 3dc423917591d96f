package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestFieldPunchWording: an accepted field punch promises no approval; one
// waiting for approval, a repeat while it waits, and a confirmed clock-out
// that waits say so, in yellow and never with the green tick.
func TestFieldPunchWording(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	at := time.Date(2026, 12, 3, 8, 50, 0, 0, sh)
	base := core.Reply{Kind: core.KindIn, TimeZone: "Asia/Shanghai", At: at, SiteName: "望京SOHO", DistanceM: 1234, RadiusM: 300, Reasons: []string{core.ReasonOutOfRange}}
	with := func(f func(*core.Reply)) core.Reply {
		r := base
		f(&r)
		return r
	}
	pendingDay := &core.DayResult{Date: "2026-12-03", Workday: true, Statuses: []core.DayStatus{core.DayPendingApproval}}
	tests := []struct {
		name string
		r    core.Reply
		lang string
		want []string
		not  []string
	}{
		{"accepted field zh", with(func(r *core.Reply) { r.Outcome = core.OutcomeField }), "zh",
			[]string{"🟡 外勤上班打卡已记录 08:50", "距 望京SOHO 1.2 km"}, []string{"审批", "✅"}},
		{"accepted field en", with(func(r *core.Reply) { r.Outcome = core.OutcomeField }), "en",
			[]string{"🟡 Field clock-in recorded at 08:50"}, []string{"approv", "✅"}},
		{"pending zh", with(func(r *core.Reply) { r.Outcome = core.OutcomeFieldPending }), "zh",
			[]string{"🟡 外勤上班打卡已提交", "等待", "审批", "不计入考勤"}, []string{"✅", "已记录"}},
		{"pending en", with(func(r *core.Reply) { r.Outcome = core.OutcomeFieldPending }), "en",
			[]string{"🟡 Field clock-in submitted", "waiting for approval"}, []string{"✅", "recorded"}},
		{"repeat while pending zh", with(func(r *core.Reply) {
			r.Outcome, r.Reasons, r.Day = core.OutcomeRepeat, []string{core.ReasonOutOfRange, core.ReasonFieldInPending}, pendingDay
		}), "zh", []string{"🟡 你的外勤上班打卡正在等待审批", "不重复提交", "📋 2026-12-03：上班 —，下班 —；待审批"}, []string{"✅", "你已上班打卡"}},
		{"repeat while pending en", with(func(r *core.Reply) {
			r.Outcome, r.Reasons, r.Day = core.OutcomeRepeat, []string{core.ReasonOutOfRange, core.ReasonFieldInPending}, pendingDay
		}), "en", []string{"🟡 Your field clock-in is waiting for approval", "not filed again", "pending approval"}, []string{"✅", "already clocked in"}},
	}
	flagged := with(func(r *core.Reply) {
		r.Outcome, r.Reasons, r.Flags = core.OutcomeAccepted, nil, []string{core.FlagOutOfRange}
	})
	tests = append(tests, []struct {
		name string
		r    core.Reply
		lang string
		want []string
		not  []string
	}{
		// The schedule flags out-of-range punches: counted, as an anomaly.
		{"flagged zh", flagged, "zh", []string{"⚠️ 上班打卡已记录（地点异常） 08:50 · 距 望京SOHO 1.2 km"}, []string{"✅", "⚠️ 不在打卡范围内"}},
		{"flagged en", flagged, "en", []string{"⚠️ Clock-in recorded, outside the punch area, at 08:50 · 1.2 km from 望京SOHO"}, []string{"✅"}},
	}...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Headline(tc.r, tc.lang)
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("Headline = %q, want it to contain %q", got, w)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("Headline = %q, want no %q", got, n)
				}
			}
		})
	}
	for lang, want := range map[string]string{"zh": "已确认，等待审批", "en": "Confirmed, waiting for approval"} {
		if got := ConfirmDoneLabel(with(func(r *core.Reply) { r.Outcome = core.OutcomeFieldPending }), lang); got != want {
			t.Errorf("ConfirmDoneLabel(field_pending, %s) = %q, want %q", lang, got, want)
		}
	}
}

// TestSupersededFieldApproval: a field clock-in approved after an on-site
// clock-in says on its card and to the employee that no punch was added.
func TestSupersededFieldApproval(t *testing.T) {
	sh := time.FixedZone("CST", 8*3600)
	v := core.MakeupView{EmployeeName: "张三", DeciderName: "王经理", TimeZone: "Asia/Shanghai",
		Request: core.MakeupRequest{ID: 7, Type: core.RequestField, Kind: core.KindIn, ShiftDate: "2026-12-03", At: time.Date(2026, 12, 3, 8, 50, 0, 0, sh),
			Status: core.MakeupApproved, DecidedBy: "M1", DecidedAt: time.Date(2026, 12, 3, 11, 0, 0, 0, sh)},
		Field: &core.FieldView{Kind: core.KindIn, SiteName: "望京SOHO", DistanceM: 1200, RadiusM: 300, Superseded: true}}
	tests := []struct {
		name, lang, got string
		want, not       string
	}{
		{"card zh", "zh", MakeupCardContent(v, "zh").Text(), "结果：本班次已有到岗上班打卡，以那次为准，未另记外勤打卡。", ""},
		{"card en", "en", MakeupCardContent(v, "en").Text(), "no field punch was added", ""},
		{"result zh", "zh", MakeupResultText(v, "zh"), "未另记外勤打卡", "按外勤计入考勤"},
		{"result en", "en", MakeupResultText(v, "en"), "no field punch was added", "counts as a field punch"},
	}
	for _, tc := range tests {
		if !strings.Contains(tc.got, tc.want) {
			t.Errorf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
		if tc.not != "" && strings.Contains(tc.got, tc.not) {
			t.Errorf("%s = %q, want no %q", tc.name, tc.got, tc.not)
		}
	}
	v.Field.Superseded = false
	if got := MakeupResultText(v, "zh"); !strings.Contains(got, "按外勤计入考勤") || strings.Contains(got, "未另记") {
		t.Errorf("approved field result = %q, want it counted as a field punch", got)
	}
}
