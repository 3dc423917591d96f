package wecom

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

func overtimeMode(mode core.OvertimeMode) func(*core.Org) {
	return func(o *core.Org) {
		o.Schedules[0].Overtime = core.OvertimeRule{Mode: mode, StartsAfterMin: 30, MinMin: 30, UnitMin: 30}
	}
}

// overtimeFormXML is the template_card_event of a submitted overtime
// form: leaveFormXML's shape (PLATFORMS.md §3.4) with its submit key.
func overtimeFormXML(from, taskID, code string, ct int64, items [][2]string) string {
	return strings.Replace(leaveFormXML(from, taskID, code, ct, items), KeyLeaveFormSubmit, KeyOvertimeFormSubmit, 1)
}

// cancelNo is the request number in the typed way to withdraw or reject it.
var cancelNo = regexp.MustCompile(`(取消|驳回) \d+`)

// overtimeChoice is Tuesday 3 March, 18:30 to 21:00 (minutes after the
// date's midnight).
var overtimeChoice = [][2]string{{questionOvertimeDate, "2026-03-03"}, {questionOvertimeStart, "1110"}, {questionOvertimeEnd, "1260"}}

// TestOvertimeFormCardOnWeCom: under overtime by approval 加班 / overtime
// alone is answered with the card: three drop-downs (date: today and the
// nine days after; start and end: half hours after the 18:00 end, the
// ends past midnight marked 次日 / next day), the reason left empty, said
// so. Off or by punch, the answer is the typed request's refusal, as text.
func TestOvertimeFormCardOnWeCom(t *testing.T) {
	english := func(o *core.Org) { o.Employees[0].Lang = "en" }
	tests := []struct {
		name             string
		adjust           []func(*core.Org)
		text             string
		wantTitles       []string
		wantDates        []string // first and last
		wantStarts       []string // first and last
		wantEnds         []string // first and last
		wantDesc, submit string
	}{
		{name: "Chinese", adjust: []func(*core.Org){overtimeMode(core.OvertimeApproval)}, text: "加班", wantTitles: []string{"日期", "开始", "结束"},
			wantDates: []string{"03-02 周一", "03-11 周三"}, wantStarts: []string{"18:30", "23:00"}, wantEnds: []string{"19:00", "次日 01:00"}, wantDesc: "事由留空", submit: "提交"},
		{name: "English, both", adjust: []func(*core.Org){overtimeMode(core.OvertimeBoth), english}, text: "overtime", wantTitles: []string{"Date", "Start", "End"},
			wantDates: []string{"Mon 03-02", "Wed 03-11"}, wantStarts: []string{"18:30", "23:00"}, wantEnds: []string{"19:00", "01:00 (next day)"}, wantDesc: "without a reason", submit: "Submit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMakeupEnv(t, tt.adjust...)
			card, _ := e.askLeaveForm(t, tt.text, "9601", 0)
			if n := e.makeupAudits("overtime.requested"); n != 0 {
				t.Errorf("asking for the form filed %d requests, want none", n)
			}
			task, ok := parseFormTask(overtimeFormTaskPrefix, fmt.Sprint(card["task_id"]))
			if card["card_type"] != CardMultiInteraction || !ok || task.tag != userTag(testCorpID, testUser) {
				t.Errorf("got card_type %v, task_id %v (%+v, %v); want %s and an overtime task of %s", card["card_type"], card["task_id"], task, ok, CardMultiInteraction, testUser)
			}
			titles, texts, _ := selects(card)
			if fmt.Sprint(titles) != fmt.Sprint(tt.wantTitles) || len(texts) != maxSelects {
				t.Fatalf("got drop-downs %v, want %v", titles, tt.wantTitles)
			}
			for i, want := range [][]string{tt.wantDates, tt.wantStarts, tt.wantEnds} {
				if got := texts[i]; len(got) != maxSelectOptions || got[0] != want[0] || got[len(got)-1] != want[1] {
					t.Errorf("%s: got %v, want %d options from %s to %s", titles[i], got, maxSelectOptions, want[0], want[1])
				}
			}
			submit := card["submit_button"].(map[string]any)
			if submit["key"] != KeyOvertimeFormSubmit || submit["text"] != tt.submit {
				t.Errorf("got submit_button %v, want key %s text %s", submit, KeyOvertimeFormSubmit, tt.submit)
			}
			if desc := fmt.Sprint(card["main_title"].(map[string]any)["desc"]); !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("got main_title.desc %q, want %q", desc, tt.wantDesc)
			}
		})
	}
	for _, mode := range []core.OvertimeMode{core.OvertimeOff, core.OvertimePunch} {
		t.Run("refused, "+string(mode), func(t *testing.T) {
			e := newMakeupEnv(t, overtimeMode(mode))
			e.post(textXML(testUser, "加班", "9611", e.unix(0)))
			e.post(textXML(testUser, "加班 03-03 18:30-21:00", "9612", e.unix(0)))
			out, _ := e.drain(0)
			got := findSent(out, "/cgi-bin/message/send", testUser)
			if len(got) != 2 || got[0].Body["msgtype"] != "text" || !strings.Contains(textOf(got[0]), "不按审批计算加班") || textOf(got[0]) != textOf(got[1]) {
				t.Errorf("got %+v, want the typed request's refusal as text twice", got)
			}
		})
	}
}

