package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// cliEnv is the environment of a command-line test on a fresh database of the dialect.
func cliEnv(t *testing.T, dialect string) ([]string, *store.DB) {
	t.Helper()
	db, dsn := storetest.OpenDSN(t, dialect)
	return []string{"UNIONBOT_DATABASE_DRIVER=" + dialect, "UNIONBOT_DATABASE_DSN=" + dsn,
		"UNIONBOT_ADMINS=ou_admin1,ou_admin2", "UNIONBOT_LOG_LEVEL=error"}, db
}

func count(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Get(context.Background(), &n, query); err != nil {
		t.Fatal(err)
	}
	return n
}

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

func TestHolidaysImportFromFile(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			env, db := cliEnv(t, dialect)
			dir := t.TempDir()
			good := filepath.Join(dir, "2027.txt")
			os.WriteFile(good, []byte("# 2027 年节假日安排\n2027-01-01 休 元旦\n\n2027-02-06..2027-02-12 休 春节\n2027-02-14 班 春节调休\n"), 0o600)
			bad := filepath.Join(dir, "bad.txt")
			os.WriteFile(bad, []byte("2027-10-01..2027-10-07 休 国庆节\n2027/10/09 班 国庆调休\n"), 0o600)

			code, out, errOut := cli(t, env, "holidays", "import", "-f", bad)
			if code != 1 || !strings.Contains(errOut, "第 2 行") || !strings.Contains(errOut, "2027/10/09") ||
				!strings.Contains(errOut, "nothing was imported") {
				t.Errorf("bad file: %d\n%s\n%s", code, out, errOut)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM holiday_overrides`); n != 0 {
				t.Fatalf("a bad file wrote %d rows", n)
			}
			code, out, errOut = cli(t, env, "holidays", "import", "-f", good)
			if code != 0 || !strings.Contains(out, "8 days off, 1 working days") || !strings.Contains(out, "2月6日至2月12日 放假（7 天）") ||
				!strings.Contains(out, "2月14日（周日） 上班") {
				t.Fatalf("good file: %d\n%s\n%s", code, out, errOut)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM holiday_overrides`); n != 9 {
				t.Errorf("rows = %d, want 9", n)
			}
			// Importing the year again replaces it.
			os.WriteFile(good, []byte("2027-01-01 休 元旦\n"), 0o600)
			if code, out, _ := cli(t, env, "holidays", "import", "-f", good); code != 0 || !strings.Contains(out, "9 earlier entries replaced") {
				t.Errorf("re-import: %d\n%s", code, out)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM holiday_overrides`); n != 1 {
				t.Errorf("rows after re-import = %d, want 1", n)
			}
			if n := count(t, db, `SELECT COUNT(*) FROM audit_log WHERE entity = 'holidays'`); n != 2 {
				t.Errorf("audit entries = %d, want 2", n)
			}
			// Now 2027 has data: the December check stays quiet.
			if code, out, _ := cli(t, env, "jobs", "run", "calendar.check", "-at", "2026-12-01T10:00"); code != 0 || !strings.Contains(out, "0 reminders") {
				t.Errorf("check with data: %d %s", code, out)
			}
			if code, out, _ := cli(t, env, "holidays", "show", "2026"); code != 0 || !strings.Contains(out, "法定数据") || !strings.Contains(out, "春节") {
				t.Errorf("show 2026: %d\n%s", code, out)
			}
			if code, out, _ := cli(t, env, "holidays", "show", "2030"); code != 0 || !strings.Contains(out, "没有节假日数据") {
				t.Errorf("show 2030: %d\n%s", code, out)
			}
			for _, args := range [][]string{{"holidays"}, {"holidays", "import"}, {"holidays", "show", "year"}, {"holidays", "export"}} {
				if code, _, _ := cli(t, env, args...); code != 2 {
					t.Errorf("%v: code %d, want 2", args, code)
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
