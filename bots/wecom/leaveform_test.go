package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// leaveFormXML is the template_card_event of a submitted leave form, in
// the shape of the documented sample (PLATFORMS.md section 3.4, doc 90240
// 模板卡片事件推送): CardType multiple_interaction, the submit button's key
// as EventKey, and one SelectedItem per drop-down. A question mapped to nil
// is sent with an empty OptionIds; a question left out is not sent.
func leaveFormXML(from, taskID, code string, ct int64, items [][2]string) string {
	var sel strings.Builder
	for _, it := range items {
		sel.WriteString("<SelectedItem><QuestionKey><![CDATA[" + it[0] + "]]></QuestionKey><OptionIds>")
		if it[1] != "" {
			sel.WriteString("<OptionId><![CDATA[" + it[1] + "]]></OptionId>")
		}
		sel.WriteString("</OptionIds></SelectedItem>")
	}
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName><FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%d</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[%s]]></EventKey><TaskId><![CDATA[%s]]></TaskId><CardType><![CDATA[multiple_interaction]]></CardType><ResponseCode><![CDATA[%s]]></ResponseCode><AgentID>%d</AgentID><SelectedItems>%s</SelectedItems></xml>",
		testCorpID, from, ct, KeyLeaveFormSubmit, taskID, code, testAgentID, sel.String())
}

// formChoice is a full submission: sick leave on Tuesday 3 March, morning.
var formChoice = [][2]string{{questionLeaveType, "sick"}, {questionLeaveDate, "2026-03-03"}, {questionLeavePart, partMorning}}

// askLeaveForm sends text as testUser and returns the form card WeCom got.
func (e *env) askLeaveForm(t *testing.T, text, msgID string, mark int) (card map[string]any, next int) {
	t.Helper()
	e.post(textXML(testUser, text, msgID, e.unix(0)))
	out, next := e.drain(mark)
	sent := findSent(out, "/cgi-bin/message/send", testUser)
	if len(sent) != 1 || sent[0].Body["msgtype"] != "template_card" {
		t.Fatalf("answer to %q = %+v, want one template card", text, out)
	}
	return sent[0].Body["template_card"].(map[string]any), next
}

// selects returns each drop-down's title and option texts, and its ids.
func selects(card map[string]any) (titles []string, texts, ids [][]string) {
	list, _ := card["select_list"].([]any)
	for _, s := range list {
		sel := s.(map[string]any)
		titles = append(titles, fmt.Sprint(sel["title"]))
		var tx, id []string
		for _, o := range sel["option_list"].([]any) {
			opt := o.(map[string]any)
			tx, id = append(tx, fmt.Sprint(opt["text"])), append(id, fmt.Sprint(opt["id"]))
		}
		texts, ids = append(texts, tx), append(ids, id)
	}
	return titles, texts, ids
}

