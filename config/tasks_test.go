package config

import (
	"slices"
	"strings"
	"testing"
)

func TestTasksValidate(t *testing.T) {
	tests := []struct {
		name string
		set  func(x *Tasks)
		key  string
	}{
		{"bad cron", func(x *Tasks) { x.Schedule = "0 25 * * *" }, "tasks.schedule"},
		{"bad digest cron", func(x *Tasks) { x.DigestSchedule = "every monday" }, "tasks.digest_schedule"},
		{"bad report cron", func(x *Tasks) { x.ReportSchedule = "" }, "tasks.report_schedule"},
		{"remind time", func(x *Tasks) { x.RemindTime = "9am" }, "tasks.remind_time"},
		{"monthly day 31", func(x *Tasks) { x.MonthlyDay = 31 }, "tasks.monthly_day"},
		{"remind days word", func(x *Tasks) { x.RemindDays = "7,three" }, "tasks.remind_days"},
		{"remind days twice", func(x *Tasks) { x.RemindDays = "7,7" }, "tasks.remind_days"},
		{"overdue every 0", func(x *Tasks) { x.OverdueEveryWorkdays = 0 }, "tasks.overdue_every_workdays"},
		{"margin", func(x *Tasks) { x.PaceMargin = 101 }, "tasks.pace_margin"},
		{"near", func(x *Tasks) { x.NearDays = -1 }, "tasks.near_days"},
		{"chase", func(x *Tasks) { x.ChaseWorkdays = -1 }, "tasks.chase_workdays"},
		{"escalate", func(x *Tasks) { x.EscalateAfterWorkdays = 61 }, "tasks.escalate_after_workdays"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := Default()
			tc.set(&c.Tasks)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.key+": ") {
				t.Errorf("Validate = %v, want a problem with %s", err, tc.key)
			}
		})
	}
	if err := Default().Validate(); err != nil {
		t.Errorf("defaults: %v", err)
	}
}

func TestParseRemindDays(t *testing.T) {
	got, err := ParseRemindDays(" 1, 7 ,3")
	if err != nil || !slices.Equal(got, []int{7, 3, 1}) {
		t.Errorf("got %v %v", got, err)
	}
}
