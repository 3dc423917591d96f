package feishu

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// setEmployment applies the harness's organisation again with Alice's
// (E1's) employment dates.
func setEmployment(tb testing.TB, h *harness, joined, left string) {
	tb.Helper()
	ctx := context.Background()
	org, err := h.store.Org(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range org.Employees {
		if org.Employees[i].ID == "E1" {
			org.Employees[i].Joined, org.Employees[i].Left = joined, left
		}
	}
	if err := org.Prepare(); err != nil {
		tb.Fatal(err)
	}
	if _, err := h.store.ApplyOrg(ctx, org, core.AuditEntry{At: h.clock.Now(), Actor: "admin", Action: "org.applied"}); err != nil {
		tb.Fatal(err)
	}
}

// TestMakeupOutsideEmploymentOnFeishu: a 补卡 for a day before joining is
// answered with the dates and sends no card; an approval click on a
// request HR has since put after the last working day gets an error toast
// naming the dates, and nothing is written.
func TestMakeupOutsideEmploymentOnFeishu(t *testing.T) {
	h := MustMakeupHarness(t)
	setEmployment(t, h, "2026-11-25", "")
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("补卡 11-24 09:00 上班 地铁故障")}), delivery{})
	h.runOutbox()
	replies := h.api.Calls("/reply")
	if want := "❌ 补卡未提交：11月24日 你尚未入职（入职日期 2026-11-25），不能补卡。"; len(replies) != 1 || shownText(t, replies[0]) != want {
		t.Fatalf("requester's reply = %+v, want %q", replies, want)
	}
	for _, c := range h.api.Calls("/open-apis/im/v1/messages") {
		if c.Body["receive_id"] == managerOpenID {
			t.Errorf("a card went to the manager: %+v", c)
		}
	}

	// Employed on the 24th after all: filed; then the last day is set to the 23rd.
	setEmployment(t, h, "", "")
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("补卡 11-24 09:00 上班 地铁故障")}), delivery{})
	h.runOutbox()
	var pending []core.MakeupRequest
	err := h.store.InTx(context.Background(), func(tx core.Tx) error {
		var err error
		pending, err = tx.ListMakeups(context.Background(), core.MakeupFilter{EmployeeID: "E1", Statuses: []core.MakeupStatus{core.MakeupPending}})
		return err
	})
	if err != nil || len(pending) != 1 {
		t.Fatalf("pending = %+v, %v", pending, err)
	}
	setEmployment(t, h, "", "2026-11-23")
	id := pending[0].ID
	click := h.mustClick(h.cardAction("ev-approve-left", managerOpenID, "om_card", map[string]any{"action": ActionMakeupApprove, "id": strconv.FormatInt(id, 10)}))
	if want := "11月24日 Alice已离职（最后工作日 2026-11-23），不在在职期间，不能同意"; click.Toast.Type != "error" || !strings.Contains(click.Toast.Content, want) {
		t.Errorf("approval click = %+v, want an error toast with %q", click, want)
	}
	if len(h.punches()) != 0 || h.audits("makeup.approved") != 0 {
		t.Error("the refused approval wrote something")
	}
}
