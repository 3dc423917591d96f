package wecom

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	"github.com/punchbot/punchbot/core"
)

// WeCom's callback encryption (加解密方案): AES-256-CBC with IV = key[:16],
// PKCS#7 padded to 32-byte blocks (not AES's 16), over
// random(16) || uint32be(len(msg)) || msg || receiveid.
const (
	randomLen    = 16
	padBlockSize = 32
	// encodingAESKeyLen is the length of the EncodingAESKey WeCom generates:
	// 43 base64 characters, which with one "=" decode to a 32-byte key.
	encodingAESKeyLen = 43
)

// Crypto signs, verifies, encrypts and decrypts WeCom callback payloads for
// one application. It is safe for concurrent use.
type Crypto struct {
	token     string
	key       []byte
	receiveID string
	// rand supplies the 16 random bytes of passive replies; tests replace it.
	rand io.Reader
}

// NewCrypto checks the credentials and returns a Crypto. receiveID is the
// corp id for self-built applications; decryption rejects any other.
func NewCrypto(token, encodingAESKey, receiveID string) (*Crypto, error) {
	key, err := decodeAESKey(encodingAESKey)
	if err != nil {
		return nil, err
	}
	if token == "" {
		return nil, core.Errorf(core.EINVALID, "wecom: the callback Token is empty")
	}
	if receiveID == "" {
		return nil, core.Errorf(core.EINVALID, "wecom: the receive id (corp id) is empty")
	}
	return &Crypto{token: token, key: key, receiveID: receiveID, rand: rand.Reader}, nil
}

func decodeAESKey(encodingAESKey string) ([]byte, error) {
	if len(encodingAESKey) != encodingAESKeyLen {
		return nil, core.Errorf(core.EINVALID, "wecom: EncodingAESKey must be %d characters, got %d", encodingAESKeyLen, len(encodingAESKey))
	}
	key, err := base64.StdEncoding.DecodeString(encodingAESKey + "=")
	if err != nil || len(key) != 32 {
		return nil, core.Errorf(core.EINVALID, "wecom: EncodingAESKey is not valid base64 for a 32-byte key")
	}
	return key, nil
}

// Sign returns msg_signature: the hex SHA-1 of token, timestamp, nonce and
// the encrypted payload, sorted byte-wise and concatenated.
func (c *Crypto) Sign(timestamp, nonce, encrypt string) string {
	parts := []string{c.token, timestamp, nonce, encrypt}
	sort.Strings(parts)
	sum := sha1.Sum([]byte(strings.Join(parts, "")))
	return hex.EncodeToString(sum[:])
}

// Verify reports whether signature is the msg_signature of the payload. The
// comparison takes constant time so the signature cannot be guessed byte by
// byte from response times.
func (c *Crypto) Verify(signature, timestamp, nonce, encrypt string) bool {
	want := c.Sign(timestamp, nonce, encrypt)
	return subtle.ConstantTimeCompare([]byte(strings.ToLower(signature)), []byte(want)) == 1
}

// Opened is a decrypted payload with the parts WeCom wraps around it.
type Opened struct {
	Random    []byte // the 16-byte random prefix
	Msg       []byte // the message (XML for POST, the echo string for GET)
	ReceiveID string
}

// Open decrypts an Encrypt value or echostr without checking the receive
// id. Every length and the padding are validated, so garbage gives an error
// and never a panic or a silently truncated message.
func (c *Crypto) Open(encrypt string) (Opened, error) {
	bad := func(format string, args ...any) (Opened, error) {
		return Opened{}, core.Errorf(core.EINVALID, "wecom: "+format, args...)
	}
	ct, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return bad("encrypted payload is not base64")
	}
	if len(ct) == 0 || len(ct)%padBlockSize != 0 {
		return bad("encrypted payload is %d bytes, not a multiple of %d", len(ct), padBlockSize)
	}
	block, err := aes.NewCipher(c.key)
	if err != nil {
		return bad("cipher: %v", err)
	}
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, c.key[:aes.BlockSize]).CryptBlocks(plain, ct)

	pad := int(plain[len(plain)-1])
	if pad < 1 || pad > padBlockSize {
		return bad("bad padding")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return bad("bad padding")
		}
	}
	plain = plain[:len(plain)-pad]
	if len(plain) < randomLen+4 {
		return bad("decrypted payload too short")
	}
	n := binary.BigEndian.Uint32(plain[randomLen : randomLen+4])
	rest := plain[randomLen+4:]
	if uint64(n) > uint64(len(rest)) {
		return bad("message length %d exceeds the payload", n)
	}
	return Opened{
		Random:    bytes.Clone(plain[:randomLen]),
		Msg:       bytes.Clone(rest[:n]),
		ReceiveID: string(rest[n:]),
	}, nil
}

