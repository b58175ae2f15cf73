package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/jobs/cronspec"
)

// Jobs configures the scheduled-job engine: leases, late and missed reminders, office hours
// and the night, and the schedules of the engine's own jobs.
type Jobs struct {
	// Lease is how long a replica's hold on a running job lasts without renewal (renewed every
	// third of it while the job runs): how long a job stays blocked after its replica died.
	// Default: 2m.
	Lease time.Duration `yaml:"lease"`
	// LateAfter: a reminder sent more than this after its moment (the bot was down) starts
	// with a line saying it is late. Default: 30m.
	LateAfter time.Duration `yaml:"late_after"`
	// DropAfter: a reminder whose moment passed more than this ago is dropped, not sent (and
	// counted in the log). Default: 72h.
	DropAfter time.Duration `yaml:"drop_after"`
	// OfficeTime is the local time ("HH:MM") officer reminders go out on workdays, plus a
	// jitter. Default: 09:00.
	OfficeTime string `yaml:"office_time"`
	// Jitter is the most added to office_time, per reminder (at least a minute, so never on
	// the exact minute). Default: 10m.
	Jitter time.Duration `yaml:"jitter"`
	// QuietHours is the night ("HH:MM-HH:MM", may span midnight; "off" for none): nothing is
	// delivered in it, reminders falling in it are held to its end. Default: 21:00-08:00.
	QuietHours string `yaml:"quiet_hours"`
	// PruneSchedule is the cron spec of the housekeeping job prune. Default: @every 1h.
	PruneSchedule string `yaml:"prune_schedule"`
	// CalendarCheckSchedule is the cron spec of the job calendar.check, which warns admins in
	// December when next year has no holiday data (once a year). Default: 0 10 * 12 *.
	CalendarCheckSchedule string `yaml:"calendar_check_schedule"`
}

// Defaults of the jobs section, also documented in config.example.yaml.
const (
	defaultJobsLease         = 2 * time.Minute
	defaultJobsLateAfter     = 30 * time.Minute
	defaultJobsDropAfter     = 72 * time.Hour
	defaultJobsOfficeTime    = "09:00"
	defaultJobsJitter        = 10 * time.Minute
	defaultJobsQuietHours    = "21:00-08:00"
	defaultPruneSchedule     = "@every 1h"
	defaultCalendarCheckSpec = "0 10 * 12 *"
)

func (x *Jobs) setDefaults() {
	x.Lease = defaultJobsLease
	x.LateAfter = defaultJobsLateAfter
	x.DropAfter = defaultJobsDropAfter
	x.OfficeTime = defaultJobsOfficeTime
	x.Jitter = defaultJobsJitter
	x.QuietHours = defaultJobsQuietHours
	x.PruneSchedule = defaultPruneSchedule
	x.CalendarCheckSchedule = defaultCalendarCheckSpec
}

func (x *Jobs) validate(ps *Problems) {
	if x.Lease < 10*time.Second || x.Lease > time.Hour {
		appendf(ps, "jobs.lease", "must be between 10s and 1h, got %s", formatDuration(x.Lease))
	}
	if x.LateAfter <= 0 {
		appendf(ps, "jobs.late_after", "must be greater than 0, got %s", formatDuration(x.LateAfter))
	}
	if x.DropAfter <= x.LateAfter {
		appendf(ps, "jobs.drop_after", "must be longer than jobs.late_after (%s), got %s", formatDuration(x.LateAfter), formatDuration(x.DropAfter))
	}
	office, err := ParseClock(x.OfficeTime)
	if err != nil {
		appendf(ps, "jobs.office_time", "%v", err)
	}
	if x.Jitter < time.Minute || x.Jitter > time.Hour {
		appendf(ps, "jobs.jitter", "must be between 1m and 1h, got %s", formatDuration(x.Jitter))
	}
	from, until, err := ParseQuietHours(x.QuietHours)
	if err != nil {
		appendf(ps, "jobs.quiet_hours", "%v", err)
	} else if office >= 0 && inQuiet(office, from, until) {
		appendf(ps, "jobs.office_time", "%s falls in jobs.quiet_hours (%s)", x.OfficeTime, x.QuietHours)
	}
	checkSpec(ps, "jobs.prune_schedule", x.PruneSchedule)
	checkSpec(ps, "jobs.calendar_check_schedule", x.CalendarCheckSchedule)
}

// OfficeOffset is office_time as an offset from midnight (valid after validation).
func (x *Jobs) OfficeOffset() time.Duration {
	d, _ := ParseClock(x.OfficeTime)
	return d
}

// Quiet is quiet_hours as offsets from midnight; from == until means no night.
func (x *Jobs) Quiet() (from, until time.Duration) {
	from, until, _ = ParseQuietHours(x.QuietHours)
	return from, until
}

// checkSpec adds a problem for key when spec is not a cron spec the job engine accepts.
func checkSpec(ps *Problems, key, spec string) {
	if strings.TrimSpace(spec) == "" {
		appendf(ps, key, "must be a cron spec (e.g. \"0 9 * * MON-FRI\" or \"@every 1h\"), got an empty value")
		return
	}
	if _, err := cronspec.Parse(spec); err != nil {
		appendf(ps, key, "is not a valid cron spec (minute hour day-of-month month day-of-week, e.g. \"0 9 25 * *\", or \"@every 1h\"): %q: %v", spec, err)
	}
}

// ParseClock reads a local time of day "HH:MM" as an offset from midnight.
func ParseClock(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || len(m) != 2 {
		return -1, fmt.Errorf("must be a time of day HH:MM (e.g. \"09:00\"), got %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// ParseQuietHours reads "HH:MM-HH:MM" (the night; it may span midnight) or "off"/"" (none,
// returned as 0, 0).
func ParseQuietHours(s string) (from, until time.Duration, err error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "off" {
		return 0, 0, nil
	}
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("must be \"HH:MM-HH:MM\" (e.g. %q) or \"off\", got %q", defaultJobsQuietHours, s)
	}
	if from, err = ParseClock(a); err == nil {
		until, err = ParseClock(b)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("must be \"HH:MM-HH:MM\" (e.g. %q) or \"off\", got %q", defaultJobsQuietHours, s)
	}
	if from == until {
		return 0, 0, fmt.Errorf("start and end are the same (%q); use \"off\" for no quiet hours", s)
	}
	return from, until, nil
}

func inQuiet(t, from, until time.Duration) bool {
	if from == until {
		return false
	}
	if from > until {
		return t >= from || t < until
	}
	return t >= from && t < until
}