// TestOvertimeFormSubmitOnWeCom: 张三 picks Tuesday 18:30–21:00. The
// request is stored once however often WeCom delivers the tap; his answer
// and 王经理's card are those of the typed "加班 03-03 18:30-21:00"; the
// form gives way to what was filed and a second tap files nothing. An end
// past midnight is the next day.
func TestOvertimeFormSubmitOnWeCom(t *testing.T) {
	typed := newMakeupEnv(t, overtimeMode(core.OvertimeApproval))
	typed.post(textXML(testUser, "加班 03-03 18:30-21:00", "9701", typed.unix(0)))
	typedOut, _ := typed.drain(0)

	e := newMakeupEnv(t, overtimeMode(core.OvertimeApproval))
	card, mark := e.askLeaveForm(t, "加班", "9702", 0)
	taskID := card["task_id"].(string)
	e.clock.Advance(time.Minute)
	for range 3 { // WeCom's retries of one callback
		if rec := e.deliver(e.seal(overtimeFormXML(testUser, taskID, "OT_CODE_1", e.unix(0), overtimeChoice))); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("got %d %q, want an empty 200", rec.Code, rec.Body.String())
		}
	}
	reqs, err := e.svc.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("CST", 8*3600)
	if len(reqs) != 1 || reqs[0].Type != core.RequestOvertime || reqs[0].Status != core.MakeupPending || reqs[0].Reason != "" ||
		!reqs[0].Start.Equal(time.Date(2026, 3, 3, 18, 30, 0, 0, loc)) || !reqs[0].End.Equal(time.Date(2026, 3, 3, 21, 0, 0, 0, loc)) {
		t.Fatalf("got %+v, want one pending overtime 2026-03-03 18:30–21:00 without a reason", reqs)
	}
	out, mark := e.drain(mark)
	for _, to := range []string{testUser, "manager"} {
		got, want := findSent(out, "/cgi-bin/message/send", to), findSent(typedOut, "/cgi-bin/message/send", to)
		if len(got) != 1 || len(want) != 1 || cancelNo.ReplaceAllString(withoutTaskID(t, got[0]), "N") != cancelNo.ReplaceAllString(withoutTaskID(t, want[0]), "N") {
			t.Errorf("%s got %+v, want the typed request's %+v", to, got, want)
		}
	}
	ups := findSent(out, "/cgi-bin/message/update_template_card", testUser)
	if len(ups) != 1 || ups[0].Body["response_code"] != "OT_CODE_1" {
		t.Fatalf("got card updates %+v, want one with the tap's code", ups)
	}
	done := ups[0].Body["template_card"].(map[string]any)
	_, texts, _ := selects(done)
	if done["replace_text"] != "已提交" || done["main_title"].(map[string]any)["title"] != fmt.Sprintf("加班申请 #%d 已提交", reqs[0].ID) ||
		fmt.Sprint(texts) != "[[03-03 周二] [18:30] [21:00]]" {
		t.Errorf("got updated card %v, want the filing with its choices and a grey 已提交", done)
	}
	e.clock.Advance(time.Minute)
	e.post(overtimeFormXML(testUser, taskID, "OT_CODE_2", e.unix(0), overtimeChoice))
	if out, _ := e.drain(mark); len(out) != 0 || e.makeupAudits("overtime.requested") != 1 {
		t.Errorf("a second tap sent %+v, %d requests; want nothing more", out, e.makeupAudits("overtime.requested"))
	}

	card, _ = e.askLeaveForm(t, "加班", "9703", mark)
	night := [][2]string{{questionOvertimeDate, "2026-03-04"}, {questionOvertimeStart, "1200"}, {questionOvertimeEnd, "1500"}}
	e.post(overtimeFormXML(testUser, card["task_id"].(string), "OT_CODE_3", e.unix(0), night))
	reqs, _ = e.svc.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: "e1"})
	if len(reqs) != 2 || !reqs[1].Start.Equal(time.Date(2026, 3, 4, 20, 0, 0, 0, loc)) || !reqs[1].End.Equal(time.Date(2026, 3, 5, 1, 0, 0, 0, loc)) {
		t.Errorf("got %+v, want a second overtime 2026-03-04 20:00 to 03-05 01:00", reqs)
	}
}

