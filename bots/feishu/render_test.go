package feishu

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func TestRenderReply(t *testing.T) {
	at := time.Date(2026, 11, 25, 1, 3, 0, 0, time.UTC) // 09:03 in Shanghai
	base := core.Reply{TimeZone: "Asia/Shanghai", At: at, SiteName: "望京SOHO", DistanceM: 85, RadiusM: 300, Kind: core.KindIn, Contact: "HR"}
	with := func(f func(*core.Reply)) core.Reply {
		r := base
		f(&r)
		return r
	}
	for _, tc := range []struct {
		name        string
		r           core.Reply
		fallback    string
		wantType    string
		wantColour  string
		wantContain []string
	}{
		{"accepted zh", with(func(r *core.Reply) { r.Outcome, r.Lang = core.OutcomeAccepted, "zh" }), "", "interactive", "green",
			[]string{"✅ 上班打卡成功", "时间\\n09:03", "地点\\n望京SOHO", "距离\\n85 m"}},
		{"accepted field en", with(func(r *core.Reply) { r.Outcome, r.Lang, r.DistanceM = core.OutcomeField, "en", 900 }), "", "interactive", "orange",
			[]string{"🟡 Field clock-in recorded", "900 m (allowed 300 m)"}},
		{"accepted field zh", with(func(r *core.Reply) { r.Outcome, r.Lang, r.DistanceM = core.OutcomeField, "zh", 900 }), "", "interactive", "orange",
			[]string{"🟡 外勤上班打卡已记录"}},
		{"field pending zh", with(func(r *core.Reply) { r.Outcome, r.Lang, r.DistanceM = core.OutcomeFieldPending, "zh", 1200 }), "", "interactive", "orange",
			[]string{"🟡 外勤上班打卡 · 等待审批", "审批通过前不计入考勤", "1.2 km（允许 300 m）"}},
		{"field pending en", with(func(r *core.Reply) {
			r.Outcome, r.Lang, r.Kind, r.DistanceM = core.OutcomeFieldPending, "en", core.KindOut, 1200
		}), "", "interactive", "orange",
			[]string{"🟡 Field clock-out · waiting for approval", "it does not count until approved"}},
		{"accepted but flagged out of range: orange, never green", with(func(r *core.Reply) {
			r.Outcome, r.Lang, r.DistanceM, r.Flags = core.OutcomeAccepted, "zh", 1200, []string{core.FlagOutOfRange}
		}), "", "interactive", "orange", []string{"⚠️ 上班打卡已记录（地点异常）", "1.2 km（允许 300 m）"}},
		{"rejected out of range", with(func(r *core.Reply) {
			r.Outcome, r.Lang, r.Kind, r.DistanceM, r.Reasons = core.OutcomeRejected, "zh", core.KindOut, 1200, []string{core.ReasonOutOfRange}
		}), "", "interactive", "red", []string{"❌ 下班打卡未记录", "不在打卡范围内：距 望京SOHO 1.2 km，允许 300 m"}},
		{"need location en", core.Reply{Outcome: core.OutcomeNeedLocation, Lang: "en", Kind: core.KindIn}, "", "text", "",
			[]string{"Share your location", "tap + → Location"}},
		{"unknown user, wrote English", core.Reply{Outcome: core.OutcomeUnknownUser, Contact: "HR"}, "en", "text", "",
			[]string{"not registered", "HR"}},
		{"unknown user, no language", core.Reply{Outcome: core.OutcomeUnknownUser, Contact: "HR"}, "", "text", "",
			[]string{"还没有登记", "HR"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := RenderReply(tc.r, tc.fallback)
			if m.MsgType != tc.wantType {
				t.Fatalf("msg_type = %s, want %s", m.MsgType, tc.wantType)
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(m.Content), &v); err != nil {
				t.Fatalf("content %q is not JSON: %v", m.Content, err)
			}
			if tc.wantColour != "" {
				if got := v["header"].(map[string]any)["template"]; got != tc.wantColour {
					t.Errorf("colour = %v, want %s", got, tc.wantColour)
				}
			}
			for _, w := range tc.wantContain {
				if !strings.Contains(m.Content, w) {
					t.Errorf("content %s lacks %q", m.Content, w)
				}
			}
			if tc.r.Outcome == core.OutcomeField || tc.r.Outcome == core.OutcomeFieldPending {
				// Field punches: never green, and only a pending one talks
				// about approval.
				for _, no := range []string{"✅", "需审批", "needs approval"} {
					if strings.Contains(m.Content, no) {
						t.Errorf("content %s has %q", m.Content, no)
					}
				}
				if tc.r.Outcome == core.OutcomeField && (strings.Contains(m.Content, "审批") || strings.Contains(m.Content, "approval")) {
					t.Errorf("accepted field punch %s promises an approval", m.Content)
				}
			}
		})
	}
}

// TestAnsweredCardOfPendingFieldClockOut: a confirmed clock-out that now
// waits for approval replaces the question with the orange punch card.
func TestAnsweredCardOfPendingFieldClockOut(t *testing.T) {
	r := core.Reply{Outcome: core.OutcomeFieldPending, Kind: core.KindOut, Lang: "zh", TimeZone: "Asia/Shanghai", At: time.Date(2026, 11, 25, 4, 0, 0, 0, time.UTC), SiteName: "望京SOHO", DistanceM: 1500, RadiusM: 300}
	buf, err := json.Marshal(answeredCard(r, "zh"))
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(buf, &v); err != nil {
		t.Fatal(err)
	}
	if got := v["header"].(map[string]any)["template"]; got != "orange" {
		t.Errorf("colour = %v, want orange", got)
	}
	if !strings.Contains(string(buf), "外勤下班打卡 · 等待审批") {
		t.Errorf("card %s does not say it waits for approval", buf)
	}
}
