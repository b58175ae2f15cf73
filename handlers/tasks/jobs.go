package tasks

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Job names.
const (
	JobMonthly   = "tasks.monthly"
	JobDeadlines = "tasks.deadlines"
	JobYellow    = "tasks.yellow"
	JobOverdue   = "tasks.overdue"
	JobDigest    = "tasks.digest"
	JobReport    = "tasks.report"
)

// Cadence is the tracker's reminder jobs. Each job computes, for every day whose reminder
// moment (the day at tasks.remind_time) lies in the run's window (Since, At], what was due on
// that day from the tasks in the database and the workday calendar, and sends it under a
// unique key: what:task:recipient:date. A run repeated, a crash, a second replica or a catch-up
// after downtime therefore never sends anything twice. Every task reminder is an officer
// reminder (Office: workdays, 09:00 plus jitter, never at night).
type Cadence struct {
	*Handlers
	remindDays []int
	hour, min  int
}

// NewCadence returns the jobs for d (d.Config.Tasks, or the defaults).
func NewCadence(d handlers.Deps) (*Cadence, error) {
	th := New(d)
	days, err := config.ParseRemindDays(th.Cfg.RemindDays)
	if err != nil {
		return nil, fmt.Errorf("tasks.remind_days: %w", err)
	}
	h, m := th.Cfg.RemindClock()
	return &Cadence{Handlers: th, remindDays: days, hour: h, min: m}, nil
}

// Jobs lists the tracker's jobs.
func (c *Cadence) Jobs() []jobs.Job {
	return []jobs.Job{
		{Name: JobMonthly, Spec: c.Cfg.Schedule, Run: c.monthly,
			Help: fmt.Sprintf("ten tasks: progress request on the %dth (previous workday), chase %d workdays later", c.Cfg.MonthlyDay, c.Cfg.ChaseWorkdays)},
		{Name: JobDeadlines, Spec: c.Cfg.Schedule, Run: c.deadlines,
			Help: "ten tasks: deadline and milestone reminders (" + c.Cfg.RemindDays + " days before, on a workday)"},
		{Name: JobYellow, Spec: c.Cfg.Schedule, Run: c.yellow, Help: "ten tasks: behind-pace notices (at most weekly per task)"},
		{Name: JobOverdue, Spec: c.Cfg.Schedule, Run: c.overdue, Help: "ten tasks: overdue notices and escalation to the chair"},
		{Name: JobDigest, Spec: c.Cfg.DigestSchedule, Run: c.digest, Help: "ten tasks: weekly digest to the chair"},
		{Name: JobReport, Spec: c.Cfg.ReportSchedule, Run: c.report, Help: "ten tasks: quarterly Excel report to the chair and officers"},
	}
}

// dueAt is the reminder moment of a date: the day at tasks.remind_time.
func (c *Cadence) dueAt(d time.Time, loc *time.Location) time.Time {
	return time.Date(d.Year(), d.Month(), d.Day(), c.hour, c.min, 0, 0, loc)
}

// days lists the dates whose reminder moment lies in the run's window, oldest first.
func (c *Cadence) days(r *jobs.Run) []time.Time {
	from, to := r.Window()
	var out []time.Time
	for d := r.Cal.Date(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		if due := c.dueAt(d, r.Loc); due.After(from) && !due.After(to) {
			out = append(out, d)
		}
	}
	return out
}

func ymd(d time.Time) string { return d.Format(time.DateOnly) }

// parseDay reads a task date in the run's zone.
func parseDay(r *jobs.Run, s string) time.Time {
	d, _ := r.Cal.Parse(s)
	return d
}

// remind sends one card to each recipient (open_ids, each once) under key what:task:recipient:date.
func (c *Cadence) remind(ctx context.Context, r *jobs.Run, tx *store.Tx, what, entity string, date time.Time, due time.Time, to []string, cd *card.Card) error {
	seen := map[string]bool{}
	for _, o := range to {
		if o == "" || seen[o] {
			continue
		}
		seen[o] = true
		key := fmt.Sprintf("%s:%s:%s:%s", what, entity, o, ymd(date))
		if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: key, Due: due, OpenID: o, Card: cd, Office: true}); err != nil {
			return err
		}
	}
	return nil
}

func ownerIDs(t *store.Task) []string {
	var out []string
	for _, m := range t.Owners {
		if m.OpenID != "" && m.Active {
			out = append(out, m.OpenID)
		}
	}
	return out
}

