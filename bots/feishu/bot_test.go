package feishu

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"

	"github.com/punchbot/punchbot/core"
)

func TestDecryptOfficialVector(t *testing.T) {
	key := sha256.Sum256([]byte("test key"))
	if got, want := hex.EncodeToString(key[:]), "fa2bdca424f01f01ffb48df93acc35d439c7fd331a1a7fba6ac2fd83aa9ab31a"; got != want {
		t.Fatalf("sha256(test key) = %s, want %s", got, want)
	}
	got, err := Decrypt("P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=", "test key")
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	if string(got) != "hello world" {
		t.Fatalf("Decrypt = %q, want %q", got, "hello world")
	}
}

func TestDecryptAgreesWithSDKAndRejectsWrongKey(t *testing.T) {
	plain := []byte(`{"schema":"2.0","header":{"event_id":"e1"},"event":{"x":"打卡"}}`)
	enc := larkEncrypt(plain, "k1", bytes.Repeat([]byte{7}, 16))
	ours, err := Decrypt(enc, "k1")
	if err != nil {
		t.Fatalf("Decrypt: %v", err)
	}
	sdk, err := larkevent.EventDecrypt(enc, "k1")
	if err != nil {
		t.Fatalf("EventDecrypt: %v", err)
	}
	if !bytes.Equal(ours, plain) || !bytes.Equal(sdk, plain) {
		t.Fatalf("Decrypt = %q, SDK = %q, want %q", ours, sdk, plain)
	}
	for _, tc := range []struct{ name, enc, key string }{
		{"wrong key", enc, "k2"},
		{"not base64", "%%%", "k1"},
		{"too short", "AAAA", "k1"},
		{"not whole blocks", enc[:len(enc)-8], "k1"},
	} {
		if got, err := Decrypt(tc.enc, tc.key); err == nil {
			t.Errorf("%s: Decrypt = %q, want an error", tc.name, got)
		}
	}
}

func TestSignature(t *testing.T) {
	body := []byte(`{"encrypt":"abc"}`)
	// Independent computation: hex(sha256(timestamp + nonce + key + body)).
	want := larkSig("1700000000", "n1", "k", body)
	if got := Signature("1700000000", "n1", "k", body); got != want {
		t.Fatalf("Signature = %s, want %s", got, want)
	}
	sum := sha256.Sum256([]byte("1700000000" + "n1" + "k" + `{"encrypt":"abc"}`))
	if want != hex.EncodeToString(sum[:]) {
		t.Fatalf("reference signature disagrees with the documented formula")
	}
	for _, tc := range []struct {
		name           string
		ts, nonce, key string
		body           []byte
		wantValid      bool
	}{
		{"exact", "1700000000", "n1", "k", body, true},
		{"other timestamp", "1700000001", "n1", "k", body, false},
		{"other nonce", "1700000000", "n2", "k", body, false},
		{"other key", "1700000000", "n1", "k2", body, false},
		{"other body", "1700000000", "n1", "k", []byte(`{"encrypt":"abd"}`), false},
	} {
		if got := validSignature(want, tc.ts, tc.nonce, tc.key, tc.body); got != tc.wantValid {
			t.Errorf("%s: validSignature = %v, want %v", tc.name, got, tc.wantValid)
		}
	}
}

