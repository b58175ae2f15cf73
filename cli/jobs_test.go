package cli

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store/storetest"
)

func TestJobsListAndRunAt(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			env, db := cliEnv(t, dialect)
			code, out, errOut := cli(t, env, "jobs", "list")
			if code != 0 || !strings.Contains(out, "prune") || !strings.Contains(out, "calendar.check") ||
				!strings.Contains(out, "0 10 * 12 *") || !strings.Contains(out, "never") {
				t.Fatalf("jobs list: %d\n%s\n%s", code, out, errOut)
			}
			// Not December, or next year has statutory data: nothing to say.
			for _, at := range []string{"2026-11-30T10:00", "2025-12-01T10:00"} {
				if code, out, errOut := cli(t, env, "jobs", "run", "calendar.check", "-at", at); code != 0 || !strings.Contains(out, "0 reminders enqueued") {
					t.Fatalf("run at %s: %d\n%s\n%s", at, code, out, errOut)
				}
			}
			// 2026-12-01 10:00: 2027 has no holiday data, so both admins are warned, once.
			code, out, errOut = cli(t, env, "jobs", "run", "calendar.check", "-at", "2026-12-01T10:00")
			if code != 0 || !strings.Contains(out, "2 reminders enqueued") {
				t.Fatalf("first run: %d\n%s\n%s", code, out, errOut)
			}
			code, out, errOut = cli(t, env, "jobs", "run", "calendar.check", "-at", "2026-12-01T10:00")
			if code != 0 || !strings.Contains(out, "0 reminders enqueued") {
				t.Fatalf("second run: %d\n%s\n%s", code, out, errOut)
			}
			// A later day of December, in RFC 3339: still nothing new (once a year).
			code, out, _ = cli(t, env, "jobs", "run", "calendar.check", "-at", "2026-12-15T10:00:00+08:00")
			if code != 0 || !strings.Contains(out, "0 reminders enqueued") {
				t.Fatalf("later run: %d\n%s", code, out)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 2 {
				t.Errorf("outbox rows = %d, want 2", n)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM outbox WHERE receive_id IN ('ou_admin1', 'ou_admin2') AND content LIKE '%2027%'`); n != 2 {
				t.Errorf("warnings to the admins = %d, want 2", n)
			}
			// Each run gave its lease back when it ended: no holder is left, so the next run (by
			// hand, or a replica's cron) is not refused.
			if n := count(t, db, `SELECT COUNT(*) FROM job_leases WHERE holder <> ''`); n != 0 {
				t.Errorf("%d leases still held after the runs ended", n)
			}
			code, out, _ = cli(t, env, "jobs", "list")
			if code != 0 || !strings.Contains(out, "2026-12-15 10:00") || !strings.Contains(out, "ok, 0 sent") {
				t.Errorf("jobs list after runs:\n%s", out)
			}
			for _, args := range [][]string{
				{"jobs", "run", "nope"},
			} {
				if code, _, errOut := cli(t, env, args...); code != 1 || !strings.Contains(errOut, "nope") {
					t.Errorf("%v: %d %s", args, code, errOut)
				}
			}
			for _, args := range [][]string{
				{"jobs"}, {"jobs", "run"}, {"jobs", "frob"}, {"jobs", "run", "prune", "-at", "next tuesday"},
				{"jobs", "run", "prune", "-at", "2024/03/25 09:00"},
			} {
				if code, _, errOut := cli(t, env, args...); code != 2 {
					t.Errorf("%v: code %d, want 2 (usage): %s", args, code, errOut)
				}
			}
		})
	}
}

func TestBadScheduleRefusesStart(t *testing.T) {
	env := []string{"UNIONBOT_FEISHU_APP_ID=cli_x", "UNIONBOT_FEISHU_APP_SECRET=secret-secret",
		"UNIONBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "x.db"), "UNIONBOT_JOBS_CALENDAR_CHECK_SCHEDULE=0 10 * 13 *"}
	for _, args := range [][]string{{"serve"}, {"jobs", "list"}} {
		code, _, errOut := cli(t, env, args...)
		if code != 1 || !strings.Contains(errOut, "jobs.calendar_check_schedule") || !strings.Contains(errOut, "cron") {
			t.Errorf("%v: code %d\n%s", args, code, errOut)
		}
	}
}
