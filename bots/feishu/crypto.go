package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
)

// Decrypt opens an event body's "encrypt" field: base64 of a 16-byte IV
// followed by AES-256-CBC ciphertext under sha256(encryptKey), PKCS#7
// padded. The SDK's larkevent.EventDecrypt does not check the padding (it
// trims to the outermost braces), so a wrong key yields garbage instead of an
// error; this version fails cleanly, which lets the handler answer 400.
func Decrypt(encrypt, encryptKey string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypt)
	if err != nil {
		return nil, errors.New("encrypt is not base64")
	}
	if len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("ciphertext has a bad length")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	plain := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, raw[:aes.BlockSize]).CryptBlocks(plain, raw[aes.BlockSize:])
	pad := int(plain[len(plain)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(plain[len(plain)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("bad padding (wrong Encrypt Key?)")
	}
	return plain[:len(plain)-pad], nil
}

// Signature is the X-Lark-Signature of an event request: lowercase hex of
// sha256(timestamp + nonce + encryptKey + body). It is the SDK's own
// computation, so the two can never disagree.
func Signature(timestamp, nonce, encryptKey string, body []byte) string {
	return larkevent.Signature(timestamp, nonce, encryptKey, string(body))
}

// validSignature compares in constant time so the check leaks nothing about
// the expected value.
func validSignature(got, timestamp, nonce, encryptKey string, body []byte) bool {
	want := Signature(timestamp, nonce, encryptKey, body)
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameSecret compares two shared secrets in constant time.
func sameSecret(a, b string) bool {
	return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}
