package tasks_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// importMembers creates the members the example file names.
func importMembers(t *testing.T, h *harness) {
	for _, m := range []struct{ open, name, no string }{
		{"ou_u1", "工会主席", "0001"}, {"ou_u2", "女工委主任", "0002"}, {"ou_l", "张副校长", "0009"},
		{"ou_a", "李娜", "0101"}, {"ou_b", "王强", "0102"}, {"ou_c", "陈静", "0103"},
	} {
		h.member(m.open, m.name, m.no)
	}
}

func TestSeed(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		newHarness(t, db, time.Date(2024, 3, 24, 10, 0, 0, 0, shanghai))
		im := &tasks.Importer{DB: db, Loc: shanghai, Actor: "cli:test"}
		rep, err := im.Seed(context.Background(), 2024)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Created) != 10 || len(rep.Skipped) != 0 {
			t.Fatalf("first seed: %s", rep)
		}
		ts, _ := db.TasksByYear(context.Background(), 2024)
		if len(ts) != 10 || ts[8].Deadline != "2024-03-08" || ts[0].Deadline != "2024-12-31" || ts[0].LeadUnit != "校工会" ||
			ts[8].Title != "隆重开展庆祝三八国际劳动妇女节系列活动" || ts[3].Title != "办好师生放心医务室，探索建立“职工医院”" {
			t.Errorf("seeded tasks: %+v", ts[0])
		}
		before := snapshot(t, db)
		rep, err = im.Seed(context.Background(), 2024)
		if err != nil || len(rep.Created) != 0 || len(rep.Skipped) != 10 || !strings.Contains(rep.String(), "没有任何改动") {
			t.Errorf("second seed: %v %s", err, rep)
		}
		if snapshot(t, db) != before {
			t.Error("second seed changed the database")
		}
		if _, err := im.Seed(context.Background(), 2019); err == nil || !strings.Contains(err.Error(), "没有 2019 年") {
			t.Errorf("seed 2019: %v", err)
		}
	})
}

func TestImport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, time.Date(2024, 1, 5, 10, 0, 0, 0, shanghai))
		importMembers(t, h)
		im := &tasks.Importer{DB: db, Loc: shanghai, Actor: "cli:test"}
		ctx := context.Background()

		bad := []struct {
			name, file string
			want       []string
		}{
			{"syntax", "year: 2024\ntasks:\n  - number: 1\n    title: [unclosed\n", []string{"第 4 行"}},
			{"tab", "year: 2024\ntasks:\n\t- number: 1\n", []string{"第 3 行：格式错误"}},
			{"indentation", "year: 2024\ntasks:\n  - number: 1\n   title: x\n", []string{"第 4 行：格式错误"}},
			{"unknown key", "year: 2024\ntasks:\n  - number: 1\n    titel: 拼错\n    deadline: 2024-12-31\n", []string{"第 4 行：未知的字段「titel」"}},
			{"wrong type", "year: 2024\ntasks:\n  - number: one\n    title: x\n    deadline: 2024-12-31\n", []string{"第 3 行", "取值类型不对"}},
			{"empty", "", []string{"文件为空"}},
			{"no tasks", "year: 2024\n", []string{"没有任何任务"}},
			{"semantic", strings.Join([]string{
				"year: 2024",                       // 1
				"units:",                           // 2
				"  - name: 校工会",                    // 3
				"    head: \"7777\"",               // 4
				"tasks:",                           // 5
				"  - number: 1",                    // 6
				"    title: 好任务",                   // 7
				"    deadline: 2024-12-31",         // 8
				"    owners: [\"0101\"]",           // 9
				"  - number: 2",                    // 10
				"    title: 坏日期",                   // 11
				"    deadline: 2024-13-01",         // 12
				"  - number: 3",                    // 13
				"    title: 已过期",                   // 14
				"    deadline: 2024-01-01",         // 15
				"  - number: 4",                    // 16
				"    title: 无此人",                   // 17
				"    deadline: 2024-12-31",         // 18
				"    owners: [\"0101\", \"8888\"]", // 19
				"  - number: 1",                    // 20
				"    title: 重复",                    // 21
				"    deadline: 2024-12-31",         // 22
				"  - number: 5",                    // 23
				"    title: 节点晚于时限",                // 24
				"    deadline: 2024-06-30",         // 25
				"    milestones:",                  // 26
				"      - name: 验收",                 // 27
				"        planned: 2024-07-01",      // 28
			}, "\n"), []string{
				"第 4 行：找不到工号为 7777 的成员",
				"第 12 行：第 2 项：完成时限无效",
				"第 15 行：第 3 项：完成时限 2024-01-01 已经过去",
				"第 19 行：找不到工号为 8888 的成员（责任人）",
				"第 20 行：序号 1 与第 6 行的任务重复",
				"第 28 行：节点「验收」的计划日期 2024-07-01 晚于完成时限 2024-06-30",
			}},
		}
		before := snapshot(t, db)
		for _, b := range bad {
			_, err := im.Import(ctx, b.name+".yaml", strings.NewReader(b.file))
			var ie *tasks.ImportError
			if !errors.As(err, &ie) {
				t.Errorf("%s: err = %v, want an ImportError", b.name, err)
				continue
			}
			for _, w := range b.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%s: %v\nlacks %q", b.name, err, w)
				}
			}
			if !strings.Contains(err.Error(), "未导入任何任务") {
				t.Errorf("%s: %v", b.name, err)
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("a refused file changed the database:\n%s\n%s", before, after)
		}

		f, err := os.Open("../../examples/tasks-2024.yaml")
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rep, err := im.Import(ctx, "tasks-2024.yaml", f)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Created) != 3 || rep.Units != 2 {
			t.Errorf("example: %s", rep)
		}
		ts, _ := db.TasksByYear(ctx, 2024)
		if len(ts) != 3 {
			t.Fatalf("tasks = %d", len(ts))
		}
		t1 := ts[0]
		if len(t1.Owners) != 2 || t1.Owners[0].EmployeeNo != "0101" && t1.Owners[1].EmployeeNo != "0101" || len(t1.Milestones) != 2 ||
			t1.StartDate != "2024-03-24" || t1.Leader != "张副校长" || t1.LeaderMemberID == 0 || t1.LeadHead == nil ||
			t1.LeadHead.EmployeeNo != "0001" || t1.PartnerUnits != "各分工会" {
			t.Errorf("task 1 = %+v", t1)
		}
		if ts[1].LeadHead == nil || ts[1].LeadHead.EmployeeNo != "0002" {
			t.Errorf("task 7's lead unit head: %+v", ts[1].LeadHead)
		}
		// The seed adds the seven tasks the example did not have.
		rep, err = (&tasks.Importer{DB: db, Loc: shanghai, Actor: "cli:test"}).Seed(ctx, 2024)
		if err != nil || len(rep.Created) != 7 || len(rep.Skipped) != 3 {
			t.Errorf("seed after import: %v %s", err, rep)
		}
	})
}
