package feishu

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/punchbot/punchbot/core"
)

// Text that cannot be stored never reaches a 5xx (Feishu would retry it for
// hours and the user would never hear back) and stores nothing wrong: ids
// are refused with a 4xx, free text is cleaned and the punch goes through.
func TestUnstorableInputThroughFeishu(t *testing.T) {
	lat, lng := gcj(10, 0)
	tests := []struct {
		name      string
		event     func(h *harness) map[string]any
		raw       func(plain []byte) []byte // edits the plaintext before encryption
		status    int
		punches   int
		wantLabel string
	}{
		{name: "NUL in the location label", status: http.StatusOK, punches: 1, wantLabel: "望京SOHO",
			event: func(h *harness) map[string]any {
				return h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("望京\x00SOHO", lat, lng)})
			}},
		{name: "invalid UTF-8 in the location label", status: http.StatusOK, punches: 1, wantLabel: "望京\uFFFDSOHO",
			event: func(h *harness) map[string]any {
				return h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("望京@@SOHO", lat, lng)})
			},
			raw: func(plain []byte) []byte { return bytes.Replace(plain, []byte("@@"), []byte{0xff}, 1) }},
		{name: "NUL in the sender's open_id", status: http.StatusBadRequest,
			event: func(h *harness) map[string]any {
				return h.event(msgEvent{openID: aliceOpenID + "\x00", msgType: "location", content: locContent("x", lat, lng)})
			}},
		{name: "NUL in the event id", status: http.StatusBadRequest,
			event: func(h *harness) map[string]any {
				return h.event(msgEvent{eventID: "ev\x00-1", openID: aliceOpenID, msgType: "location", content: locContent("x", lat, lng)})
			}},
		{name: "NUL in a text command", status: http.StatusOK,
			event: func(h *harness) map[string]any {
				return h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班\x00")})
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			ev := tc.event(h)
			d := delivery{}
			if tc.raw != nil {
				plain, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := json.Marshal(map[string]string{"encrypt": larkEncrypt(tc.raw(plain), testKey, bytes.Repeat([]byte{7}, 16))})
				d.raw = body
			}
			rec := h.post(ev, d)
			if rec.Code != tc.status {
				t.Errorf("status = %d (%s), want %d", rec.Code, rec.Body, tc.status)
			}
			ps := h.punches()
			if len(ps) != tc.punches {
				t.Fatalf("stored %d punches, want %d", len(ps), tc.punches)
			}
			for _, p := range ps {
				if p.Label != tc.wantLabel || core.TextProblem(p.EventID) != "" {
					t.Errorf("stored label %q event %q, want label %q and a clean event id", p.Label, p.EventID, tc.wantLabel)
				}
			}
		})
	}
}