func TestChallenge(t *testing.T) {
	challenge := map[string]string{"challenge": "ajls384kdjx98XX", "token": testToken, "type": "url_verification"}
	wrong := map[string]string{"challenge": "ajls384kdjx98XX", "token": "nope", "type": "url_verification"}
	for _, tc := range []struct {
		name       string
		noKey      bool
		payload    any
		d          delivery
		wantStatus int
	}{
		{"encrypted, unsigned", false, challenge, delivery{noSig: true}, http.StatusOK},
		{"encrypted, signed", false, challenge, delivery{}, http.StatusOK},
		{"plain, app without Encrypt Key", true, challenge, delivery{plaintext: true, noSig: true}, http.StatusOK},
		{"plain, app with Encrypt Key", false, challenge, delivery{plaintext: true, noSig: true}, http.StatusOK},
		{"wrong token", false, wrong, delivery{noSig: true}, http.StatusUnauthorized},
		{"wrong token, plain", true, wrong, delivery{plaintext: true, noSig: true}, http.StatusUnauthorized},
		{"encrypted with another key", false, challenge, delivery{noSig: true, key: "other"}, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t, func(c *Config, d *Deps) {
				if tc.noKey {
					c.EncryptKey = ""
				}
			})
			rec := h.post(tc.payload, tc.d)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			if tc.wantStatus != http.StatusOK {
				return
			}
			var got map[string]string
			if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil || got["challenge"] != "ajls384kdjx98XX" || len(got) != 1 {
				t.Fatalf("body = %s, want {\"challenge\":\"ajls384kdjx98XX\"}", rec.Body)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Fatalf("Content-Type = %q, want application/json", ct)
			}
		})
	}
}

func TestTextThenLocationMakesOnePunch(t *testing.T) {
	h := MustHarness(t)
	rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班")}), delivery{})
	if rec.Code != http.StatusOK {
		t.Fatalf("text: status = %d (%s), want 200", rec.Code, rec.Body)
	}
	if got := len(h.punches()); got != 0 {
		t.Fatalf("after text: %d punches, want 0 (waiting for a location)", got)
	}
	lat, lng := gcj(20, 10)
	rec = h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("望京SOHO T1", lat, lng)}), delivery{})
	if rec.Code != http.StatusOK {
		t.Fatalf("location: status = %d (%s), want 200", rec.Code, rec.Body)
	}
	ps := h.punches()
	if len(ps) != 1 {
		t.Fatalf("got %d punches, want 1", len(ps))
	}
	if p := ps[0]; p.Kind != core.KindIn || p.Outcome != core.OutcomeAccepted || p.SiteID != "wj" || p.Source != "feishu" || p.EmployeeID != "E1" {
		t.Fatalf("punch = %+v, want an accepted clock-in at wj by E1 from feishu", p)
	}
	if got, want := ps[0].At, h.clock.Now().Add(-2*time.Second).Truncate(time.Millisecond); !got.Equal(want) {
		t.Fatalf("punch time = %v, want the message create_time %v", got, want)
	}

	if n := h.runOutbox(); n != 2 {
		t.Fatalf("outbox sent %d, want 2 (ask for location, result)", n)
	}
	replies := h.api.Calls("/reply")
	if len(replies) != 2 {
		t.Fatalf("%d replies sent, want 2", len(replies))
	}
	if replies[0].Body["msg_type"] != "text" || !strings.Contains(sentContent(t, replies[0])["text"].(string), "位置") {
		t.Fatalf("first reply = %v, want a text asking for the location", replies[0].Body)
	}
	if replies[1].Body["msg_type"] != "interactive" {
		t.Fatalf("second reply msg_type = %v, want interactive", replies[1].Body["msg_type"])
	}
}

