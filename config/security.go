package config

// Security holds the key that encrypts sensitive data at rest (ID numbers,
// aid cases).
type Security struct{}

func (x *Security) setDefaults() {}

func (x *Security) validate(ps *Problems) {}
