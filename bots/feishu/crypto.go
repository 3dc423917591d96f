package feishu

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"sync"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// Decrypt opens an event body's "encrypt" field: base64 of a 16-byte IV
// followed by AES-256-CBC ciphertext under sha256(encryptKey), PKCS#7
// padded. The SDK's larkevent.EventDecrypt does not check the padding (it
// trims to the outermost braces), so a wrong key yields garbage instead of an
// error; this version fails cleanly, which lets the handler answer 400.
func Decrypt(encrypt, encryptKey string) ([]byte, error) {
	var buf []byte
	plain, err := decrypt(newBlock(encryptKey), []byte(encrypt), &buf)
	if err != nil {
		return nil, err
	}
	return plain, nil
}

// newBlock expands the AES-256 key sha256(encryptKey) once per bot rather
// than once per event; a cipher.Block only reads its expanded key, so one
// serves concurrent requests.
func newBlock(encryptKey string) cipher.Block {
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		panic("feishu: AES-256 with a 32-byte key: " + err.Error()) // cannot happen
	}
	return block
}

// decrypt is Decrypt into *buf, grown as needed and decrypted in place, so
// the event path allocates nothing for it when buf comes from bufPool. The
// plaintext aliases *buf.
func decrypt(block cipher.Block, encrypt []byte, buf *[]byte) ([]byte, error) {
	n := base64.StdEncoding.DecodedLen(len(encrypt))
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	raw := (*buf)[:n]
	n, err := base64.StdEncoding.Decode(raw, encrypt)
	if err != nil {
		return nil, errors.New("encrypt is not base64")
	}
	raw = raw[:n]
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext has a bad length")
	}
	plain := raw[aes.BlockSize:]
	cipher.NewCBCDecrypter(block, raw[:aes.BlockSize]).CryptBlocks(plain, plain)
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize {
		return nil, errors.New("bad padding (wrong Encrypt Key?)")
	}
	for _, b := range plain[len(plain)-pad:] {
		if int(b) != pad {
			return nil, errors.New("bad padding (wrong Encrypt Key?)")
		}
	}
	return plain[:len(plain)-pad], nil
}

// Signature is the X-Lark-Signature of an event request: lowercase hex of
// sha256(timestamp + nonce + encryptKey + body). It is the SDK's own
// computation, so the two can never disagree.
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	return larkevent.Signature(timestamp, nonce, encryptKey, string(body))
}

// validSignature checks got against Signature's formula (TestSignature
// holds the two together) and compares in constant time so the check leaks
// nothing about the expected value.
func validSignature(got, timestamp, nonce, encryptKey string, body []byte) bool {
	var scratch []byte
	return validSignatureBuf(got, timestamp, nonce, encryptKey, body, &scratch)
}

// validSignatureBuf is validSignature hashing one contiguous copy in
// *scratch, instead of the SDK's two copies of the body per request.
func validSignatureBuf(got, timestamp, nonce, encryptKey string, body []byte, scratch *[]byte) bool {
	if len(got) != 2*sha256.Size {
		return false
	}
	b := append((*scratch)[:0], timestamp...)
	b = append(b, nonce...)
	b = append(b, encryptKey...)
	b = append(b, body...)
	*scratch = b
	sum := sha256.Sum256(b)
	var want [2 * sha256.Size]byte
	hex.Encode(want[:], sum[:])
	var diff byte
	for i := range want {
		diff |= want[i] ^ got[i]
	}
	return diff == 0
}

func (v verifier) validSignature(got, timestamp, nonce string, body []byte) bool {
	buf := v.bufs.get()
	defer v.bufs.put(buf)
	return validSignatureBuf(got, timestamp, nonce, v.encryptKey, body, buf)
}

// sameSecret compares two shared secrets in constant time.
func sameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// bufPool recycles the byte buffers of one bot's event path (the body, the
// signed text, the plaintext): nothing decoded from them keeps a
// reference, since encoding/json copies every string it stores. A nil pool
// allocates afresh.
type bufPool struct{ p sync.Pool }

// maxPooledBuf keeps a rare large body from pinning memory in the pool.
const maxPooledBuf = 64 << 10

func newBufPool() *bufPool {
	return &bufPool{p: sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}}
}

func (p *bufPool) get() *[]byte {
	if p == nil {
		return new([]byte)
	}
	return p.p.Get().(*[]byte)
}

func (p *bufPool) put(b *[]byte) {
	if p == nil || cap(*b) > maxPooledBuf {
		return
	}
	*b = (*b)[:0]
	p.p.Put(b)
}

// readBody reads r to the end into *buf, which it grows as needed.
func readBody(r io.Reader, buf *[]byte) ([]byte, error) {
	b := (*buf)[:0]
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err != nil {
			*buf = b
			if err == io.EOF {
				return b, nil
			}
			return b, err
		}
	}
}
