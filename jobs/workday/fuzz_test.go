package workday_test

import (
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// FuzzArrangement reads any text as a holiday arrangement, from a file and as typed in chat:
// no panic, a refusal has a message, and what is accepted is real dates, each once.
func FuzzArrangement(f *testing.F) {
	for _, s := range []string{
		"# 2027\n2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-14 班 春节调休\n",
		"2027-01-01 休 元旦 2027-02-14 班", "2027-02-30 休", "2027-01-01..2026-12-01 休", "2027-01-01..2027-12-31 休",
		"2027-01-01 休\n2027-01-01 班", "2027-1-1 off 元旦", "\ufeff2027-05-01 假 劳动节", "#", "9", "2027-01-01 休 2个", "99999-01-01 休",
		"2027-01-01..2027-01-01..2027-01-02 休", "2027-01-01 work", "0000-00-00 休",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, text string, chat bool) {
		parse := workday.ParseArrangement
		if chat {
			parse = workday.ParseArrangementText
		}
		got, err := parse(text)
		if err != nil {
			if store.ErrorMessage(err) == "" {
				t.Fatalf("refusal without a message: %v", err)
			}
			return
		}
		seen := map[string]bool{}
		for _, o := range got {
			if _, err := time.Parse(time.DateOnly, o.Day); err != nil {
				t.Fatalf("accepted %q: %v", o.Day, err)
			}
			if seen[o.Day] {
				t.Fatalf("%s accepted twice", o.Day)
			}
			seen[o.Day] = true
		}
	})
}
