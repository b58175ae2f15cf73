package config

import (
	"strings"
	"testing"
	"time"
)

func TestSignupValidate(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(s *Signup)
		wantKey string // "" when valid
		wantMsg string
	}{
		{"defaults", func(s *Signup) {}, "", ""},
		{"chats", func(s *Signup) { s.DefaultChats = []string{"oc_a1", "oc_b2"} }, "", ""},
		{"every 10m", func(s *Signup) { s.RemindersSchedule = "@every 10m" }, "", ""},
		{"reminders off", func(s *Signup) { s.CloseReminder, s.EventReminderEarly, s.EventReminderLate = 0, 0, 0 }, "", ""},
		{"chat not oc_", func(s *Signup) { s.DefaultChats = []string{"oc_a", "ou_person"} }, "signup.default_chats", `entry 2 must be a group chat_id`},
		{"bad cron", func(s *Signup) { s.RemindersSchedule = "every five minutes" }, "signup.reminders_schedule", "not a valid cron spec"},
		{"negative", func(s *Signup) { s.CloseReminder = -time.Hour }, "signup.close_reminder", "between 0 (off) and 720h"},
		{"late after early", func(s *Signup) { s.EventReminderLate = 48 * time.Hour }, "signup.event_reminder_late", "shorter than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(&c.Signup)
			err := c.Validate()
			if tt.wantKey == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			ps, _ := err.(Problems)
			for _, p := range ps {
				if p.Key == tt.wantKey && strings.Contains(p.Msg, tt.wantMsg) {
					return
				}
			}
			t.Errorf("Validate = %v, want %s: ...%s...", err, tt.wantKey, tt.wantMsg)
		})
	}
}

func TestSignupEnv(t *testing.T) {
	c, err := Load("", []string{"UNIONBOT_SIGNUP_DEFAULT_CHATS=oc_x,oc_y", "UNIONBOT_SIGNUP_CLOSE_REMINDER=48h"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Signup.DefaultChats, " "); got != "oc_x oc_y" || c.Signup.CloseReminder != 48*time.Hour {
		t.Errorf("signup = %+v", c.Signup)
	}
}
