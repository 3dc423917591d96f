package wecom

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/core"
)

// openedPassive is a passive reply as WeCom reads it: the envelope's
// fields and the decrypted message.
type openedPassive struct {
	TimeStamp, Nonce string
	Msg              passiveTextIn
}

// passiveTextIn parses doc 90241's text reply.
type passiveTextIn struct {
	ToUserName, FromUserName, MsgType, Content string
	CreateTime                                 int64
}

// mustOpenPassive checks a callback answer the way WeCom does: the
// envelope's signature over (token, TimeStamp, Nonce, Encrypt), then the
// decryption for the corp, then the reply XML.
func mustOpenPassive(tb testing.TB, c *Crypto, rec *httptest.ResponseRecorder) openedPassive {
	tb.Helper()
	if rec.Code != http.StatusOK {
		tb.Fatalf("status %d (%s), want 200", rec.Code, rec.Body.String())
	}
	var env struct {
		Encrypt, MsgSignature, TimeStamp, Nonce string
	}
	if err := xml.Unmarshal(rec.Body.Bytes(), &env); err != nil {
		tb.Fatalf("answer %q is not the passive-reply envelope: %v", rec.Body.String(), err)
	}
	if !c.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		tb.Fatalf("passive reply signature %q does not verify", env.MsgSignature)
	}
	plain, err := c.Decrypt(env.Encrypt)
	if err != nil {
		tb.Fatalf("decrypt passive reply: %v", err)
	}
	var msg passiveTextIn
	if err := xml.Unmarshal(plain, &msg); err != nil {
		tb.Fatalf("passive reply %q: %v", plain, err)
	}
	return openedPassive{TimeStamp: env.TimeStamp, Nonce: env.Nonce, Msg: msg}
}

// TestOfficialVectorAnsweredWithPassiveReply delivers the official W2
// message and reads the answer with the official credentials: "mycreate"
// is in no org file, so the passive reply says so, and nothing is queued.
func TestOfficialVectorAnsweredWithPassiveReply(t *testing.T) {
	mux, store := vectorBot(t, w2Timestamp)
	target := fmt.Sprintf("%s?msg_signature=%s&timestamp=%s&nonce=%s", CallbackPath, w2Signature, w2Timestamp, w2Nonce)
	rec := serve(mux, http.MethodPost, target, fmt.Sprintf(w2BodyFormat, w2Encrypt))
	got := mustOpenPassive(t, mustCrypto(t, vecToken, vecAESKey, vecCorpID), rec)
	want := passiveTextIn{ToUserName: "mycreate", FromUserName: vecCorpID, MsgType: "text", CreateTime: 1409659813,
		Content: RenderReply(core.Reply{Outcome: core.OutcomeUnknownUser, Platform: core.PlatformWeCom, Contact: "HR", ActorID: "mycreate"}, "en")}
	if got.Msg != want {
		t.Errorf("passive reply = %+v, want %+v", got.Msg, want)
	}
	if got.TimeStamp != w2Timestamp || got.Nonce != w2Nonce {
		t.Errorf("envelope timestamp %s nonce %s, want the callback's %s %s", got.TimeStamp, got.Nonce, w2Timestamp, w2Nonce)
	}
	if out := store.Outbox(); len(out) != 0 {
		t.Errorf("outbox = %+v, want nothing: the reply went in the answer", out)
	}
}

// TestPunchesAnsweredWithPassiveReplies: a located punch, a text punch
// and the menu's status button are each answered in the callback's
// response, with no message/send call and nothing queued; WeCom's retries
// of the punch are answered with the same text and store nothing new.
func TestPunchesAnsweredWithPassiveReplies(t *testing.T) {
	lat, lng := gcjNear(40)
	tests := []struct {
		name        string
		plain       func(e *env) string
		wantPunches int
		wantPrefix  string
	}{
		{"location message", func(e *env) string { return locationXML(testUser, lat, lng, "", "20001", e.unix(0)) }, 1, "✅ 上班打卡成功 09:00 · " + siteName + " 40 m"},
		{"text punch without a location", func(e *env) string { return textXML(testUser, "上班", "20002", e.unix(0)) }, 0, RenderReply(core.Reply{Outcome: core.OutcomeNeedLocation, Kind: core.KindIn, Lang: "zh"}, "zh")},
		{"menu status", func(e *env) string { return clickXML(testUser, KeyStatus, e.unix(0)) }, 0, "📋"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, envOptions{})
			s := e.seal(tt.plain(e))
			var first string
			for i := range 3 {
				got := mustOpenPassive(t, e.enc, e.deliver(s))
				if got.Msg.ToUserName != testUser || got.Msg.FromUserName != testCorpID || got.Msg.MsgType != "text" {
					t.Fatalf("delivery %d: passive reply %+v, want text to %s from %s", i+1, got.Msg, testUser, testCorpID)
				}
				if i == 0 {
					first = got.Msg.Content
				} else if got.Msg.Content != first {
					t.Errorf("retry %d answered %q, want the first answer %q", i, got.Msg.Content, first)
				}
				e.clock.Advance(2 * time.Second)
			}
			if !strings.HasPrefix(first, tt.wantPrefix) {
				t.Errorf("reply %q, want it to start with %q", first, tt.wantPrefix)
			}
			if n := len(e.punches()); n != tt.wantPunches {
				t.Errorf("%d punches, want %d", n, tt.wantPunches)
			}
			if n := len(e.store.Outbox()); n != 0 {
				t.Errorf("%d outbox messages, want 0", n)
			}
			if sent := e.mustRun(); sent != 0 {
				t.Errorf("outbox sent %d, want 0", sent)
			}
			if n := len(e.fake.CallsTo("/cgi-bin/message/send")); n != 0 {
				t.Errorf("%d message/send calls, want 0", n)
			}
		})
	}
}

func TestPassiveTextCutsAtRuneBoundary(t *testing.T) {
	long := strings.Repeat("打", 1000) // 3000 bytes
	plain, err := PassiveText("corp", "u", long, 1)
	if err != nil {
		t.Fatal(err)
	}
	var msg passiveTextIn
	if err := xml.Unmarshal(plain, &msg); err != nil {
		t.Fatal(err)
	}
	if got := len(msg.Content); got != 2046 || !strings.HasPrefix(long, msg.Content) {
		t.Errorf("content is %d bytes, want the first 682 characters (2046 bytes)", got)
	}
}

// queueReply puts a reply in the outbox as a command answered through the
// API would, for the tests of the send path.
func (e *env) queueReply(tb testing.TB, r core.Reply, eventID string) {
	tb.Helper()
	payload, _ := json.Marshal(r)
	route, _ := json.Marshal(Route{ToUser: testUser, AgentID: testAgentID, Lang: "zh"})
	err := e.store.InTx(context.Background(), func(tx core.Tx) error {
		return tx.EnqueueOutbox(context.Background(), core.OutboxMessage{Platform: core.PlatformWeCom, Route: string(route), Kind: OutboxReply,
			Payload: payload, DedupeKey: "reply:wecom:" + eventID, NextAttempt: e.clock.Now(), Status: core.OutboxPending, CreatedAt: e.clock.Now()})
	})
	if err != nil {
		tb.Fatalf("queue reply: %v", err)
	}
}