func TestLocationPunchAgainstSite(t *testing.T) {
	for _, tc := range []struct {
		name        string
		north, east float64
		wantOutcome core.Outcome
		wantColour  string
		wantText    []string
	}{
		{"inside (GCJ-02 input)", 30, -20, core.OutcomeAccepted, "green", []string{"上班打卡成功", "望京SOHO"}},
		{"outside", 1200, 0, core.OutcomeRejected, "red", []string{"不在打卡范围内", "1.2 km", "允许 200 m"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			lat, lng := gcj(tc.north, tc.east)
			rec := h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("somewhere", lat, lng)}), delivery{})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
			}
			ps := h.punches()
			if len(ps) != 1 || ps[0].Outcome != tc.wantOutcome {
				t.Fatalf("punches = %+v, want one %s", ps, tc.wantOutcome)
			}
			// The core measured from the WGS-84 equivalent of the GCJ-02 input;
			// read as WGS-84 the same numbers would be ~500 m off.
			want := math.Hypot(tc.north, tc.east)
			if got := ps[0].DistanceM; math.Abs(got-want) > 10 {
				t.Fatalf("distance = %.0f m, want about %.0f m (GCJ-02 converted)", got, want)
			}
			h.runOutbox()
			replies := h.api.Calls("/reply")
			if len(replies) != 1 {
				t.Fatalf("%d replies, want 1", len(replies))
			}
			card := sentContent(t, replies[0])
			header := card["header"].(map[string]any)
			if header["template"] != tc.wantColour {
				t.Fatalf("card colour = %v, want %s", header["template"], tc.wantColour)
			}
			all, _ := json.Marshal(card)
			for _, w := range tc.wantText {
				if !strings.Contains(string(all), w) {
					t.Errorf("card %s does not mention %q", all, w)
				}
			}
			if cfg := card["config"].(map[string]any); cfg["update_multi"] != true {
				t.Errorf("card config = %v, want update_multi so it can be patched later", cfg)
			}
		})
	}
}

// countingCore counts the commands that reach the core.
type countingCore struct {
	n    int
	next interface {
		Handle(context.Context, core.Command) (core.Reply, error)
	}
}

func (c *countingCore) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	c.n++
	return c.next.Handle(ctx, cmd)
}

// TestDuplicateDeliveryMakesOnePunchAndOneReply sends one event three
// times: every copy reaches the core, whose event ledger (the database) is
// the only judge of a repeat and answers it with the first reply.
func TestDuplicateDeliveryMakesOnePunchAndOneReply(t *testing.T) {
	var counter *countingCore
	h := MustHarness(t, func(c *Config, d *Deps) {
		counter = &countingCore{next: d.Core}
		d.Core = counter
	})
	lat, lng := gcj(0, 0)
	ev := h.event(msgEvent{eventID: "ev-dup", openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)})
	for i := range 3 {
		if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
			t.Fatalf("delivery %d: status = %d (%s), want 200", i+1, rec.Code, rec.Body)
		}
		h.clock.Add(5 * time.Second)
	}
	if got := len(h.punches()); got != 1 {
		t.Fatalf("%d punches, want 1", got)
	}
	if counter.n != 3 {
		t.Fatalf("%d deliveries reached the core, want 3", counter.n)
	}
	if got := len(h.store.Outbox()); got != 1 {
		t.Fatalf("%d queued replies, want 1", got)
	}
	h.runOutbox()
	h.runOutbox()
	if got := len(h.api.Calls("/reply")); got != 1 {
		t.Fatalf("%d replies sent, want 1", got)
	}
}

// flakyCore fails the first n calls as a database outage would.
type flakyCore struct {
	n    int
	next interface {
		Handle(context.Context, core.Command) (core.Reply, error)
	}
}

func (f *flakyCore) Handle(ctx context.Context, cmd core.Command) (core.Reply, error) {
	if f.n > 0 {
		f.n--
		return core.Reply{}, core.Errorf(core.EUNAVAILABLE, "database is down")
	}
	return f.next.Handle(ctx, cmd)
}

func TestCoreFailureAsksForARetryThatIsNotDropped(t *testing.T) {
	var flaky *flakyCore
	h := MustHarness(t, func(c *Config, d *Deps) {
		flaky = &flakyCore{n: 1, next: d.Core}
		d.Core = flaky
	})
	lat, lng := gcj(0, 0)
	ev := h.event(msgEvent{eventID: "ev-retry", openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)})
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusInternalServerError {
		t.Fatalf("first delivery: status = %d, want 500 so Feishu retries", rec.Code)
	}
	if got := len(h.punches()); got != 0 {
		t.Fatalf("%d punches after a failure, want 0", got)
	}
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("retry: status = %d, want 200", rec.Code)
	}
	if got := len(h.punches()); got != 1 {
		t.Fatalf("%d punches after the retry, want 1 (the retry must not be taken for a duplicate)", got)
	}
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK || len(h.punches()) != 1 || len(h.store.Outbox()) != 1 {
		t.Fatalf("third delivery: status %d, %d punches, %d replies; want 200, 1, 1", rec.Code, len(h.punches()), len(h.store.Outbox()))
	}
}

