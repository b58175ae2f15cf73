package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store/storetest"
)

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
