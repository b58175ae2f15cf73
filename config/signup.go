package config

import (
	"strings"
	"time"
)

// Signup configures activities and sign-ups: where published sign-up cards go and when the
// sign-up reminders are sent.
type Signup struct {
	// DefaultChats lists the group chat_ids (oc_...) every published activity's sign-up card
	// is posted to, besides the activity's own publish chats. Default: none.
	DefaultChats []string `yaml:"default_chats"`
	// RemindersSchedule is the cron spec of the job signup.reminders, which sends the
	// closing, close-time, event and after-event messages that are due. Default: every 5
	// minutes.
	RemindersSchedule string `yaml:"reminders_schedule"`
	// CloseReminder is how long before sign-up closes eligible members who have not signed up
	// are reminded; 0 turns the reminder off. Default: 24h.
	CloseReminder time.Duration `yaml:"close_reminder"`
	// EventReminderEarly is how long before an activity starts its participants get the first
	// reminder (the day before); 0 turns it off. Default: 24h.
	EventReminderEarly time.Duration `yaml:"event_reminder_early"`
	// EventReminderLate is how long before an activity starts its participants get the second
	// reminder; 0 turns it off. Default: 2h.
	EventReminderLate time.Duration `yaml:"event_reminder_late"`
}

// Defaults of the signup section, also documented in config.example.yaml.
const (
	defaultSignupSchedule     = "*/5 * * * *"
	defaultCloseReminder      = 24 * time.Hour
	defaultEventReminderEarly = 24 * time.Hour
	defaultEventReminderLate  = 2 * time.Hour
)

func (x *Signup) setDefaults() {
	x.RemindersSchedule = defaultSignupSchedule
	x.CloseReminder = defaultCloseReminder
	x.EventReminderEarly = defaultEventReminderEarly
	x.EventReminderLate = defaultEventReminderLate
}

func (x *Signup) validate(ps *Problems) {
	for i, id := range x.DefaultChats {
		if !strings.HasPrefix(id, "oc_") || len(id) <= len("oc_") || strings.ContainsFunc(id, isSpaceOrControl) {
			appendf(ps, "signup.default_chats", "entry %d must be a group chat_id, which starts with \"oc_\", got %q", i+1, id)
		}
	}
	checkSpec(ps, "signup.reminders_schedule", x.RemindersSchedule)
	for _, d := range []struct {
		key string
		val time.Duration
	}{
		{"signup.close_reminder", x.CloseReminder},
		{"signup.event_reminder_early", x.EventReminderEarly},
		{"signup.event_reminder_late", x.EventReminderLate},
	} {
		if d.val < 0 || d.val > 30*24*time.Hour {
			appendf(ps, d.key, "must be between 0 (off) and 720h, got %s", formatDuration(d.val))
		}
	}
	if x.EventReminderEarly > 0 && x.EventReminderLate > 0 && x.EventReminderLate >= x.EventReminderEarly {
		appendf(ps, "signup.event_reminder_late", "must be shorter than signup.event_reminder_early (%s), got %s",
			formatDuration(x.EventReminderEarly), formatDuration(x.EventReminderLate))
	}
}
