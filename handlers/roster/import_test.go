package roster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var ctx = context.Background()

// mapResolver resolves from a fixed table and records the size of every call.
type mapResolver struct {
	mu    sync.Mutex
	ids   map[string]string
	err   error
	calls [][2]int // emails, mobiles per call
}

func (m *mapResolver) Resolve(_ context.Context, emails, mobiles []string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, [2]int{len(emails), len(mobiles)})
	if m.err != nil {
		return nil, m.err
	}
	out := map[string]string{}
	for _, k := range append(slices.Clone(emails), mobiles...) {
		if id, ok := m.ids[k]; ok {
			out[k] = id
		}
	}
	return out, nil
}

func count(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Get(ctx, &n, "SELECT COUNT(*) FROM "+table); err != nil {
		t.Fatal(err)
	}
	return n
}

func byNo(t *testing.T, db *store.DB, no string) *store.Member {
	t.Helper()
	var m *store.Member
	err := db.InTx(ctx, func(tx *store.Tx) (err error) {
		m, err = tx.MemberByEmployeeNo(ctx, no)
		return err
	})
	if err != nil {
		t.Fatalf("member %s: %v", no, err)
	}
	return m
}

func roles(t *testing.T, db *store.DB, id int64) []string {
	t.Helper()
	var out []string
	if err := db.Select(ctx, &out, `SELECT role FROM member_roles WHERE member_id = ? ORDER BY role`, id); err != nil {
		t.Fatal(err)
	}
	return out
}

func importFile(t *testing.T, db *store.DB, name string, data []byte, res Resolver, dryRun bool) *Report {
	t.Helper()
	rep, err := ImportFile(ctx, db, name, bytes.NewReader(data), res, "cli:test", dryRun)
	if err != nil {
		t.Fatalf("ImportFile(%s): %v", name, err)
	}
	return rep
}

type counts struct{ Created, Updated, Unchanged, Resolved, Problems int }

func countsOf(r *Report) counts {
	return counts{r.Created, r.Updated, r.Unchanged, r.Resolved, len(r.Problems)}
}

func TestImportGoodRosterAndReimport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), nil, false)
		if got := countsOf(rep); got != (counts{Created: 3}) {
			t.Fatalf("first import = %+v\n%s", got, rep)
		}
		if count(t, db, "members") != 3 || count(t, db, "branches") != 2 {
			t.Errorf("members = %d, branches = %d; want 3, 2", count(t, db, "members"), count(t, db, "branches"))
		}
		m := byNo(t, db, "000123")
		want := store.Member{Name: "欧阳·娜娜", EmployeeNo: "000123", BranchName: "信息工程学院分工会", Gender: "F",
			Mobile: "13812345678", Email: "ouyang@example.edu.cn", Active: true}
		if m.Name != want.Name || m.EmployeeNo != want.EmployeeNo || m.BranchName != want.BranchName || m.Gender != want.Gender ||
			m.Mobile != want.Mobile || m.Email != want.Email || !m.Active || m.Placeholder || m.OpenID != "" {
			t.Errorf("member = %+v", m)
		}
		if byNo(t, db, "000456").BranchName != "机关分工会" {
			t.Errorf("branch of 000456 wrong")
		}
		trail, _ := db.AuditTrail(ctx, "member", fmt.Sprint(m.ID))
		if len(trail) != 1 || trail[0].Action != "import" || trail[0].Detail != "created" || trail[0].Actor != "cli:test" {
			t.Errorf("audit = %+v", trail)
		}

		// The same roster again, in every format: nothing changes.
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"名单.csv", []byte(goodCSV)},
			{"名单.csv", utf8BOMBytes(goodCSV)},
			{"名单.csv", gb18030Bytes(t, goodCSV)},
			{"名单.xlsx", goodXLSX(t)},
		} {
			before := count(t, db, "audit_log")
			rep := importFile(t, db, f.name, f.data, nil, false)
			if got := countsOf(rep); got != (counts{Unchanged: 3}) {
				t.Errorf("re-import %s = %+v\n%s", f.name, got, rep)
			}
			if count(t, db, "audit_log") != before {
				t.Errorf("re-import %s wrote audit entries", f.name)
			}
		}
		if count(t, db, "members") != 3 || count(t, db, "branches") != 2 {
			t.Errorf("re-import changed the counts")
		}
	})
}

