package tasks_test

import (
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, shanghai)
	if err != nil {
		panic(err)
	}
	return d
}

func TestColour(t *testing.T) {
	p := tasks.Pace{NearDays: 7, Margin: 15}
	task := func(progress int, deadline, status string) *store.Task {
		return &store.Task{Year: 2024, StartDate: "2024-01-01", Deadline: deadline, Progress: progress, Status: status}
	}
	tests := []struct {
		name     string
		t        *store.Task
		today    string
		want     tasks.Colour
		expected int
	}{
		{"on track at the start", task(0, "2024-12-31", "open"), "2024-01-01", tasks.Normal, 0},
		{"half-way, 40%", task(40, "2024-12-31", "open"), "2024-07-01", tasks.Normal, 50},
		{"half-way, 35% is the margin exactly", task(35, "2024-12-31", "open"), "2024-07-01", tasks.Normal, 50},
		{"half-way, 34% is behind", task(34, "2024-12-31", "open"), "2024-07-01", tasks.Yellow, 50},
		{"near the deadline, on pace", task(95, "2024-12-31", "open"), "2024-12-24", tasks.Blue, 98},
		{"near and behind: yellow first", task(50, "2024-12-31", "open"), "2024-12-24", tasks.Yellow, 98},
		{"deadline day", task(99, "2024-12-31", "open"), "2024-12-31", tasks.Blue, 100},
		{"overdue", task(99, "2024-12-31", "open"), "2025-01-02", tasks.Red, 100},
		{"done", task(100, "2024-12-31", "done"), "2025-01-02", tasks.Green, 100},
		{"三八, a week before", task(10, "2024-03-08", "open"), "2024-03-01", tasks.Yellow, 89},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			j := p.Colour(tc.t, day(tc.today))
			if j.Colour != tc.want || j.Expected != tc.expected {
				t.Errorf("got %s (expected %d%%), want %s (%d%%)", j.Colour, j.Expected, tc.want, tc.expected)
			}
		})
	}
	if j := p.Colour(task(0, "2024-12-31", "open"), day("2025-01-05")); j.OverdueDays != 5 || j.DaysLeft != -5 {
		t.Errorf("overdue days = %d, left %d", j.OverdueDays, j.DaysLeft)
	}
	if got := tasks.Bar(40); got != "▓▓▓▓░░░░░░ 40%" {
		t.Errorf("Bar(40) = %q", got)
	}
}

// fixture is a board of tasks in every colour on 2024-07-01.
func fixture() []*store.Task {
	li := &store.Member{ID: 1, OpenID: "ou_li", Name: "李娜", BranchName: "机关分工会"}
	wang := &store.Member{ID: 2, OpenID: "ou_wang", Name: "王强", BranchName: "信息学院分工会"}
	mk := func(n, progress int, title, deadline, status, completed string, owners ...*store.Member) *store.Task {
		return &store.Task{ID: int64(n), Year: 2024, Number: n, Title: title, LeadUnit: "校工会", StartDate: "2024-01-01",
			Deadline: deadline, Progress: progress, Status: status, CompletedOn: completed, Owners: owners, Version: 3}
	}
	t1 := mk(1, 40, "建设省级模范教职工之家", "2024-12-31", "open", "", li, wang)
	t1.Goal, t1.PartnerUnits, t1.Leader = "通过省级模范教职工之家评审", "各分工会", "张副校长"
	t1.Note, t1.Problems, t1.Extensions = "完成自评", "需要场地经费 <at id=all></at>", 1
	t1.Milestones = []*store.Milestone{
		{ID: 11, TaskID: 1, Name: "提交申报材料", Planned: "2024-06-30", Actual: "2024-06-28", Status: "done", Evidence: "申报书.pdf"},
		{ID: 12, TaskID: 1, Name: "迎接检查", Planned: "2024-06-15", Status: "pending"},
		{ID: 13, TaskID: 1, Name: "验收", Planned: "2024-10-31", Status: "pending"},
	}
	return []*store.Task{
		t1,
		mk(3, 10, "探索和实施幼儿园“托幼一体”模式改革", "2024-12-31", "open", "", wang),
		mk(6, 90, "开展劳动技能大比武系列活动", "2024-07-05", "open", ""),
		mk(8, 60, "依法依规修订和完善学校工会工作制度", "2024-06-30", "open", "", li),
		mk(9, 100, "隆重开展庆祝三八国际劳动妇女节系列活动", "2024-03-08", "done", "2024-03-08", li),
	}
}

func TestCardsGolden(t *testing.T) {
	h := tasks.New(handlers.Deps{Loc: shanghai})
	ts := fixture()
	today := day("2024-07-01")
	at := time.Date(2024, 6, 28, 2, 30, 0, 0, time.UTC)
	decided := at.Add(time.Hour)
	events := []store.TaskEvent{
		{ID: 3, TaskID: 1, At: at.Add(time.Hour), Actor: "ou_officer", ActorName: "赵干事", Action: "extension_approved", Detail: "同意延期：完成时限 2024-11-30 → 2024-12-31"},
		{ID: 2, TaskID: 1, At: at, Actor: "ou_li", ActorName: "李娜（机关分工会）", Action: "progress", Detail: "进度 20% → 40%；说明：完成自评"},
		{ID: 1, TaskID: 1, At: at.Add(-72 * time.Hour), Actor: "cli:root", Action: "create", Detail: "创建任务「建设省级模范教职工之家」"},
	}
	exts := []*store.Extension{
		{ID: 2, TaskID: 1, Reason: "等待省总检查排期", OldDeadline: "2024-12-31", NewDeadline: "2025-01-31", RequesterName: "李娜", Status: "pending"},
		{ID: 1, TaskID: 1, Reason: "场地改造", OldDeadline: "2024-11-30", NewDeadline: "2024-12-31", RequesterName: "李娜", Status: "approved", DeciderName: "赵干事", DecidedAt: &decided},
	}
	tests := []struct {
		name string
		card *card.Card
	}{
		{"board_member", h.BoardCard(2024, ts, today, tasks.Viewer{MemberID: 9})},
		{"board_officer", h.BoardCard(2024, ts, today, tasks.Viewer{MemberID: 9, Officer: true})},
		{"board_empty", h.BoardCard(2025, nil, today, tasks.Viewer{})},
		{"task_owner", h.TaskCard(ts[0], events, exts, today, tasks.Viewer{MemberID: 1})},
		{"task_officer", h.TaskCard(ts[0], events, exts, today, tasks.Viewer{MemberID: 9, Officer: true})},
		{"task_overdue_member", h.TaskCard(ts[3], nil, nil, today, tasks.Viewer{MemberID: 9})},
		{"progress_form", h.ProgressFormCard(ts[0])},
		{"extend_form", h.ExtendFormCard(ts[0])},
		{"extension_request", h.ExtensionCard(ts[0], exts[0])},
		{"manage", h.ManageCard(ts[0])},
		{"create", h.CreateCard(2024, 11)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			golden.Card(t, tc.name, tc.card)
		})
	}
}
