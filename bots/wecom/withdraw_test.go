package wecom

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// filedCard files text for 张三 and returns the button card that answers
// it: its request id and task_id.
func (e *env) filedCard(t *testing.T, text, msgID string, mark int) (id int64, taskID string, next int) {
	t.Helper()
	e.clock.Advance(time.Minute)
	e.post(textXML(testUser, text, msgID, e.unix(0)))
	out, next := e.drain(mark)
	replies := findSent(out, "/cgi-bin/message/send", testUser)
	if len(replies) != 1 || replies[0].Body["msgtype"] != "template_card" {
		t.Fatalf("%s: answer = %+v, want one template card", text, replies)
	}
	card := replies[0].Body["template_card"].(map[string]any)
	taskID, _ = card["task_id"].(string)
	id, tag, ok := parseWithdrawTask(taskID)
	buttons, _ := card["button_list"].([]any)
	if !ok || tag != userTag(testCorpID, testUser) || card["card_type"] != CardButtonInteraction || len(buttons) != 1 {
		t.Fatalf("%s: card = %v, want a button_interaction card for %s", text, card, testUser)
	}
	if b := buttons[0].(map[string]any); b["key"] != KeyMakeupWithdraw || b["text"] != "撤回" {
		t.Errorf("%s: button = %v", text, b)
	}
	if title := card["main_title"].(map[string]any); title["title"] != fmt.Sprintf("已提交 请假申请 #%d", id) || !strings.Contains(fmt.Sprint(title["desc"]), fmt.Sprintf("请假 取消 %d", id)) {
		t.Errorf("%s: title = %v", text, title)
	}
	if sub := fmt.Sprint(card["sub_title_text"]); !strings.HasPrefix(sub, fmt.Sprintf("📝 请假申请 #%d 已提交", id)) {
		t.Errorf("%s: sub_title_text = %q", text, sub)
	}
	return id, taskID, next
}

func (e *env) requestStatus(id int64) core.MakeupStatus {
	e.t.Helper()
	all, err := e.svc.ListMakeups(context.Background(), core.MakeupFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, m := range all {
		if m.ID == id {
			return m.Status
		}
	}
	e.t.Fatalf("no request %d", id)
	return ""
}

// TestWithdrawButtonOnWeCom: 张三's typed leave is answered with a
// button_interaction card; a colleague's click is a passive note and
// changes nothing; 张三's withdraws, greys the button out as 已撤回 and
// says so; WeCom's retry changes nothing more; a second click answers
// with the state; an approved leave that has not started is withdrawn
// too (销假).
func TestWithdrawButtonOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	id, taskID, mark := e.filedCard(t, "请假 03-03 上午 病假 看医生", "9201", 0)
	approvedID, approvedTask, mark := e.filedCard(t, "请假 03-04 病假 复诊", "9202", mark)
	e.post(textXML("manager", fmt.Sprintf("同意 %d", approvedID), "9203", e.unix(0)))
	_, mark = e.drain(mark)

	click := func(user, task, code string) string {
		return cardEventXML(user, KeyMakeupWithdraw, task, code, e.unix(0))
	}
	retried := ""
	steps := []struct {
		name    string
		xml     func() string
		request int64
		status  core.MakeupStatus
		passive string // a passive answer, else …
		replace string // … the button's replace_name …
		text    string // … and the message that follows; both "" when nothing is sent
	}{
		{name: "a colleague's click changes nothing", xml: func() string { return click("peer", taskID, "PEER_CODE") }, request: id, status: core.MakeupPending,
			passive: "这个按钮是发给别人的，你的点击没有改变任何记录。"},
		{name: "张三 withdraws", xml: func() string { retried = click(testUser, taskID, "CODE_1"); return retried }, request: id, status: core.MakeupCancelled,
			replace: "已撤回", text: fmt.Sprintf("↩️ 请假申请 #%d 已撤回。", id)},
		{name: "WeCom retries the callback", xml: func() string { return retried }, request: id, status: core.MakeupCancelled},
		{name: "a second click answers with the state", xml: func() string { return click(testUser, taskID, "CODE_2") }, request: id, status: core.MakeupCancelled,
			replace: "已撤回", text: fmt.Sprintf("请假申请 #%d 已处理：↩️ 申请人已撤回", id)},
		{name: "the approved leave is withdrawn before it starts", xml: func() string { return click(testUser, approvedTask, "CODE_3") }, request: approvedID, status: core.MakeupRevoked,
			replace: "已撤回", text: fmt.Sprintf("↩️ 已销假：已撤回已批准的请假申请 #%d", approvedID)},
	}
	for _, st := range steps {
		e.clock.Advance(time.Minute)
		rec := e.deliver(e.seal(st.xml()))
		if st.passive != "" {
			if got := mustOpenPassive(t, e.enc, rec).Msg.Content; !strings.Contains(got, st.passive) {
				t.Errorf("%s: passive answer = %q, want %q", st.name, got, st.passive)
			}
		} else if rec.Code != 200 || rec.Body.Len() != 0 {
			t.Errorf("%s: answer = %d %q, want an empty 200", st.name, rec.Code, rec.Body)
		}
		if got := e.requestStatus(st.request); got != st.status {
			t.Errorf("%s: request %d is %s, want %s", st.name, st.request, got, st.status)
		}
		var out []sent
		out, mark = e.drain(mark)
		updates := findSent(out, "/cgi-bin/message/update_template_card", testUser)
		msgs := findSent(out, "/cgi-bin/message/send", testUser)
		if st.replace == "" {
			if len(updates)+len(msgs) != 0 {
				t.Errorf("%s: sent %+v, want nothing", st.name, out)
			}
			continue
		}
		// The requester's recorded card is also updated in place while
		// its send's response code lasts (TestRequesterCardFollowsOnWeCom);
		// the click's own code greys the button out.
		var greyed []sent
		for _, u := range updates {
			if _, ok := u.Body["button"]; ok {
				greyed = append(greyed, u)
			}
		}
		updates = greyed
		if len(updates) != 1 || updates[0].Body["button"].(map[string]any)["replace_name"] != st.replace {
			t.Errorf("%s: card updates = %+v, want the button greyed out as %s", st.name, updates, st.replace)
		}
		if len(msgs) != 1 || !strings.Contains(textOf(msgs[0]), st.text) {
			t.Errorf("%s: messages = %+v, want %q", st.name, msgs, st.text)
		}
	}
	for action, want := range map[string]int{"leave.cancelled": 1, "leave.withdrawn": 1} {
		if got := e.makeupAudits(action); got != want {
			t.Errorf("%s audits = %d, want %d", action, got, want)
		}
	}
}

func TestWithdrawTaskID(t *testing.T) {
	tests := []struct {
		task string
		id   int64
		tag  string
		ok   bool
	}{
		{task: withdrawTaskID(12, 34, 1, "abcdef"), id: 12, tag: "abcdef", ok: true},
		{task: "withdraw-12-34-1-", ok: false},
		{task: "withdraw-x-34-1-abc", ok: false},
		{task: "confirm-34-1-abc", ok: false},
		{task: makeupTaskID(12, 34, 1), ok: false},
	}
	for _, tt := range tests {
		id, tag, ok := parseWithdrawTask(tt.task)
		if ok != tt.ok || (ok && (id != tt.id || tag != tt.tag)) {
			t.Errorf("parseWithdrawTask(%q) = %d, %q, %v; want %d, %q, %v", tt.task, id, tag, ok, tt.id, tt.tag, tt.ok)
		}
	}
}
