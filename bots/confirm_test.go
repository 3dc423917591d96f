package bots

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestConfirmLines(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	in := &core.Punch{Kind: core.KindIn, At: time.Date(2026, 11, 26, 17, 55, 0, 0, loc)}
	day := &core.DayResult{Date: "2026-11-26", In: in, Statuses: []core.DayStatus{core.DayInProgress}}
	base := core.Reply{TimeZone: "Asia/Shanghai", Kind: core.KindOut}
	with := func(f func(*core.Reply)) core.Reply { r := base; f(&r); return r }
	tests := []struct {
		name   string
		reply  core.Reply
		zh, en []string // substrings
	}{
		{"early leave question", with(func(r *core.Reply) {
			r.Outcome, r.EarlyMin, r.At = core.OutcomeConfirm, 545, time.Date(2026, 11, 26, 8, 55, 0, 0, loc)
		}), []string{"确认下班打卡？将记为早退 9 小时 5 分钟", "08:55", "5 分钟内有效"},
			[]string{"Confirm clock-out? It will count as leaving 9 h 5 min early", "valid for 5 minutes"}},
		{"soon after the clock-in", with(func(r *core.Reply) {
			r.Outcome, r.At, r.Day, r.Reasons = core.OutcomeConfirm, in.At.Add(3*time.Minute), day, []string{core.ReasonSoonAfterIn}
		}), []string{"确认下班打卡？你 17:55 刚上班打卡（3 分钟前）"}, []string{"You clocked in only 3 minutes ago (17:55)"}},
		{"declined", with(func(r *core.Reply) { r.Outcome = core.OutcomeDeclined }), []string{"已取消", "未记录"}, []string{"Cancelled", "not recorded"}},
		{"nothing pending", with(func(r *core.Reply) { r.Outcome = core.OutcomeNothingPending }), []string{"没有等待确认的打卡", "5 分钟"}, []string{"Nothing is waiting for confirmation"}},
		{"repeat shows the day", with(func(r *core.Reply) {
			r.Outcome, r.Kind, r.Day, r.Reasons = core.OutcomeRepeat, core.KindIn, day, []string{core.ReasonAlreadyIn}
		}), []string{"你已于 17:55 上班打卡，本次不重复记录", "📋 2026-11-26：上班 17:55"}, []string{"You already clocked in at 17:55", "📋 2026-11-26: in 17:55"}},
		{"strict: already out", with(func(r *core.Reply) {
			r.Outcome, r.Reasons, r.Day = core.OutcomeRejected, []string{core.ReasonAlreadyOut}, day
		}), []string{"每班只记一次上班和一次下班", "补卡"}, []string{"only one of each counts", "make-up"}},
		{"strict: no clock-in", with(func(r *core.Reply) { r.Outcome, r.Reasons = core.OutcomeRejected, []string{core.ReasonNotIn} }),
			[]string{"还没有上班打卡"}, []string{"no clock-in for this shift"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for lang, want := range map[string][]string{"zh": tc.zh, "en": tc.en} {
				got := Headline(tc.reply, lang)
				for _, w := range want {
					if !strings.Contains(got, w) {
						t.Errorf("%s: Headline = %q, want it to contain %q", lang, got, w)
					}
				}
			}
		})
	}
	if _, ok := ConfirmLine(core.Reply{Outcome: core.OutcomeAccepted}, "zh"); ok {
		t.Error("ConfirmLine answers an accepted punch; want it left to the punch line")
	}
	if _, ok := ConfirmLine(core.Reply{Outcome: core.OutcomeRejected, Reasons: []string{core.ReasonOutOfRange}}, "zh"); ok {
		t.Error("ConfirmLine answers an out-of-range refusal; want it left to RejectReason")
	}
}

func TestConfirmHintsInBothLanguages(t *testing.T) {
	for _, lang := range []string{"zh", "en"} {
		c, d := ConfirmLabels(lang)
		for name, s := range map[string]string{"hint": ConfirmHint(lang), "button hint": ConfirmButtonHint(lang), "confirm": c, "decline": d, "not for you": NotForYou(lang)} {
			if s == "" || (lang == "en") == (DetectLang(s) == "zh") {
				t.Errorf("%s %s = %q, want text in %s", lang, name, s, lang)
			}
		}
	}
}
