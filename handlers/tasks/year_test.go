package tasks_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// sim is a simulated year of the seeded 2024 tasks: the job engine driven by an injected clock
// through every day of 2024 on the real calendar, with a scripted pattern of progress updates.
type sim struct {
	t      *testing.T
	db     *store.DB
	clk    *handlertest.Clock
	e      *jobs.Engine
	ids    map[int]int64 // task number → id
	owners map[int][]*store.Member
	people map[string]*store.Member
}

var jobNames = []string{tasks.JobMonthly, tasks.JobDeadlines, tasks.JobYellow, tasks.JobOverdue, tasks.JobDigest, tasks.JobReport}

func at(date string, hour, min int) time.Time {
	d := day(date)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, min, 0, 0, shanghai)
}

func newSim(t *testing.T, db *store.DB) *sim {
	ctx := context.Background()
	s := &sim{t: t, db: db, clk: handlertest.NewClock(at("2024-01-01", 0, 30), time.Millisecond), ids: map[int]int64{}, owners: map[int][]*store.Member{},
		people: map[string]*store.Member{}}
	db.Now = s.clk.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: log, Now: s.clk.Now, Holder: "sim"})
	if err != nil {
		t.Fatal(err)
	}
	if err := tasks.RegisterJobs(e, handlers.Deps{DB: db, Log: log, Loc: shanghai}); err != nil {
		t.Fatal(err)
	}
	s.e = e
	for _, p := range []struct{ open, name, no, role string }{
		{"ou_chair", "周主席", "9000", store.RoleChair}, {"ou_officer", "赵干事", "9001", store.RoleOfficer},
		{"ou_head", "钱部长", "9002", ""}, {"ou_leader", "孙副校长", "9003", ""},
	} {
		var roles []string
		if p.role != "" {
			roles = append(roles, p.role)
		}
		s.people[p.open] = member(t, db, p.open, p.name, p.no, roles...)
	}
	for i := 1; i <= 11; i++ {
		open := fmt.Sprintf("ou_o%d", i)
		s.people[open] = member(t, db, open, fmt.Sprintf("责任人%d", i), fmt.Sprintf("01%02d", i))
	}
	seed2024(t, db)
	ts, _ := db.TasksByYear(ctx, 2024)
	for _, tk := range ts {
		s.ids[tk.Number] = tk.ID
	}
	const today = "2024-01-01"
	err = db.InTx(ctx, func(tx *store.Tx) error {
		for n := 1; n <= 10; n++ {
			ids := []int64{s.people[fmt.Sprintf("ou_o%d", n)].ID}
			if n == 1 {
				ids = append(ids, s.people["ou_o11"].ID)
			}
			if _, err := tx.SetTaskOwners(ctx, s.ids[n], 0, ids, "ou_officer", "赵干事"); err != nil {
				return err
			}
		}
		if err := tx.SetUnitHead(ctx, "校工会", s.people["ou_head"].ID, "test"); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET leader_member_id = ? WHERE id = ?`, s.people["ou_leader"].ID, s.ids[6]); err != nil {
			return err
		}
		if _, err := tx.SetTaskDeadline(ctx, s.ids[6], 0, "2024-09-27", "ou_officer", "赵干事", today); err != nil {
			return err
		}
		if _, err := tx.SetTaskDeadline(ctx, s.ids[7], 0, "2024-10-08", "ou_officer", "赵干事", today); err != nil {
			return err
		}
		_, err := tx.AddMilestone(ctx, s.ids[1], 0, &store.Milestone{Name: "提交申报材料", Planned: "2024-06-30"}, "ou_officer", "赵干事", today)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// runDay runs every job at 09:00 of the day, as the daily wake-up does.
func (s *sim) runDay(d time.Time) {
	s.t.Helper()
	wake := time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, shanghai)
	s.clk.Set(wake)
	for _, name := range jobNames {
		if err := s.e.RunJob(context.Background(), name, wake); err != nil {
			s.t.Fatalf("%s at %s: %v", name, wake, err)
		}
	}
}

// update reports progress on a task at 15:00 of the day.
func (s *sim) update(d time.Time, number, progress int) {
	s.t.Helper()
	ctx := context.Background()
	s.clk.Set(time.Date(d.Year(), d.Month(), d.Day(), 15, 0, 0, 0, shanghai))
	err := s.db.InTx(ctx, func(tx *store.Tx) error {
		tk, err := tx.TaskByID(ctx, s.ids[number])
		if err != nil || tk.Done() {
			return err
		}
		u := store.ProgressUpdate{Progress: progress, Note: "按计划推进"}
		if number == 1 && d.Month() == time.July {
			u.MilestoneID, u.Evidence = tk.Milestones[0].ID, "申报书.pdf"
		}
		_, err = tx.UpdateProgress(ctx, tk.ID, 0, u, tk.Owners[0].OpenID, tk.Owners[0].Name, d.Format(time.DateOnly))
		return err
	})
	if err != nil {
		s.t.Fatalf("update %d on %s: %v", number, d.Format(time.DateOnly), err)
	}
}

// requestDays are the monthly request days of 2024: the 25th, or the workday before.
var requestDays = []string{"2024-01-25", "2024-02-23", "2024-03-25", "2024-04-25", "2024-05-24", "2024-06-25",
	"2024-07-25", "2024-08-23", "2024-09-25", "2024-10-25", "2024-11-25", "2024-12-25"}

// script is the year's pattern of updates, after the day's 09:00 jobs:
//   - tasks 1, 4, 5, 8, 10 keep pace: on each request day they report the expected progress + 5,
//     and they are done on 20 December;
//   - task 2 keeps pace but skips May and September (chased twice);
//   - task 3 never reports (chased every month, yellow every week from late February);
//   - task 6 (deadline moved to 27 September) reports until August, then goes overdue over the
//     National Day holiday (escalated to the chair and its 分管校领导) and is done on 21 October;
//   - task 7 (deadline 8 October, right after National Day) keeps pace and is done on 8 October;
//   - task 9 (三八, 8 March) falls behind in January and February, then is done on 7 March.
func (s *sim) script(d time.Time) {
	ds := d.Format(time.DateOnly)
	pace := tasks.Pace{}
	keep := func(n int) {
		tk, _ := s.db.TaskByID(context.Background(), s.ids[n])
		if tk.Done() {
			return
		}
		s.update(d, n, min(99, pace.Colour(tk, d).Expected+5))
	}
	if slices.Contains(requestDays, ds) {
		for _, n := range []int{1, 4, 5, 8, 10} {
			keep(n)
		}
		if d.Month() != time.May && d.Month() != time.September {
			keep(2)
		}
		if d.Month() <= time.August {
			keep(6)
		}
		keep(7)
	}
	switch ds {
	case "2024-01-25":
		s.update(d, 9, 50)
	case "2024-02-23":
		s.update(d, 9, 85)
	case "2024-03-07":
		s.update(d, 9, 100)
	case "2024-10-08":
		s.update(d, 7, 100)
	case "2024-10-21":
		s.update(d, 6, 100)
	case "2024-12-20":
		for _, n := range []int{1, 2, 4, 5, 8, 10} {
			s.update(d, n, 100)
		}
	}
}

// sent is one reminder as the reminders table records it.
type sent struct {
	what, recipient, day, status string
}

// reminders lists every reminder: what (the key's first part), recipient and the day it was due.
func (s *sim) reminders() []sent {
	s.t.Helper()
	var rows []store.ReminderRow
	if err := s.db.Select(context.Background(), &rows, `SELECT reminder_key, job, recipient, due_at, run_at, created_at, outbox_id, status FROM reminders`); err != nil {
		s.t.Fatal(err)
	}
	out := make([]sent, 0, len(rows))
	for _, r := range rows {
		what, _, _ := strings.Cut(r.Key, ":")
		out = append(out, sent{what, r.Recipient, r.DueAt.In(shanghai).Format(time.DateOnly), r.Status})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.recipient+a.day+a.what < b.recipient+b.day+b.what
	})
	return out
}

// of lists "what day" of one recipient's reminders, optionally of one kind.
func of(rs []sent, recipient, what string) []string {
	var out []string
	for _, r := range rs {
		if r.recipient == recipient && (what == "" || r.what == what) {
			if what == "" {
				out = append(out, r.what+" "+r.day[5:])
			} else {
				out = append(out, r.day[5:])
			}
		}
	}
	return out
}

func TestSimulatedYear(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSim(t, db)
		for d := day("2024-01-01"); d.Year() == 2024; d = d.AddDate(0, 0, 1) {
			s.runDay(d)
			s.script(d)
		}
		rs := s.reminders()
		for _, r := range rs {
			if r.status != store.ReminderSent {
				t.Errorf("%+v: not sent on time", r)
			}
		}
		short := func(dates ...string) []string {
			out := make([]string, len(dates))
			for i, d := range dates {
				out[i] = d[5:]
			}
			return out
		}
		chases := []string{"01-30", "02-28", "03-28", "04-29", "05-29", "06-28", "07-30", "08-28", "09-29", "10-30", "11-28", "12-30"}
		tests := []struct {
			name, recipient, what string
			want                  []string
		}{
			// Monthly requests: the 25th or the workday before (05-25 Sat → 05-24, 08-25 Sun → 08-23).
			{"task 3 monthly", "ou_o3", "task.monthly", short(requestDays...)},
			// Chases 3 workdays later, counting the 调休 Sundays 04-28 and 09-29 as workdays.
			{"task 3 chased monthly", "ou_o3", "task.chase", chases},
			{"task 2 chased when it skipped", "ou_o2", "task.chase", []string{"05-29", "09-29"}},
			{"pace keeper never chased", "ou_o4", "task.chase", nil},
			{"task 3 deadline −7/−3/−1 (12-28 Sat → 12-27)", "ou_o3", "deadline", []string{"12-24", "12-27", "12-30"}},
			// Task 6: −7/−3/−1 before 09-27, then overdue from the first workday after (09-29, a 调休
			// Sunday) every 3 workdays across National Day (10-01..07 off, 10-12 Sat a workday).
			{"task 6 deadline", "ou_o6", "task.deadline-7", []string{"09-20"}},
			{"task 6 deadline −3", "ou_o6", "task.deadline-3", []string{"09-24"}},
			{"task 6 deadline −1", "ou_o6", "task.deadline-1", []string{"09-26"}},
			{"task 6 overdue", "ou_o6", "task.overdue", []string{"09-29", "10-09", "10-12", "10-16", "10-21"}},
			{"task 6 monthly until done", "ou_o6", "task.monthly", short(requestDays[:9]...)},
			{"task 6 chased in September", "ou_o6", "task.chase", []string{"09-29"}},
			{"escalated to the chair after 5 workdays", "ou_chair", "task.escalate", []string{"10-11", "10-15", "10-18"}},
			{"escalated to the 分管校领导", "ou_leader", "", []string{"task.escalate 10-11", "task.escalate 10-15", "task.escalate 10-18"}},
			// Task 7: 10-08 − 7, 3 and 1 days all fall in National Day: one reminder, on 09-30.
			{"task 7 before National Day", "ou_o7", "task.deadline-1", []string{"09-30"}},
			{"task 7 no other deadline reminder", "ou_o7", "task.deadline-3", nil},
			{"task 7 no overdue", "ou_o7", "task.overdue", nil},
			// Task 9 (三八): −7 Fri, −3 Tue, −1 Thu; yellow in the weeks it was behind, including the
			// Spring Festival 调休 Sunday 02-18.
			{"task 9 deadline −7", "ou_o9", "task.deadline-7", []string{"03-01"}},
			{"task 9 deadline −3", "ou_o9", "task.deadline-3", []string{"03-05"}},
			{"task 9 deadline −1", "ou_o9", "task.deadline-1", []string{"03-07"}},
			{"task 9 yellow", "ou_o9", "task.yellow", []string{"01-11", "01-15", "01-22", "02-18", "02-19"}},
			{"task 9 monthly", "ou_o9", "task.monthly", []string{"01-25", "02-23"}},
			{"task 9 no chase", "ou_o9", "task.chase", nil},
			// Milestone 06-30 (Sun): −7 → 06-21 Fri, −3 06-27, −1 06-29 Sat → 06-28; both owners.
			{"milestone", "ou_o1", "task.milestone-7", []string{"06-21"}},
			{"milestone −3", "ou_o11", "task.milestone-3", []string{"06-27"}},
			{"milestone −1", "ou_o11", "task.milestone-1", []string{"06-28"}},
			{"pace keeper: monthly only", "ou_o4", "", []string{"task.monthly 01-25", "task.monthly 02-23", "task.monthly 03-25",
				"task.monthly 04-25", "task.monthly 05-24", "task.monthly 06-25", "task.monthly 07-25", "task.monthly 08-23",
				"task.monthly 09-25", "task.monthly 10-25", "task.monthly 11-25"}},
			{"reports to the chair", "ou_chair", "task.report", []string{"04-01", "07-01", "10-01"}},
			{"reports to the officer", "ou_officer", "", []string{"task.report 04-01", "task.report 07-01", "task.report 10-01"}},
		}
		for _, tc := range tests {
			var got []string
			if tc.what == "deadline" {
				for _, w := range []string{"task.deadline-7", "task.deadline-3", "task.deadline-1"} {
					got = append(got, of(rs, tc.recipient, w)...)
				}
			} else {
				got = of(rs, tc.recipient, tc.what)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: %s %s\n got %v\nwant %v", tc.name, tc.recipient, tc.what, got, tc.want)
			}
		}

		// Task 3 is yellow from 02-28 (expected 59/366 = 16% > 15) to the end: once a week, on the
		// week's first workday (06-11 after the Dragon Boat Monday, 09-18 after Mid-Autumn, 10-08
		// after National Day), to its owner and the lead unit's head.
		yellow3 := of(rs, "ou_o3", "task.yellow")
		if len(yellow3) != 45 || yellow3[0] != "02-28" || yellow3[1] != "03-04" || !slices.Contains(yellow3, "06-11") ||
			!slices.Contains(yellow3, "09-18") || !slices.Contains(yellow3, "10-08") || slices.Contains(yellow3, "10-07") {
			t.Errorf("task 3 yellow: %d %v", len(yellow3), yellow3)
		}
		head := of(rs, "ou_head", "task.yellow")
		if len(head) != 45+5 {
			t.Errorf("lead unit head: %d yellow notices, want 50: %v", len(head), head)
		}
		// The weekly digest goes to the chair on each of the 53 Mondays of 2024.
		if got := of(rs, "ou_chair", "task.digest"); len(got) != 53 || got[0] != "01-01" || got[52] != "12-30" {
			t.Errorf("digests: %d %v", len(got), got)
		}
		// Totals: nothing beyond what the pattern explains.
		counts := map[string]int{}
		for _, r := range rs {
			counts[r.what]++
		}
		want := map[string]int{
			// 12 for task 3; 11 each for the 7 owners of the pace keepers and task 2 (done 12-20);
			// 9 for task 6 and for task 7 (done in October); 2 for task 9 (done in March).
			"task.monthly":     12 + 11*7 + 9 + 9 + 2,
			"task.chase":       12 + 2 + 1,
			"task.deadline-7":  3,
			"task.deadline-3":  3,
			"task.deadline-1":  4,
			"task.milestone-7": 2, "task.milestone-3": 2, "task.milestone-1": 2,
			"task.yellow":   (45 + 5) * 2,
			"task.overdue":  5,
			"task.escalate": 6,
			"task.digest":   53,
			"task.report":   6,
		}
		for k, v := range want {
			if counts[k] != v {
				t.Errorf("%s: %d reminders, want %d", k, counts[k], v)
			}
		}
		for k := range counts {
			if _, ok := want[k]; !ok {
				t.Errorf("unexpected reminders %s: %d", k, counts[k])
			}
		}
		// Each report is an .xlsx file reminder, 1:1, at office hours: the
		// report of 1 October (National Day) is delivered on 8 October after 09:00.
		var files []struct {
			ReceiveID string    `db:"receive_id"`
			FileName  string    `db:"file_name"`
			Next      time.Time `db:"next_attempt_at"`
		}
		if err := db.Select(context.Background(), &files, `SELECT receive_id, file_name, next_attempt_at FROM outbox WHERE kind = 'file' ORDER BY next_attempt_at, receive_id`); err != nil {
			t.Fatal(err)
		}
		if len(files) != 6 || files[4].FileName != "2024年十件实事第3季度督办报告_20240930.xlsx" ||
			files[4].Next.In(shanghai).Format("2006-01-02 15") != "2024-10-08 09" || files[4].Next.In(shanghai).Minute() == 0 {
			t.Errorf("report files: %+v", files)
		}

		// A restart that runs a day again sends nothing new.
		before := len(s.reminders())
		var outbox int
		db.Get(context.Background(), &outbox, `SELECT COUNT(*) FROM outbox`)
		for _, d := range []string{"2024-10-11", "2024-12-30"} {
			for _, name := range jobNames {
				if err := s.e.RunJob(context.Background(), name, at(d, 9, 0)); err != nil {
					t.Fatal(err)
				}
			}
		}
		var outbox2 int
		db.Get(context.Background(), &outbox2, `SELECT COUNT(*) FROM outbox`)
		if after := len(s.reminders()); after != before || outbox2 != outbox {
			t.Errorf("running days again: reminders %d → %d, outbox %d → %d", before, after, outbox, outbox2)
		}
	})
}

// TestCatchUpAfterDowntime: the bot is down from 09-26 to 09-30 10:00: the reminders due on
// 09-27 and 09-29 (a 调休 Sunday) are sent once, late, and say so; after a longer outage
// (National Day) those older than jobs.drop_after are dropped, not flooded.
func TestCatchUpAfterDowntime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		s := newSim(t, db)
		s.runDay(day("2024-09-26"))
		wake := at("2024-09-30", 10, 0)
		s.clk.Set(wake)
		for _, name := range jobNames {
			if err := s.e.RunJob(context.Background(), name, wake); err != nil {
				t.Fatal(err)
			}
		}
		rs := s.reminders()
		status := map[string]string{}
		for _, r := range rs {
			if r.recipient == "ou_o6" {
				status[r.what+" "+r.day[5:]] = r.status
			}
		}
		for _, k := range []string{"task.overdue 09-29", "task.chase 09-29"} {
			if status[k] != store.ReminderLate {
				t.Errorf("%s: %q, want late (%v)", k, status[k], status)
			}
		}
		var content string
		db.Get(context.Background(), &content, `SELECT o.content FROM reminders r JOIN outbox o ON o.id = r.outbox_id
			WHERE r.reminder_key LIKE 'task.overdue:%:ou_o6:2024-09-29'`)
		if !strings.Contains(content, "迟发提醒") {
			t.Errorf("late overdue reminder does not say so: %.300s", content)
		}
		// Down again until 10-08 10:00 (National Day): what was due more than jobs.drop_after (72h)
		// ago, like the quarterly report of 10-01, is not sent at all; the digest of Monday 10-07
		// goes out once, late.
		wake = at("2024-10-08", 10, 0)
		s.clk.Set(wake)
		for _, name := range jobNames {
			if err := s.e.RunJob(context.Background(), name, wake); err != nil {
				t.Fatal(err)
			}
		}
		rs = s.reminders()
		got := map[string]string{}
		for _, r := range rs {
			got[r.what+" "+r.recipient+" "+r.day[5:]] = r.status
		}
		if _, ok := got["task.report ou_chair 10-01"]; ok {
			t.Errorf("the report of 10-01 was sent after 7 days down")
		}
		if got["task.digest ou_chair 10-07"] != store.ReminderLate {
			t.Errorf("digest of 10-07: %q", got["task.digest ou_chair 10-07"])
		}
		if _, ok := got["task.overdue ou_o6 10-08"]; ok { // the third overdue workday: not a reminder day
			t.Errorf("overdue reminder on 10-08")
		}
		if got["task.yellow ou_o3 10-08"] != store.ReminderLate {
			t.Errorf("yellow of 10-08: %q", got["task.yellow ou_o3 10-08"])
		}
	})
}