func TestImportUpdatesChangedRows(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		importFile(t, db, "名单.csv", []byte(goodCSV), nil, false)
		changed := strings.Replace(goodCSV, "张三,000456,机关分工会,男,+86 139-1234-5678,",
			"张叁,000456,信息工程学院分工会,,,zhang@example.edu.cn", 1)
		rep := importFile(t, db, "名单.csv", []byte(changed), nil, false)
		if got := countsOf(rep); got != (counts{Updated: 1, Unchanged: 2}) {
			t.Fatalf("update = %+v\n%s", got, rep)
		}
		m := byNo(t, db, "000456")
		// Empty gender and mobile cells keep what the member has.
		if m.Name != "张叁" || m.BranchName != "信息工程学院分工会" || m.Gender != "M" || m.Mobile != "13912345678" ||
			m.Email != "zhang@example.edu.cn" {
			t.Errorf("member = %+v", m)
		}
		trail, _ := db.AuditTrail(ctx, "member", fmt.Sprint(m.ID))
		if len(trail) != 2 || trail[1].Detail != "updated: name,branch,email" {
			t.Errorf("audit = %+v", trail)
		}
		for _, e := range trail {
			if strings.Contains(e.Detail, "张") || strings.Contains(e.Detail, "@") || strings.Contains(e.Detail, "139") {
				t.Errorf("audit detail has personal data: %q", e.Detail)
			}
		}
		// A member deactivated since comes back.
		if _, err := db.SQL().Exec(`UPDATE members SET active = 0 WHERE employee_no = '000123'`); err != nil {
			t.Fatal(err)
		}
		rep = importFile(t, db, "名单.csv", []byte(changed), nil, false)
		if got := countsOf(rep); got != (counts{Updated: 1, Unchanged: 2}) || !byNo(t, db, "000123").Active {
			t.Errorf("reactivation = %+v", got)
		}
	})
}

func TestImportReportsBadRowsAndImportsGoodOnes(t *testing.T) {
	csv := csvText(
		"姓名,工号,分工会,性别,手机,邮箱",
		"王五,001,A分工会,男,13800000001,wangwu@x.cn",
		",002,A分工会,男,,",
		"赵六,,A分工会,,,",
		"钱七,001,B分工会,,,",
		"孙八,003,,未知,,",
		"周九,004,,,1234567,",
		"吴十,005,,,,wu@localhost",
		",,,,,",
		"郑十一,006,,female,,",
	)
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, data := range [][]byte{[]byte(csv), gb18030Bytes(t, csv)} {
			rep := importFile(t, db, "r.csv", data, nil, false)
			var lines []int
			for _, p := range rep.Problems {
				lines = append(lines, p.Line)
			}
			if !reflect.DeepEqual(lines, []int{3, 4, 5, 6, 7, 8}) {
				t.Errorf("problem lines = %v\n%s", lines, rep)
			}
			s := rep.String()
			for _, want := range []string{"第 5 行：工号 001 与第 2 行重复", "第 7 行：手机号格式不正确（应为 11 位，以 1 开头）", "未导入 6 行"} {
				if !strings.Contains(s, want) {
					t.Errorf("report lacks %q:\n%s", want, s)
				}
			}
		}
		if count(t, db, "members") != 2 || byNo(t, db, "006").Gender != "F" || byNo(t, db, "001").BranchName != "A分工会" {
			t.Errorf("good rows not imported")
		}
		// Import re-checks rows handed to it directly.
		rep, err := Import(ctx, db, []Row{{Line: 2, Name: "甲", EmployeeNo: "100", Mobile: "12"}, {Line: 3, Name: "乙", EmployeeNo: "101"},
			{Line: 4, Name: "丙", EmployeeNo: "101"}}, nil, "cli:test", false)
		if err != nil || rep.Created != 1 || len(rep.Problems) != 2 || !strings.Contains(rep.Problems[1].Reason, "与第 3 行重复") {
			t.Errorf("Import of raw rows = %+v, %v", rep, err)
		}
	})
}

func TestImportUnusableFileChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		importFile(t, db, "名单.csv", []byte(goodCSV), nil, false)
		members, branches, audit := count(t, db, "members"), count(t, db, "branches"), count(t, db, "audit_log")
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"名单.xlsx", []byte("PK\x03\x04 garbage, not a workbook")},
			{"名单.csv", []byte(csvText("张三,000999,机关分工会", "李四,000998,机关分工会"))},
			{"名单.csv", nil},
			{"名单.txt", []byte(goodCSV)},
		} {
			rep, err := ImportFile(ctx, db, f.name, bytes.NewReader(f.data), nil, "cli:test", false)
			if err == nil || rep != nil || store.ErrorCode(err) != store.EINVALID {
				t.Errorf("%s: rep = %v, err = %v; want an EINVALID error", f.name, rep, err)
			}
		}
		if count(t, db, "members") != members || count(t, db, "branches") != branches || count(t, db, "audit_log") != audit {
			t.Errorf("an unusable file changed the database")
		}
	})
}

// TestImportFailureMidwayRollsBack makes the database refuse the third row: the rows
// written before it vanish with the transaction.
func TestImportFailureMidwayRollsBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		trigger := `CREATE TRIGGER refuse_member BEFORE INSERT ON members FOR EACH ROW
			WHEN NEW.employee_no = '20230001' BEGIN SELECT RAISE(ABORT, 'refused'); END`
		if db.Dialect == store.MySQL {
			trigger = `CREATE TRIGGER refuse_member BEFORE INSERT ON members FOR EACH ROW
				BEGIN IF NEW.employee_no = '20230001' THEN SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'refused'; END IF; END`
		}
		if _, err := db.SQL().Exec(trigger); err != nil {
			t.Fatal(err)
		}
		rep, err := ImportFile(ctx, db, "名单.csv", strings.NewReader(goodCSV), nil, "cli:test", false)
		if err == nil || rep != nil {
			t.Fatalf("rep = %v, err = %v; want an error", rep, err)
		}
		if count(t, db, "members") != 0 || count(t, db, "branches") != 0 || count(t, db, "audit_log") != 0 {
			t.Errorf("a failed import left rows behind")
		}
	})
}

func TestImportDryRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		res := &mapResolver{ids: map[string]string{"ouyang@example.edu.cn": "ou_ouyang"}}
		dry := importFile(t, db, "名单.xlsx", goodXLSX(t), res, true)
		if got := countsOf(dry); got != (counts{Created: 3, Resolved: 1}) || !dry.DryRun {
			t.Errorf("dry run = %+v", got)
		}
		if !strings.Contains(dry.String(), "试运行") {
			t.Errorf("report does not say dry run:\n%s", dry)
		}
		if count(t, db, "members") != 0 || count(t, db, "branches") != 0 || count(t, db, "audit_log") != 0 {
			t.Fatalf("dry run wrote to the database")
		}
		wet := importFile(t, db, "名单.xlsx", goodXLSX(t), res, false)
		if countsOf(wet) != countsOf(dry) || wet.DryRun {
			t.Errorf("real run = %+v, dry run = %+v", countsOf(wet), countsOf(dry))
		}
		changed := strings.Replace(goodCSV, "李四", "李肆", 1)
		members, audit := count(t, db, "members"), count(t, db, "audit_log")
		dry = importFile(t, db, "名单.csv", []byte(changed), res, true)
		if got := countsOf(dry); got != (counts{Updated: 1, Unchanged: 2, Resolved: 1}) {
			t.Errorf("dry update = %+v", got)
		}
		if byNo(t, db, "20230001").Name != "李四" || count(t, db, "members") != members || count(t, db, "audit_log") != audit {
			t.Errorf("dry update wrote to the database")
		}
	})
}

func TestImportResolutionFailureStillImports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		res := &mapResolver{err: &FeishuError{Status: 400, Code: CodeNoScope, Msg: "no scope"}}
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if got := countsOf(rep); got != (counts{Created: 3}) {
			t.Errorf("counts = %+v", got)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "通讯录权限") || !strings.Contains(rep.Warnings[0], "首次给机器人发消息") {
			t.Errorf("warnings = %q", rep.Warnings)
		}
		res = &mapResolver{err: errors.New("connection refused")}
		rep = importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if got := countsOf(rep); got != (counts{Unchanged: 3}) || len(rep.Warnings) != 1 {
			t.Errorf("counts = %+v, warnings = %q", got, rep.Warnings)
		}
		if byNo(t, db, "000123").OpenID != "" {
			t.Errorf("open_id set without resolution")
		}
	})
}

