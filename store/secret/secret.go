// Package secret seals sensitive fields (ID numbers, aid details) for storage: AES-256-GCM
// with a random 96-bit nonce per value, under the key configured as security.data_key (32
// bytes, base64). A sealed value is text, "v1:" followed by the base64 of nonce and ciphertext,
// so it fits a TEXT column on both databases.
//
// The purpose passed to Seal and Open is bound into the ciphertext as additional data: a
// value sealed as an ID number cannot be opened as anything else, and a value copied to another
// column fails to open.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

const prefix = "v1:"

// ErrNoKey is returned by a nil Box: no data key is configured.
var ErrNoKey = errors.New("secret: no data key configured (security.data_key)")

// Box seals and opens values with one key. A nil *Box has no key: Seal and Open return
// ErrNoKey, so callers can refuse to collect sensitive data when it cannot be protected.
type Box struct {
	aead cipher.AEAD
}

// New returns a Box for a 32-byte key.
func New(key []byte) (*Box, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("secret: key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Box{aead: aead}, nil
}

// ParseKey decodes a base64 (standard or URL alphabet, padded or not) 32-byte key.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != KeySize {
				return nil, fmt.Errorf("secret: key must decode to %d bytes, got %d", KeySize, len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("secret: key is not valid base64")
}

// FromBase64 returns a Box for a base64 key, or nil (no key) when s is empty.
func FromBase64(s string) (*Box, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	key, err := ParseKey(s)
	if err != nil {
		return nil, err
	}
	return New(key)
}

// Seal encrypts plaintext for purpose (e.g. "signup.id_number").
func (b *Box) Seal(purpose, plaintext string) (string, error) {
	if b == nil {
		return "", ErrNoKey
	}
	nonce := make([]byte, b.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	out := b.aead.Seal(nonce, nonce, []byte(plaintext), []byte(purpose))
	return prefix + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for purpose.
func (b *Box) Open(purpose, sealed string) (string, error) {
	if b == nil {
		return "", ErrNoKey
	}
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", errors.New("secret: not a sealed value")
	}
	raw, err := base64.StdEncoding.DecodeString(rest)
	if err != nil || len(raw) < b.aead.NonceSize()+b.aead.Overhead() {
		return "", errors.New("secret: malformed sealed value")
	}
	n := b.aead.NonceSize()
	plain, err := b.aead.Open(nil, raw[:n], raw[n:], []byte(purpose))
	if err != nil {
		return "", errors.New("secret: cannot open (wrong key or purpose, or tampered)")
	}
	return string(plain), nil
}

// Enabled reports whether the Box has a key.
func (b *Box) Enabled() bool { return b != nil }
