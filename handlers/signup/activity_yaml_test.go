package signup

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
)

func shanghai(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestParseExampleYAML(t *testing.T) {
	f, err := os.Open("../../examples/activity-badminton.yaml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	acts, err := ParseActivitiesYAML(f, shanghai(t))
	if err != nil {
		t.Fatalf("the committed example does not parse: %v", err)
	}
	if len(acts) != 1 {
		t.Fatalf("got %d activities", len(acts))
	}
	a := acts[0]
	if got, want := a.StartsAt, time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("start = %v, want %v (14:00 in Shanghai)", got, want)
	}
	if a.Kind != store.KindSport || a.Capacity != 64 || a.BranchQuota != 8 || !a.OneItemPerPerson || !a.MembersOnly ||
		a.MinEntries != 8 || a.EntryMode != store.ModeIndividual || a.Allocation != store.AllocFirstCome {
		t.Errorf("activity = %+v", a)
	}
	if len(a.Items) != 4 || a.Items[0].Name != "男单" || a.Items[0].Capacity != 24 || a.Items[0].Gender != "M" || a.Items[1].Gender != "F" {
		t.Errorf("items = %v", itemLines(a.Items))
	}
	if a.CancelDeadline.IsZero() || !strings.Contains(a.Description, "淘汰赛制") {
		t.Errorf("cancel deadline %v, description %q", a.CancelDeadline, a.Description)
	}
}

const goodDoc = `title: 三八趣味运动会
kind: 文化
start: 2024-03-08 14:00
end: 2024-03-08 17:00
signup_opens: 2024-03-01 09:00
signup_closes: 2024-03-06 18:00
entry_mode: 组队
eligibility:
  women_only: true
  branches: [机关分工会, 信息工程学院分工会]
items:
  - 女子接力 6 4-4 限女
  - {name: 拔河, capacity: 4, team: 8-10, min_women: 8}
`

func TestParseActivitiesYAML(t *testing.T) {
	loc := shanghai(t)
	acts, err := ParseActivitiesYAML(strings.NewReader(goodDoc+"---\n"+strings.Replace(goodDoc, "三八趣味运动会", "第二场", 1)), loc)
	if err != nil {
		t.Fatal(err)
	}
	if len(acts) != 2 || acts[1].Title != "第二场" {
		t.Fatalf("got %d activities", len(acts))
	}
	a := acts[0]
	if a.Kind != store.KindCulture || a.EntryMode != store.ModeTeam || !a.WomenOnly || len(a.Branches) != 2 {
		t.Errorf("activity = %+v", a)
	}
	if it := a.Items[1]; it.Name != "拔河" || it.TeamMin != 8 || it.TeamMax != 10 || it.MinWomen != 8 || it.Capacity != 4 {
		t.Errorf("mapping item = %+v", it)
	}

	bad := []struct {
		name, doc, want string
	}{
		{"end before start", strings.Replace(goodDoc, "end: 2024-03-08 17:00", "end: 2024-03-08 13:00", 1), "第 4 行：结束时间必须晚于开始时间"},
		{"bad time", strings.Replace(goodDoc, "start: 2024-03-08 14:00", "start: 三月八日", 1), "第 3 行：时间「三月八日」看不懂"},
		{"unknown key", goodDoc + "capacty: 10\n", "第 14 行：不认识的键「capacty」"},
		{"unknown eligibility key", strings.Replace(goodDoc, "  women_only: true", "  woman_only: true", 1), "第 9 行：不认识的键「woman_only」"},
		{"bad item line", strings.Replace(goodDoc, "女子接力 6 4-4 限女", "女子接力 六人", 1), "第 12 行：项目行「女子接力 六人」：看不懂「六人」"},
		{"not an int", goodDoc + "capacity: 很多\n", "第 14 行：「很多」不是整数"},
		{"quota above capacity", goodDoc + "capacity: 4\nbranch_quota: 5\n", "第 15 行：每个分工会的限额（5）不能大于总名额（4）"},
		{"closes after start", strings.Replace(goodDoc, "signup_closes: 2024-03-06 18:00", "signup_closes: 2024-03-09 18:00", 1), "第 6 行：报名截止时间不能晚于活动开始时间"},
		{"bad kind", strings.Replace(goodDoc, "kind: 文化", "kind: 比赛", 1), "第 2 行：活动类型「比赛」无效"},
		{"team item without size", strings.Replace(goodDoc, "女子接力 6 4-4 限女", "女子接力 6", 1), "第 1 行：活动「三八趣味运动会」：组队报名的项目「女子接力」要写每队人数"},
		{"syntax", "title: [unclosed\n", "YAML 语法错误"},
		{"missing start", "title: x\nkind: sport\n", "第 1 行：活动「x」缺少 start"},
		{"no title", "kind: sport\n", "第 1 行：活动缺少 title"},
		{"a list", "- a\n- b\n", "第 1 行：每个活动要写成"},
		{"second document bad", goodDoc + "---\n" + strings.Replace(goodDoc, "capacity: 4, ", "capacity: -1, ", 1), "不能小于 0"},
		{"empty", "# nothing\n", "文件里没有活动"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			acts, err := ParseActivitiesYAML(strings.NewReader(tc.doc), loc)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", err, tc.want)
			}
			if acts != nil {
				t.Errorf("activities returned with an error")
			}
		})
	}
}