func TestImportBatchesResolution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		lines := []string{"姓名,工号,手机,邮箱"}
		ids := map[string]string{}
		for i := 0; i < 120; i++ {
			email := fmt.Sprintf("u%03d@example.edu.cn", i)
			mobile := fmt.Sprintf("138%08d", i)
			if i < 70 {
				mobile = ""
			}
			lines = append(lines, fmt.Sprintf("成员%d,%05d,%s,%s", i, i, mobile, email))
			if i%2 == 0 {
				ids[email] = fmt.Sprintf("ou_%d", i)
			}
		}
		res := &mapResolver{ids: ids}
		rep := importFile(t, db, "r.csv", []byte(csvText(lines...)), res, false)
		if rep.Created != 120 || rep.Resolved != 60 {
			t.Errorf("created %d, resolved %d; want 120, 60", rep.Created, rep.Resolved)
		}
		want := [][2]int{{50, 50}, {50, 0}, {20, 0}}
		if !reflect.DeepEqual(res.calls, want) {
			t.Errorf("resolver calls = %v, want %v", res.calls, want)
		}
		if byNo(t, db, "00042").OpenID != "ou_42" || byNo(t, db, "00043").OpenID != "" {
			t.Errorf("open_ids not stored")
		}
	})
}

func TestImportMergesAutoRegisteredMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// 欧阳 wrote to the bot before the roster came: a placeholder with an officer role.
		// An earlier import without Feishu access created her 工号 row, made a delegate.
		var placeholder, unlinked int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			m, _, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_ouyang", Name: "飞书用户", Placeholder: true})
			if err != nil {
				return err
			}
			placeholder = m.ID
			if _, err := tx.GrantRole(ctx, m.ID, store.RoleOfficer, "cli:root"); err != nil {
				return err
			}
			u := &store.Member{Name: "欧阳娜娜", EmployeeNo: "000123", Active: true}
			if err := tx.CreateMember(ctx, u); err != nil {
				return err
			}
			unlinked = u.ID
			if _, err := tx.GrantRole(ctx, u.ID, store.RoleDelegate, "cli:root"); err != nil {
				return err
			}
			_, err = tx.GrantRole(ctx, u.ID, store.RoleOfficer, "cli:root")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		res := &mapResolver{ids: map[string]string{"ouyang@example.edu.cn": "ou_ouyang"}}
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if got := countsOf(rep); got != (counts{Created: 2, Updated: 1, Resolved: 1}) {
			t.Fatalf("counts = %+v\n%s", got, rep)
		}
		m := byNo(t, db, "000123")
		if m.ID != placeholder || m.OpenID != "ou_ouyang" || m.Name != "欧阳·娜娜" || m.Placeholder || m.BranchName != "信息工程学院分工会" {
			t.Errorf("survivor = %+v", m)
		}
		if got := roles(t, db, placeholder); !reflect.DeepEqual(got, []string{store.RoleDelegate, store.RoleOfficer}) {
			t.Errorf("survivor roles = %v", got)
		}
		if n := count(t, db, "members"); n != 3 {
			t.Errorf("members = %d, want 3 (the unlinked row is gone)", n)
		}
		if got := roles(t, db, unlinked); len(got) != 0 {
			t.Errorf("deleted member still holds roles %v", got)
		}
		trail, _ := db.AuditTrail(ctx, "member", fmt.Sprint(placeholder))
		last := trail[len(trail)-1]
		if last.Action != "import" || !strings.HasPrefix(last.Detail, fmt.Sprintf("merged member %d (roles: delegate,officer); updated: employee_no,name,branch", unlinked)) {
			t.Errorf("audit = %+v", last)
		}
		if trail, _ := db.AuditTrail(ctx, "member", fmt.Sprint(unlinked)); trail[len(trail)-1].Action != "merge" {
			t.Errorf("merged member's audit = %+v", trail)
		}
		// Importing again changes nothing.
		if got := countsOf(importFile(t, db, "名单.csv", []byte(goodCSV), res, false)); got != (counts{Unchanged: 3, Resolved: 1}) {
			t.Errorf("re-import = %+v", got)
		}
	})
}

