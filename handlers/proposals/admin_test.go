package proposals_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestSessionsInChat: officers create a congress session with 新建届次 (the YAML's fields and
// rules: every problem named, nothing written) and edit its dates, thresholds and switches.
func TestSessionsInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		r.member("ou_off", "干事", store.RoleOfficer)
		r.member("ou_d1", "李一", store.RoleDelegate)
		if got := r.Say("ou_d1", "新建届次"); !strings.Contains(got, "你没有权限进行此操作（需要：工会干事") {
			t.Errorf("a delegate: %s", got)
		}
		if got := r.Say("ou_off", "新建届次"); !strings.Contains(got, "届次代码") || !strings.Contains(got, "答复审核") || !strings.Contains(got, "proposals.session_save") {
			t.Errorf("the form: %s", got)
		}
		save := map[string]any{"action": "proposals.session_save", "session_id": 0}
		form := map[string]any{"name": "第五届第一次", "code": "5-1", "opens": "2028-03-01 08:00 +0800", "closes": "2028-03-31 18:00 +0800",
			"congress": "2028-04-15 +0800", "min_cosigners": "3", "categories": "教学科研、后勤保障", "reply_workdays": "20",
			"rating_workdays": "10", "reply_review": true, "public_after_register": true}
		r.refused("ou_d1", save, form, "你没有权限进行此操作（需要：工会干事")
		r.refused("ou_off", save, with(form, "closes", "2028-02-01 18:00 +0800"), "征集截止时间应晚于开始时间。")
		r.refused("ou_off", save, with(form, "opens", "明天"), "征集开始时间「明天」看不懂")
		r.refused("ou_off", save, with(form, "min_cosigners", "两"), "附议人数要填整数")
		r.refused("ou_off", save, with(form, "min_cosigners", "51"), "附议人数应在 0 到 50 之间")
		r.refused("ou_off", save, with(form, "reply_workdays", "0"), "答复期限应在 1 到 250 个工作日之间")
		r.refused("ou_off", save, with(form, "code", "5 1"), "请填写届次代码")
		r.refused("ou_off", save, with(form, "name", "第四届第三次"), "届次「第四届第三次」或代码「5-1」已存在。")
		r.refused("ou_off", save, with(form, "congress", "2028-13-01"), "大会日期无效")
		toast, cd := r.click("ou_off", save, form)
		if toast != "届次已创建。" || !strings.Contains(cd, "届次：第五届第一次") || !strings.Contains(cd, "2028-03-31 18:00") {
			t.Fatalf("create: %s %s", toast, cd)
		}
		get := func() *store.ProposalSession {
			var s *store.ProposalSession
			if err := db.InTx(ctx, func(tx *store.Tx) (err error) { s, err = tx.ProposalSessionByName(ctx, "5-1"); return err }); err != nil {
				t.Fatal(err)
			}
			return s
		}
		s := get()
		if s.MinCosigners != 3 || s.ReplyWorkdays != 20 || s.RatingWorkdays != 10 || !s.ReplyReview || !s.PublicAfterRegister || s.LateAsSuggestion ||
			s.CongressDate != "2028-04-15" || strings.Join(s.Categories(), "/") != "教学科研/后勤保障" || s.OpensAt.In(shanghai).Format("01-02 15:04") != "03-01 08:00" {
			t.Errorf("created: %+v", s)
		}
		edit := map[string]any{"action": "proposals.session_save", "session_id": s.ID}
		if _, cd := r.click("ou_off", map[string]any{"action": "proposals.session_form", "session_id": s.ID}, nil); !strings.Contains(cd, "修改届次：第五届第一次") ||
			!strings.Contains(cd, `"default_value":"3"`) || strings.Contains(cd, `"name":"code"`) {
			t.Errorf("the edit form: %s", cd)
		}
		r.refused("ou_off", edit, with(form, "rating_workdays", "x"), "评价期限要填整数")
		changed := with(with(with(form, "min_cosigners", "1"), "reply_review", false), "closes", "2028-04-05 18:00 +0800")
		if toast, _ := r.click("ou_off", edit, with(with(changed, "name", "改名"), "code", "X")); toast != "届次已修改。" {
			t.Fatalf("edit: %s", toast)
		}
		if s := get(); s.Name != "第五届第一次" || s.Code != "5-1" || s.MinCosigners != 1 || s.ReplyReview || s.ClosesAt.In(shanghai).Format("01-02 15:04") != "04-05 18:00" {
			t.Errorf("edited: %+v", s)
		}
		if got := r.Say("ou_off", "届次"); !strings.Contains(got, "第五届第一次") || !strings.Contains(got, "第四届第三次") {
			t.Errorf("the list: %s", got)
		}
		var audits int
		db.Get(ctx, &audits, `SELECT COUNT(*) FROM audit_log WHERE entity = 'proposal_session' AND action = 'update'`)
		if audits != 1 {
			t.Errorf("the edit audited %d times", audits)
		}
	})
}

