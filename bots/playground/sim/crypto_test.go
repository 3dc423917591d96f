package sim

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/punchbot/punchbot/bots/feishu"
)

// The callbacks the simulators send are checked against the platforms'
// documented vectors (PLATFORMS.md §2, §5.3, §8).

// TestWeComSealDocumentedVector: sealing vector W2's plaintext with its
// random prefix, timestamp and nonce gives exactly the documented Encrypt
// and msg_signature (https://developer.work.weixin.qq.com/document/path/90968).
func TestWeComSealDocumentedVector(t *testing.T) {
	s, err := newWeCom(WeComConfig{CorpID: "wx5823bf96d3bd56c7", AgentID: "218", Token: "QDG6eK", EncodingAESKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"},
		NewHub(nil, nil), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const (
		encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q=="
		plain   = "<xml><ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>\n<FromUserName><![CDATA[mycreate]]></FromUserName>\n<CreateTime>1409659813</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[hello]]></Content>\n<MsgId>4561255354251345929</MsgId>\n<AgentID>218</AgentID>\n</xml>"
	)
	body, query, err := s.seal([]byte(plain), []byte("0960688932c47ef1"), "1409659813", "1372623149")
	if err != nil {
		t.Fatal(err)
	}
	if want := "<Encrypt><![CDATA[" + encrypt + "]]></Encrypt>"; !strings.Contains(body, want) {
		t.Errorf("body = %s\nwant it to carry the documented Encrypt", body)
	}
	if want := "msg_signature=477715d11cdb4164915debcba66cb864d751f3e6&timestamp=1409659813&nonce=1372623149"; query != want {
		t.Errorf("query = %s, want %s", query, want)
	}
}

// TestFeishuEncryptDocumentedVector: the docs' vector, "hello world" under
// "test key", comes out byte for byte with its IV, and the bot's decrypt
// opens it; the signature header is sha256(timestamp + nonce + key + body).
func TestFeishuEncryptDocumentedVector(t *testing.T) {
	const vector = "P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="
	raw, _ := base64.StdEncoding.DecodeString(vector)
	if got := FeishuEncrypt([]byte("hello world"), "test key", raw[:16]); got != vector {
		t.Errorf("FeishuEncrypt = %s, want %s", got, vector)
	}
	s := newFeishu(FeishuConfig{EncryptKey: "test key"}, NewHub(nil, nil), nil, nil)
	body, hdr := s.seal([]byte(`{"schema":"2.0"}`), raw[:16], "1700000000", "nonce-1")
	var env struct{ Encrypt string }
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	if plain, err := feishu.Decrypt(env.Encrypt, "test key"); err != nil || string(plain) != `{"schema":"2.0"}` {
		t.Errorf("feishu.Decrypt(seal) = %q, %v", plain, err)
	}
	sum := sha256.Sum256([]byte("1700000000" + "nonce-1" + "test key" + string(body)))
	if got, want := hdr["X-Lark-Signature"], hex.EncodeToString(sum[:]); got != want {
		t.Errorf("X-Lark-Signature = %s, want %s", got, want)
	}
}

// TestSlackSigningDocumentedVector: Slack's documented request, delivered
// at its timestamp, carries the documented X-Slack-Signature
// (https://api.slack.com/authentication/verifying-requests-from-slack).
func TestSlackSigningDocumentedVector(t *testing.T) {
	const body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	var got http.Header
	bot := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Clone() }))
	defer bot.Close()
	hub := NewHub(func() time.Time { return time.Unix(1531420618, 0) }, nil)
	s := newSlack(SlackConfig{SigningSecret: "8f742231b10e8888abcd99yyyzzz85a5"}, hub, func() string { return bot.URL }, bot.Client())
	if _, err := s.deliver(context.Background(), "/slack/commands", []byte(body)); err != nil {
		t.Fatal(err)
	}
	if g, want := got.Get("X-Slack-Signature"), "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"; g != want {
		t.Errorf("X-Slack-Signature = %s, want %s", g, want)
	}
	if g := got.Get("X-Slack-Request-Timestamp"); g != "1531420618" {
		t.Errorf("X-Slack-Request-Timestamp = %s", g)
	}
}