func TestForgedAndBrokenRequestsStoreNothing(t *testing.T) {
	loc := func(h *harness) map[string]any {
		lat, lng := gcj(0, 0)
		return h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)})
	}
	for _, tc := range []struct {
		name       string
		payload    func(h *harness) any
		d          delivery
		wantStatus int
	}{
		{"stale timestamp", func(h *harness) any { return loc(h) }, delivery{skew: -6 * time.Minute}, http.StatusUnauthorized},
		{"timestamp from the future", func(h *harness) any { return loc(h) }, delivery{skew: 6 * time.Minute}, http.StatusUnauthorized},
		{"bad signature", func(h *harness) any { return loc(h) }, delivery{badSig: true}, http.StatusUnauthorized},
		{"missing signature", func(h *harness) any { return loc(h) }, delivery{noSig: true}, http.StatusUnauthorized},
		{"wrong token", func(h *harness) any {
			lat, lng := gcj(0, 0)
			return h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng), token: "forged"})
		}, delivery{}, http.StatusUnauthorized},
		{"malformed JSON body", nil, delivery{raw: []byte(`{"encrypt":`)}, http.StatusBadRequest},
		{"malformed JSON inside the encryption", nil, delivery{raw: []byte(`{"encrypt":"` + larkEncrypt([]byte(`{"schema":"2.0",`), testKey, make([]byte, 16)) + `"}`)}, http.StatusBadRequest},
		{"event of the wrong shape", func(h *harness) any {
			ev := loc(h)
			ev["event"] = "not an object"
			return ev
		}, delivery{}, http.StatusBadRequest},
		{"body over 1 MiB", nil, delivery{raw: bytes.Repeat([]byte(" "), MaxBodyBytes+1)}, http.StatusRequestEntityTooLarge},
		{"unknown message type", func(h *harness) any {
			return h.event(msgEvent{openID: aliceOpenID, msgType: "image", content: map[string]string{"image_key": "img_x"}})
		}, delivery{}, http.StatusOK},
		{"unknown event type", func(h *harness) any {
			return h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("上班"), eventType: "im.message.message_read_v1"})
		}, delivery{}, http.StatusOK},
		{"group message not addressed to the bot", func(h *harness) any {
			return h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("上班")})
		}, delivery{}, http.StatusOK},
		{"group message to @all", func(h *harness) any {
			return h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_all 上班"),
				mentions: []map[string]any{{"key": "@_all", "name": "所有人"}}})
		}, delivery{}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			var payload any
			if tc.payload != nil {
				payload = tc.payload(h)
			}
			rec := h.post(payload, tc.d)
			if rec.Code != tc.wantStatus {
				t.Fatalf("status = %d (%s), want %d", rec.Code, rec.Body, tc.wantStatus)
			}
			if got := len(h.punches()); got != 0 {
				t.Errorf("%d punches stored, want 0", got)
			}
			if got := len(h.store.Outbox()); got != 0 {
				t.Errorf("%d replies queued, want 0", got)
			}
			if got := h.store.Intents(); len(got) != 0 {
				t.Errorf("intents remembered: %v, want none", got)
			}
		})
	}
}

