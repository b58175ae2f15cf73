// Package secret seals sensitive fields (ID numbers, phone numbers, aid and legal-aid texts,
// materials) for storage: AES-256-GCM with a random 96-bit nonce per value, under keys kept
// outside the database (configuration: security.data_key and security.old_keys).
//
// # Format
//
// A sealed value is text, so it fits a TEXT column on both databases:
//
//	v2:<key id>:<base64 of nonce ‖ ciphertext ‖ tag>
//
// The key id names the key that sealed it (a Keyring holds the active key and the old ones,
// each with its id), so values sealed before a key rotation keep opening and `unionbot keys
// rotate` can tell which keys are still in use (KeyID). The associated data binds the value to
// its place: the key id, and the table, column and row id of the Ref it was sealed for. A value
// copied to another row, another column or another table does not open, and neither does one
// whose key id was edited.
//
// Values written before key ids existed have the form "v1:<base64>": sealed under the then
// only key (security.data_key) with a purpose string ("signup.id_number", "proposal.phone") as
// associated data and no row. Open still opens them when the Ref names that purpose as Legacy
// (every key of the ring is tried), and `unionbot keys rotate` re-seals them in the v2 form.
//
// # Use
//
//	keys, err := secret.NewKeyring("k2", map[string][]byte{"k2": newKey, "k1": oldKey})
//	ref := secret.Ref{Table: "legal_cases", Column: "facts", Row: caseID}
//	sealed, err := keys.Seal(ref, facts)   // store sealed in legal_cases.facts of row caseID
//	facts, err = keys.Open(ref, sealed)
//
// The row id must be known when sealing: insert the row first, then write the sealed value
// (store.Tx.SealInto does both steps for a registered column). A nil *Keyring has no key: Seal
// and Open return ErrNoKey, so callers can refuse to collect sensitive data that cannot be
// protected.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// KeySize is the key length in bytes (AES-256).
const KeySize = 32

const (
	prefixV1 = "v1:"
	prefixV2 = "v2:"
)

// LegacyKeyID is what KeyID reports for a value in the v1 form (no key id, no row bound).
const LegacyKeyID = "v1"

// ErrNoKey is returned by a nil Keyring: no data key is configured.
var ErrNoKey = errors.New("secret: no data key configured (security.data_key)")

// ErrCannotOpen is returned when a value does not open: another key, another place (Ref), or
// tampered.
var ErrCannotOpen = errors.New("secret: cannot open (wrong key or place, or tampered)")

// validKeyID is the form of a key id: short, and free of ':' and of LIKE's wildcards, so that
// the store can find the values of one key with a prefix match.
var validKeyID = regexp.MustCompile(`^[a-z0-9-]{1,16}$`)

// ValidKeyID reports whether id may name a key (1 to 16 lower-case letters, digits or '-'), not "v1".
func ValidKeyID(id string) bool { return validKeyID.MatchString(id) && id != LegacyKeyID }

// Ref is the place a sealed value lives: bound into its ciphertext, so it opens only there.
type Ref struct {
	Table, Column string
	Row           int64
	// Key, when set, is the row's text key (a uuid) in place of Row, for tables whose primary
	// key is not a number (the outbox).
	Key string
	// Legacy is the purpose a v1 value of this column was sealed with ("signup.id_number");
	// empty for columns that never held v1 values.
	Legacy string
}

// row is the row part of the place: the number, or "k:" and the text key (never a number).
func (r Ref) row() string {
	if r.Key != "" {
		return "k:" + r.Key
	}
	return strconv.FormatInt(r.Row, 10)
}

func (r Ref) String() string { return r.Table + "." + r.Column + "#" + r.row() }

func (r Ref) ad(keyID string) []byte {
	return []byte("unionbot.v2\x00" + keyID + "\x00" + r.Table + "\x00" + r.Column + "\x00" + r.row())
}

// Keyring seals with its active key and opens with any of its keys.
type Keyring struct {
	active string
	keys   map[string]cipher.AEAD
	ids    []string // sorted
}

