package config

// Tasks configures the ten-task tracker (十件实事) and its reminder cadence.
type Tasks struct{}

func (x *Tasks) setDefaults() {}

func (x *Tasks) validate(ps *Problems) {}
