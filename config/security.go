package config

import "github.com/unionbot/unionbot/store/secret"

// Security holds the key that encrypts sensitive data at rest (ID numbers,
// aid cases).
type Security struct {
	// DataKey is the AES-256 key (32 bytes, base64) that seals sensitive
	// fields before they are stored: ID numbers collected for insured
	// activities, aid details. Empty: nothing sensitive can be collected, and
	// sign-ups that need an ID number are refused. Generate one with
	// `openssl rand -base64 32`; losing it makes the sealed values unreadable.
	DataKey string `yaml:"data_key" secret:"true"`
}

func (x *Security) setDefaults() {}

func (x *Security) validate(ps *Problems) {
	if x.DataKey == "" {
		return
	}
	if _, err := secret.ParseKey(x.DataKey); err != nil {
		appendf(ps, "security.data_key", "must be 32 random bytes in base64 (generate with: openssl rand -base64 32): %v", err)
	}
}

// Warnings are the security settings that are valid but limit what the bot
// can do, for check-config.
func (x *Security) Warnings() []string {
	if x.DataKey == "" {
		return []string{"security.data_key is not set: ID numbers cannot be collected, so sign-ups to insured activities are refused (set " + EnvVar("security.data_key") + ", e.g. from `openssl rand -base64 32`)"}
	}
	return nil
}