// NewKeyring returns a Keyring that seals with keys[active] and opens with every key in keys.
func NewKeyring(active string, keys map[string][]byte) (*Keyring, error) {
	if _, ok := keys[active]; !ok {
		return nil, fmt.Errorf("secret: the active key %q is not among the keys", active)
	}
	k := &Keyring{active: active, keys: map[string]cipher.AEAD{}}
	for id, key := range keys {
		if !ValidKeyID(id) {
			return nil, fmt.Errorf("secret: key id %q: use 1 to 16 lower-case letters, digits or '-' (not v1)", id)
		}
		aead, err := newAEAD(key)
		if err != nil {
			return nil, fmt.Errorf("secret: key %q: %w", id, err)
		}
		k.keys[id] = aead
		k.ids = append(k.ids, id)
	}
	slices.Sort(k.ids)
	return k, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("key must be %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
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

// ParseOldKey parses an old key written "ID:BASE64" (security.old_keys).
func ParseOldKey(s string) (id string, key []byte, err error) {
	id, b64, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || !ValidKeyID(id) {
		return "", nil, errors.New(`secret: an old key is written "ID:BASE64" with an id of 1 to 16 lower-case letters, digits or '-'`)
	}
	key, err = ParseKey(b64)
	return id, key, err
}

// FromConfig returns the Keyring of the configuration: dataKey (base64) under activeID, plus
// the old keys ("ID:BASE64" each). An empty dataKey gives a nil Keyring (no key).
func FromConfig(dataKey, activeID string, oldKeys []string) (*Keyring, error) {
	if strings.TrimSpace(dataKey) == "" {
		return nil, nil
	}
	key, err := ParseKey(dataKey)
	if err != nil {
		return nil, err
	}
	keys := map[string][]byte{activeID: key}
	for _, s := range oldKeys {
		id, k, err := ParseOldKey(s)
		if err != nil {
			return nil, err
		}
		if _, dup := keys[id]; dup {
			return nil, fmt.Errorf("secret: key id %q is given twice", id)
		}
		keys[id] = k
	}
	return NewKeyring(activeID, keys)
}

// Enabled reports whether the Keyring has a key.
func (k *Keyring) Enabled() bool { return k != nil }

// ActiveID is the id of the key new values are sealed with ("" for a nil Keyring).
func (k *Keyring) ActiveID() string {
	if k == nil {
		return ""
	}
	return k.active
}

// IDs are the ids of every key of the ring, sorted.
func (k *Keyring) IDs() []string {
	if k == nil {
		return nil
	}
	return slices.Clone(k.ids)
}

// Seal encrypts plaintext with the active key for the place ref.
func (k *Keyring) Seal(ref Ref, plaintext string) (string, error) {
	return k.SealBytes(ref, []byte(plaintext))
}

// SealBytes is Seal for binary data (a material's file).
func (k *Keyring) SealBytes(ref Ref, plaintext []byte) (string, error) {
	if k == nil {
		return "", ErrNoKey
	}
	aead := k.keys[k.active]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("secret: nonce: %w", err)
	}
	out := aead.Seal(nonce, nonce, plaintext, ref.ad(k.active))
	return prefixV2 + k.active + ":" + base64.StdEncoding.EncodeToString(out), nil
}

// Open decrypts a value sealed for ref (v2), or a v1 value when ref.Legacy names its purpose.
func (k *Keyring) Open(ref Ref, sealed string) (string, error) {
	b, err := k.OpenBytes(ref, sealed)
	return string(b), err
}

// OpenBytes is Open for binary data.
func (k *Keyring) OpenBytes(ref Ref, sealed string) ([]byte, error) {
	if k == nil {
		return nil, ErrNoKey
	}
	if rest, ok := strings.CutPrefix(sealed, prefixV1); ok {
		if ref.Legacy == "" {
			return nil, ErrCannotOpen
		}
		for _, id := range k.ids {
			if plain, err := open(k.keys[id], rest, []byte(ref.Legacy)); err == nil {
				return plain, nil
			}
		}
		return nil, ErrCannotOpen
	}
	rest, ok := strings.CutPrefix(sealed, prefixV2)
	if !ok {
		return nil, errors.New("secret: not a sealed value")
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok {
		return nil, errors.New("secret: malformed sealed value")
	}
	aead, ok := k.keys[id]
	if !ok {
		return nil, fmt.Errorf("secret: sealed with key %q, which is not configured (security.old_keys)", id)
	}
	return open(aead, body, ref.ad(id))
}

func open(aead cipher.AEAD, body string, ad []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(body)
	if err != nil || len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("secret: malformed sealed value")
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, raw[:n], raw[n:], ad)
	if err != nil {
		return nil, ErrCannotOpen
	}
	return plain, nil
}

// KeyID returns the id of the key a value was sealed with, LegacyKeyID for a v1 value, and ""
// for a value that is not sealed.
func KeyID(sealed string) string {
	if strings.HasPrefix(sealed, prefixV1) {
		return LegacyKeyID
	}
	rest, ok := strings.CutPrefix(sealed, prefixV2)
	if !ok {
		return ""
	}
	id, _, ok := strings.Cut(rest, ":")
	if !ok {
		return ""
	}
	return id
}

// SealedWith is the prefix of every value sealed with key id, for a prefix match in SQL.
func SealedWith(id string) string { return prefixV2 + id + ":" }

// LegacySeal seals plaintext in the v1 form (purpose as associated data, no key id, no row),
// as unionbot did before key ids. Only tests use it, to check that old values keep opening
// and that `keys rotate` migrates them.
func LegacySeal(key []byte, purpose, plaintext string) (string, error) {
	aead, err := newAEAD(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return prefixV1 + base64.StdEncoding.EncodeToString(aead.Seal(nonce, nonce, []byte(plaintext), []byte(purpose))), nil
}
