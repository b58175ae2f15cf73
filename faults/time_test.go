package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestClockJumpsOverHoliday: the bot runs on a Friday evening (its test clock,
// UNIONBOT_FAKE_NOW), is stopped, and starts again on the Tuesday morning after a weekend and a
// Monday off (a holiday arrangement imported with `unionbot holidays import`), then once more.
// With the defaults (late after 30 min, dropped after 72 h, officer reminders on a workday at
// 09:00 plus jitter):
//
//   - Friday: the closing reminder of activity A (due Friday 17:54) goes out on time; that of
//     B (due Friday 09:30, before the bot ran) goes out once, marked late; a ten-task deadline
//     reminder and a behind-pace notice (remind_time 17:50) are officer reminders: queued on
//     time on Friday, delivered on Tuesday at 09:0x (not Saturday, not the holiday Monday), not
//     marked late;
//   - Tuesday: A's closing summary (due Saturday 17:54, 64 h before) goes out marked late; B's
//     (due Saturday 09:30, over 72 h before) is dropped: recorded, counted in the run and the
//     log, not sent; the chair's weekly digest of the holiday Monday 09:00 goes out marked late;
//   - the restart after that sends nothing.
//
// Every reminder row is checked against the rule (its run's lateness decides sent, late or
// dropped), and every sent one reached the platform exactly once, with the late note exactly
// when late.
func TestClockJumpsOverHoliday(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testClockJumps(t, dialect) })
	}
}