// forEachDay runs f for every date of the window, in one transaction per date.
func (c *Cadence) forEachDay(ctx context.Context, r *jobs.Run, f func(tx *store.Tx, d time.Time, ts []*store.Task) error) error {
	days := c.days(r)
	if len(days) == 0 {
		return nil
	}
	ts, err := r.DB.OpenTasks(ctx)
	if err != nil {
		return err
	}
	for _, d := range days {
		if err := r.DB.InTx(ctx, func(tx *store.Tx) error { return f(tx, d, ts) }); err != nil {
			return err
		}
	}
	return nil
}

// requestDay is the monthly request's date in d's month: tasks.monthly_day, moved to the
// workday before when it is not a workday.
func (c *Cadence) requestDay(r *jobs.Run, year int, month time.Month) time.Time {
	return r.Cal.PrevWorkday(time.Date(year, month, c.Cfg.MonthlyDay, 0, 0, 0, 0, r.Loc))
}

// started reports whether a task had started (and existed) by date d.
func started(r *jobs.Run, t *store.Task, d time.Time) bool {
	return !parseDay(r, t.StartDate).After(d) && !r.Cal.Date(t.CreatedAt).After(d)
}

// monthly sends the progress request on the request day and the chase N workdays later to
// the responsible members of tasks with no update since the request.
func (c *Cadence) monthly(ctx context.Context, r *jobs.Run) error {
	return c.forEachDay(ctx, r, func(tx *store.Tx, d time.Time, ts []*store.Task) error {
		req := c.requestDay(r, d.Year(), d.Month())
		if d.Equal(req) {
			for _, t := range ts {
				if !started(r, t, d) {
					continue
				}
				cd := c.reminderCard(t, "📋 请更新实事进度", card.Blue,
					fmt.Sprintf("本月进度更新时间到了。当前进度 %d%%，完成时限 %s。请点击「更新进度」填写本月进展和需协调解决的问题。", t.Progress, t.Deadline))
				if err := c.remind(ctx, r, tx, "task.monthly", fmt.Sprint(t.ID), d, c.dueAt(d, r.Loc), ownerIDs(t), cd); err != nil {
					return err
				}
			}
		}
		if c.Cfg.ChaseWorkdays == 0 {
			return nil
		}
		for _, m := range []time.Time{d, time.Date(d.Year(), d.Month()-1, 1, 0, 0, 0, 0, r.Loc)} {
			req := c.requestDay(r, m.Year(), m.Month())
			if !r.Cal.AddWorkdays(req, c.Cfg.ChaseWorkdays).Equal(d) {
				continue
			}
			asked := c.dueAt(req, r.Loc)
			for _, t := range ts {
				if !started(r, t, req) || (t.LastUpdateAt != nil && !t.LastUpdateAt.Before(asked)) {
					continue
				}
				cd := c.reminderCard(t, "⏰ 尚未收到本月进度", card.Orange,
					fmt.Sprintf("%s 发出的进度更新请求还没有收到回复。当前进度 %d%%，完成时限 %s。请尽快更新。", ymd(req), t.Progress, t.Deadline))
				if err := c.remind(ctx, r, tx, "task.chase", fmt.Sprint(t.ID), req, c.dueAt(d, r.Loc), ownerIDs(t), cd); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// sendDay is when a reminder n days before target goes out: the nearest workday at or before.
// When several of the offsets fall on the same workday (before a long holiday), only the
// smallest is sent that day, so nobody gets three reminders at once.
func (c *Cadence) beforeReminder(r *jobs.Run, target, d time.Time) (int, bool) {
	best := 0
	for _, n := range c.remindDays { // largest first
		if r.Cal.PrevWorkday(target.AddDate(0, 0, -n)).Equal(d) {
			best = n
		}
	}
	return best, best > 0
}

// deadlines sends the −7/−3/−1 (tasks.remind_days) reminders of deadlines and milestones.
func (c *Cadence) deadlines(ctx context.Context, r *jobs.Run) error {
	return c.forEachDay(ctx, r, func(tx *store.Tx, d time.Time, ts []*store.Task) error {
		for _, t := range ts {
			if !started(r, t, d) {
				continue
			}
			deadline := parseDay(r, t.Deadline)
			if n, ok := c.beforeReminder(r, deadline, d); ok {
				cd := c.reminderCard(t, fmt.Sprintf("⏳ 距完成时限还有 %d 天", daysBetween(d, deadline)), card.Blue,
					fmt.Sprintf("完成时限 %s，当前进度 %d%%。如确实无法按期完成，请及时申请延期。", t.Deadline, t.Progress))
				if err := c.remind(ctx, r, tx, fmt.Sprintf("task.deadline-%d", n), fmt.Sprint(t.ID), deadline, c.dueAt(d, r.Loc), ownerIDs(t), cd); err != nil {
					return err
				}
			}
			for _, m := range t.Milestones {
				if m.Status == store.MilestoneDone {
					continue
				}
				planned := parseDay(r, m.Planned)
				if n, ok := c.beforeReminder(r, planned, d); ok {
					cd := c.reminderCard(t, fmt.Sprintf("⏳ 节点距计划日期还有 %d 天", daysBetween(d, planned)), card.Blue,
						fmt.Sprintf("节点「%s」计划 %s 完成。完成后请在「更新进度」中勾选该节点并附上佐证材料。", md(m.Name), m.Planned))
					if err := c.remind(ctx, r, tx, fmt.Sprintf("task.milestone-%d", n), fmt.Sprintf("%d.%d", t.ID, m.ID), planned,
						c.dueAt(d, r.Loc), ownerIDs(t), cd); err != nil {
						return err
					}
				}
			}
		}
		return nil
	})
}

// yellow tells the responsible members and the lead unit's head that a task is behind pace,
// on workdays, at most once per task and week.
func (c *Cadence) yellow(ctx context.Context, r *jobs.Run) error {
	return c.forEachDay(ctx, r, func(tx *store.Tx, d time.Time, ts []*store.Task) error {
		if !r.Cal.IsWorkday(d) {
			return nil
		}
		monday := d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
		for _, t := range ts {
			if !started(r, t, d) {
				continue
			}
			j := c.Pace.Colour(t, d)
			if j.Colour != Yellow {
				continue
			}
			to := ownerIDs(t)
			if t.LeadHead != nil && t.LeadHead.Active {
				to = append(to, t.LeadHead.OpenID)
			}
			cd := c.reminderCard(t, "🟡 实事进度落后", card.Yellow,
				fmt.Sprintf("按时间进度应完成约 %d%%，实际 %d%%（完成时限 %s）。请加快推进，或在「更新进度」中说明需协调解决的问题。", j.Expected, t.Progress, t.Deadline))
			if err := c.remind(ctx, r, tx, "task.yellow", fmt.Sprint(t.ID), monday, c.dueAt(d, r.Loc), to, cd); err != nil {
				return err
			}
		}
		return nil
	})
}

// overdue reminds the responsible members on a task's first overdue workday and every
// tasks.overdue_every_workdays after; from tasks.escalate_after_workdays on, the chair and the
// 分管校领导 (when a member) are told too, every tasks.overdue_every_workdays.
func (c *Cadence) overdue(ctx context.Context, r *jobs.Run) error {
	var chairs []string
	loaded := false
	return c.forEachDay(ctx, r, func(tx *store.Tx, d time.Time, ts []*store.Task) error {
		if !r.Cal.IsWorkday(d) {
			return nil
		}
		every, esc := c.Cfg.OverdueEveryWorkdays, c.Cfg.EscalateAfterWorkdays
		for _, t := range ts {
			deadline := parseDay(r, t.Deadline)
			if !deadline.Before(d) {
				continue
			}
			day0 := r.Cal.NextWorkday(deadline.AddDate(0, 0, 1))
			k := r.Cal.WorkdaysBetween(day0, d)
			late := daysBetween(deadline, d)
			if k%every == 0 {
				cd := c.reminderCard(t, fmt.Sprintf("🔴 实事已逾期 %d 天", late), card.Red,
					fmt.Sprintf("完成时限 %s 已过，当前进度 %d%%。请尽快完成并更新进度；确需延期请申请延期。", t.Deadline, t.Progress))
				if err := c.remind(ctx, r, tx, "task.overdue", fmt.Sprint(t.ID), d, c.dueAt(d, r.Loc), ownerIDs(t), cd); err != nil {
					return err
				}
			}
			if esc > 0 && k >= esc && (k-esc)%every == 0 {
				if !loaded {
					var err error
					if chairs, err = roleOpenIDs(ctx, r.DB, store.RoleChair); err != nil {
						return err
					}
					loaded = true
				}
				to := slices.Clone(chairs)
				if t.LeaderMemberID != 0 {
					if m, err := tx.MemberByID(ctx, t.LeaderMemberID); err == nil && m.Active {
						to = append(to, m.OpenID)
					}
				}
				cd := c.reminderCard(t, fmt.Sprintf("🔴 实事逾期督办：已逾期 %d 个工作日", k+1), card.Carmine,
					fmt.Sprintf("完成时限 %s，当前进度 %d%%，责任人 %s。%s", t.Deadline, t.Progress, md(t.OwnerNames()), problemsLine(t)))
				if err := c.remind(ctx, r, tx, "task.escalate", fmt.Sprint(t.ID), d, c.dueAt(d, r.Loc), to, cd); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

func problemsLine(t *store.Task) string {
	if t.Problems == "" {
		return ""
	}
	return "需协调解决的问题：" + md(t.Problems)
}

// roleOpenIDs lists the open_ids of the active holders of a role.
func roleOpenIDs(ctx context.Context, db *store.DB, roles ...string) ([]string, error) {
	holders, err := db.RoleHolders(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, h := range holders {
		if slices.Contains(roles, h.Role) && h.Active && h.OpenID != "" && !slices.Contains(out, h.OpenID) {
			out = append(out, h.OpenID)
		}
	}
	return out, nil
}

// digest sends the chair the week's board: the counts by colour and every task that needs
// attention (red, yellow, blue), with the problems needing coordination.
func (c *Cadence) digest(ctx context.Context, r *jobs.Run) error {
	moments, err := r.Occurrences(c.Cfg.DigestSchedule)
	if err != nil || len(moments) == 0 {
		return err
	}
	chairs, err := roleOpenIDs(ctx, r.DB, store.RoleChair)
	if err != nil || len(chairs) == 0 {
		return err
	}
	for _, at := range moments {
		d := r.Cal.Date(at)
		ts, err := r.DB.TasksByYear(ctx, d.Year())
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			continue
		}
		cd := c.DigestCard(d, ts)
		if err := r.DB.InTx(ctx, func(tx *store.Tx) error {
			return c.remind(ctx, r, tx, "task.digest", fmt.Sprint(d.Year()), d, at, chairs, cd)
		}); err != nil {
			return err
		}
	}
	return nil
}

// DigestCard is the weekly digest of a year's tasks on day d.
func (c *Cadence) DigestCard(d time.Time, ts []*store.Task) *card.Card {
	counts := map[Colour]int{}
	var lines []string
	for _, t := range ts {
		j := c.Pace.Colour(t, d)
		counts[j.Colour]++
		switch j.Colour {
		case Red, Yellow, Blue:
			line := fmt.Sprintf("%s %d. %s：%d%%（时限 %s，责任人 %s）", colours[j.Colour].Emoji, t.Number, md(t.Title), t.Progress,
				t.Deadline, md(t.OwnerNames()))
			if t.Problems != "" {
				line += "\n  需协调：" + md(t.Problems)
			}
			lines = append(lines, line)
		}
	}
	var summary []string
	for _, col := range colourOrder {
		summary = append(summary, fmt.Sprintf("%s %s %d", colours[col].Emoji, colours[col].Name, counts[col]))
	}
	body := "本周没有需要督办的任务。"
	if len(lines) > 0 {
		body = "**需要关注**\n" + strings.Join(lines, "\n")
	}
	return card.New(fmt.Sprintf("%d 年十件实事周报", d.Year())).Color(card.Indigo).Subtitle("截至 "+ymd(d)).Add(
		card.Markdown(strings.Join(summary, " · ")), card.Markdown(body),
		card.Buttons(card.Button{Text: card.T("查看总览"), Type: card.Primary, Value: card.Action(actBoard).With("year", d.Year())}))
}

// reminderCard is a reminder about one task, with its buttons.
func (c *Cadence) reminderCard(t *store.Task, title string, col card.Color, text string) *card.Card {
	return card.New(title).Color(col).Add(
		card.Markdown(fmt.Sprintf("**%d 年实事 %d：%s**\n%s", t.Year, t.Number, md(t.Title), text)),
		card.Markdown("`"+Bar(t.Progress)+"`"),
		card.Buttons(
			card.Button{Text: card.T("更新进度"), Type: card.Primary, Value: card.Action(actProgressForm).With("task_id", t.ID)},
			card.Button{Text: card.T("查看任务"), Value: card.Action(actShow).With("task_id", t.ID)}))
}
