package config

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Tasks configures the ten-task tracker (十件实事): the colours of its board and the cadence
// of its reminders (DOMAIN.md §4). The schedules only wake the jobs; what is due is computed
// from the tasks in the database, on the union's workday calendar.
type Tasks struct {
	// NearDays: an open task whose deadline is at most this many days away is blue.
	NearDays int `yaml:"near_days"`
	// PaceMargin: an open task is yellow when the elapsed share of its time, in percent,
	// exceeds its progress by more than this many percentage points.
	PaceMargin int `yaml:"pace_margin"`
	// Schedule is the cron spec that wakes the daily reminder jobs (tasks.monthly,
	// tasks.deadlines, tasks.yellow, tasks.overdue).
	Schedule string `yaml:"schedule"`
	// RemindTime is the local time of day ("09:00") a reminder is due on its day; the jobs
	// must wake at or after it.
	RemindTime string `yaml:"remind_time"`
	// MonthlyDay is the day of the month of the update request (moved to the workday before
	// when it is not a workday).
	MonthlyDay int `yaml:"monthly_day"`
	// ChaseWorkdays: the chase goes this many workdays after the monthly request to the
	// responsible members of tasks with no update since the request; 0 turns it off.
	ChaseWorkdays int `yaml:"chase_workdays"`
	// RemindDays are the days before a deadline or milestone that a reminder is due (sent on
	// the nearest workday at or before), comma-separated: "7,3,1".
	RemindDays string `yaml:"remind_days"`
	// OverdueEveryWorkdays: an overdue task's responsible members are reminded on its first
	// overdue workday and then every this many workdays.
	OverdueEveryWorkdays int `yaml:"overdue_every_workdays"`
	// EscalateAfterWorkdays: after this many overdue workdays the chair and the task's 分管校领导
	// are told too (and then every OverdueEveryWorkdays); 0 turns escalation off.
	EscalateAfterWorkdays int `yaml:"escalate_after_workdays"`
	// DigestSchedule is the cron spec of the weekly digest to the chair.
	DigestSchedule string `yaml:"digest_schedule"`
	// ReportSchedule is the cron spec of the quarterly Excel report to the chair and officers.
	ReportSchedule string `yaml:"report_schedule"`
}

// Defaults of the tasks section, also documented in config.example.yaml.
const (
	defaultTasksNearDays       = 7
	defaultTasksPaceMargin     = 15
	defaultTasksSchedule       = "0 9 * * *"
	defaultTasksRemindTime     = "09:00"
	defaultTasksMonthlyDay     = 25
	defaultTasksChase          = 3
	defaultTasksOverdueEvery   = 3
	defaultTasksEscalateAfter  = 5
	defaultTasksDigestSchedule = "0 9 * * MON"
	defaultTasksReportSchedule = "0 9 1 1,4,7,10 *"
	defaultTasksRemindDays     = "7,3,1"
)

func (x *Tasks) setDefaults() {
	x.NearDays = defaultTasksNearDays
	x.PaceMargin = defaultTasksPaceMargin
	x.Schedule = defaultTasksSchedule
	x.RemindTime = defaultTasksRemindTime
	x.MonthlyDay = defaultTasksMonthlyDay
	x.ChaseWorkdays = defaultTasksChase
	x.RemindDays = defaultTasksRemindDays
	x.OverdueEveryWorkdays = defaultTasksOverdueEvery
	x.EscalateAfterWorkdays = defaultTasksEscalateAfter
	x.DigestSchedule = defaultTasksDigestSchedule
	x.ReportSchedule = defaultTasksReportSchedule
}

func (x *Tasks) validate(ps *Problems) {
	if x.NearDays < 0 || x.NearDays > 90 {
		appendf(ps, "tasks.near_days", "must be between 0 and 90, got %d", x.NearDays)
	}
	if x.PaceMargin < 0 || x.PaceMargin > 100 {
		appendf(ps, "tasks.pace_margin", "must be between 0 and 100 (percentage points), got %d", x.PaceMargin)
	}
	for _, s := range []struct{ key, spec string }{
		{"tasks.schedule", x.Schedule},
		{"tasks.digest_schedule", x.DigestSchedule},
		{"tasks.report_schedule", x.ReportSchedule},
	} {
		checkSpec(ps, s.key, s.spec)
	}
	if _, err := time.Parse("15:04", x.RemindTime); err != nil {
		appendf(ps, "tasks.remind_time", "must be a time of day such as %q, got %q", defaultTasksRemindTime, x.RemindTime)
	}
	if x.MonthlyDay < 1 || x.MonthlyDay > 28 {
		appendf(ps, "tasks.monthly_day", "must be a day between 1 and 28 (every month has it), got %d", x.MonthlyDay)
	}
	if x.ChaseWorkdays < 0 || x.ChaseWorkdays > 15 {
		appendf(ps, "tasks.chase_workdays", "must be between 0 (off) and 15, got %d", x.ChaseWorkdays)
	}
	if _, err := ParseRemindDays(x.RemindDays); err != nil {
		appendf(ps, "tasks.remind_days", "%v", err)
	}
	if x.OverdueEveryWorkdays < 1 || x.OverdueEveryWorkdays > 30 {
		appendf(ps, "tasks.overdue_every_workdays", "must be between 1 and 30, got %d", x.OverdueEveryWorkdays)
	}
	if x.EscalateAfterWorkdays < 0 || x.EscalateAfterWorkdays > 60 {
		appendf(ps, "tasks.escalate_after_workdays", "must be between 0 (off) and 60, got %d", x.EscalateAfterWorkdays)
	}
}

// ParseRemindDays parses tasks.remind_days ("7,3,1"): distinct whole days between 1 and 60,
// returned from the largest to the smallest.
func ParseRemindDays(list string) ([]int, error) {
	seen := map[int]bool{}
	var out []int
	for _, s := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 60 {
			return nil, fmt.Errorf("each entry must be a whole number of days between 1 and 60, got %q", s)
		}
		if seen[n] {
			return nil, fmt.Errorf("%d appears twice", n)
		}
		seen[n] = true
		out = append(out, n)
	}
	slices.Sort(out)
	slices.Reverse(out)
	return out, nil
}

// RemindClock returns tasks.remind_time as hours and minutes (call after Validate).
func (x *Tasks) RemindClock() (hour, minute int) {
	t, err := time.Parse("15:04", x.RemindTime)
	if err != nil {
		return 9, 0
	}
	return t.Hour(), t.Minute()
}