// Decrypt opens an Encrypt value or echostr and returns the message, after
// checking that it was meant for this corp: a payload encrypted for another
// receive id is refused even when the key matches.
func (c *Crypto) Decrypt(encrypt string) ([]byte, error) {
	o, err := c.Open(encrypt)
	if err != nil {
		return nil, err
	}
	if subtle.ConstantTimeCompare([]byte(o.ReceiveID), []byte(c.receiveID)) != 1 {
		return nil, core.Errorf(core.EFORBIDDEN, "wecom: payload is for receive id %q, not this corp", o.ReceiveID)
	}
	return o.Msg, nil
}

// Encrypt encrypts msg for this corp with the given 16-byte random prefix.
// With the same prefix the result is deterministic, which is what lets a
// test reproduce WeCom's own ciphertext.
func (c *Crypto) Encrypt(msg, random []byte) (string, error) {
	if len(random) != randomLen {
		return "", core.Errorf(core.EINVALID, "wecom: the random prefix must be %d bytes, got %d", randomLen, len(random))
	}
	if uint64(len(msg)) > math.MaxUint32 {
		return "", core.Errorf(core.EINVALID, "wecom: message too large to encrypt")
	}
	var b bytes.Buffer
	b.Grow(randomLen + 4 + len(msg) + len(c.receiveID) + padBlockSize)
	b.Write(random)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(msg)))
	b.Write(n[:])
	b.Write(msg)
	b.WriteString(c.receiveID)
	pad := padBlockSize - b.Len()%padBlockSize
	b.Write(bytes.Repeat([]byte{byte(pad)}, pad))

	block, err := aes.NewCipher(c.key)
	if err != nil {
		return "", core.WrapError(core.EINTERNAL, err, "wecom: cipher")
	}
	plain := b.Bytes()
	out := make([]byte, len(plain))
	cipher.NewCBCEncrypter(block, c.key[:aes.BlockSize]).CryptBlocks(out, plain)
	return base64.StdEncoding.EncodeToString(out), nil
}

// replyEnvelope is the passive-reply wrapper of the official samples
// (WXBizMsg4Send): CDATA everywhere except TimeStamp.
type replyEnvelope struct {
	XMLName      xml.Name `xml:"xml"`
	Encrypt      cdata    `xml:"Encrypt"`
	MsgSignature cdata    `xml:"MsgSignature"`
	TimeStamp    string   `xml:"TimeStamp"`
	Nonce        cdata    `xml:"Nonce"`
}

type cdata struct {
	Text string `xml:",cdata"`
}

// SealReply encrypts a passive reply (for example an update_button message)
// and wraps it in the signed XML envelope WeCom expects as a response body.
func (c *Crypto) SealReply(msg []byte, timestamp, nonce string) ([]byte, error) {
	random := make([]byte, randomLen)
	if _, err := io.ReadFull(c.rand, random); err != nil {
		return nil, core.WrapError(core.EINTERNAL, err, "wecom: random prefix")
	}
	enc, err := c.Encrypt(msg, random)
	if err != nil {
		return nil, err
	}
	env := replyEnvelope{
		Encrypt:      cdata{enc},
		MsgSignature: cdata{c.Sign(timestamp, nonce, enc)},
		TimeStamp:    timestamp,
		Nonce:        cdata{nonce},
	}
	out, err := xml.Marshal(env)
	if err != nil {
		return nil, fmt.Errorf("wecom: marshal reply envelope: %w", err)
	}
	return out, nil
}
