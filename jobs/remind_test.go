package jobs_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// outboxRows returns every outbox row, oldest first.
func outboxRows(t testing.TB, db *store.DB) []*store.OutboxMessage {
	t.Helper()
	var out []*store.OutboxMessage
	if err := db.Select(context.Background(), &out, `SELECT id, kind, receive_id_type, receive_id, msg_type, content, dedup_key,
		status, next_attempt_at, created_at FROM outbox ORDER BY created_at, id`); err != nil {
		t.Fatal(err)
	}
	return out
}

// remindJob is a job that owes one reminder per entry of due, to ou_<i>.
func remindJob(name string, rems func(r *jobs.Run) []jobs.Reminder) jobs.Job {
	return jobs.Job{Name: name, Spec: "@hourly", Help: "test reminders", Run: func(ctx context.Context, r *jobs.Run) error {
		for _, m := range rems(r) {
			if err := r.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := r.Remind(ctx, tx, m)
				return err
			}); err != nil {
				return err
			}
		}
		return nil
	}}
}

func textOf(t testing.TB, m *store.OutboxMessage) string {
	t.Helper()
	var c struct {
		Text string `json:"text"`
	}
	if err := json.Unmarshal([]byte(m.Content), &c); err != nil {
		t.Fatalf("content %q: %v", m.Content, err)
	}
	return c.Text
}

func TestRemindOncePerKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, nil)
		due := local(2024, 3, 25, 9, 0)
		long := "task.deadline-7:" + strings.Repeat("很长的键", 40) + ":ou_a:2024-03-25"
		e.Add(remindJob("t", func(r *jobs.Run) []jobs.Reminder {
			return []jobs.Reminder{
				{Key: "k1", Due: due, OpenID: "ou_a", Text: "请更新进度"},
				{Key: "k2", Due: due, ChatID: "oc_g", Card: card.New("进度").Add(card.Markdown("本月进度"))},
				{Key: long, Due: due, OpenID: "ou_b", Text: "长键"},
			}
		}))
		for i := 0; i < 3; i++ { // the same instant, by hand, three times; then later
			if err := e.RunJob(ctx, "t", due); err != nil {
				t.Fatal(err)
			}
		}
		if err := e.RunJob(ctx, "t", due.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		rows := outboxRows(t, db)
		if len(rows) != 3 {
			t.Fatalf("outbox has %d rows, want 3", len(rows))
		}
		if rows[0].ReceiveIDType != "open_id" || rows[0].ReceiveID != "ou_a" || textOf(t, rows[0]) != "请更新进度" {
			t.Errorf("row 0 = %+v", rows[0])
		}
		if rows[1].ReceiveIDType != "chat_id" || rows[1].MsgType != "interactive" {
			t.Errorf("row 1 = %+v", rows[1])
		}
		sk := jobs.StoreKey(long)
		if len(sk) > jobs.MaxKeyLen || !strings.HasPrefix(sk, "task.deadline-7:很长的键") {
			t.Errorf("stored key %q (%d bytes)", sk, len(sk))
		}
		if r, err := db.ReminderByKey(ctx, sk); err != nil || r == nil || r.OutboxID == nil || *r.OutboxID != rows[2].ID {
			t.Errorf("reminder row of the long key = %+v, %v", r, err)
		}
		runs, _ := db.JobRuns(ctx, "t", 10)
		if len(runs) != 4 || runs[3].Sent != 3 || runs[2].Sent != 0 || runs[0].Sent != 0 {
			t.Errorf("runs: %d, sent %v", len(runs), runs)
		}
		// Since is the previous completed run's At.
		if runs[0].Since == nil || !runs[0].Since.Equal(due) {
			t.Errorf("last run since = %v, want %v", runs[0].Since, due)
		}
	})
}