// TestDepartmentsInChat: officers add departments and edit their contacts and 分管校领导 with
// the person picker; the contacts hold the role 承办联系人 and lose it when no longer contacts.
func TestDepartmentsInChat(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		r.member("ou_off", "干事", store.RoleOfficer)
		k1 := r.member("ou_k1", "教务联系人")
		k2 := r.member("ou_k2", "后勤联系人")
		r.member("ou_boss", "分管领导")
		r.member("ou_boss2", "另一领导")
		if got := r.Say("ou_off", "承办单位"); !strings.Contains(got, "还没有承办单位") || !strings.Contains(got, "新增承办单位") {
			t.Errorf("empty list: %s", got)
		}
		if got := r.Say("ou_k1", "承办单位"); !strings.Contains(got, "你没有权限进行此操作（需要：工会干事") {
			t.Errorf("a member: %s", got)
		}
		save := map[string]any{"action": "proposals.department_save", "department_id": 0}
		form := map[string]any{"name": "教务处", "contacts": []any{"ou_k1"}, "leader": []any{"ou_boss"}}
		r.refused("ou_off", save, with(form, "contacts", []any{}), "请至少选择一位联系人。")
		r.refused("ou_off", save, with(form, "contacts", []any{"ou_ghost"}), "还没有使用过本机器人")
		r.refused("ou_off", save, with(form, "leader", []any{"ou_boss", "ou_boss2"}), "分管校领导至多选一位。")
		r.refused("ou_off", save, with(form, "name", strings.Repeat("处", 51)), "单位名称应为 1 到 50 个字")
		toast, cd := r.click("ou_off", save, form)
		if toast != "已新增承办单位「教务处」。" || !strings.Contains(cd, "**教务处** · 联系人：教务联系人 · 分管校领导：分管领导") {
			t.Fatalf("add: %s %s", toast, cd)
		}
		r.refused("ou_off", save, form, "承办单位「教务处」已存在")
		roles := func(id int64) string {
			rs, _ := db.MemberRoles(ctx, id)
			return strings.Join(rs, ",")
		}
		if !strings.Contains(roles(k1.ID), store.RoleContact) {
			t.Errorf("k1 is no contact: %s", roles(k1.ID))
		}
		var id int64
		db.Get(ctx, &id, `SELECT id FROM departments WHERE name = '教务处'`)
		if _, cd := r.click("ou_off", map[string]any{"action": "proposals.department_form", "department_id": id}, nil); !strings.Contains(cd, "修改承办单位：教务处") ||
			!strings.Contains(cd, `"ou_k1"`) || !strings.Contains(cd, `"ou_boss"`) {
			t.Errorf("the edit form: %s", cd)
		}
		edit := map[string]any{"action": "proposals.department_save", "department_id": id}
		if toast, cd := r.click("ou_off", edit, map[string]any{"name": "别名", "contacts": []any{"ou_k2"}, "leader": []any{}}); toast != "已保存承办单位「教务处」。" ||
			!strings.Contains(cd, "**教务处** · 联系人：后勤联系人") || strings.Contains(cd, "分管校领导") {
			t.Errorf("edit: %s %s", toast, cd)
		}
		if strings.Contains(roles(k1.ID), store.RoleContact) || !strings.Contains(roles(k2.ID), store.RoleContact) {
			t.Errorf("roles after the edit: k1 %s, k2 %s", roles(k1.ID), roles(k2.ID))
		}
	})
}

// departmentsXLSX is a departments workbook with the given rows under the header.
func departmentsXLSX(t *testing.T, header []string, rows ...[]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range append([][]string{header}, rows...) {
		for j, v := range row {
			name, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellStr("Sheet1", name, v)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestImportDepartmentsXLSX: departments import from an Excel workbook (承办单位, 联系人工号,
// 分管校领导工号): several contacts in one cell; a missing header or an unknown 工号 imports
// nothing.
func TestImportDepartmentsXLSX(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		k1 := r.member("ou_k1", "教务联系人")
		r.member("ou_k2", "后勤联系人")
		r.member("ou_boss", "分管领导")
		count := func() int {
			var n int
			db.Get(ctx, &n, `SELECT COUNT(*) FROM departments`)
			return n
		}
		bad := departmentsXLSX(t, []string{"单位", "联系人"}, []string{"教务处", "k1"})
		if _, _, err := proposals.ImportDepartmentsFile(ctx, db, "d.xlsx", bytes.NewReader(bad), "test"); !strings.Contains(store.ErrorMessage(err), "第 1 行应为表头：承办单位、联系人工号、分管校领导工号") || count() != 0 {
			t.Errorf("no header: %v", err)
		}
		unknown := departmentsXLSX(t, proposals.DepartmentColumns, []string{"教务处", "k1", "boss"}, []string{"后勤处", "k9", ""})
		if _, _, err := proposals.ImportDepartmentsFile(ctx, db, "d.xlsx", bytes.NewReader(unknown), "test"); !strings.Contains(store.ErrorMessage(err), "「后勤处」的联系人工号 k9 不在名册中") || count() != 0 {
			t.Errorf("unknown 工号: %v", err)
		}
		if _, _, err := proposals.ImportDepartmentsFile(ctx, db, "d.xlsx", strings.NewReader("not a workbook"), "test"); !strings.Contains(store.ErrorMessage(err), "无法读取 Excel 文件") {
			t.Errorf("not a workbook: %v", err)
		}
		good := departmentsXLSX(t, proposals.DepartmentColumns, []string{"教务处", "k1、k2", "boss"}, []string{"", "", ""}, []string{"后勤处", "k2", ""})
		created, updated, err := proposals.ImportDepartmentsFile(ctx, db, "承办单位.XLSX", bytes.NewReader(good), "test")
		if err != nil || created != 2 || updated != 0 {
			t.Fatalf("import: %d %d %v", created, updated, err)
		}
		var d *store.Department
		db.InTx(ctx, func(tx *store.Tx) (err error) { d, err = tx.DepartmentByName(ctx, "教务处"); return err })
		if len(d.Contacts) != 2 || !d.HasContact(k1.ID) || d.LeaderMemberID == 0 {
			t.Errorf("教务处: %+v", d)
		}
	})
}