func TestImportPlaceholderWithoutUnlinkedRow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			m, _, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_zhang", Name: "张三"})
			id = m.ID
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		res := &mapResolver{ids: map[string]string{"13912345678": "ou_zhang"}}
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if got := countsOf(rep); got != (counts{Created: 2, Updated: 1, Resolved: 1}) {
			t.Fatalf("counts = %+v", got)
		}
		if m := byNo(t, db, "000456"); m.ID != id || m.OpenID != "ou_zhang" {
			t.Errorf("member = %+v", m)
		}
	})
}

func TestImportOpenIDOfAnotherMember(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateMember(ctx, &store.Member{OpenID: "ou_other", Name: "别人", EmployeeNo: "999", Active: true})
		})
		if err != nil {
			t.Fatal(err)
		}
		res := &mapResolver{ids: map[string]string{"13912345678": "ou_other",
			// 李四's email and another mobile would name two accounts: no link, a warning.
			"lisi@example.edu.cn": "ou_lisi"}}
		rows, _, err := Parse("r.csv", strings.NewReader(goodCSV))
		if err != nil {
			t.Fatal(err)
		}
		rows[2].Mobile = "13700000000"
		res.ids["13700000000"] = "ou_lisi2"
		rep, err := Import(ctx, db, rows, res, "cli:test", false)
		if err != nil {
			t.Fatal(err)
		}
		if got := countsOf(rep); got != (counts{Created: 2, Problems: 1}) {
			t.Errorf("counts = %+v\n%s", got, rep)
		}
		if len(rep.Problems) == 1 && rep.Problems[0].Reason != "第 3 行：飞书账号（邮箱/手机）已关联到工号 999 的成员" {
			t.Errorf("problem = %q", rep.Problems[0].Reason)
		}
		if len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "第 4 行") {
			t.Errorf("warnings = %q", rep.Warnings)
		}
		if byNo(t, db, "20230001").OpenID != "" || byNo(t, db, "999").Name != "别人" {
			t.Errorf("accounts changed")
		}
		var n int
		db.Get(ctx, &n, `SELECT COUNT(*) FROM members WHERE employee_no = '000456'`)
		if n != 0 {
			t.Errorf("the conflicting row was imported")
		}
	})
}

func TestImportKeepsExistingLink(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.CreateMember(ctx, &store.Member{OpenID: "ou_old", Name: "欧阳·娜娜", EmployeeNo: "000123", Active: true})
		})
		if err != nil {
			t.Fatal(err)
		}
		res := &mapResolver{ids: map[string]string{"ouyang@example.edu.cn": "ou_new"}}
		rep := importFile(t, db, "名单.csv", []byte(goodCSV), res, false)
		if rep.Updated != 1 || rep.Resolved != 0 || len(rep.Warnings) != 1 || !strings.Contains(rep.Warnings[0], "保留原关联") {
			t.Errorf("report = %+v", rep)
		}
		if m := byNo(t, db, "000123"); m.OpenID != "ou_old" || m.BranchName != "信息工程学院分工会" {
			t.Errorf("member = %+v", m)
		}
	})
}

func TestReportString(t *testing.T) {
	r := &Report{Created: 3, Updated: 1, Unchanged: 10, Resolved: 2,
		Problems: []Problem{{Line: 7, Reason: "第 7 行：手机号格式不正确（应为 11 位，以 1 开头）"}},
		Warnings: []string{"以下列无法识别，已忽略：“备注”"}}
	want := "名单导入完成：\n新增 3 人，更新 1 人，无变化 10 人，关联飞书账号 2 人，未导入 1 行。\n\n提示：\n- 以下列无法识别，已忽略：“备注”\n\n" +
		"以下 1 行未导入，请修改后重新导入：\n- 第 7 行：手机号格式不正确（应为 11 位，以 1 开头）\n"
	if got := r.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
}