func TestLeaveFormCardOnWeCom(t *testing.T) {
	twelve := func(o *core.Org) {
		for i := range 12 {
			o.LeaveTypes = append(o.LeaveTypes, core.LeaveType{ID: fmt.Sprintf("t%02d", i), Name: fmt.Sprintf("假%02d", i)})
		}
	}
	english := func(o *core.Org) { o.Employees[0].Lang = "en" }
	tests := []struct {
		name       string
		adjust     []func(*core.Org)
		text       string
		after      time.Duration // from Monday 2 March 09:00 Beijing
		wantTitles []string
		wantTypes  int
		wantDates  []string // first and last
		wantParts  []string
		wantSubmit string
		wantDesc   string
	}{
		{name: "Chinese, Monday", text: "请假", wantTitles: []string{"假期类型", "日期", "时段"}, wantTypes: 3,
			wantDates: []string{"03-02 周一", "03-13 周五"}, wantParts: []string{"全天", "上午", "下午"}, wantSubmit: "提交", wantDesc: "请假 12-03..12-05 年假"},
		{name: "English employee", adjust: []func(*core.Org){english}, text: "leave", wantTitles: []string{"Leave type", "Date", "Part of day"}, wantTypes: 3,
			wantDates: []string{"Mon 03-02", "Fri 03-13"}, wantParts: []string{"Whole day", "Morning", "Afternoon"}, wantSubmit: "Submit", wantDesc: "leave 12-03..12-05 annual"},
		{name: "Saturday starts on Monday", text: "请假", after: 5 * 24 * time.Hour, wantTitles: []string{"假期类型", "日期", "时段"}, wantTypes: 3,
			wantDates: []string{"03-09 周一", "03-20 周五"}, wantParts: []string{"全天", "上午", "下午"}, wantSubmit: "提交", wantDesc: "请假 12-03..12-05 年假"},
		{name: "twelve leave types, ten offered", adjust: []func(*core.Org){twelve}, text: "请假", wantTitles: []string{"假期类型", "日期", "时段"}, wantTypes: 10,
			wantDates: []string{"03-02 周一", "03-13 周五"}, wantParts: []string{"全天", "上午", "下午"}, wantSubmit: "提交", wantDesc: "请假 12-03..12-05 年假"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMakeupEnv(t, tt.adjust...)
			e.clock.Advance(tt.after)
			card, _ := e.askLeaveForm(t, tt.text, "9301", 0)
			if card["card_type"] != CardMultiInteraction {
				t.Errorf("card_type = %v, want %s", card["card_type"], CardMultiInteraction)
			}
			task, ok := parseLeaveFormTask(fmt.Sprint(card["task_id"]))
			if !ok || task.tag != userTag(testCorpID, testUser) || !task.sent.Equal(e.clock.Now().Truncate(time.Second)) {
				t.Errorf("task_id %v reads as %+v, %v", card["task_id"], task, ok)
			}
			titles, texts, ids := selects(card)
			if fmt.Sprint(titles) != fmt.Sprint(tt.wantTitles) {
				t.Errorf("drop-down titles = %v, want %v", titles, tt.wantTitles)
			}
			if len(texts) != maxSelects {
				t.Fatalf("%d drop-downs, want %d", len(texts), maxSelects)
			}
			if len(texts[0]) != tt.wantTypes {
				t.Errorf("%d leave types offered, want %d", len(texts[0]), tt.wantTypes)
			}
			if got := texts[1]; len(got) != maxSelectOptions || got[0] != tt.wantDates[0] || got[len(got)-1] != tt.wantDates[1] {
				t.Errorf("dates = %v, want %d from %s to %s", got, maxSelectOptions, tt.wantDates[0], tt.wantDates[1])
			}
			if fmt.Sprint(texts[2]) != fmt.Sprint(tt.wantParts) || fmt.Sprint(ids[2]) != "[full am pm]" {
				t.Errorf("parts = %v %v, want %v [full am pm]", texts[2], ids[2], tt.wantParts)
			}
			if tt.after == 0 && (ids[1][0] != "2026-03-02" || ids[1][5] != "2026-03-09") {
				t.Errorf("date ids = %v, want the working days from 2026-03-02", ids[1])
			}
			submit := card["submit_button"].(map[string]any)
			if submit["key"] != KeyLeaveFormSubmit || submit["text"] != tt.wantSubmit {
				t.Errorf("submit_button = %v, want key %s text %s", submit, KeyLeaveFormSubmit, tt.wantSubmit)
			}
			if desc := fmt.Sprint(card["main_title"].(map[string]any)["desc"]); !strings.Contains(desc, tt.wantDesc) {
				t.Errorf("main_title.desc = %q, want the typed format %q", desc, tt.wantDesc)
			}
		})
	}
}

// TestLeaveFormTripStaysTyped: 出差 alone keeps its typed answer: a trip
// needs a destination, which a drop-down cannot hold.
func TestLeaveFormTripStaysTyped(t *testing.T) {
	e := newMakeupEnv(t)
	e.post(textXML(testUser, "出差", "9311", e.unix(0)))
	out, _ := e.drain(0)
	got := findSent(out, "/cgi-bin/message/send", testUser)
	if len(got) != 1 || got[0].Body["msgtype"] != "text" || !strings.Contains(textOf(got[0]), "出差格式") {
		t.Errorf("answer to 出差 = %+v, want the typed format as text", got)
	}
}

// TestLeaveFormFallsBackToText: with no working day within a month to
// offer (a schedule with no work days) 请假 alone is answered with the
// typed format, as before the form existed.
func TestLeaveFormFallsBackToText(t *testing.T) {
	e := newMakeupEnv(t, func(o *core.Org) { o.Schedules[0].WorkDays = []time.Weekday{} })
	e.post(textXML(testUser, "请假", "9321", e.unix(0)))
	out, _ := e.drain(0)
	got := findSent(out, "/cgi-bin/message/send", testUser)
	if len(got) != 1 || got[0].Body["msgtype"] != "text" || !strings.Contains(textOf(got[0]), "请假格式") {
		t.Errorf("answer to 请假 = %+v, want the typed format as text", got)
	}
}

