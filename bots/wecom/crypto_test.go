package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/punchbot/punchbot/core"
)

func mustCrypto(tb testing.TB, token, key, receiveID string) *Crypto {
	tb.Helper()
	c, err := NewCrypto(token, key, receiveID)
	if err != nil {
		tb.Fatalf("NewCrypto: %v", err)
	}
	return c
}

func TestSignOfficialVectors(t *testing.T) {
	c := mustCrypto(t, vecToken, vecAESKey, vecCorpID)
	tests := []struct {
		name, ts, nonce, enc, want string
	}{
		{"W1 echostr", w1Timestamp, w1Nonce, w1Echo, w1Signature},
		{"W2 message", w2Timestamp, w2Nonce, w2Encrypt, w2Signature},
	}
	for _, tt := range tests {
		if got := c.Sign(tt.ts, tt.nonce, tt.enc); got != tt.want {
			t.Errorf("%s: Sign = %s, want %s", tt.name, got, tt.want)
		}
		if !c.Verify(strings.ToUpper(tt.want), tt.ts, tt.nonce, tt.enc) {
			t.Errorf("%s: Verify(upper-case signature) = false, want true", tt.name)
		}
		if c.Verify(tt.want, tt.ts, tt.nonce+"1", tt.enc) {
			t.Errorf("%s: Verify with another nonce = true, want false", tt.name)
		}
	}
}

func TestDecryptOfficialVectors(t *testing.T) {
	c := mustCrypto(t, vecToken, vecAESKey, vecCorpID)
	tests := []struct {
		name, enc, want, random string
	}{
		{"W1 echostr", w1Echo, w1Plain, ""},
		{"W2 message", w2Encrypt, w2Plain, w2Random},
	}
	for _, tt := range tests {
		o, err := c.Open(tt.enc)
		if err != nil {
			t.Fatalf("%s: Open: %v", tt.name, err)
		}
		if string(o.Msg) != tt.want {
			t.Errorf("%s: msg = %q, want %q", tt.name, o.Msg, tt.want)
		}
		if o.ReceiveID != vecCorpID {
			t.Errorf("%s: receiveid = %q, want %q", tt.name, o.ReceiveID, vecCorpID)
		}
		if tt.random != "" && string(o.Random) != tt.random {
			t.Errorf("%s: random = %q, want %q", tt.name, o.Random, tt.random)
		}
		msg, err := c.Decrypt(tt.enc)
		if err != nil || string(msg) != tt.want {
			t.Errorf("%s: Decrypt = %q, %v; want %q, nil", tt.name, msg, err, tt.want)
		}
	}
	if len(w2Plain) != 284 {
		t.Errorf("W2 plaintext is %d bytes, want the documented msg_len 284", len(w2Plain))
	}
}

// The IV is fixed, so encrypting W2's plaintext with its recovered random
// prefix must give WeCom's ciphertext exactly.
func TestEncryptReproducesW2(t *testing.T) {
	c := mustCrypto(t, vecToken, vecAESKey, vecCorpID)
	got, err := c.Encrypt([]byte(w2Plain), []byte(w2Random))
	if err != nil {
		t.Fatalf("Encrypt: %v", err)
	}
	if got != w2Encrypt {
		t.Errorf("Encrypt(W2 plaintext) =\n%s\nwant\n%s", got, w2Encrypt)
	}
	raw, _ := base64.StdEncoding.DecodeString(got)
	if len(raw) != 352 {
		t.Errorf("ciphertext is %d bytes, want 352", len(raw))
	}
}

func TestEncryptRoundTrip(t *testing.T) {
	c := mustCrypto(t, testToken, testAESKey, testCorpID)
	random := []byte("0123456789abcdef")
	// Lengths around the 32-byte padding block: 16+4+len(id)=38 bytes of
	// overhead, so these messages end exactly on, just before and just
	// after a block boundary, and one needs a full block of padding.
	tests := []string{"", "a", strings.Repeat("x", 25), strings.Repeat("x", 26), strings.Repeat("x", 27), strings.Repeat("上班打卡", 300), w2Plain}
	for _, msg := range tests {
		enc, err := c.Encrypt([]byte(msg), random)
		if err != nil {
			t.Fatalf("Encrypt(%d bytes): %v", len(msg), err)
		}
		o, err := c.Open(enc)
		if err != nil {
			t.Fatalf("Open(Encrypt(%d bytes)): %v", len(msg), err)
		}
		if string(o.Msg) != msg || o.ReceiveID != testCorpID || !bytes.Equal(o.Random, random) {
			t.Errorf("round trip of %d bytes: got msg %d bytes, receiveid %q, random %q", len(msg), len(o.Msg), o.ReceiveID, o.Random)
		}
		raw, _ := base64.StdEncoding.DecodeString(enc)
		if len(raw)%32 != 0 {
			t.Errorf("ciphertext of %d bytes is %d bytes, not a multiple of 32", len(msg), len(raw))
		}
	}
	if _, err := c.Encrypt([]byte("x"), []byte("short")); core.ErrorCode(err) != core.EINVALID {
		t.Errorf("Encrypt with a 5-byte prefix: got %v, want EINVALID", err)
	}
}

