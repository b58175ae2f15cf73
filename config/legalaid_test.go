package config

import (
	"strings"
	"testing"
	"time"
)

func TestLegalAidConfig(t *testing.T) {
	x := Default().LegalAid
	x.DutyHours = []string{"WED 14:00-17:00", "fri 09:00-11:30"}
	d, err := x.Duty()
	if err != nil || len(d) != 2 || d[0].Weekday != time.Wednesday || d[0].From != 14*60 || d[1].Weekday != time.Friday || d[1].To != 11*60+30 {
		t.Fatalf("Duty = %+v, %v", d, err)
	}
	tests := []struct {
		name string
		mod  func(x *LegalAid)
		key  string
	}{
		{"no weekday", func(x *LegalAid) { x.DutyHours = []string{"14:00-17:00"} }, "legal_aid.duty_hours"},
		{"end before start", func(x *LegalAid) { x.DutyHours = []string{"MON 17:00-14:00"} }, "legal_aid.duty_hours"},
		{"slot", func(x *LegalAid) { x.SlotMinutes = 5 }, "legal_aid.slot_minutes"},
		{"days", func(x *LegalAid) { x.BookingDays = 0 }, "legal_aid.booking_days"},
		{"reminders", func(x *LegalAid) { x.LimitReminders = "60,x" }, "legal_aid.limit_reminders"},
		{"schedule", func(x *LegalAid) { x.Schedule = "daily" }, "legal_aid.schedule"},
		{"time", func(x *LegalAid) { x.RemindTime = "9am" }, "legal_aid.remind_time"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			y := Default().LegalAid
			tc.mod(&y)
			var ps Problems
			y.validate(&ps)
			if len(ps) != 1 || !strings.Contains(ps.Error(), tc.key) {
				t.Errorf("problems %v, want one about %s", ps, tc.key)
			}
		})
	}
	p := Default().Privacy
	p.RecordsRetentionDays = 100
	var ps Problems
	p.validate(&ps)
	if !strings.Contains(ps.Error(), "privacy.records_retention_days") {
		t.Errorf("records shorter than materials: %v", ps)
	}
}