// withoutTaskID is a sent card's body without the parts that differ
// between two sends (task_id, the request number), for comparing cards.
func withoutTaskID(tb testing.TB, s sent) string {
	tb.Helper()
	card := s.Body["template_card"].(map[string]any)
	delete(card, "task_id")
	buf, err := json.Marshal(s.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return rejectNo.ReplaceAllString(requestNo.ReplaceAllString(string(buf), "#N"), "驳回 N")
}

// rejectNo is the request number in an approval card's typed way to
// reject it (bots.RejectHint).
var rejectNo = regexp.MustCompile(`驳回 \d+`)

// requestNo is a request number in a text; two environments number their
// requests apart.
var requestNo = regexp.MustCompile(`#\d+`)

// TestLeaveFormSubmitOnWeCom: 张三 picks sick leave, Tuesday, morning. The
// request is stored once however often WeCom delivers the tap; his answer
// and 王经理's card are those of the typed "请假 03-03 上午 病假"; the
// form gives way to what was filed, its button grey, and a second tap
// files nothing. A second form for the same morning is refused by the
// core (overlap), and that card says so.
func TestLeaveFormSubmitOnWeCom(t *testing.T) {
	typed := newMakeupEnv(t)
	typed.post(textXML(testUser, "请假 03-03 上午 病假", "9401", typed.unix(0)))
	typedOut, _ := typed.drain(0)

	e := newMakeupEnv(t)
	card, mark := e.askLeaveForm(t, "请假", "9402", 0)
	taskID := card["task_id"].(string)
	e.clock.Advance(time.Minute)
	tap := leaveFormXML(testUser, taskID, "FORM_CODE_1", e.unix(0), formChoice)
	for range 3 { // WeCom's retries of one callback
		if rec := e.deliver(e.seal(tap)); rec.Code != 200 || rec.Body.Len() != 0 {
			t.Fatalf("submit answered %d %q, want an empty 200", rec.Code, rec.Body.String())
		}
	}
	reqs, err := e.svc.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: "e1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(reqs) != 1 {
		t.Fatalf("%d requests stored, want 1", len(reqs))
	}
	r := reqs[0]
	loc := time.FixedZone("CST", 8*3600)
	if r.Type != core.RequestLeave || r.LeaveType != "sick" || r.Status != core.MakeupPending || r.ApproverID != "m1" ||
		!r.Start.Equal(time.Date(2026, 3, 3, 0, 0, 0, 0, loc)) || !r.End.Equal(time.Date(2026, 3, 3, 12, 0, 0, 0, loc)) {
		t.Errorf("stored request = %+v, want pending sick leave 2026-03-03 until 12:00 for m1", r)
	}

	out, mark := e.drain(mark)
	wantReply := findSent(typedOut, "/cgi-bin/message/send", testUser)
	gotReply := findSent(out, "/cgi-bin/message/send", testUser)
	if len(gotReply) != 1 || len(wantReply) != 1 || requestNo.ReplaceAllString(textOf(gotReply[0]), "#N") != requestNo.ReplaceAllString(textOf(wantReply[0]), "#N") {
		t.Errorf("employee's answer = %+v, want the typed request's %+v", gotReply, wantReply)
	}
	wantCard := findSent(typedOut, "/cgi-bin/message/send", "manager")
	gotCard := findSent(out, "/cgi-bin/message/send", "manager")
	if len(gotCard) != 1 || len(wantCard) != 1 || withoutTaskID(t, gotCard[0]) != withoutTaskID(t, wantCard[0]) {
		t.Errorf("approver's card = %+v, want the typed request's %+v", gotCard, wantCard)
	}
	ups := findSent(out, "/cgi-bin/message/update_template_card", testUser)
	if len(ups) != 1 || ups[0].Body["response_code"] != "FORM_CODE_1" {
		t.Fatalf("card updates = %+v, want one with the tap's code", ups)
	}
	done := ups[0].Body["template_card"].(map[string]any)
	_, texts, _ := selects(done)
	if done["card_type"] != CardMultiInteraction || done["replace_text"] != "已提交" ||
		done["main_title"].(map[string]any)["title"] != fmt.Sprintf("请假申请 #%d 已提交", r.ID) ||
		fmt.Sprint(texts) != "[[病假] [03-03 周二] [上午]]" {
		t.Errorf("updated card = %v, want the filing with its choices and a grey 已提交", done)
	}
	for _, s := range done["select_list"].([]any) {
		if s.(map[string]any)["disable"] != true {
			t.Errorf("drop-down %v is not disabled", s)
		}
	}

	// A second tap (a new click, before or after the update) files nothing.
	e.clock.Advance(time.Minute)
	e.post(leaveFormXML(testUser, taskID, "FORM_CODE_2", e.unix(0), formChoice))
	if out, _ := e.drain(mark); len(out) != 0 {
		t.Errorf("a second tap sent %+v, want nothing", out)
	}
	if n := e.makeupAudits("leave.requested"); n != 1 {
		t.Errorf("leave.requested audits = %d, want 1", n)
	}

	// A new form for the same morning: the core refuses the overlap.
	card, mark = e.askLeaveForm(t, "请假", "9403", mark)
	e.post(leaveFormXML(testUser, card["task_id"].(string), "FORM_CODE_3", e.unix(0), formChoice))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "未提交") {
		t.Errorf("answer to the overlapping form = %+v, want the refusal", got)
	}
	ups = findSent(out, "/cgi-bin/message/update_template_card", testUser)
	if len(ups) != 1 || ups[0].Body["template_card"].(map[string]any)["replace_text"] != "未提交" {
		t.Errorf("card updates = %+v, want one greying the form out as 未提交", ups)
	}
	if n := e.makeupAudits("leave.requested"); n != 1 {
		t.Errorf("leave.requested audits = %d, want 1", n)
	}
}

