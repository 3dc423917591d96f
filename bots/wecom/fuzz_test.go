package wecom

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"testing"
)

func parseSeeds() []string {
	return []string{w2Plain, docText, docLocation, capturedLocationEvent, docCardEvent, plainNoCDATA, stringMsgID,
		locationSelectXML("zhangsan", "punch_in", 40.001, 116.486, 1772413200), clickXML("zhangsan", "punch_out", 1772413200),
		locationEventXML("zhangsan", 39.99, 116.48, 65, 1772413200), "", "<xml/>", "<xml><MsgType>text</MsgType></xml>",
		// Card clicks: approval buttons on requests that exist or not, by an
		// unknown member, the clock-out confirmation, a leave form.
		cardEventXML(testUser, KeyMakeupApprove, "makeup-1-1-1", "code-1", 1772413200),
		cardEventXML(testUser, KeyMakeupReject, "makeup-99999999999999999999-1-1", "code-2", 1772413200),
		cardEventXML("nobody", KeyMakeupApprove, "makeup--1", "", 1772413200),
		cardEventXML(testUser, KeyPunchConfirm, "confirm-x", "code-3", 1772413200),
		cardEventXML(testUser, KeyPunchDecline, "", "", 1772413200),
		leaveFormXML(testUser, "leave-1", "code-4", 1772413200, [][2]string{{"type", "leave"}, {"from", "2026-13-01"}, {"to", ""}})}
}

// FuzzParse feeds arbitrary plaintext to the message parser: it must never
// panic, and whatever it accepts must carry what the handler relies on.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseMessage(data)
		if err != nil {
			return
		}
		if m.FromUserName == "" || m.MsgType == "" || m.CreateTime <= 0 || m.EventID() == "" {
			t.Errorf("accepted %q as %+v: missing sender, type, time or id", data, m)
		}
	})
}

// FuzzDecrypt feeds arbitrary Encrypt values to the decryptor: it must
// never panic, and anything it accepts must re-encrypt to the same bytes,
// which is only true when the padding and lengths were validated exactly.
func FuzzDecrypt(f *testing.F) {
	for _, s := range []string{w1Echo, w2Encrypt, "", "AAAA", base64.StdEncoding.EncodeToString(make([]byte, 32))} {
		f.Add(s)
	}
	c := mustCrypto(f, vecToken, vecAESKey, vecCorpID)
	f.Fuzz(func(t *testing.T, enc string) {
		o, err := c.Open(enc)
		if err != nil {
			return
		}
		other := *c
		other.receiveID = o.ReceiveID
		again, err := other.Encrypt(o.Msg, o.Random)
		if err != nil {
			t.Fatalf("re-encrypt: %v", err)
		}
		in, _ := base64.StdEncoding.DecodeString(enc)
		out, _ := base64.StdEncoding.DecodeString(again)
		if !bytes.Equal(in, out) {
			t.Errorf("Open accepted %q but re-encryption differs", enc)
		}
		_, _ = c.Decrypt(enc)
	})
}

// FuzzRoundTrip checks Encrypt/Decrypt on arbitrary messages.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte(w2Plain), []byte(w2Random))
	f.Add([]byte{}, []byte("0123456789abcdef"))
	c := mustCrypto(f, testToken, testAESKey, testCorpID)
	f.Fuzz(func(t *testing.T, msg, random []byte) {
		enc, err := c.Encrypt(msg, random)
		if len(random) != randomLen {
			if err == nil {
				t.Errorf("Encrypt accepted a %d-byte prefix", len(random))
			}
			return
		}
		if err != nil {
			t.Fatalf("Encrypt: %v", err)
		}
		got, err := c.Decrypt(enc)
		if err != nil || !bytes.Equal(got, msg) {
			t.Errorf("round trip of %q: got %q, %v", msg, got, err)
		}
	})
}

// FuzzCallback sends arbitrary plaintext, correctly encrypted and signed,
// through the real handler and core: client garbage is never a 5xx.
func FuzzCallback(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	e := newEnv(f, envOptions{})
	f.Fuzz(func(t *testing.T, plain []byte) {
		e.t = t // F's helpers may not be called inside the fuzz function
		rec := e.deliver(e.seal(string(plain)))
		if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
			t.Errorf("plaintext %q: status %d (%s), want 200 or 400", plain, rec.Code, rec.Body.String())
		}
	})
}