func TestRemindLateAndDropped(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, nil)
		due := local(2024, 1, 2, 9, 5)
		first := true
		e.Add(jobs.Job{Name: "late", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
			defer func() { first = false }()
			return r.DB.InTx(ctx, func(tx *store.Tx) error {
				// On time (10 minutes), late (2 hours), dropped (4 days: older than drop_after).
				for i, m := range []jobs.Reminder{
					{Key: "ontime", Due: r.At.Add(-10 * time.Minute), OpenID: "ou_a", Text: "准时"},
					{Key: "late", Due: due, OpenID: "ou_a", Text: "请提交材料"},
					{Key: "card", Due: due, OpenID: "ou_b", Card: card.New("提醒").Add(card.Markdown("正文"))},
					{Key: "old", Due: r.At.Add(-4 * 24 * time.Hour), OpenID: "ou_c", Text: "太旧"},
				} {
					ok, err := r.Remind(ctx, tx, m)
					if err != nil {
						return err
					}
					if ok != (first && i < 3) {
						t.Errorf("reminder %s enqueued = %v", m.Key, ok)
					}
				}
				return nil
			})
		}})
		at := due.Add(2 * time.Hour)
		if err := e.RunJob(ctx, "late", at); err != nil {
			t.Fatal(err)
		}
		rows := outboxRows(t, db)
		if len(rows) != 3 {
			t.Fatalf("outbox rows = %d, want 3 (the 4-day-old one dropped)", len(rows))
		}
		if txt := textOf(t, rows[0]); txt != "准时" {
			t.Errorf("on-time text = %q", txt)
		}
		want := "（迟发提醒：原定 1月2日 09:05，因系统停机延迟送达）\n请提交材料"
		if txt := textOf(t, rows[1]); txt != want {
			t.Errorf("late text = %q, want %q", txt, want)
		}
		var c struct {
			Body struct {
				Elements []map[string]any `json:"elements"`
			} `json:"body"`
		}
		json.Unmarshal([]byte(rows[2].Content), &c)
		if len(c.Body.Elements) != 2 || !strings.Contains(rows[2].Content, "迟发提醒") ||
			!strings.Contains(mustJSON(c.Body.Elements[0]), "迟发提醒") {
			t.Errorf("late card does not start with the note: %s", rows[2].Content)
		}
		for key, status := range map[string]string{"ontime": store.ReminderSent, "late": store.ReminderLate,
			"card": store.ReminderLate, "old": store.ReminderDropped} {
			r, err := db.ReminderByKey(ctx, key)
			if err != nil || r == nil || r.Status != status {
				t.Errorf("reminder %s = %+v, %v; want status %s", key, r, err, status)
			}
		}
		last, _ := db.LastJobRun(ctx, "late")
		if last.Sent != 3 || last.Late != 2 || last.Dropped != 1 || last.Outcome != store.RunOK {
			t.Errorf("run record = %+v", last)
		}
		// Run again later: nothing new, the dropped one stays dropped.
		if err := e.RunJob(ctx, "late", at.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if n := len(outboxRows(t, db)); n != 3 {
			t.Errorf("after a second run: %d rows", n)
		}
	})
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestRemindBadReminder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, nil)
		due := local(2024, 3, 1, 9, 0)
		for i, m := range []jobs.Reminder{
			{Due: due, OpenID: "ou_a", Text: "x"},
			{Key: "k", OpenID: "ou_a", Text: "x"},
			{Key: "k", Due: due, Text: "x"},
			{Key: "k", Due: due, OpenID: "ou_a", ChatID: "oc_a", Text: "x"},
			{Key: "k", Due: due, OpenID: "ou_a"},
			{Key: "k", Due: due, OpenID: "ou_a", Text: "x", Card: card.New("x")},
		} {
			name := "bad" + string(rune('a'+i))
			e.Add(remindJob(name, func(*jobs.Run) []jobs.Reminder { return []jobs.Reminder{m} }))
			if err := e.RunJob(ctx, name, due); err == nil {
				t.Errorf("reminder %d: no error", i)
			}
		}
		if n := len(outboxRows(t, db)); n != 0 {
			t.Errorf("%d outbox rows after bad reminders", n)
		}
		if c, _ := db.ReminderCounts(ctx, "bada"); len(c) != 0 {
			t.Errorf("reminder rows: %v", c)
		}
	})
}

func TestRemindFile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, nil)
		due := local(2024, 4, 1, 9, 0)
		file := &jobs.File{Name: "2024年第1季度十件实事进展.xlsx", Data: []byte("PK\x03\x04 xlsx")}
		e.Add(remindJob("report", func(r *jobs.Run) []jobs.Reminder {
			return []jobs.Reminder{
				{Key: "report:q1:ou_chair", Due: due, OpenID: "ou_chair", File: file, Office: true},
				{Key: "report:q1:ou_late", Due: due.Add(-2 * time.Hour), OpenID: "ou_late", File: file, Office: true},
			}
		}))
		for i := 0; i < 2; i++ {
			if err := e.RunJob(ctx, "report", due); err != nil {
				t.Fatal(err)
			}
		}
		var rows []struct {
			Kind      string `db:"kind"`
			ReceiveID string `db:"receive_id"`
			FileName  string `db:"file_name"`
			Content   string `db:"content"`
		}
		if err := db.Select(ctx, &rows, `SELECT kind, receive_id, file_name, content FROM outbox ORDER BY created_at`); err != nil {
			t.Fatal(err)
		}
		// The chair's file; for the late one, the note first, then the file.
		if len(rows) != 3 || rows[0].Kind != store.OutboxFile || rows[0].FileName != file.Name ||
			rows[1].Kind != store.OutboxSend || !strings.Contains(rows[1].Content, "迟发提醒") || rows[1].ReceiveID != "ou_late" ||
			rows[2].Kind != store.OutboxFile || rows[2].ReceiveID != "ou_late" {
			t.Errorf("outbox = %+v", rows)
		}
		e.Add(remindJob("nofile", func(r *jobs.Run) []jobs.Reminder {
			return []jobs.Reminder{{Key: "x", Due: due, OpenID: "ou_a", File: &jobs.File{Name: "a.xlsx"}}}
		}))
		if err := e.RunJob(ctx, "nofile", due); err == nil {
			t.Error("an empty file was accepted")
		}
	})
}