func TestSealReply(t *testing.T) {
	c := mustCrypto(t, testToken, testAESKey, testCorpID)
	c.rand = strings.NewReader("fedcba9876543210")
	plain := "<xml><ToUserName><![CDATA[zhangsan]]></ToUserName><FromUserName><![CDATA[" + testCorpID + "]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已打卡]]></ReplaceName></Button></xml>"
	out, err := c.SealReply([]byte(plain), "1700000000", "42")
	if err != nil {
		t.Fatalf("SealReply: %v", err)
	}
	var env struct {
		Encrypt      string `xml:"Encrypt"`
		MsgSignature string `xml:"MsgSignature"`
		TimeStamp    string `xml:"TimeStamp"`
		Nonce        string `xml:"Nonce"`
	}
	if err := xml.Unmarshal(out, &env); err != nil {
		t.Fatalf("reply envelope %s: %v", out, err)
	}
	if !strings.Contains(string(out), "<Encrypt><![CDATA[") || !strings.Contains(string(out), "<TimeStamp>1700000000</TimeStamp>") {
		t.Errorf("envelope %s: want CDATA Encrypt and a plain TimeStamp", out)
	}
	if !c.Verify(env.MsgSignature, env.TimeStamp, env.Nonce, env.Encrypt) {
		t.Errorf("reply signature does not verify")
	}
	got, err := c.Decrypt(env.Encrypt)
	if err != nil || string(got) != plain {
		t.Errorf("Decrypt(reply) = %q, %v; want the plaintext", got, err)
	}
}

// rawEncrypt encrypts an already laid-out, already padded plaintext, to
// build payloads the real encryptor would never produce.
func rawEncrypt(tb testing.TB, encodingAESKey string, plain []byte) string {
	tb.Helper()
	key, _ := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	blk, err := aes.NewCipher(key)
	if err != nil {
		tb.Fatal(err)
	}
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(blk, key[:16]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out)
}

// layout builds random || len || msg || id with a chosen length field.
func layout(msg, id string, lenField uint32) []byte {
	b := []byte("0123456789abcdef")
	b = binary.BigEndian.AppendUint32(b, lenField)
	return append(append(b, msg...), id...)
}

func pad32(p []byte) []byte {
	n := 32 - len(p)%32
	return append(p, bytes.Repeat([]byte{byte(n)}, n)...)
}

func TestOpenRejectsGarbage(t *testing.T) {
	c := mustCrypto(t, testToken, testAESKey, testCorpID)
	good := layout("hi", testCorpID, 2)
	badPad := pad32(bytes.Clone(good))
	badPad[len(badPad)-2] ^= 0xff // padding bytes disagree
	zeroPad := append(bytes.Clone(good), make([]byte, 32-len(good)%32)...)
	bigPad := append(bytes.Clone(good), bytes.Repeat([]byte{33}, 32-len(good)%32)...)
	tests := []struct {
		name string
		enc  string
		code string
	}{
		{"not base64", "%%%not base64%%%", core.EINVALID},
		{"empty", "", core.EINVALID},
		{"16 bytes (one AES block, not a 32-byte one)", base64.StdEncoding.EncodeToString(make([]byte, 16)), core.EINVALID},
		{"48 bytes", base64.StdEncoding.EncodeToString(make([]byte, 48)), core.EINVALID},
		{"random 64 bytes", base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 64)), core.EINVALID},
		{"inconsistent padding", rawEncrypt(t, testAESKey, badPad), core.EINVALID},
		{"zero padding", rawEncrypt(t, testAESKey, zeroPad), core.EINVALID},
		{"padding above 32", rawEncrypt(t, testAESKey, bigPad), core.EINVALID},
		{"length field beyond the payload", rawEncrypt(t, testAESKey, pad32(layout("hi", testCorpID, 1<<20))), core.EINVALID},
		{"length field near 2^32", rawEncrypt(t, testAESKey, pad32(layout("hi", testCorpID, 0xffffffff))), core.EINVALID},
		{"shorter than random and length", rawEncrypt(t, testAESKey, pad32([]byte("0123456789"))), core.EINVALID},
		{"wrong receive id", rawEncrypt(t, testAESKey, pad32(layout("hi", "wwsomeoneelse", 2))), core.EFORBIDDEN},
		{"no receive id", rawEncrypt(t, testAESKey, pad32(layout("hi", "", 2))), core.EFORBIDDEN},
		{"another key", mustCrypto(t, testToken, vecAESKey, testCorpID).mustEncrypt(t, "hi"), core.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg, err := c.Decrypt(tt.enc)
			if got := core.ErrorCode(err); got != tt.code {
				t.Errorf("Decrypt: got %q (%v, msg %q), want %s", got, err, msg, tt.code)
			}
		})
	}
	// The well-formed payload decrypts, so the failures above are the
	// mutations and not the helpers.
	if msg, err := c.Decrypt(rawEncrypt(t, testAESKey, pad32(good))); err != nil || string(msg) != "hi" {
		t.Errorf("Decrypt(well-formed) = %q, %v; want hi", msg, err)
	}
}

func (c *Crypto) mustEncrypt(tb testing.TB, msg string) string {
	tb.Helper()
	enc, err := c.Encrypt([]byte(msg), []byte("0123456789abcdef"))
	if err != nil {
		tb.Fatalf("Encrypt: %v", err)
	}
	return enc
}

func TestNewCryptoRejectsBadKeys(t *testing.T) {
	tests := []struct{ name, token, key, id string }{
		{"key 42 chars", testToken, testAESKey[:42], testCorpID},
		{"key 44 chars", testToken, testAESKey + "A", testCorpID},
		{"key not base64", testToken, strings.Repeat("!", 43), testCorpID},
		{"empty token", "", testAESKey, testCorpID},
		{"empty receive id", testToken, testAESKey, ""},
	}
	for _, tt := range tests {
		if _, err := NewCrypto(tt.token, tt.key, tt.id); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%s: NewCrypto error %v, want EINVALID", tt.name, err)
		}
	}
}
