package config

// Privacy configures how long the records of sensitive flows (aid requests, legal aid) are
// kept after their case is closed, and when the purge job runs. The consent cards state these
// periods to the member.
type Privacy struct {
	// MaterialsRetentionDays: a closed case's materials (files, sealed texts beyond the case
	// record) are purged this many days after it closed.
	MaterialsRetentionDays int `yaml:"materials_retention_days"`
	// RecordsRetentionDays: the case record itself (and the aid ledger) is purged this many
	// days after the case closed (the archive period).
	RecordsRetentionDays int `yaml:"records_retention_days"`
	// PurgeSchedule is the cron spec that wakes the purge job (privacy.purge).
	PurgeSchedule string `yaml:"purge_schedule"`
}

// Defaults of the privacy section, also documented in config.example.yaml.
const (
	defaultMaterialsRetentionDays = 365
	defaultRecordsRetentionDays   = 3650
	defaultPurgeSchedule          = "30 3 * * *"
)

func (x *Privacy) setDefaults() {
	x.MaterialsRetentionDays = defaultMaterialsRetentionDays
	x.RecordsRetentionDays = defaultRecordsRetentionDays
	x.PurgeSchedule = defaultPurgeSchedule
}

func (x *Privacy) validate(ps *Problems) {
	if x.MaterialsRetentionDays < 1 {
		appendf(ps, "privacy.materials_retention_days", "must be at least 1, got %d", x.MaterialsRetentionDays)
	}
	if x.RecordsRetentionDays < x.MaterialsRetentionDays {
		appendf(ps, "privacy.records_retention_days", "must be at least privacy.materials_retention_days (%d), got %d", x.MaterialsRetentionDays, x.RecordsRetentionDays)
	}
	checkSpec(ps, "privacy.purge_schedule", x.PurgeSchedule)
}
