package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestJobsProblems(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(x *Jobs)
		wantKey string
		wantMsg string
	}{
		{"prune schedule", func(x *Jobs) { x.PruneSchedule = "every hour" }, "jobs.prune_schedule", `not a valid cron spec`},
		{"calendar schedule fields", func(x *Jobs) { x.CalendarCheckSchedule = "0 10 * 13 *" }, "jobs.calendar_check_schedule", "not a valid cron spec"},
		{"empty schedule", func(x *Jobs) { x.PruneSchedule = " " }, "jobs.prune_schedule", "empty"},
		{"lease short", func(x *Jobs) { x.Lease = time.Second }, "jobs.lease", "between 10s and 1h"},
		{"late after zero", func(x *Jobs) { x.LateAfter = 0 }, "jobs.late_after", "greater than 0"},
		{"drop before late", func(x *Jobs) { x.DropAfter = 10 * time.Minute }, "jobs.drop_after", "longer than jobs.late_after"},
		{"office time", func(x *Jobs) { x.OfficeTime = "9am" }, "jobs.office_time", "HH:MM"},
		{"office time range", func(x *Jobs) { x.OfficeTime = "24:00" }, "jobs.office_time", "HH:MM"},
		{"office at night", func(x *Jobs) { x.OfficeTime = "07:30" }, "jobs.office_time", "falls in jobs.quiet_hours"},
		{"jitter", func(x *Jobs) { x.Jitter = 30 * time.Second }, "jobs.jitter", "between 1m and 1h"},
		{"quiet hours", func(x *Jobs) { x.QuietHours = "22:00" }, "jobs.quiet_hours", "HH:MM-HH:MM"},
		{"quiet hours same", func(x *Jobs) { x.QuietHours = "22:00-22:00" }, "jobs.quiet_hours", "same"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c.Jobs)
			var ps Problems
			if err := c.Validate(); !errors.As(err, &ps) || len(ps) != 1 {
				t.Fatalf("got %v, want one problem", err)
			}
			if ps[0].Key != tt.wantKey || !strings.Contains(ps[0].Msg, tt.wantMsg) {
				t.Errorf("got %s: %s; want %s: ...%s...", ps[0].Key, ps[0].Msg, tt.wantKey, tt.wantMsg)
			}
		})
	}
}

func TestJobsValues(t *testing.T) {
	c := Default()
	if c.Jobs.OfficeOffset() != 9*time.Hour {
		t.Errorf("office offset = %s", c.Jobs.OfficeOffset())
	}
	if f, u := c.Jobs.Quiet(); f != 21*time.Hour || u != 8*time.Hour {
		t.Errorf("quiet = %s-%s", f, u)
	}
	c.Jobs.QuietHours = "off"
	c.Jobs.OfficeTime = "07:30"
	if err := c.Validate(); err != nil {
		t.Errorf("quiet hours off: %v", err)
	}
	// A bad schedule in the environment refuses start-up with the key named.
	_, err := Load("", []string{"UNIONBOT_JOBS_PRUNE_SCHEDULE=61 * * * *"})
	if err == nil {
		c2, _ := Load("", []string{"UNIONBOT_JOBS_PRUNE_SCHEDULE=61 * * * *"})
		err = c2.Validate()
	}
	if err == nil || !strings.Contains(err.Error(), "jobs.prune_schedule") {
		t.Errorf("bad schedule from the environment: %v", err)
	}
}
