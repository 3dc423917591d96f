package wecom

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
	"github.com/punchbot/punchbot/core/coretest"
)

// newConfirmEnv is newEnv with a 09:00–18:00 weekday schedule that asks to
// confirm clock-outs within 10 minutes of the clock-in and early leaves,
// and a colleague on WeCom.
func newConfirmEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	clock := &testClock{t: start}
	store := coretest.NewMemStore()
	kv := coretest.NewMemKV(clock.Now)
	svc := core.NewService(store, kv, kv, core.DefaultConfig(), clock.Now)
	wecom := func(user string) []core.Identity {
		return []core.Identity{{Platform: core.PlatformWeCom, Tenant: testCorpID, UserID: user}}
	}
	weekdays := []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday}
	org := core.Org{
		Name:  "Test Co",
		Sites: []core.OrgSite{{Site: core.Site{ID: "wangjing", Name: siteName, Lat: siteLat, Lng: siteLng, RadiusM: siteRadiusM}}},
		Schedules: []core.Schedule{{ID: "day", WorkDays: weekdays, StartMin: 9 * 60, EndMin: 18 * 60, CheckInOpensMin: 120, CheckOutClosesMin: 360,
			LateGraceMin: 5, ConfirmWithinMin: 10}},
		Employees: []core.Employee{
			{ID: "e1", Name: "张三", Lang: "zh", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "day", SiteIDs: []string{"wangjing"}, Identities: wecom(testUser)},
			{ID: "p1", Name: "同事", Lang: "zh", TimeZone: "Asia/Shanghai", Active: true, ScheduleID: "day", SiteIDs: []string{"wangjing"}, Identities: wecom("peer")},
		},
	}
	if err := org.Prepare(); err != nil {
		t.Fatalf("org.Prepare: %v", err)
	}
	if _, err := store.ApplyOrg(ctx, org, core.AuditEntry{At: start, Actor: "test", Action: "org.applied"}); err != nil {
		t.Fatalf("ApplyOrg: %v", err)
	}
	fake := newFakeWeCom(t, clock.Now)
	bot, err := New(Config{CorpID: testCorpID, AgentID: strconv.Itoa(testAgentID), Secret: testSecret, Token: testToken, EncodingAESKey: testAESKey, APIURL: fake.srv.URL},
		Deps{Core: svc, Sessions: kv, Now: clock.Now, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), HTTPClient: fake.srv.Client()})
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	e := &env{t: t, clock: clock, store: store, kv: kv, svc: svc, bot: bot, fake: fake, inline: &inlineLog{}}
	e.mux = http.NewServeMux()
	bot.Register(e.mux)
	if e.enc, err = NewCrypto(testToken, testAESKey, testCorpID); err != nil {
		t.Fatal(err)
	}
	return e
}

// counting returns the counting punches of one kind.
func (e *env) counting(kind core.PunchKind) []core.Punch {
	var out []core.Punch
	for _, p := range e.punches() {
		if p.Valid() && p.Kind == kind {
			out = append(out, p)
		}
	}
	return out
}

// askClockOut clocks in at 09:00 and tries to clock out at 09:20 (520
// minutes early) by sharing the location: the passive reply asks in text,
// and the outbox sends the button card. It returns the card's task_id.
func (e *env) askClockOut(t *testing.T) (taskID string, mark int) {
	t.Helper()
	lat, lng := gcjNear(30)
	e.post(locationXML(testUser, lat, lng, "", "5001", e.unix(0)))
	_, mark = e.drain(0)
	e.clock.Advance(20 * time.Minute)
	e.post(textXML(testUser, "下班", "5002", e.unix(0)))
	rec := e.deliver(e.seal(locationXML(testUser, lat, lng, "", "5003", e.unix(0))))
	passive := mustOpenPassive(t, e.enc, rec)
	for _, w := range []string{"确认下班打卡？将记为早退 8 小时 40 分钟", "回复“确认”"} {
		if !strings.Contains(passive.Msg.Content, w) {
			t.Errorf("passive question %q, want it to contain %q", passive.Msg.Content, w)
		}
	}
	if n := len(e.counting(core.KindOut)); n != 0 {
		t.Fatalf("the question recorded %d clock-outs, want 0", n)
	}
	out, mark := e.drain(mark)
	cards := findSent(out, "/cgi-bin/message/send", testUser)
	if len(cards) != 1 || cards[0].Body["msgtype"] != "template_card" {
		t.Fatalf("sent after the question = %+v, want one template card", out)
	}
	card := cards[0].Body["template_card"].(map[string]any)
	buttons := card["button_list"].([]any)
	if card["card_type"] != CardButtonInteraction || len(buttons) != 2 ||
		buttons[0].(map[string]any)["key"] != KeyPunchConfirm || buttons[1].(map[string]any)["key"] != KeyPunchDecline {
		t.Fatalf("card = %v, want a button_interaction card with confirm and decline", card)
	}
	if got := horizontal(card); got["早退"] != "520 分钟" || got["上班时间"] != "09:00" || got["下班时间"] != "09:20" {
		t.Errorf("card rows = %v", got)
	}
	return card["task_id"].(string), mark
}

