package wecom

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// The whole path: callback → core → outbox → OutboxWorker → bot.Send →
// message/send on the fake WeCom API.
func TestOutboxDeliversRenderedReply(t *testing.T) {
	e := newEnv(t, envOptions{})
	// Punches are answered inline (passive.go); a reply still reaches the
	// outbox when a bot answers through the API, as this one is.
	e.queueReply(t, core.Reply{Outcome: core.OutcomeAccepted, Kind: core.KindIn, At: start, Lang: "zh", TimeZone: "Asia/Shanghai",
		SiteName: siteName, DistanceM: 40, RadiusM: siteRadiusM, TimeResult: core.TimeNormal}, "10001")
	if sent := e.mustRun(); sent != 1 {
		t.Fatalf("outbox sent %d, want 1", sent)
	}
	sends := e.fake.CallsTo("/cgi-bin/message/send")
	if len(sends) != 1 {
		t.Fatalf("%d message/send calls, want 1", len(sends))
	}
	var body struct {
		ToUser  string  `json:"touser"`
		AgentID int64   `json:"agentid"`
		MsgType string  `json:"msgtype"`
		Text    Content `json:"text"`
	}
	if err := json.Unmarshal(sends[0].Body, &body); err != nil {
		t.Fatalf("send body: %v", err)
	}
	wantText := "✅ 上班打卡成功 09:00 · " + siteName + " 40 m"
	if body.ToUser != testUser || body.AgentID != testAgentID || body.MsgType != "text" || body.Text.Content != wantText {
		t.Errorf("sent %+v, want text %q to %s via agent %d", body, wantText, testUser, testAgentID)
	}
	if tok := sends[0].Query.Get("access_token"); tok != "tok-1" {
		t.Errorf("access_token = %q, want tok-1", tok)
	}
	out := e.store.Outbox()
	if len(out) != 1 || out[0].Status != core.OutboxSent {
		t.Errorf("outbox = %+v, want one sent message", out)
	}
	if sent := e.mustRun(); sent != 0 {
		t.Errorf("second run sent %d, want 0", sent)
	}
}

func TestOutboxBacksOffAndGivesUp(t *testing.T) {
	tests := []struct {
		name       string
		codes      []int
		wantStatus string
		wantWait   time.Duration
	}{
		{"45009 waits the minute WeCom blocks for", []int{45009}, core.OutboxPending, time.Minute},
		{"40003 invalid user is not retried", []int{40003}, core.OutboxFailed, 0},
		{"an expired token is refetched and the reply sent", []int{42001}, core.OutboxSent, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			e.queueReply(t, core.Reply{Outcome: core.OutcomeHelp, Lang: "zh"}, "11001")
			e.fake.Fail("/cgi-bin/message/send", tt.codes...)
			e.mustRun()
			out := e.store.Outbox()
			if len(out) != 1 || out[0].Status != tt.wantStatus {
				t.Fatalf("outbox = %+v, want one %s message", out, tt.wantStatus)
			}
			if tt.wantWait > 0 {
				if got := out[0].NextAttempt.Sub(e.clock.Now()); got != tt.wantWait {
					t.Errorf("next attempt in %v, want %v", got, tt.wantWait)
				}
				e.clock.Advance(tt.wantWait)
				if sent := e.mustRun(); sent != 1 {
					t.Errorf("after the wait: sent %d, want 1", sent)
				}
			}
		})
	}
}

func TestSendRejectsBadMessages(t *testing.T) {
	e := newEnv(t, envOptions{})
	reply, _ := json.Marshal(core.Reply{Outcome: core.OutcomeHelp})
	tests := []struct {
		name string
		msg  core.OutboxMessage
	}{
		{"another platform", core.OutboxMessage{Platform: core.PlatformSlack, Kind: OutboxReply, Route: `{"touser":"a"}`, Payload: reply}},
		{"route not JSON", core.OutboxMessage{Platform: core.PlatformWeCom, Kind: OutboxReply, Route: `zhangsan`, Payload: reply}},
		{"route without user", core.OutboxMessage{Platform: core.PlatformWeCom, Kind: OutboxReply, Route: `{"agentid":1}`, Payload: reply}},
		{"payload not a reply", core.OutboxMessage{Platform: core.PlatformWeCom, Kind: OutboxReply, Route: `{"touser":"a"}`, Payload: json.RawMessage(`[1]`)}},
		{"unknown kind", core.OutboxMessage{Platform: core.PlatformWeCom, Kind: "fax", Route: `{"touser":"a"}`, Payload: reply}},
		{"user WeCom does not know", core.OutboxMessage{Platform: core.PlatformWeCom, Kind: OutboxReply, Route: `{"touser":"ghost"}`, Payload: reply}},
	}
	for _, tt := range tests {
		if err := e.bot.Send(context.Background(), tt.msg); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: Send error %v, want EINVALID", tt.name, err)
		}
	}
}

func TestRenderReply(t *testing.T) {
	tests := []struct {
		name     string
		reply    core.Reply
		fallback string
		want     []string
	}{
		{"need location, zh", core.Reply{Outcome: core.OutcomeNeedLocation, Kind: core.KindOut, Lang: "zh"}, "", []string{"下班打卡", "「位置打卡」"}},
		{"need location, en", core.Reply{Outcome: core.OutcomeNeedLocation, Lang: "en"}, "", []string{"Share your location", "Location punch"}},
		{"unknown user falls back to the message language", core.Reply{Outcome: core.OutcomeUnknownUser, Contact: "HR"}, "en", []string{"not registered", "HR"}},
		{"unknown user defaults to Chinese", core.Reply{Outcome: core.OutcomeUnknownUser, Contact: "HR"}, "", []string{"还没有登记"}},
		{"help mentions the menu", core.Reply{Outcome: core.OutcomeHelp, Lang: "zh"}, "", []string{"可用命令", "应用菜单"}},
		{"no-location rejection", core.Reply{Outcome: core.OutcomeRejected, Reasons: []string{core.ReasonNoLocation}, Lang: "zh"}, "", []string{"没有位置信息", "位置打卡"}},
	}
	for _, tt := range tests {
		got := RenderReply(tt.reply, tt.fallback)
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q does not contain %q", tt.name, got, w)
			}
		}
	}
}