func TestUnknownSenderIsToldWhomToAsk(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		want       string
	}{
		{"chinese", "上班", "还没有登记"},
		{"english", "in", "not registered"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			rec := h.post(h.event(msgEvent{openID: strangerOpen, msgType: "text", content: textContent(tc.text)}), delivery{})
			if rec.Code != http.StatusOK {
				t.Fatalf("status = %d, want 200", rec.Code)
			}
			if got := len(h.punches()); got != 0 {
				t.Fatalf("%d punches, want 0", got)
			}
			h.runOutbox()
			replies := h.api.Calls("/reply")
			if len(replies) != 1 || replies[0].Body["msg_type"] != "text" {
				t.Fatalf("replies = %+v, want one text", replies)
			}
			text := sentContent(t, replies[0])["text"].(string)
			if !strings.Contains(text, tc.want) || !strings.Contains(text, "HR") {
				t.Fatalf("reply %q, want it to contain %q and name HR", text, tc.want)
			}
		})
	}
}

func TestSenderBoundByUserID(t *testing.T) {
	h := MustHarness(t)
	lat, lng := gcj(0, 0)
	rec := h.post(h.event(msgEvent{openID: "ou_bob", userID: bobUserID, msgType: "location", content: locContent("office", lat, lng)}), delivery{})
	if rec.Code != http.StatusOK {
		t.Fatalf("status = %d, want 200", rec.Code)
	}
	ps := h.punches()
	if len(ps) != 1 || ps[0].EmployeeID != "E2" {
		t.Fatalf("punches = %+v, want one by E2 (found through user_id)", ps)
	}
	h.runOutbox()
	card := sentContent(t, h.api.Calls("/reply")[0])
	if title := card["header"].(map[string]any)["title"].(map[string]any)["content"]; !strings.Contains(title.(string), "Clock-in recorded") {
		t.Fatalf("title = %v, want Bob's English", title)
	}
}

func TestGroupMessageMentioningTheBot(t *testing.T) {
	h := MustHarness(t)
	ev := h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 下班"),
		mentions: []map[string]any{{"key": "@_user_1", "name": "punchbot", "id": map[string]any{"open_id": "ou_bot"}}}})
	if rec := h.post(ev, delivery{}); rec.Code != http.StatusOK {
		t.Fatalf("status = %d (%s), want 200", rec.Code, rec.Body)
	}
	out := h.store.Outbox()
	if len(out) != 1 {
		t.Fatalf("%d replies queued, want 1", len(out))
	}
	var r core.Reply
	_ = json.Unmarshal(out[0].Payload, &r)
	if r.Outcome != core.OutcomeNeedLocation || r.Kind != core.KindOut {
		t.Fatalf("reply = %s/%s, want need_location for a clock-out", r.Outcome, r.Kind)
	}
	var rt route
	_ = json.Unmarshal([]byte(out[0].Route), &rt)
	if rt.ReceiveIDType != "chat_id" || rt.ReceiveID != "oc_chat1" || rt.MessageID == "" {
		t.Fatalf("route = %+v, want a reply in the group chat", rt)
	}
	// Mentioning someone else is not addressed to the bot.
	other := h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 下班"),
		mentions: []map[string]any{{"key": "@_user_1", "name": "Carol", "id": map[string]any{"open_id": "ou_carol"}}}})
	if rec := h.post(other, delivery{}); rec.Code != http.StatusOK || len(h.store.Outbox()) != 1 {
		t.Fatalf("status %d, %d replies; want 200 and still 1", rec.Code, len(h.store.Outbox()))
	}
}

