package wecom

import (
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// TestFieldClockInWhilePendingOnWeCom, through the callback handler: a
// field clock-in waits for 王经理; 上班 typed again and answered with a
// location outside the site is told the first one waits, files no second
// card and counts nothing; a clock-in from the site counts; approving the
// field card afterwards writes no second clock-in and tells 张三 why.
func TestFieldClockInWhilePendingOnWeCom(t *testing.T) {
	e := newMakeupEnv(t, func(o *core.Org) { o.Schedules[0].OutOfRange = core.OutOfRangeField })
	first := mustOpenPassive(t, e.enc, e.deliver(e.seal(locationXML(testUser, siteLat+0.02, siteLng, "客户公司", "9301", e.unix(0))))).Msg.Content
	if !strings.HasPrefix(first, "🟡 外勤上班打卡已提交 #") {
		t.Fatalf("first reply = %q", first)
	}
	out, mark := e.drain(0)
	cards := findSent(out, "/cgi-bin/message/send", "manager")
	if len(cards) != 1 {
		t.Fatalf("approver's cards = %d, want 1", len(cards))
	}
	taskID := cards[0].Body["template_card"].(map[string]any)["task_id"].(string)

	e.clock.Advance(time.Minute)
	e.post(textXML(testUser, "上班", "9302", e.unix(0)))
	e.clock.Advance(30 * time.Second)
	again := mustOpenPassive(t, e.enc, e.deliver(e.seal(locationXML(testUser, siteLat+0.021, siteLng, "客户公司", "9303", e.unix(0))))).Msg.Content
	if !strings.HasPrefix(again, "🟡 你的外勤上班打卡正在等待审批，本次不重复提交") || !strings.Contains(again, "待审批") || strings.Contains(again, "✅") {
		t.Errorf("repeat reply = %q", again)
	}
	out, mark = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", "manager"); len(got) != 0 {
		t.Errorf("a second approval card was sent: %+v", got)
	}
	for _, p := range e.punches() {
		if p.Valid() {
			t.Fatalf("a punch counts while the field clock-in waits: %+v", p)
		}
	}

	e.clock.Advance(time.Minute)
	e.post(textXML(testUser, "上班", "9304", e.unix(0)))
	lat, lng := gcjNear(10) // WeCom reports GCJ-02
	onSite := mustOpenPassive(t, e.enc, e.deliver(e.seal(locationXML(testUser, lat, lng, siteName, "9305", e.unix(0))))).Msg.Content
	if !strings.HasPrefix(onSite, "✅ 上班打卡成功") {
		t.Errorf("on-site reply = %q", onSite)
	}
	_, mark = e.drain(mark)

	e.clock.Advance(time.Minute)
	e.post(cardEventXML("manager", KeyMakeupApprove, taskID, "FIELD_CODE_2", e.unix(0)))
	out, _ = e.drain(mark)
	if got := findSent(out, "/cgi-bin/message/send", testUser); len(got) != 1 || !strings.Contains(textOf(got[0]), "本班次已有到岗上班打卡，以那次为准，未另记外勤打卡。") {
		t.Errorf("employee notification = %+v", got)
	}
	ins := 0
	for _, p := range e.punches() {
		if p.Valid() && p.Kind == core.KindIn {
			ins++
		}
	}
	if ins != 1 {
		t.Errorf("%d counting clock-ins, want 1", ins)
	}
}
