package signup

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/store"
)

func TestBuildRoster(t *testing.T) {
	loc := shanghai(t)
	a := &store.Activity{Title: "羽毛球比赛", StartsAt: time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC), EndsAt: time.Date(2024, 4, 20, 10, 0, 0, 0, time.UTC),
		EntryMode: store.ModeIndividual, NeedsInsurance: true, Capacity: 10,
		Items: []*store.ActivityItem{{ID: 1, Name: "男单", Capacity: 4}, {ID: 2, Name: "混双/男女[甲]:组别名称特别特别特别特别长的一个项目"}}}
	signed := time.Date(2024, 4, 2, 1, 30, 0, 0, time.UTC)
	lines := []rosterLine{
		{MemberID: 1, Branch: "机关分工会", Name: "张伟", Gender: "M", EmployeeNo: "000123", Mobile: "13812345678", Item: "男单", Role: "个人",
			Status: store.EntryConfirmed, SignedUpAt: signed, CheckedInAt: signed.Add(24 * time.Hour), IDMasked: "110***********1234"},
		{MemberID: 2, Branch: "机关分工会", Name: "李娜", Gender: "F", EmployeeNo: "0456", Item: "男单", Role: "个人", Status: store.EntryWaitlisted, SignedUpAt: signed},
		{MemberID: 3, Branch: "信息工程学院分工会", Name: "王芳", Gender: "F", EmployeeNo: "789", Item: a.Items[1].Name, Team: "羽翼队", Role: "队长",
			Status: store.EntryConfirmed, SignedUpAt: signed.Add(time.Hour)},
		{MemberID: 1, Branch: "机关分工会", Name: "张伟", Gender: "M", EmployeeNo: "000123", Item: a.Items[1].Name, Role: "个人", Status: store.EntryCancelled, SignedUpAt: signed},
	}
	branches := []store.BranchCount{{Name: "机关分工会", Members: 4}, {Name: "信息工程学院分工会", Members: 0}}
	data, err := buildRoster(a, lines, branches, time.Date(2024, 3, 31, 17, 0, 0, 0, time.UTC), loc)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 3 || sheets[0] != "汇总" || sheets[1] != "男单" {
		t.Fatalf("sheets = %q", sheets)
	}
	long := sheets[2]
	if n := len([]rune(long)); n > 31 || strings.ContainsAny(long, "[]:*?/\\") {
		t.Errorf("sheet name %q: %d characters or forbidden characters", long, n)
	}

	rows, _ := f.GetRows("男单")
	wantHeader := "序号 分工会 姓名 性别 工号 项目 队名 角色 手机 状态 报名时间 签到时间 身份证号"
	if got := strings.Join(rows[0], " "); got != wantHeader {
		t.Errorf("header = %s", got)
	}
	if len(rows) != 3 {
		t.Fatalf("男单 rows = %q", rows)
	}
	first := rows[1]
	for i, want := range []string{"1", "机关分工会", "张伟", "男", "000123", "男单", "", "个人", "138****5678", "已签到", "2024-04-02 09:30", "2024-04-03 09:30", "110***********1234"} {
		if first[i] != want {
			t.Errorf("男单 row 1 col %d = %q, want %q", i+1, first[i], want)
		}
	}
	if rows[2][9] != "候补" || rows[2][4] != "0456" {
		t.Errorf("男单 row 2 = %q", rows[2])
	}
	// 工号, 手机 and the ID number are text cells, formatted as text.
	for _, cell := range []string{"E2", "I2", "M2", "E3"} {
		typ, _ := f.GetCellType("男单", cell)
		if typ != excelize.CellTypeSharedString && typ != excelize.CellTypeInlineString {
			t.Errorf("%s has type %v, want a string", cell, typ)
		}
		style, _ := f.GetCellStyle("男单", cell)
		s, _ := f.GetStyle(style)
		if s == nil || s.NumFmt != 49 {
			t.Errorf("%s is not formatted as text", cell)
		}
	}
	panes, _ := f.GetPanes("男单")
	if !panes.Freeze || panes.YSplit != 1 {
		t.Errorf("header not frozen: %+v", panes)
	}
	if w, _ := f.GetColWidth("男单", "B"); w < 20 {
		t.Errorf("column B width = %v", w)
	}

	sum, _ := f.GetRows("汇总")
	text := func() string {
		var b strings.Builder
		for _, r := range sum {
			b.WriteString(strings.Join(r, "|") + "\n")
		}
		return b.String()
	}()
	for _, want := range []string{
		"活动|羽毛球比赛", "导出时间|2024-04-01 01:00",
		"项目|名额|已确认|候补|待分工会确认|待抽签|未通过|已取消|缺席|已签到",
		"男单|4|1|1|0|0|0|0|0|1",
		"合计||2|1|0|0|0|1|0|1",
		"分工会|会员数|参加人数|参与率",
		"机关分工会|4|1|25.00%",
		"信息工程学院分工会|0|1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}

	// Without insurance there is no ID column at all.
	a.NeedsInsurance = false
	data, _ = buildRoster(a, lines, branches, time.Now(), loc)
	f2, _ := excelize.OpenReader(bytes.NewReader(data))
	rows, _ = f2.GetRows("男单")
	if len(rows[0]) != 12 || strings.Contains(strings.Join(rows[1], " "), "1234") && !strings.Contains(strings.Join(rows[1], " "), "138****5678") {
		t.Errorf("uninsured header %q / row %q", rows[0], rows[1])
	}
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(c, "110***") {
				t.Errorf("ID number in an uninsured roster: %q", r)
			}
		}
	}
}

func TestRosterUnitMode(t *testing.T) {
	loc := shanghai(t)
	a := &store.Activity{Title: "健康跑", EntryMode: store.ModeUnit, StartsAt: time.Now(), EndsAt: time.Now().Add(time.Hour)}
	lines := []rosterLine{{MemberID: 1, Branch: "机关分工会", Name: "甲", Status: store.EntryConfirmed}, {MemberID: 2, Branch: "后勤分工会", Name: "乙", Status: store.EntryConfirmed}}
	data, err := buildRoster(a, lines, nil, time.Now(), loc)
	if err != nil {
		t.Fatal(err)
	}
	f, _ := excelize.OpenReader(bytes.NewReader(data))
	if got := strings.Join(f.GetSheetList(), ","); got != "汇总,机关分工会,后勤分工会" {
		t.Errorf("sheets = %s", got)
	}
}

func TestSheetAndFileNames(t *testing.T) {
	used := map[string]bool{"汇总": true}
	for _, tc := range []struct{ in, want string }{
		{"男单", "男单"}, {"男单", "男单(2)"}, {"a/b:c", "a_b_c"}, {"汇总", "汇总(2)"}, {"'x'", "x"}, {"", "名单"},
		{strings.Repeat("长", 40), strings.Repeat("长", 31)}, {strings.Repeat("长", 40), strings.Repeat("长", 28) + "(2)"},
	} {
		if got := sheetName(tc.in, used); got != tc.want {
			t.Errorf("sheetName(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	loc := shanghai(t)
	if got := rosterFileName("羽毛球比赛", time.Date(2024, 3, 31, 16, 30, 0, 0, time.UTC), loc); got != "羽毛球比赛报名表_20240401.xlsx" {
		t.Errorf("file name = %s", got)
	}
	if got := rosterFileName("a/b", time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC), loc); got != "a_b报名表_20240331.xlsx" {
		t.Errorf("file name = %s", got)
	}
}