func TestSendEndToEnd(t *testing.T) {
	h := MustHarness(t)
	lat, lng := gcj(10, 10)
	h.post(h.event(msgEvent{messageID: "om_user1", openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng)}), delivery{})
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("状态")}), delivery{})
	if n := h.runOutbox(); n != 2 {
		t.Fatalf("sent %d, want 2", n)
	}
	if got := len(h.api.Calls("/tenant_access_token/internal")); got != 1 {
		t.Fatalf("%d token fetches, want 1 (cached)", got)
	}
	replies := h.api.Calls("/reply")
	if len(replies) != 2 {
		t.Fatalf("%d replies, want 2", len(replies))
	}
	c := replies[0]
	if c.Method != http.MethodPost || c.Path != "/open-apis/im/v1/messages/om_user1/reply" {
		t.Fatalf("request %s %s, want POST /open-apis/im/v1/messages/om_user1/reply", c.Method, c.Path)
	}
	if !strings.HasPrefix(c.ContentType, "application/json") {
		t.Fatalf("request Content-Type = %q, want application/json", c.ContentType)
	}
	if c.Auth != "Bearer t-1" {
		t.Fatalf("Authorization = %q, want Bearer t-1", c.Auth)
	}
	if c.Body["msg_type"] != "interactive" || c.Body["uuid"] == "" {
		t.Fatalf("body = %v, want msg_type interactive and a uuid", c.Body)
	}
	card := sentContent(t, c)
	fields, _ := json.Marshal(card["elements"])
	for _, w := range []string{"时间", "08:57", "地点", "望京SOHO", "距离"} {
		if !strings.Contains(string(fields), w) {
			t.Errorf("card elements %s lack %q", fields, w)
		}
	}
	if replies[1].Body["msg_type"] != "text" || !strings.Contains(sentContent(t, replies[1])["text"].(string), "上班 08:57") {
		t.Errorf("status reply = %v, want a text with the clock-in time", replies[1].Body)
	}
	for _, m := range h.store.Outbox() {
		if m.Status != core.OutboxSent {
			t.Errorf("outbox %d status = %s, want sent", m.ID, m.Status)
		}
	}
}

func TestSendFallsBackToCreate(t *testing.T) {
	h := MustHarness(t)
	h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("help")}), delivery{})
	h.api.script(scripted{status: http.StatusBadRequest, body: `{"code":230011,"msg":"The message is recalled."}`})
	if n := h.runOutbox(); n != 1 {
		t.Fatalf("sent %d, want 1", n)
	}
	creates := h.api.Calls("/open-apis/im/v1/messages")
	if len(creates) != 1 {
		t.Fatalf("%d creates, want 1", len(creates))
	}
	c := creates[0]
	if got := c.Query.Get("receive_id_type"); got != "open_id" {
		t.Fatalf("receive_id_type = %q, want open_id", got)
	}
	if c.Body["receive_id"] != aliceOpenID || c.Body["msg_type"] != "text" {
		t.Fatalf("body = %v, want a text to %s", c.Body, aliceOpenID)
	}
	if text := sentContent(t, c)["text"].(string); !strings.Contains(text, "可用命令") {
		t.Fatalf("text = %q, want the help in Alice's language (zh), whatever she typed", text)
	}
}

func TestTokenRefetchedWhenRefused(t *testing.T) {
	h := MustHarness(t)
	c := h.bot.Client()
	if _, err := c.CreateMessage(context.Background(), "open_id", aliceOpenID, TextMessage("one"), ""); err != nil {
		t.Fatalf("first send: %v", err)
	}
	h.api.revoke("t-1") // the API now answers 99991663 for it
	if _, err := c.CreateMessage(context.Background(), "open_id", aliceOpenID, TextMessage("two"), ""); err != nil {
		t.Fatalf("send after revocation: %v", err)
	}
	if got := len(h.api.Calls("/tenant_access_token/internal")); got != 2 {
		t.Fatalf("%d token fetches, want 2", got)
	}
	creates := h.api.Calls("/open-apis/im/v1/messages")
	if len(creates) != 3 || creates[1].Auth != "Bearer t-1" || creates[2].Auth != "Bearer t-2" {
		t.Fatalf("creates = %+v, want t-1, t-1 (refused), t-2", creates)
	}
}