// TestLeaveFormBadInputOnWeCom: every bad submission is answered with a
// passive text in the card's language and changes nothing: no request, no
// message queued, the card left as it is.
func TestLeaveFormBadInputOnWeCom(t *testing.T) {
	with := func(key, id string) [][2]string {
		var out [][2]string
		for _, c := range formChoice {
			if c[0] == key {
				if id == "-" {
					continue // the question is not sent at all
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
		{name: "no date question", items: with(questionLeaveDate, "-"), want: "请选好假期类型、日期和时段"},
		{name: "empty part", items: with(questionLeavePart, ""), want: "请选好假期类型、日期和时段"},
		{name: "missing, in English", english: true, items: with(questionLeaveType, "-"), want: "choose the leave type, the date and the part of the day"},
		{name: "leave type not offered", items: with(questionLeaveType, "maternity"), want: "不是这张卡片提供的选项"},
		{name: "Saturday was not offered", items: with(questionLeaveDate, "2026-03-07"), want: "不是这张卡片提供的选项"},
		{name: "date beyond the list", items: with(questionLeaveDate, "2026-03-16"), want: "不是这张卡片提供的选项"},
		{name: "part not offered", items: with(questionLeavePart, "evening"), want: "不是这张卡片提供的选项"},
		{name: "date passed since midnight", after: 15 * time.Hour, items: with(questionLeaveDate, "2026-03-02"), want: "03-02 周一 已经过去"},
		{name: "expired card", after: 25 * time.Hour, items: formChoice, want: "已过期"},
		{name: "someone else's card", from: "peer", items: formChoice, want: "发给别人"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var adjust []func(*core.Org)
			if tt.english {
				adjust = append(adjust, func(o *core.Org) { o.Employees[0].Lang = "en" })
			}
			e := newMakeupEnv(t, adjust...)
			text := "请假"
			if tt.english {
				text = "leave"
			}
			card, mark := e.askLeaveForm(t, text, "9501", 0)
			e.clock.Advance(time.Minute + tt.after)
			from := testUser
			if tt.from != "" {
				from = tt.from
			}
			rec := e.deliver(e.seal(leaveFormXML(from, card["task_id"].(string), "BAD_CODE", e.unix(0), tt.items)))
			if rec.Code != 200 {
				t.Fatalf("status %d (%s), want 200", rec.Code, rec.Body.String())
			}
			if got := mustOpenPassive(t, e.enc, rec).Msg.Content; !strings.Contains(got, tt.want) {
				t.Errorf("answer = %q, want it to contain %q", got, tt.want)
			}
			if out, _ := e.drain(mark); len(out) != 0 {
				t.Errorf("sent after a bad submission: %+v", out)
			}
			if n := e.makeupAudits("leave.requested"); n != 0 {
				t.Errorf("leave.requested audits = %d, want 0", n)
			}
		})
	}
}

func TestLeaveFormTaskID(t *testing.T) {
	sent := time.Unix(1772413200, 0)
	id := leaveFormTaskID("en", 42, 3, sent, userTag(testCorpID, testUser))
	if len(id) > maxTaskIDBytes {
		t.Errorf("task_id %q is %d bytes, over %d", id, len(id), maxTaskIDBytes)
	}
	tests := []struct {
		id     string
		wantOK bool
	}{
		{id, true},
		{"leaveform-fr-42-3-1772413200-abc", false},
		{"leaveform-zh-42-3-x-abc", false},
		{"leaveform-zh-42-3-1772413200-", false},
		{"confirm-42-3-abc", false},
	}
	for _, tt := range tests {
		got, ok := parseLeaveFormTask(tt.id)
		if ok != tt.wantOK {
			t.Errorf("parseLeaveFormTask(%q) ok = %v, want %v", tt.id, ok, tt.wantOK)
		}
		if ok && (got.lang != "en" || !got.sent.Equal(sent) || got.tag != userTag(testCorpID, testUser)) {
			t.Errorf("parseLeaveFormTask(%q) = %+v", tt.id, got)
		}
	}
}

func TestValidateMultipleInteraction(t *testing.T) {
	opts := func(n int) []CardOption {
		var out []CardOption
		for i := range n {
			out = append(out, CardOption{ID: fmt.Sprint(i), Text: fmt.Sprint(i)})
		}
		return out
	}
	sel := func(key string, n int) CardSelection { return CardSelection{QuestionKey: key, OptionList: opts(n)} }
	card := func(s ...CardSelection) TemplateCard {
		return TemplateCard{CardType: CardMultiInteraction, TaskID: "t1", MainTitle: &CardTitle{Title: "x"}, SelectList: s, SubmitButton: &CardSubmitButton{Text: "ok", Key: "k"}}
	}
	noSubmit := card(sel("a", 1))
	noSubmit.SubmitButton = nil
	tests := []struct {
		name    string
		card    TemplateCard
		wantErr bool
	}{
		{"three selects of ten", card(sel("a", 10), sel("b", 10), sel("c", 10)), false},
		{"four selects", card(sel("a", 1), sel("b", 1), sel("c", 1), sel("d", 1)), true},
		{"eleven options", card(sel("a", 11)), true},
		{"no options", card(sel("a", 0)), true},
		{"repeated key", card(sel("a", 1), sel("a", 1)), true},
		{"long option id", card(CardSelection{QuestionKey: "a", OptionList: []CardOption{{ID: strings.Repeat("x", 129), Text: "x"}}}), true},
		{"no select", card(), true},
		{"no submit button", noSubmit, true},
	}
	for _, tt := range tests {
		if err := tt.card.Validate(); (err != nil) != tt.wantErr {
			t.Errorf("%s: Validate() = %v, want error %v", tt.name, err, tt.wantErr)
		}
	}
}

func TestParseSelectedItems(t *testing.T) {
	// The documented sample (PLATFORMS.md section 3.4).
	sample := `<xml><ToUserName><![CDATA[toUser]]></ToUserName><FromUserName><![CDATA[FromUser]]></FromUserName><CreateTime>123456789</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[key111]]></EventKey><TaskId><![CDATA[taskid111]]></TaskId><CardType><![CDATA[text_notice]]></CardType><ResponseCode><![CDATA[ResponseCode]]></ResponseCode><AgentID>1</AgentID>
<SelectedItems>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId1]]></OptionId>
            <OptionId><![CDATA[OptionId2]]></OptionId>
        </OptionIds>
    </SelectedItem>
    <SelectedItem>
        <QuestionKey><![CDATA[QuestionKey2]]></QuestionKey>
        <OptionIds>
            <OptionId><![CDATA[OptionId3]]></OptionId>
            <OptionId><![CDATA[OptionId4]]></OptionId>
        </OptionIds>
    </SelectedItem>
</SelectedItems>
</xml>`
	got, err := ParseSelectedItems([]byte(sample))
	if err != nil {
		t.Fatal(err)
	}
	if want := "map[QuestionKey1:[OptionId1 OptionId2] QuestionKey2:[OptionId3 OptionId4]]"; fmt.Sprint(got) != want {
		t.Errorf("ParseSelectedItems = %v, want %v", got, want)
	}
	got, _ = ParseSelectedItems([]byte(leaveFormXML(testUser, "t", "c", 1, [][2]string{{questionLeaveType, ""}})))
	if ids, ok := got[questionLeaveType]; !ok || len(ids) != 0 {
		t.Errorf("an empty question reads as %v, %v; want present with no ids", ids, ok)
	}
}
