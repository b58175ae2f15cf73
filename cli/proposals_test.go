package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/store"
)

// TestProposalsAndDepartmentsCommands creates the example session (a second time refused),
// refuses a malformed session file naming its line, imports the example departments once the
// example roster is imported (refused, changing nothing, before), and gives the contacts the
// contact role.
func TestProposalsAndDepartmentsCommands(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "p.db")
	env := []string{"UNIONBOT_DATABASE_DSN=" + dsn}
	example := filepath.Join("..", "examples", "proposal-session.yaml")
	code, out, errOut := cli(t, env, "proposals", "sessions", "create", "-f", example, "-config", "")
	if code != 0 || !strings.Contains(out, "已创建届次「第四届第三次」（代码 4-3）：征集 2027-03-01 08:00 至 2027-03-31 18:00，大会 2027-04-15，附议至少 2 人") {
		t.Fatalf("create: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, env, "proposals", "sessions", "create", "-f", example, "-config", ""); code != 1 || !strings.Contains(errOut, "已存在") || !strings.Contains(errOut, "未创建") {
		t.Errorf("second create: %d %s", code, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("name: 第五届第一次\ncode: 5-1\nopens: 2028-03-01 08:00\nclose: 2028-03-31 18:00\n"), 0o644)
	if code, _, errOut := cli(t, env, "proposals", "sessions", "create", "-f", bad, "-config", ""); code != 1 || !strings.Contains(errOut, "第 4 行：未知的字段「close」") {
		t.Errorf("bad file: %d %s", code, errOut)
	}
	os.WriteFile(bad, []byte("name: 第五届第一次\ncode: 5-1\nopens: 2028-03-01 08:00\ncloses: 2028-02-01 18:00\ncongress: 2028-04-01\n"), 0o644)
	if code, _, errOut := cli(t, env, "proposals", "sessions", "create", "-f", bad, "-config", ""); code != 1 || !strings.Contains(errOut, "征集截止时间应晚于开始时间") {
		t.Errorf("closes before opens: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, env, "proposals", "sessions", "create", "-config", ""); code != 2 || !strings.Contains(errOut, "proposals sessions create -f FILE") {
		t.Errorf("no file: %d %s", code, errOut)
	}

	deps := filepath.Join("..", "examples", "departments.yaml")
	if code, _, errOut := cli(t, env, "departments", "import", "-f", deps, "-config", ""); code != 1 || !strings.Contains(errOut, "「教务处」的联系人工号 0102 不在名册中") || !strings.Contains(errOut, "未导入") {
		t.Errorf("unknown contacts: %d %s", code, errOut)
	}
	ctx := context.Background()
	db, err := store.Open(ctx, store.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if db.Get(ctx, &n, `SELECT COUNT(*) FROM departments`); n != 0 {
		t.Errorf("a refused import wrote %d departments", n)
	}
	if code, out, errOut := cli(t, env, "members", "import", filepath.Join("..", "examples", "roster.csv"), "-config", ""); code != 0 {
		t.Fatalf("roster: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := cli(t, env, "departments", "import", "-f", deps, "-config", ""); code != 0 || !strings.Contains(out, "承办单位：新建 3 个，更新 0 个") {
		t.Errorf("import: %d %s %s", code, out, errOut)
	}
	if code, out, _ := cli(t, env, "departments", "import", "-f", deps, "-config", ""); code != 0 || !strings.Contains(out, "新建 0 个，更新 3 个") {
		t.Errorf("second import: %d %s", code, out)
	}
	var roles []string
	db.Select(ctx, &roles, `SELECT m.employee_no FROM member_roles r JOIN members m ON m.id = r.member_id WHERE r.role = ? ORDER BY m.employee_no`, store.RoleContact)
	if strings.Join(roles, ",") != "0102,0103,0104,0501" {
		t.Errorf("contacts holding the role: %v", roles)
	}
	// The same from an Excel workbook: 人事处's contacts become 0105 alone, 0103 and 0104 lose the role.
	wb := excelize.NewFile()
	for cell, v := range map[string]string{"A1": "承办单位", "B1": "联系人工号", "C1": "分管校领导工号", "A2": "人事处", "B2": "0105", "C2": "0001"} {
		wb.SetCellStr("Sheet1", cell, v)
	}
	xlsx := filepath.Join(dir, "承办单位.xlsx")
	if err := wb.SaveAs(xlsx); err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, env, "departments", "import", "-f", xlsx, "-config", ""); code != 0 || !strings.Contains(out, "新建 0 个，更新 1 个") {
		t.Errorf("xlsx import: %d %s %s", code, out, errOut)
	}
	roles = nil
	db.Select(ctx, &roles, `SELECT m.employee_no FROM member_roles r JOIN members m ON m.id = r.member_id WHERE r.role = ? ORDER BY m.employee_no`, store.RoleContact)
	if strings.Join(roles, ",") != "0102,0105,0501" {
		t.Errorf("contacts after the xlsx import: %v", roles)
	}

	// export: the workbook of a session by code (its cells are checked by TestStatistics).
	xlsx = filepath.Join(dir, "stats.xlsx")
	if code, out, errOut := cli(t, env, "proposals", "export", "-session", "4-3", "-o", xlsx, "-config", ""); code != 0 || !strings.Contains(out, "已导出「第四届第三次」的提案统计到") {
		t.Fatalf("export: %d %s %s", code, out, errOut)
	}
	x, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := strings.Join(x.GetSheetList(), ","); got != "统计,提案汇编" {
		t.Errorf("sheets %s", got)
	}
	if v, _ := x.GetCellValue("统计", "A1"); v != "第四届第三次提案统计" {
		t.Errorf("统计 A1 %q", v)
	}
	if code, _, errOut := cli(t, env, "proposals", "export", "-session", "第九届", "-o", xlsx, "-config", ""); code != 1 || !strings.Contains(errOut, "找不到届次「第九届」") {
		t.Errorf("unknown session: %d %s", code, errOut)
	}
	if code, _, errOut := cli(t, env, "proposals", "export", "-session", "1", "-config", ""); code != 2 || !strings.Contains(errOut, "proposals export -session ID -o FILE") {
		t.Errorf("no -o: %d %s", code, errOut)
	}
}