func TestTokenCachePerClient(t *testing.T) {
	a, b := newFakeAPI(t), newFakeAPI(t)
	ca := NewClient(testAppID, testSecret, a.URL(), a.srv.Client(), nil, discardLog())
	cb := NewClient(testAppID, testSecret, b.URL(), b.srv.Client(), nil, discardLog())
	b.mu.Lock()
	b.tokens = 100 // b issues t-101, so sharing a's t-1 would be refused
	b.mu.Unlock()
	for _, c := range []*Client{ca, cb, ca, cb} {
		if _, err := c.CreateMessage(context.Background(), "open_id", "ou_1", TextMessage("x"), ""); err != nil {
			t.Fatalf("send: %v", err)
		}
	}
	if got, gotB := len(a.Calls("/tenant_access_token/internal")), len(b.Calls("/tenant_access_token/internal")); got != 1 || gotB != 1 {
		t.Fatalf("token fetches a=%d b=%d, want 1 each", got, gotB)
	}
	for _, call := range b.Calls("/open-apis/im/v1/messages") {
		if call.Auth != "Bearer t-101" {
			t.Fatalf("client b sent %q, want its own token t-101", call.Auth)
		}
	}
}

func TestRateLimitBacksOff(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    scripted
		want time.Duration
	}{
		{"HTTP 429 with reset header", scripted{status: http.StatusTooManyRequests, header: map[string]string{"x-ogw-ratelimit-limit": "50", "x-ogw-ratelimit-reset": "7"},
			body: `{"code":99991400,"msg":"request trigger frequency limit"}`}, 7 * time.Second},
		{"code 99991400 on HTTP 400", scripted{status: http.StatusBadRequest, header: map[string]string{"x-ogw-ratelimit-reset": "3"},
			body: `{"code":99991400,"msg":"request trigger frequency limit"}`}, 3 * time.Second},
		{"429 without headers or code", scripted{status: http.StatusTooManyRequests, body: `{}`}, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			h.api.script(tc.s)
			_, err := h.bot.Client().CreateMessage(context.Background(), "open_id", aliceOpenID, TextMessage("x"), "")
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Code != core.ERATELIMIT || ce.RetryAfter != tc.want {
				t.Fatalf("err = %#v, want ERATELIMIT with RetryAfter %v", err, tc.want)
			}

			// Through the outbox: the message waits for the gateway's reset.
			h.post(h.event(msgEvent{openID: aliceOpenID, msgType: "text", content: textContent("帮助")}), delivery{})
			h.api.script(tc.s)
			if n := h.runOutbox(); n != 0 {
				t.Fatalf("sent %d, want 0", n)
			}
			m := h.store.Outbox()[0]
			if m.Status != core.OutboxPending || !m.NextAttempt.Equal(h.clock.Now().Add(tc.want)) {
				t.Fatalf("outbox = %s next %v, want pending until now+%v", m.Status, m.NextAttempt, tc.want)
			}
			h.clock.Add(tc.want)
			if n := h.runOutbox(); n != 1 {
				t.Fatalf("after the wait sent %d, want 1", n)
			}
		})
	}
}

func TestSendErrorsAreClassified(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    scripted
		want string
	}{
		{"bot not in chat", scripted{status: http.StatusBadRequest, body: `{"code":230002,"msg":"The bot can not be outside the group."}`}, core.EINVALID},
		{"server error", scripted{status: http.StatusInternalServerError, body: `{"code":1,"msg":"internal"}`}, core.EUNAVAILABLE},
		{"gateway HTML", scripted{status: http.StatusBadGateway, body: `<html>bad gateway</html>`}, core.EUNAVAILABLE},
		{"per-chat limit", scripted{status: http.StatusBadRequest, body: `{"code":230020,"msg":"chat rate limit"}`}, core.ERATELIMIT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := MustHarness(t)
			h.api.script(tc.s)
			_, err := h.bot.Client().CreateMessage(context.Background(), "chat_id", "oc_1", TextMessage("x"), "")
			if got := core.ErrorCode(err); got != tc.want {
				t.Fatalf("code = %q (%v), want %q", got, err, tc.want)
			}
		})
	}
}