func itemLines(items []*store.ActivityItem) []string {
	var out []string
	for _, it := range items {
		out = append(out, ItemLine(it))
	}
	return out
}

func TestParseItemLine(t *testing.T) {
	tests := []struct {
		line string
		want store.ActivityItem
		err  string
	}{
		{"男单 16", store.ActivityItem{Name: "男单", Capacity: 16}, ""},
		{"男单", store.ActivityItem{Name: "男单"}, ""},
		{"混双 8 2-2 女1", store.ActivityItem{Name: "混双", Capacity: 8, TeamMin: 2, TeamMax: 2, MinWomen: 1}, ""},
		{"拔河 4 8～10 女3", store.ActivityItem{Name: "拔河", Capacity: 4, TeamMin: 8, TeamMax: 10, MinWomen: 3}, ""},
		{"双打 8 2", store.ActivityItem{Name: "双打", Capacity: 8, TeamMin: 2, TeamMax: 2}, ""},
		{"女子接力　6人 4-4 限女", store.ActivityItem{Name: "女子接力", Capacity: 6, TeamMin: 4, TeamMax: 4, Gender: "F"}, ""},
		{"16 男单", store.ActivityItem{}, "要以项目名称开头"},
		{"男单 十六", store.ActivityItem{}, "看不懂「十六」"},
		{"混双 8 2-1", store.ActivityItem{}, "不是有效的每队人数"},
		{"混双 8 2-2 女x", store.ActivityItem{}, "不是有效的最少女性人数"},
		{"混双 8 2-2 3", store.ActivityItem{}, "多余的数字「3」"},
		{"男单 -3", store.ActivityItem{}, "不是有效的每队人数"},
	}
	for _, tc := range tests {
		it, err := ParseItemLine(tc.line)
		if tc.err != "" {
			if err == nil || !strings.Contains(store.ErrorMessage(err), tc.err) || !strings.Contains(store.ErrorMessage(err), "混双 8 2-2 女1") {
				t.Errorf("%q: err = %v, want %q and the hint", tc.line, err, tc.err)
			}
			continue
		}
		if err != nil || *it != tc.want {
			t.Errorf("%q = %+v, %v; want %+v", tc.line, it, err, tc.want)
			continue
		}
		if back, _ := ParseItemLine(ItemLine(it)); *back != *it {
			t.Errorf("%q: round trip %q = %+v", tc.line, ItemLine(it), back)
		}
	}
}
