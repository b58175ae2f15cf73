package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// jobsCommand is `unionbot jobs list` and `unionbot jobs run NAME [--at TIME]`.
func jobsCommand() *command {
	var at string
	return &command{name: "jobs", usage: "jobs list | jobs run NAME [-at TIME] [-config PATH]",
		help: "List the scheduled jobs (schedule, last run and outcome, next run), or run one job once now or as if\n" +
			"it were TIME (2024-03-25T09:00 in the configured time zone, or RFC 3339). A run honours the job's lease\n" +
			"(it refuses while another replica runs the job) and the reminders' unique keys (nothing is sent twice).",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&at, "at", "", "run as if it were this time (2024-03-25T09:00 or RFC 3339)")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdJobs(ctx, e, args, at) },
	}
}

// openForJobs opens what the job engine needs, without the transports.
func openForJobs(ctx context.Context, e *env) (*app.Main, error) {
	c, err := validConfig(e)
	if err != nil {
		return nil, err
	}
	m := &app.Main{Config: c, Log: app.NewLogger(c, e.stderr), Now: time.Now}
	if m.DB, err = app.OpenDB(ctx, c, m.Log); err != nil {
		return nil, err
	}
	m.Lark = app.NewLarkClient(c, m.Log)
	if m.Jobs, err = app.NewJobs(ctx, m); err != nil {
		m.DB.Close()
		return nil, err
	}
	return m, nil
}

func cmdJobs(ctx context.Context, e *env, args []string, at string) error {
	if len(args) == 0 {
		return usageError{"want: jobs list, or jobs run NAME [-at TIME]"}
	}
	switch args[0] {
	case "list":
		if len(args) != 1 {
			return usageError{"unexpected argument " + args[1]}
		}
	case "run":
		if len(args) != 2 {
			return usageError{"want: jobs run NAME [-at TIME]"}
		}
	default:
		return usageError{"unknown jobs subcommand " + args[0]}
	}
	m, err := openForJobs(ctx, e)
	if err != nil {
		return err
	}
	defer m.DB.Close()
	loc := m.Config.Location()
	if args[0] == "list" {
		return listJobs(ctx, e, m)
	}
	name := args[1]
	when := m.Now()
	if at != "" {
		if when, err = parseAt(at, loc); err != nil {
			return err
		}
	}
	err = m.Jobs.RunJob(ctx, name, when)
	var busy *jobs.BusyError
	if errors.As(err, &busy) {
		return fmt.Errorf("job %s is running on %s (lease until %s); try again later", name, busy.Holder, busy.Until.In(loc).Format("2006-01-02 15:04:05"))
	}
	if last, lerr := m.DB.LastJobRun(ctx, name); lerr == nil && last != nil && last.Holder == m.Jobs.Holder() {
		fmt.Fprintf(e.stdout, "%s at %s: %s, %d reminders enqueued (%d late), %d dropped\n", name,
			when.In(loc).Format("2006-01-02 15:04:05"), last.Outcome, last.Sent, last.Late, last.Dropped)
		if last.Sent == 0 && ownerReminderJob(name) {
			if herr := jobsOwnersHint(ctx, e, m.DB, when.In(loc).Year()); herr != nil && err == nil {
				err = herr
			}
		}
	}
	return err
}

func listJobs(ctx context.Context, e *env, m *app.Main) error {
	loc := m.Config.Location()
	sts, err := m.Jobs.Statuses(ctx, m.Now())
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tSCHEDULE\tLAST RUN\tOUTCOME\tNEXT RUN\tHELP")
	const layout = "2006-01-02 15:04"
	for _, s := range sts {
		last, outcome := "never", "-"
		if s.Last != nil {
			last = s.Last.At.In(loc).Format(layout)
			outcome = s.Last.Outcome
			switch {
			case s.Last.Outcome == store.RunRunning && s.Lease != nil && s.Lease.Holder == s.Last.Holder &&
				s.Lease.ExpiresAt.After(m.Now()):
				outcome = "running on " + s.Last.Holder
			case s.Last.Outcome == store.RunRunning:
				outcome = "abandoned (holder died)"
			case s.Last.Outcome == store.RunError:
				outcome = "error: " + firstLine(s.Last.Error, 60)
			default:
				outcome = fmt.Sprintf("ok, %d sent", s.Last.Sent)
				if s.Last.Late > 0 || s.Last.Dropped > 0 {
					outcome += fmt.Sprintf(" (%d late, %d dropped)", s.Last.Late, s.Last.Dropped)
				}
			}
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", s.Job.Name, s.Job.Spec, last, outcome, s.Next.In(loc).Format(layout), s.Job.Help)
	}
	return w.Flush()
}

func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// parseAt reads -at: 2024-03-25T09:00 (or with seconds, or a space for T) in loc, or RFC 3339.
func parseAt(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("-at %q: want a time like 2024-03-25T09:00 (in %s) or RFC 3339", s, loc)}
}

// ownerReminderJob reports whether a job's reminders go to the tasks' responsible members.
func ownerReminderJob(name string) bool {
	switch name {
	case tasks.JobMonthly, tasks.JobDeadlines, tasks.JobYellow, tasks.JobOverdue:
		return true
	}
	return false
}

// jobsOwnersHint explains a task job's 0 reminders when the year's open tasks have nobody to
// remind, and says how to assign them.
func jobsOwnersHint(ctx context.Context, e *env, db *store.DB, year int) error {
	unowned, silent, err := unreachableTasks(ctx, db, year)
	if err != nil || unowned+silent == 0 {
		return err
	}
	if unowned > 0 {
		fmt.Fprintf(e.stdout, "%d open tasks of %d have no responsible member (责任人), so their reminders go to nobody: "+
			"assign them in chat (send 实事 to the bot, open the task card, press 指定责任人 / 时限 / 节点), "+
			"or load the year with `unionbot tasks import -f FILE` giving owners by 工号 (task numbers already loaded are left unchanged).\n", unowned, year)
	}
	if silent > 0 {
		fmt.Fprintf(e.stdout, "%d open tasks of %d have only responsible members who never messaged the bot (no open_id): "+
			"they get reminders once they send it a message.\n", silent, year)
	}
	return nil
}
