package config

import (
	"fmt"
	"strings"
	"time"
)

// LegalAid configures legal aid (法律援助): the school's names (for the conflict-of-interest
// flag), the duty lawyer's hours, and the reminders.
type LegalAid struct {
	// SchoolNames are the school's own names (the university's full and short names), besides
	// 学校, 校方 and 本校, which always count. A case whose other party contains one of them, or
	// a department's name or a 分工会's unit, is flagged as a conflict of interest.
	SchoolNames []string `yaml:"school_names"`
	// DutyHours are the duty lawyer's weekly hours, "WEEKDAY HH:MM-HH:MM" each (MON ... SUN),
	// cut into slots of SlotMinutes that members book. None: no appointments are offered.
	DutyHours []string `yaml:"duty_hours"`
	// SlotMinutes is the length of one appointment.
	SlotMinutes int `yaml:"slot_minutes"`
	// BookingDays is how many days ahead slots are offered.
	BookingDays int `yaml:"booking_days"`
	// LimitReminders are the days before the labour-arbitration limit (the dispute date plus
	// one year) that the member and the legal-aid officers are reminded, comma-separated.
	LimitReminders string `yaml:"limit_reminders"`
	// Schedule is the cron spec that wakes the job legal.reminders.
	Schedule string `yaml:"schedule"`
	// RemindTime is the local time of day the reminders are due on their day.
	RemindTime string `yaml:"remind_time"`
}

const (
	defaultLegalSlotMinutes    = 60
	defaultLegalBookingDays    = 14
	defaultLegalLimitReminders = "60,30,7"
	defaultLegalSchedule       = "0 9 * * *"
	defaultLegalRemindTime     = "09:00"
)

func (x *LegalAid) setDefaults() {
	x.SlotMinutes = defaultLegalSlotMinutes
	x.BookingDays = defaultLegalBookingDays
	x.LimitReminders = defaultLegalLimitReminders
	x.Schedule = defaultLegalSchedule
	x.RemindTime = defaultLegalRemindTime
}

func (x *LegalAid) validate(ps *Problems) {
	if _, err := x.Duty(); err != nil {
		appendf(ps, "legal_aid.duty_hours", "%v", err)
	}
	if x.SlotMinutes < 15 || x.SlotMinutes > 240 {
		appendf(ps, "legal_aid.slot_minutes", "must be between 15 and 240, got %d", x.SlotMinutes)
	}
	if x.BookingDays < 1 || x.BookingDays > 90 {
		appendf(ps, "legal_aid.booking_days", "must be between 1 and 90, got %d", x.BookingDays)
	}
	if _, err := ParseRemindDays(x.LimitReminders); err != nil {
		appendf(ps, "legal_aid.limit_reminders", "%v", err)
	}
	checkSpec(ps, "legal_aid.schedule", x.Schedule)
	if _, err := time.Parse("15:04", x.RemindTime); err != nil {
		appendf(ps, "legal_aid.remind_time", "must be a time of day such as %q, got %q", defaultLegalRemindTime, x.RemindTime)
	}
}

// DutyWindow is one weekly stretch of the duty lawyer's hours.
type DutyWindow struct {
	Weekday    time.Weekday
	From, To   int // minutes after midnight
	Definition string
}

var weekdays = map[string]time.Weekday{"SUN": time.Sunday, "MON": time.Monday, "TUE": time.Tuesday, "WED": time.Wednesday,
	"THU": time.Thursday, "FRI": time.Friday, "SAT": time.Saturday}

// Duty parses DutyHours.
func (x *LegalAid) Duty() ([]DutyWindow, error) {
	var out []DutyWindow
	for _, s := range x.DutyHours {
		day, span, ok := strings.Cut(strings.TrimSpace(s), " ")
		wd, okDay := weekdays[strings.ToUpper(day)]
		from, to, okSpan := strings.Cut(strings.TrimSpace(span), "-")
		f, errF := time.Parse("15:04", from)
		t, errT := time.Parse("15:04", to)
		if !ok || !okDay || !okSpan || errF != nil || errT != nil || !t.After(f) {
			return nil, fmt.Errorf(`each entry must be "WEEKDAY HH:MM-HH:MM" (MON ... SUN, the end after the start), got %q`, s)
		}
		out = append(out, DutyWindow{Weekday: wd, From: f.Hour()*60 + f.Minute(), To: t.Hour()*60 + t.Minute(), Definition: s})
	}
	return out, nil
}

// RemindClock returns remind_time as hours and minutes (call after Validate).
func (x *LegalAid) RemindClock() (hour, minute int) {
	t, err := time.Parse("15:04", x.RemindTime)
	if err != nil {
		return 9, 0
	}
	return t.Hour(), t.Minute()
}