func testClockJumps(t *testing.T, dialect string) {
	ctx := context.Background()
	loc, _ := time.LoadLocation("Asia/Shanghai")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	friday := at("2027-03-05 17:55")
	tuesday := at("2027-03-09 10:00")
	again := at("2027-03-09 10:05")

	fake := feishutest.NewT(t)
	db, dsn := storetest.OpenDSN(t, dialect)
	owner := handlertest.NewMember(t, db, handlertest.Person{OpenID: "ou_t_owner", Name: "责任人", EmployeeNo: "T001", Branch: "机关分工会"})
	chair := handlertest.NewMember(t, db, handlertest.Person{OpenID: "ou_t_chair", Name: "主席", EmployeeNo: "T009", Branch: "机关分工会",
		Roles: []string{store.RoleChair}})
	organiser := handlertest.NewMember(t, db, handlertest.Person{OpenID: "ou_t_org", Name: "干事", EmployeeNo: "T010", Branch: "机关分工会",
		Roles: []string{store.RoleOfficer}})
	members := []string{owner.OpenID, chair.OpenID, organiser.OpenID}
	for i := range 3 {
		m := handlertest.NewMember(t, db, handlertest.Person{OpenID: fmt.Sprintf("ou_t%d", i), Name: fmt.Sprintf("职工%d", i),
			EmployeeNo: fmt.Sprintf("T10%d", i), Branch: "机关分工会"})
		members = append(members, m.OpenID)
	}
	addr := freeAddr(t)
	env := botEnv(fake, addr, dialect, dsn, "UNIONBOT_TASKS_REMIND_TIME=17:50", "UNIONBOT_FAKE_NOW_ALLOW=test")
	p := newProc(t, env, addr)
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return f
	}
	// Monday 8 March 2027 is a day off (the university's own); the weekend before it too.
	p.run("holidays", "import", "-f", write("holidays.txt", "2027-03-08 休 校庆日\n"))
	// Task 1's deadline is Wednesday 10 March: its 3-day reminder falls on Sunday, so it is
	// sent on the workday before, Friday 5 March at tasks.remind_time (17:50).
	p.run("tasks", "import", "-f", write("tasks.yaml", `year: 2027
units:
  - name: 校工会
tasks:
  - number: 1
    title: 故障测试实事
    goal: 按期完成
    lead_unit: 校工会
    start: 2027-03-05
    deadline: 2027-03-10
    owners: ["T001"]
`))
	// A closes Saturday 17:54 (closing reminder due Friday 17:54), B closes Saturday 09:30
	// (due Friday 09:30); both start a week later.
	p.run("activities", "create", "-publish", "-f", write("activities.yaml", `title: 周末健步走A
kind: sport
place: 操场
start: 2027-03-13 09:00
end: 2027-03-13 11:00
signup_opens: 2027-03-01 08:00
signup_closes: 2027-03-06 17:54
capacity: 0
branch_quota: 0
entry_mode: individual
allocation: first_come
eligibility:
  members_only: true
---
title: 周末健步走B
kind: sport
place: 操场
start: 2027-03-13 14:00
end: 2027-03-13 16:00
signup_opens: 2027-03-01 08:00
signup_closes: 2027-03-06 09:30
capacity: 0
branch_quota: 0
entry_mode: individual
allocation: first_come
eligibility:
  members_only: true
`))
	acts, err := db.Activities(ctx)
	if err != nil || len(acts) != 2 {
		t.Fatalf("activities: %d, %v", len(acts), err)
	}
	ids := map[string]int64{}
	for _, a := range acts {
		ids[strings.TrimPrefix(a.Title, "周末健步走")] = a.ID
	}
	// The organiser gets the closing summary.
	if _, err := db.SQL().ExecContext(ctx, `UPDATE activities SET created_by = ?`, organiser.ID); err != nil {
		t.Fatal(err)
	}

	// phase runs the bot at the fake instant start until its jobs ran once and what is due
	// was delivered, then stops it.
	phase := func(start time.Time) {
		t.Helper()
		p.env = append(slices.Clone(env), "UNIONBOT_FAKE_NOW="+start.Format(time.RFC3339))
		p.start()
		waitFor(t, time.Minute, "the jobs' start-up runs at "+start.Format(time.RFC3339), func() bool {
			var runs []store.JobRun
			if err := db.Select(ctx, &runs, `SELECT job, finished_at FROM job_runs WHERE at >= ?`, start.UTC()); err != nil {
				return false
			}
			done := map[string]bool{}
			for _, r := range runs {
				if r.FinishedAt != nil {
					done[r.Job] = true
				}
			}
			// The start-up runs go by name, one after the other: tasks.yellow is the last.
			return done["signup.reminders"] && done["tasks.deadlines"] && done["tasks.digest"] && done["tasks.yellow"]
		})
		waitFor(t, time.Minute, "the outbox drained at "+start.Format(time.RFC3339), func() bool {
			var n int
			err := db.Get(ctx, &n, `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND next_attempt_at <= ?`,
				start.Add(time.Minute).UTC())
			return err == nil && n == 0
		})
		p.stop()
	}

	phase(friday)
	fridayMsgs := len(fake.Messages())
	var pendingOverHoliday []struct {
		ID  string    `db:"id"`
		Due time.Time `db:"next_attempt_at"`
	}
	if err := db.Select(ctx, &pendingOverHoliday, `SELECT id, next_attempt_at FROM outbox WHERE status = 'pending'`); err != nil {
		t.Fatal(err)
	}
	phase(tuesday)
	tuesdayMsgs := len(fake.Messages())
	tuesdayLog := p.logs.String()
	var reminders0 int
	db.Get(ctx, &reminders0, `SELECT COUNT(*) FROM reminders`)
	phase(again)

	// Every reminder row follows the rule, and reached the platform once (or never, dropped).
	var rows []reminderRow
	if err := db.Select(ctx, &rows, `SELECT reminder_key, recipient, status, due_at, run_at, outbox_id FROM reminders`); err != nil {
		t.Fatal(err)
	}
	msgs := fake.Messages()
	byUUID := map[string][]feishutest.Message{}
	for _, m := range msgs {
		byUUID[m.UUID] = append(byUUID[m.UUID], m)
	}
	status := map[string]string{}
	var sent, late, dropped int
	for _, r := range rows {
		status[r.Key] = r.Status
		lateness := r.Run.Sub(r.Due)
		want := store.ReminderSent
		switch {
		case lateness > 72*time.Hour:
			want = store.ReminderDropped
		case lateness > 30*time.Minute:
			want = store.ReminderLate
		}
		if r.Status != want {
			t.Errorf("%s: %s, %s late, want %s", r.Key, r.Status, lateness, want)
		}
		switch r.Status {
		case store.ReminderDropped:
			dropped++
			if r.OutboxID != nil {
				t.Errorf("%s dropped but queued (%s)", r.Key, *r.OutboxID)
			}
			continue
		case store.ReminderLate:
			late++
		default:
			sent++
		}
		if r.OutboxID == nil {
			t.Errorf("%s: %s without an outbox message", r.Key, r.Status)
			continue
		}
		got := byUUID[*r.OutboxID]
		if len(got) != 1 {
			t.Errorf("%s reached the platform %d times", r.Key, len(got))
			continue
		}
		if got[0].ReceiveID != r.Recipient {
			t.Errorf("%s went to %s, want %s", r.Key, got[0].ReceiveID, r.Recipient)
		}
		if noted := strings.Contains(got[0].Content, "迟发提醒"); noted != (r.Status == store.ReminderLate) {
			t.Errorf("%s (%s): late note %v:\n%s", r.Key, r.Status, noted, got[0].Content)
		}
	}
	// The story, exactly.
	want := map[string]string{
		"task.deadline-3:1:ou_t_owner:2027-03-10":       store.ReminderSent,
		"task.yellow:1:ou_t_owner:2027-03-01":           store.ReminderSent, // behind pace on Friday (the week of 1 March)
		fmt.Sprintf("signup.summary:%d", ids["A"]):      store.ReminderLate,
		fmt.Sprintf("signup.summary:%d", ids["B"]):      store.ReminderDropped,
		"task.digest:2027:ou_t_chair:2027-03-08":        store.ReminderLate,
		"task.deadline-1:1:ou_t_owner:2027-03-10":       "", // due Tuesday 17:50: not yet
		"task.deadline-7:1:ou_t_owner:2027-03-10":       "", // before the task's start
		"task.monthly:1:ou_t_owner:2027-03-25":          "",
		fmt.Sprintf("signup.team-rules:%d:1", ids["A"]): "",
	}
	for _, m := range members {
		want[fmt.Sprintf("signup.closing:%d:%s", ids["A"], m)] = store.ReminderSent
		want[fmt.Sprintf("signup.closing:%d:%s", ids["B"], m)] = store.ReminderLate
	}
	for k, w := range want {
		if status[k] != w {
			t.Errorf("reminder %s: %q, want %q", k, status[k], w)
		}
	}
	for _, r := range rows {
		if _, ok := want[r.Key]; !ok {
			t.Errorf("unexpected reminder %s (%s)", r.Key, r.Status)
		}
	}
	// Friday's officer reminder waited over the weekend and the holiday, to Tuesday 09:0x.
	task3 := byKey(rows, "task.deadline-3:1:ou_t_owner:2027-03-10")
	if task3 == nil || task3.OutboxID == nil {
		t.Fatalf("no task reminder queued on Friday")
	}
	var held time.Time
	for _, o := range pendingOverHoliday {
		if o.ID == *task3.OutboxID {
			held = o.Due.In(loc)
		}
	}
	if held.Format("2006-01-02 15") != "2027-03-09 09" || held.Minute() < 1 || held.Minute() > 10 {
		t.Errorf("the Friday evening task reminder was held to %s, want Tuesday 2027-03-09 09:01..09:10", held)
	}
	// B's closing reminder names its original moment.
	if b := byKey(rows, fmt.Sprintf("signup.closing:%d:%s", ids["B"], members[0])); b != nil && b.OutboxID != nil {
		if c := byUUID[*b.OutboxID]; len(c) != 1 || !strings.Contains(c[0].Content, "原定 3月5日 09:30") {
			t.Errorf("B's late closing reminder does not name its moment: %v", c)
		}
	}
	// The drop is counted in the run and logged.
	var droppedRuns int
	db.Get(ctx, &droppedRuns, `SELECT COALESCE(SUM(dropped), 0) FROM job_runs WHERE job = 'signup.reminders'`)
	if droppedRuns != 1 || !strings.Contains(tuesdayLog, "job dropped reminders whose moment passed long ago") {
		t.Errorf("dropped in job_runs %d, want 1; logged: %v", droppedRuns,
			strings.Contains(tuesdayLog, "job dropped reminders whose moment passed long ago"))
	}
	// The restart after Tuesday's added nothing; nothing left pending or failed.
	var reminders1, left int
	db.Get(ctx, &reminders1, `SELECT COUNT(*) FROM reminders`)
	db.Get(ctx, &left, `SELECT COUNT(*) FROM outbox WHERE status <> 'sent'`)
	if reminders1 != reminders0 || len(msgs) != tuesdayMsgs {
		t.Errorf("the restart after Tuesday's added %d reminders and %d messages", reminders1-reminders0, len(msgs)-tuesdayMsgs)
	}
	if left != 0 {
		t.Errorf("%d outbox messages not sent", left)
	}
	for _, m := range msgs {
		if m.Kind == feishutest.KindSend && m.UUID == "" {
			t.Errorf("a message without uuid: %+v", m)
		}
	}
	t.Logf("FIGURES fault=clock-jump db=%s injected=1 down=%s reminders=%d on_time=%d late=%d dropped=%d duplicated=%d "+
		"messages_friday=%d messages_tuesday=%d messages_after_restart=%d",
		dialect, tuesday.Sub(friday), len(rows), sent, late, dropped, len(msgs)-len(byUUID),
		fridayMsgs, tuesdayMsgs-fridayMsgs, len(msgs)-tuesdayMsgs)
}

// reminderRow is a row of the reminders table.
type reminderRow struct {
	Key       string    `db:"reminder_key"`
	Recipient string    `db:"recipient"`
	Status    string    `db:"status"`
	Due       time.Time `db:"due_at"`
	Run       time.Time `db:"run_at"`
	OutboxID  *string   `db:"outbox_id"`
}

func byKey(rows []reminderRow, key string) *reminderRow {
	for i := range rows {
		if rows[i].Key == key {
			return &rows[i]
		}
	}
	return nil
}