func TestPermanentFailureFailsTheOutboxMessage(t *testing.T) {
	h := MustHarness(t, func(c *Config, d *Deps) {})
	// A group reply whose chat the bot has left: reply and create are both refused.
	ev := h.event(msgEvent{openID: aliceOpenID, chatType: "group", msgType: "text", content: textContent("@_user_1 help"),
		mentions: []map[string]any{{"key": "@_user_1", "id": map[string]any{"open_id": "ou_bot"}}}})
	h.post(ev, delivery{})
	refused := scripted{status: http.StatusBadRequest, body: `{"code":230002,"msg":"The bot can not be outside the group."}`}
	h.api.script(refused, refused)
	h.runOutbox()
	m := h.store.Outbox()[0]
	if m.Status != core.OutboxFailed || !strings.Contains(m.LastError, "230002") {
		t.Fatalf("outbox = %s (%s), want failed with the platform's code", m.Status, m.LastError)
	}
}

func TestPatchCard(t *testing.T) {
	h := MustHarness(t)
	card := json.RawMessage(`{"config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"已批准"}},"elements":[]}`)
	if err := h.bot.Client().PatchCard(context.Background(), "om_card1", card); err != nil {
		t.Fatalf("PatchCard: %v", err)
	}
	calls := h.api.Calls("/om_card1")
	if len(calls) != 1 || calls[0].Method != http.MethodPatch || calls[0].Path != "/open-apis/im/v1/messages/om_card1" {
		t.Fatalf("calls = %+v, want one PATCH /open-apis/im/v1/messages/om_card1", calls)
	}
	if got := calls[0].Body["content"]; got != string(card) || len(calls[0].Body) != 1 {
		t.Fatalf("body = %v, want {\"content\": <card as a string>}", calls[0].Body)
	}
	if !strings.HasPrefix(calls[0].ContentType, "application/json") {
		t.Fatalf("Content-Type = %q", calls[0].ContentType)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	h := MustHarness(t)
	good := Config{AppID: "a", AppSecret: "s", VerificationToken: "v"}
	deps := Deps{Core: h.bot.core, Log: discardLog()}
	for _, tc := range []struct {
		name string
		cfg  Config
		deps Deps
		ok   bool
	}{
		{"complete", good, deps, true},
		{"no app id", Config{AppSecret: "s", VerificationToken: "v"}, deps, false},
		{"no secret", Config{AppID: "a", VerificationToken: "v"}, deps, false},
		{"no verification token", Config{AppID: "a", AppSecret: "s"}, deps, false},
		{"no core", good, Deps{}, false},
	} {
		_, err := New(tc.cfg, tc.deps)
		if (err == nil) != tc.ok {
			t.Errorf("%s: err = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

func TestAppWithoutEncryptKey(t *testing.T) {
	h := MustHarness(t, func(c *Config, d *Deps) { c.EncryptKey = "" })
	lat, lng := gcj(0, 0)
	for _, tc := range []struct {
		name       string
		token      string
		d          delivery
		wantStatus int
		wantPunch  int
	}{
		{"wrong token", "forged", delivery{plaintext: true, noSig: true}, http.StatusUnauthorized, 0},
		{"stale timestamp", testToken, delivery{plaintext: true, noSig: true, skew: -10 * time.Minute}, http.StatusUnauthorized, 0},
		{"encrypted body without a key", testToken, delivery{noSig: true}, http.StatusBadRequest, 0},
		{"plain event with the token", testToken, delivery{plaintext: true, noSig: true}, http.StatusOK, 1},
	} {
		ev := h.event(msgEvent{openID: aliceOpenID, msgType: "location", content: locContent("office", lat, lng), token: tc.token})
		rec := h.post(ev, tc.d)
		if rec.Code != tc.wantStatus || len(h.punches()) != tc.wantPunch {
			t.Errorf("%s: status %d, %d punches; want %d, %d", tc.name, rec.Code, len(h.punches()), tc.wantStatus, tc.wantPunch)
		}
	}
}
