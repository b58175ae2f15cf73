package config

import (
	"fmt"

	"github.com/unionbot/unionbot/store/secret"
)

// Security holds the keys that encrypt sensitive data at rest (ID numbers, phone numbers, aid
// and legal-aid cases). The keys live here, outside the database.
type Security struct {
	// DataKey is the active AES-256 key (32 bytes, base64): every value sealed from now on is
	// sealed with it. Empty: nothing sensitive can be collected, and sign-ups that need an ID
	// number are refused. Generate one with `openssl rand -base64 32`; losing it makes the
	// values sealed with it unreadable.
	DataKey string `yaml:"data_key" secret:"true"`
	// DataKeyID names DataKey in every value it seals ("v2:<id>:..."), so that values keep
	// opening after a rotation. 1 to 16 lower-case letters, digits or '-'.
	DataKeyID string `yaml:"data_key_id"`
	// OldKeys are retired keys, "ID:BASE64" each, that still open the values sealed with them
	// until `unionbot keys rotate` has re-sealed those with DataKey; the command says which
	// key ids are still in use, and a key may be removed once none is.
	OldKeys []string `yaml:"old_keys" secret:"true"`
}

func (x *Security) setDefaults() {
	if x.DataKeyID == "" {
		x.DataKeyID = "k1"
	}
}

func (x *Security) validate(ps *Problems) {
	if !secret.ValidKeyID(x.DataKeyID) {
		appendf(ps, "security.data_key_id", "must be 1 to 16 lower-case letters, digits or '-' (not v1), got %q", x.DataKeyID)
	}
	if x.DataKey == "" {
		if len(x.OldKeys) > 0 {
			appendf(ps, "security.old_keys", "old keys are given but no security.data_key: set the active key too")
		}
		return
	}
	if _, err := secret.ParseKey(x.DataKey); err != nil {
		appendf(ps, "security.data_key", "must be 32 random bytes in base64 (generate with: openssl rand -base64 32): %v", err)
		return
	}
	seen := map[string]bool{x.DataKeyID: true}
	for i, s := range x.OldKeys {
		id, _, err := secret.ParseOldKey(s)
		if err != nil {
			appendf(ps, "security.old_keys", "item %d: %v", i+1, err)
			continue
		}
		if seen[id] {
			appendf(ps, "security.old_keys", "item %d: key id %q is used twice (security.data_key_id or another old key)", i+1, id)
		}
		seen[id] = true
	}
}

// Keyring is the configured keys: the active one and the old ones. It is nil (no key) when
// security.data_key is not set; an error means the configuration is invalid (validate says
// which key).
func (x *Security) Keyring() (*secret.Keyring, error) {
	id := x.DataKeyID
	if id == "" {
		id = "k1"
	}
	k, err := secret.FromConfig(x.DataKey, id, x.OldKeys)
	if err != nil {
		return nil, fmt.Errorf("security: %w", err)
	}
	return k, nil
}

// Warnings are the security settings that are valid but limit what the bot
// can do, for check-config.
func (x *Security) Warnings() []string {
	if x.DataKey == "" {
		return []string{"security.data_key is not set: ID numbers cannot be collected, so sign-ups to insured activities are refused (set " + EnvVar("security.data_key") + ", e.g. from `openssl rand -base64 32`)"}
	}
	return nil
}
