package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestOfficeHours checks when officer reminders and others are delivered: the outbox row's
// NextAttemptAt, for a run at `now` (the database clock) of a reminder due at `due`.
func TestOfficeHours(t *testing.T) {
	tests := []struct {
		name     string
		due, now time.Time
		office   bool
		day      time.Time // the delivery day (date) expected
		office9  bool      // delivered at 09:01..09:09:59 on that day (else: exactly at want)
		want     time.Time
	}{
		{name: "Friday 17:00 officer run goes Monday 09:0x", due: local(2024, 3, 22, 17, 0), now: local(2024, 3, 22, 17, 0),
			office: true, day: local(2024, 3, 25, 0, 0), office9: true},
		{name: "workday 09:00 goes the same morning", due: local(2024, 3, 25, 9, 0), now: local(2024, 3, 25, 9, 0),
			office: true, day: local(2024, 3, 25, 0, 0), office9: true},
		{name: "early morning run goes at 09:0x", due: local(2024, 3, 25, 6, 0), now: local(2024, 3, 25, 6, 0),
			office: true, day: local(2024, 3, 25, 0, 0), office9: true},
		{name: "Saturday goes Monday", due: local(2024, 3, 23, 9, 0), now: local(2024, 3, 23, 9, 0),
			office: true, day: local(2024, 3, 25, 0, 0), office9: true},
		{name: "National Day week skipped", due: local(2026, 9, 30, 17, 0), now: local(2026, 9, 30, 17, 0),
			office: true, day: local(2026, 10, 8, 0, 0), office9: true},
		{name: "Spring Festival 2026 skipped", due: local(2026, 2, 14, 17, 0), now: local(2026, 2, 14, 17, 0),
			office: true, day: local(2026, 2, 24, 0, 0), office9: true},
		{name: "调休 Saturday is a workday", due: local(2026, 2, 13, 18, 0), now: local(2026, 2, 13, 18, 0),
			office: true, day: local(2026, 2, 14, 0, 0), office9: true},
		{name: "late, in office hours: at once", due: local(2024, 3, 25, 9, 0), now: local(2024, 3, 25, 11, 30),
			office: true, want: local(2024, 3, 25, 11, 30)},
		{name: "late, at night: next workday", due: local(2024, 3, 22, 9, 0), now: local(2024, 3, 22, 22, 0),
			office: true, day: local(2024, 3, 25, 0, 0), office9: true},
		{name: "participant at 10:00 Saturday: as due", due: local(2024, 3, 23, 10, 0), now: local(2024, 3, 23, 7, 0),
			want: local(2024, 3, 23, 10, 0)},
		{name: "participant at night: held to 08:0x", due: local(2024, 3, 23, 22, 30), now: local(2024, 3, 23, 22, 30),
			day: local(2024, 3, 24, 0, 0)},
		{name: "participant after midnight: held to 08:0x", due: local(2024, 3, 24, 2, 0), now: local(2024, 3, 24, 2, 0),
			day: local(2024, 3, 24, 0, 0)},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				db.Now = func() time.Time { return tt.now }
				e := newEngine(t, db, nil)
				key := "office:" + tt.name
				var id string
				e.Add(jobs.Job{Name: "office" + string(rune('a'+i)), Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
					return r.DB.InTx(ctx, func(tx *store.Tx) error {
						_, err := r.Remind(ctx, tx, jobs.Reminder{Key: key, Due: tt.due, OpenID: "ou_x", Text: "提醒", Office: tt.office})
						return err
					})
				}})
				if err := e.RunJob(ctx, "office"+string(rune('a'+i)), tt.now); err != nil {
					t.Fatal(err)
				}
				rem, err := db.ReminderByKey(ctx, key)
				if err != nil || rem == nil || rem.OutboxID == nil {
					t.Fatalf("reminder = %+v, %v", rem, err)
				}
				id = *rem.OutboxID
				var next time.Time
				if err := db.Get(ctx, &next, `SELECT next_attempt_at FROM outbox WHERE id = ?`, id); err != nil {
					t.Fatal(err)
				}
				got := next.In(shanghai)
				switch {
				case !tt.want.IsZero():
					if !got.Equal(tt.want) {
						t.Errorf("delivered at %s, want %s", got, tt.want)
					}
				default:
					hour := 8
					if tt.office9 {
						hour = 9
					}
					from := tt.day.Add(time.Duration(hour)*time.Hour + time.Minute)
					to := tt.day.Add(time.Duration(hour)*time.Hour + 10*time.Minute)
					if got.Before(from) || !got.Before(to) {
						t.Errorf("delivered at %s, want in [%s, %s)", got, from.Format("01-02 15:04:05"), to.Format("15:04:05"))
					}
				}
			})
		}
	})
}