// TestOvertimeFormBadInputOnWeCom: every bad submission is answered with a
// passive text in the card's language and changes nothing.
func TestOvertimeFormBadInputOnWeCom(t *testing.T) {
	with := func(key, id string) [][2]string {
		var out [][2]string
		for _, c := range overtimeChoice {
			if c[0] == key {
				if id == "-" {
					continue
				}
				c[1] = id
			}
			out = append(out, c)
		}
		return out
	}
	tests := []struct {
		name    string
		english bool
		from    string
		after   time.Duration
		items   [][2]string
		want    string
	}{
		{name: "no end", items: with(questionOvertimeEnd, "-"), want: "请选好日期、开始和结束时间"},
		{name: "empty start, in English", english: true, items: with(questionOvertimeStart, ""), want: "choose the date, the start and the end"},
		{name: "end before start", items: [][2]string{{questionOvertimeDate, "2026-03-03"}, {questionOvertimeStart, "1200"}, {questionOvertimeEnd, "1140"}}, want: "结束时间须晚于开始时间"},
		{name: "start not offered", items: with(questionOvertimeStart, "600"), want: "不是这张卡片提供的选项"},
		{name: "date beyond the list", items: with(questionOvertimeDate, "2026-03-12"), want: "不是这张卡片提供的选项"},
		{name: "date passed since midnight", after: 15 * time.Hour, items: with(questionOvertimeDate, "2026-03-02"), want: "03-02 周一 已经过去"},
		{name: "expired card", after: 25 * time.Hour, items: overtimeChoice, want: "这张加班卡片已过期"},
		{name: "someone else's card", from: "peer", items: overtimeChoice, want: "发给别人"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adjust := []func(*core.Org){overtimeMode(core.OvertimeApproval)}
			text := "加班"
			if tt.english {
				adjust, text = append(adjust, func(o *core.Org) { o.Employees[0].Lang = "en" }), "overtime"
			}
			e := newMakeupEnv(t, adjust...)
			card, mark := e.askLeaveForm(t, text, "9801", 0)
			e.clock.Advance(time.Minute + tt.after)
			from := testUser
			if tt.from != "" {
				from = tt.from
			}
			rec := e.deliver(e.seal(overtimeFormXML(from, card["task_id"].(string), "BAD_CODE", e.unix(0), tt.items)))
			if rec.Code != 200 {
				t.Fatalf("got status %d (%s), want 200", rec.Code, rec.Body.String())
			}
			if got := mustOpenPassive(t, e.enc, rec).Msg.Content; !strings.Contains(got, tt.want) {
				t.Errorf("got answer %q, want it to contain %q", got, tt.want)
			}
			if out, _ := e.drain(mark); len(out) != 0 || e.makeupAudits("overtime.requested") != 0 {
				t.Errorf("a bad submission sent %+v, %d requests; want nothing", out, e.makeupAudits("overtime.requested"))
			}
		})
	}
}