func TestConfirmClockOutOnWeCom(t *testing.T) {
	e := newConfirmEnv(t)
	taskID, mark := e.askClockOut(t)

	// A colleague's click (a forwarded card) changes nothing and says so.
	e.clock.Advance(10 * time.Second)
	rec := e.deliver(e.seal(cardEventXML("peer", KeyPunchConfirm, taskID, "PEER_CODE", e.unix(0))))
	if got := mustOpenPassive(t, e.enc, rec).Msg.Content; !strings.Contains(got, "发给别人") || !strings.Contains(got, "someone else") {
		t.Errorf("colleague's answer = %q", got)
	}
	if n := len(e.counting(core.KindOut)); n != 0 {
		t.Fatalf("a colleague's click recorded %d clock-outs", n)
	}

	// The user confirms; WeCom delivers the click twice.
	e.clock.Advance(time.Minute)
	click := cardEventXML(testUser, KeyPunchConfirm, taskID, "CLICK_CODE_1", e.unix(0))
	e.post(click)
	e.post(click)
	outs := e.counting(core.KindOut)
	if len(outs) != 1 || !outs[0].At.Equal(start.Add(20*time.Minute)) || outs[0].EarlyMin != 520 {
		t.Fatalf("clock-outs after the confirm = %+v, want one at 09:20, 520 min early", outs)
	}
	out, _ := e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", testUser)
	if len(updates) != 1 || updates[0].Body["response_code"] != "CLICK_CODE_1" || updates[0].Body["button"].(map[string]any)["replace_name"] != "已确认" {
		t.Errorf("card updates = %+v, want one greying the buttons out as 已确认", updates)
	}
	msgs := findSent(out, "/cgi-bin/message/send", testUser)
	if len(msgs) != 1 || !strings.Contains(textOf(msgs[0]), "下班打卡成功 09:20（早退 8 小时 40 分钟）") {
		t.Errorf("answers = %+v, want one 下班打卡成功 09:20", msgs)
	}
}

