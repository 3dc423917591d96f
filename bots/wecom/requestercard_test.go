package wecom

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// requesterRef is 张三's recorded "submitted" card of request id.
func (e *env) requesterRef(t *testing.T, id int64) cardRef {
	t.Helper()
	ref, err := e.svc.CardRef(context.Background(), id, core.PlatformWeCom, testUser)
	var r cardRef
	if err != nil || !ref.Requester || json.Unmarshal([]byte(ref.Ref), &r) != nil {
		t.Fatalf("the requester's card of request %d = %+v, %v", id, ref, err)
	}
	return r
}

// TestRequesterCardFollowsOnWeCom: 张三's "submitted" card is replaced in
// place (update_template_card with the response_code its send returned,
// the same task_id) when 王经理 decides: the state, a rejection's reason,
// and the 撤回 button only while a withdrawal would still be accepted
// (an approved leave before it starts), else replace_text with the
// state. The code is then spent: a click on the kept button brings a
// fresh one, with which the answer greys the button out, and the spent
// code is not used again.
func TestRequesterCardFollowsOnWeCom(t *testing.T) {
	e := newMakeupEnv(t)
	tests := []struct {
		name, file, decide string
		desc               []string // in main_title.desc
		replace            string   // replace_text; "" keeps the button
	}{
		{name: "an approved future leave keeps the button", file: "请假 03-04 病假 复诊", decide: "同意 %d",
			desc: []string{"✅ 已同意 · 王经理"}},
		{name: "an approved leave that has started loses it", file: "请假 03-02 病假 发烧", decide: "同意 %d",
			desc: []string{"✅ 已同意 · 王经理"}, replace: "已同意"},
		{name: "a rejected leave shows the reason", file: "请假 03-05 病假 体检", decide: "驳回 %d 当天人手不够",
			desc: []string{"❌ 已驳回 · 王经理", "理由：当天人手不够"}, replace: "已驳回"},
	}
	mark := 0
	var kept int64
	var keptTask string
	for i, tt := range tests {
		id, taskID, next := e.filedCard(t, tt.file, fmt.Sprintf("93%02d", i), mark)
		ref := e.requesterRef(t, id)
		if ref.TaskID != taskID || !strings.HasPrefix(ref.ResponseCode, "RESPONSE_CODE_") {
			t.Fatalf("%s: recorded %+v, want task %s and the send's response code", tt.name, ref, taskID)
		}
		e.clock.Advance(time.Minute)
		e.post(textXML("manager", fmt.Sprintf(tt.decide, id), fmt.Sprintf("94%02d", i), e.unix(0)))
		out, n := e.drain(next)
		mark = n
		updates := findSent(out, "/cgi-bin/message/update_template_card", testUser)
		if len(updates) != 1 || updates[0].Body["response_code"] != ref.ResponseCode {
			t.Fatalf("%s: updates of the requester's card = %+v, want one with %s", tt.name, updates, ref.ResponseCode)
		}
		card := updates[0].Body["template_card"].(map[string]any)
		title := card["main_title"].(map[string]any)
		if card["task_id"] != taskID || card["card_type"] != CardButtonInteraction || !strings.HasPrefix(fmt.Sprint(title["title"]), fmt.Sprintf("请假申请 #%d · ", id)) {
			t.Errorf("%s: updated card = %v", tt.name, card)
		}
		for _, w := range tt.desc {
			if !strings.Contains(fmt.Sprint(title["desc"]), w) {
				t.Errorf("%s: main_title.desc = %q, want %q", tt.name, title["desc"], w)
			}
		}
		if got := fmt.Sprint(card["replace_text"]); (tt.replace == "" && card["replace_text"] != nil) || (tt.replace != "" && got != tt.replace) {
			t.Errorf("%s: replace_text = %v, want %q", tt.name, card["replace_text"], tt.replace)
		}
		hint := strings.Contains(fmt.Sprint(card["sub_title_text"]), fmt.Sprintf("请假 取消 %d", id))
		if hint != (tt.replace == "") {
			t.Errorf("%s: sub_title_text = %q, want the withdraw hint %v", tt.name, card["sub_title_text"], tt.replace == "")
		}
		if spent := e.requesterRef(t, id); spent.ResponseCode != "" || spent.TaskID != taskID {
			t.Errorf("%s: after the update the record is %+v, want the code spent", tt.name, spent)
		}
		if tt.replace == "" {
			kept, keptTask = id, taskID
		}
	}

	// A click on the kept button withdraws the approved leave (销假); its
	// fresh code greys the button out; the spent one is not sent again.
	e.clock.Advance(time.Minute)
	e.deliver(e.seal(cardEventXML(testUser, KeyMakeupWithdraw, keptTask, "CLICK_CODE_9", e.unix(0))))
	if got := e.requestStatus(kept); got != core.MakeupRevoked {
		t.Fatalf("request %d is %s, want revoked", kept, got)
	}
	out, _ := e.drain(mark)
	updates := findSent(out, "/cgi-bin/message/update_template_card", testUser)
	if len(updates) != 1 || updates[0].Body["response_code"] != "CLICK_CODE_9" || updates[0].Body["button"].(map[string]any)["replace_name"] != "已撤回" {
		t.Errorf("after the click: updates = %+v, want the button greyed out with the click's code", updates)
	}
}
