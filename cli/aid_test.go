package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/store/storetest"
)

// TestAidCommands: enrolment and families from files (all or nothing, the bad line named) and
// the ledger written as Excel, on both databases.
func TestAidCommands(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			env, db := cliEnv(t, dialect)
			dir := t.TempDir()
			roster := filepath.Join(dir, "roster.csv")
			os.WriteFile(roster, []byte("姓名,工号,分工会\n张三,000123,机关分工会\n李四,000124,机关分工会\n王五,000125,外语分工会\n"), 0o600)
			if code, out, errOut := cli(t, env, "members", "import", roster); code != 0 {
				t.Fatalf("roster: %s %s", out, errOut)
			}
			bad := filepath.Join(dir, "bad.txt")
			os.WriteFile(bad, []byte("000123\n000999 # a typo\n"), 0o600)
			code, _, errOut := cli(t, env, "aid", "enrol", "-year", "2027", "-f", bad)
			if code != 1 || !strings.Contains(errOut, "第 2 行：找不到工号 000999") || count(t, db, `SELECT COUNT(*) FROM aid_enrolments`) != 0 {
				t.Errorf("bad enrol: %d %s", code, errOut)
			}
			good := filepath.Join(dir, "enrol.txt")
			os.WriteFile(good, []byte("\xef\xbb\xbf000123\n000124, 000125\n"), 0o600)
			if code, out, errOut := cli(t, env, "aid", "enrol", "-year", "2027", "-f", good); code != 0 || !strings.Contains(out, "enrolled 3 members, 0 were") {
				t.Errorf("enrol: %d %s %s", code, out, errOut)
			}
			if code, out, _ := cli(t, env, "aid", "enrol", "-year", "2027", "-f", good); code != 0 || !strings.Contains(out, "enrolled 0 members, 3 were") {
				t.Errorf("enrol again: %d %s", code, out)
			}
			fam := filepath.Join(dir, "families.txt")
			os.WriteFile(fam, []byte("000123 000124\n000125\n"), 0o600)
			if code, _, errOut := cli(t, env, "aid", "families", "-f", fam); code != 1 || !strings.Contains(errOut, "第 2 行：一个家庭至少两位会员") {
				t.Errorf("bad families: %d %s", code, errOut)
			}
			os.WriteFile(fam, []byte("000123、000124\n"), 0o600)
			if code, out, _ := cli(t, env, "aid", "families", "-f", fam); code != 0 || !strings.Contains(out, "declared 1 families") ||
				count(t, db, `SELECT COUNT(*) FROM aid_families WHERE family = 'F000123'`) != 2 {
				t.Errorf("families: %d %s", code, out)
			}
			xlsx := filepath.Join(dir, "ledger.xlsx")
			if code, out, errOut := cli(t, env, "aid", "ledger", "-year", "2027", "-o", xlsx); code != 0 || !strings.Contains(out, "帮扶台账_2027.xlsx") {
				t.Fatalf("ledger: %d %s %s", code, out, errOut)
			}
			f, err := excelize.OpenFile(xlsx)
			if err != nil {
				t.Fatal(err)
			}
			if sheets := strings.Join(f.GetSheetList(), ","); sheets != "明细,按类别,按分工会,按月份,汇总" {
				t.Errorf("sheets %s", sheets)
			}
			if count(t, db, `SELECT COUNT(*) FROM read_audit WHERE entity = 'aid_ledger' AND entity_id = 2027 AND what = 'export'`) != 1 {
				t.Error("the export is not in the read audit")
			}
			for _, args := range [][]string{{"aid"}, {"aid", "ledger"}, {"aid", "enrol"}, {"aid", "pay"}} {
				if code, _, _ := cli(t, env, args...); code != 2 {
					t.Errorf("%v: code %d, want 2", args, code)
				}
			}
		})
	}
}
