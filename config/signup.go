package config

// Signup configures activities and sign-ups.
type Signup struct{}

func (x *Signup) setDefaults() {}

func (x *Signup) validate(ps *Problems) {}