func TestDeclineAndTextConfirmOnWeCom(t *testing.T) {
	t.Run("decline button", func(t *testing.T) {
		e := newConfirmEnv(t)
		taskID, mark := e.askClockOut(t)
		e.clock.Advance(time.Minute)
		e.post(cardEventXML(testUser, KeyPunchDecline, taskID, "CLICK_CODE_2", e.unix(0)))
		if n := len(e.counting(core.KindOut)); n != 0 {
			t.Fatalf("decline recorded %d clock-outs", n)
		}
		out, _ := e.drain(mark)
		if u := findSent(out, "/cgi-bin/message/update_template_card", testUser); len(u) != 1 || u[0].Body["button"].(map[string]any)["replace_name"] != "已取消" {
			t.Errorf("card updates = %+v, want 已取消", u)
		}
		if m := findSent(out, "/cgi-bin/message/send", testUser); len(m) != 1 || !strings.Contains(textOf(m[0]), "已取消") {
			t.Errorf("answers = %+v", m)
		}
	})
	t.Run("reply 确认 where there are no buttons", func(t *testing.T) {
		e := newConfirmEnv(t)
		_, mark := e.askClockOut(t)
		e.clock.Advance(time.Minute)
		e.post(textXML(testUser, "确认", "5010", e.unix(0)))
		if outs := e.counting(core.KindOut); len(outs) != 1 || outs[0].EarlyMin != 520 {
			t.Fatalf("clock-outs after 确认 = %+v", outs)
		}
		out, _ := e.drain(mark)
		if m := findSent(out, "/cgi-bin/message/send", testUser); len(m) != 1 || !strings.Contains(textOf(m[0]), "下班打卡成功") {
			t.Errorf("answers = %+v", m)
		}
	})
	t.Run("expired after 5 minutes", func(t *testing.T) {
		e := newConfirmEnv(t)
		taskID, mark := e.askClockOut(t)
		e.clock.Advance(5*time.Minute + time.Second)
		e.post(cardEventXML(testUser, KeyPunchConfirm, taskID, "CLICK_CODE_3", e.unix(0)))
		if n := len(e.counting(core.KindOut)); n != 0 {
			t.Fatalf("an expired question recorded %d clock-outs", n)
		}
		out, _ := e.drain(mark)
		if u := findSent(out, "/cgi-bin/message/update_template_card", testUser); len(u) != 1 || u[0].Body["button"].(map[string]any)["replace_name"] != "已失效" {
			t.Errorf("card updates = %+v, want 已失效", u)
		}
	})
}

// TestLocationReportCompletesTextPunchOnWeCom: 上班, then the app's
// LOCATION report (not a location message) records the clock-in and the
// answer goes through the outbox.
func TestLocationReportCompletesTextPunchOnWeCom(t *testing.T) {
	e := newConfirmEnv(t)
	e.clock.Advance(-20 * time.Minute) // 08:40
	e.post(textXML(testUser, "上班", "6001", e.unix(0)))
	if n := len(e.punches()); n != 0 {
		t.Fatalf("上班 without a location stored %d punches", n)
	}
	e.clock.Advance(30 * time.Second)
	lat, lng := gcjNear(40)
	e.post(locationEventXML(testUser, lat, lng, 25, e.unix(0)))
	ins := e.counting(core.KindIn)
	if len(ins) != 1 || ins[0].SiteID != "wangjing" || ins[0].AccuracyM != 25 {
		t.Fatalf("clock-ins after the LOCATION report = %+v, want one on site", ins)
	}
	out, _ := e.drain(0)
	if m := findSent(out, "/cgi-bin/message/send", testUser); len(m) != 1 || !strings.Contains(textOf(m[0]), "上班打卡成功") {
		t.Errorf("answers = %+v, want one 上班打卡成功", m)
	}
	// A later report only updates the remembered position.
	e.clock.Advance(time.Minute)
	e.post(locationEventXML(testUser, lat, lng, 25, e.unix(0)))
	if n := len(e.punches()); n != 1 {
		t.Errorf("a second report stored a punch (%d in all)", n)
	}
}

// TestRepeatedClockInOnWeCom: typing 上班 again and re-sharing the location
// right after clocking in answer with the day and count once.
func TestRepeatedClockInOnWeCom(t *testing.T) {
	e := newConfirmEnv(t)
	lat, lng := gcjNear(30)
	e.post(locationXML(testUser, lat, lng, "", "7001", e.unix(0)))
	e.clock.Advance(2 * time.Second)
	rec := e.deliver(e.seal(locationXML(testUser, lat, lng, "", "7002", e.unix(0))))
	if got := mustOpenPassive(t, e.enc, rec).Msg.Content; !strings.Contains(got, "你已于 09:00 上班打卡，本次不重复记录") {
		t.Errorf("re-share answer = %q", got)
	}
	e.clock.Advance(time.Minute)
	e.post(textXML(testUser, "上班", "7003", e.unix(0)))
	e.post(locationXML(testUser, lat, lng, "", "7004", e.unix(0)))
	if n := len(e.counting(core.KindIn)); n != 1 {
		t.Errorf("%d counting clock-ins, want 1", n)
	}
	if n := len(e.counting(core.KindOut)); n != 0 {
		t.Errorf("%d clock-outs, want 0", n)
	}
}
