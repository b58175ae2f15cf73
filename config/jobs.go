package config

// Jobs configures the scheduled-job engine: leases, late and missed
// reminders, schedules.
type Jobs struct{}

func (x *Jobs) setDefaults() {}

func (x *Jobs) validate(ps *Problems) {}
