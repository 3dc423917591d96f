package feishu

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// FuzzEventHandler feeds arbitrary plaintext through the whole callback path
// (signature, optional encryption, envelope, SDK dispatch, message parsing,
// core) with valid credentials, so the fuzzer reaches the parsers behind the
// signature check, for message events and card callbacks alike. Whatever
// the input, the handler must not panic and must answer 200 or a 4xx, never
// 500 (the in-memory core does not fail).
func FuzzEventHandler(f *testing.F) {
	h := MustHarness(f)
	seeds := []any{
		map[string]string{"challenge": "c1", "token": testToken, "type": "url_verification"},
		h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班")}),
		h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("x", 39.99, 116.47)}),
		h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: map[string]string{"latitude": "NaN", "longitude": "1e999"}}),
		h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 out"),
			mentions: []map[string]any{{"key": "@_user_1", "id": map[string]any{"open_id": "ou_bot"}}}}),
		h.event(msgEvent{userID: bobUserID, msgType: "text", content: textContent("status")}),
		// Card callbacks: every button and form the bot sends, with ids that
		// exist, do not, or are not numbers, clicked by someone unknown.
		h.cardAction("ca-1", aliceOpenID, "om_1", map[string]any{"action": ActionMakeupApprove, "id": "1"}),
		h.cardAction("ca-2", aliceOpenID, "om_1", map[string]any{"action": ActionMakeupReject, "id": 1e300}),
		h.cardAction("ca-3", "ou_nobody", "om_1", map[string]any{"action": ActionMakeupWithdraw, "id": "-1"}),
		h.cardAction("ca-4", aliceOpenID, "om_1", map[string]any{"action": ActionMakeupBatch, "decision": "approved", "ids": "1,2,x"}),
		h.cardAction("ca-5", aliceOpenID, "om_1", map[string]any{"action": ActionPunchConfirm, "kind": "out"}),
		h.cardAction("ca-6", aliceOpenID, "om_1", map[string]any{"action": ActionPunchDecline}),
		h.cardAction("ca-7", aliceOpenID, "om_1", map[string]any{"action": ActionNoticeMakeup, "date": "2026-13-40"}),
		h.cardAction("ca-8", aliceOpenID, "om_1", map[string]any{"action": "no_such_action"}),
	}
	leave := h.cardAction("ca-9", aliceOpenID, "om_1", nil)
	leave["event"].(map[string]any)["action"] = map[string]any{"tag": "button", "name": ActionLeaveForm,
		"form_value": map[string]any{"type": "leave", "from": "2026-03-05 +0800", "to": "2026-03-04", "reason": "\u0000"}}
	seeds = append(seeds, leave)
	for _, s := range seeds {
		buf, _ := json.Marshal(s)
		f.Add(buf, true)
		f.Add(buf, false)
	}
	f.Add([]byte(`{"schema":"2.0","header":{"event_id":"e","event_type":"im.message.receive_v1","token":"vtoken-123"},"event":{"message":{"content":"{\"text\":1}","message_type":"text","chat_type":"p2p"},"sender":{"sender_type":"user","sender_id":{"open_id":"ou_alice"}}}}`), false)
	f.Add([]byte(`{"encrypt":"AAAA"}`), false)
	f.Fuzz(func(t *testing.T, plain []byte, encrypt bool) {
		h.tb = t // the harness reports to the running input, not to f
		var rec interface{ Result() *http.Response }
		if encrypt {
			var v any
			if json.Unmarshal(plain, &v) != nil {
				return // the encrypted path marshals a value; raw bytes are covered unencrypted
			}
			rec = h.post(json.RawMessage(plain), delivery{})
		} else {
			rec = h.post(nil, delivery{raw: plain})
		}
		status := rec.Result().StatusCode
		if status != http.StatusOK && (status < 400 || status >= 500) {
			t.Fatalf("status %d for %q", status, plain)
		}
		h.clock.Add(time.Millisecond)
	})
}

// FuzzVerifierDecode attacks the authentication layer directly: with
// arbitrary headers and body, decode must not panic, must answer 4xx on
// failure, and may accept an event only when its signature is valid.
func FuzzVerifierDecode(f *testing.F) {
	now := time.Unix(1_800_000_000, 0)
	v := newVerifier(testToken, testKey, func() time.Time { return now })
	body := []byte(`{"encrypt":"` + larkEncrypt([]byte(`{"schema":"2.0","header":{"event_id":"e1","token":"vtoken-123"}}`), testKey, make([]byte, 16)) + `"}`)
	f.Add(body, "1800000000", "n", larkSig("1800000000", "n", testKey, body))
	f.Add([]byte(`{"type":"url_verification","token":"vtoken-123","challenge":"x"}`), "", "", "")
	f.Add([]byte(`{"encrypt":""}`), "1800000000", "n", "00")
	f.Fuzz(func(t *testing.T, body []byte, ts, nonce, sig string) {
		hdr := http.Header{}
		hdr.Set("X-Lark-Request-Timestamp", ts)
		hdr.Set("X-Lark-Request-Nonce", nonce)
		hdr.Set("X-Lark-Signature", sig)
		in, err := v.decode(hdr, body)
		if err != nil {
			re, ok := err.(*requestError)
			if !ok || re.status < 400 || re.status >= 500 {
				t.Fatalf("decode error %v is not a 4xx requestError", err)
			}
			return
		}
		if !in.isChallenge && !validSignature(sig, ts, nonce, testKey, body) {
			t.Fatalf("accepted an unsigned event: %q", body)
		}
	})
}
