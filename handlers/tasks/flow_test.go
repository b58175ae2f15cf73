package tasks_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// snapshot is every task table and the outbox, to prove a refused change wrote nothing.
func snapshot(t *testing.T, db *store.DB) string {
	t.Helper()
	var b bytes.Buffer
	for _, q := range []string{
		`SELECT CONCAT_WS('|', id, progress, note, problems, status, version, extensions) FROM tasks ORDER BY id`,
		`SELECT CONCAT_WS('|', task_id, member_id) FROM task_owners ORDER BY task_id, member_id`,
		`SELECT CONCAT_WS('|', id, status, evidence) FROM task_milestones ORDER BY id`,
		`SELECT CONCAT_WS('|', id, status) FROM task_extensions ORDER BY id`,
		`SELECT CONCAT_WS('|', COUNT(*), 'h') FROM task_history`,
		`SELECT CONCAT_WS('|', COUNT(*), 'a') FROM audit_log`,
		`SELECT CONCAT_WS('|', receive_id, kind) FROM outbox WHERE kind = 'send' ORDER BY created_at`,
	} {
		if db.Dialect == store.SQLite {
			q = sqliteConcat(q)
		}
		var rows []string
		if err := db.Select(context.Background(), &rows, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		fmt.Fprintln(&b, strings.Join(rows, "\n"))
	}
	return b.String()
}

// sqliteConcat rewrites CONCAT_WS('|', a, b) as a || '|' || b for SQLite (which has no
// CONCAT_WS before 3.44).
func sqliteConcat(q string) string {
	start := strings.Index(q, "CONCAT_WS('|', ")
	end := strings.Index(q, ") FROM")
	args := strings.Split(q[start+len("CONCAT_WS('|', "):end], ", ")
	return q[:start] + strings.Join(args, " || '|' || ") + q[end+1:]
}

func seed2024(t *testing.T, db *store.DB) {
	t.Helper()
	im := &tasks.Importer{DB: db, Loc: shanghai, Actor: "cli:test"}
	if _, err := im.Seed(context.Background(), 2024); err != nil {
		t.Fatal(err)
	}
}

func taskID(t *testing.T, db *store.DB, year, number int) int64 {
	t.Helper()
	var id int64
	if err := db.Get(context.Background(), &id, `SELECT id FROM tasks WHERE year = ? AND number = ?`, year, number); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTaskFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, time.Date(2024, 4, 10, 10, 0, 0, 0, shanghai))
		officer := h.member("ou_officer", "赵干事", "9001", store.RoleOfficer)
		owner := h.member("ou_owner", "李娜", "0101")
		h.member("ou_chair", "周主席", "9000", store.RoleChair)
		h.member("ou_other", "王强", "0102")
		seed2024(t, db)
		id := taskID(t, db, 2024, 1)
		task := func() *store.Task {
			tk, err := db.TaskByID(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return tk
		}

		// The board: everyone may look; only officers get the create button.
		board := h.Say("ou_other", "实事 2024")
		if !contains(board, "2024 年十件实事", "建设省级模范教职工之家", "tasks.show", "🔴 逾期 1") || strings.Contains(board, "tasks.create_form") {
			t.Errorf("member's board: %.600s", board)
		}
		if b := h.Say("ou_officer", "实事"); !contains(b, "tasks.create_form") {
			t.Errorf("officer's board lacks the create button")
		}
		if got := h.Say("ou_other", "实事 明年"); !contains(got, "年份无效") {
			t.Errorf("bad year: %q", got)
		}

		// The officer assigns the owner through the manage card.
		_, mc := h.click("ou_officer", map[string]any{"action": "tasks.manage", "task_id": id}, nil)
		if !contains(mc, "owners_form", "deadline_form", "milestone_form") {
			t.Fatalf("manage card: %.300s", mc)
		}
		toast, cd := h.click("ou_officer", map[string]any{"action": "tasks.owners", "task_id": id, "version": task().Version},
			map[string]any{"owners": []any{"ou_owner"}})
		if toast != "已保存责任人。" || !contains(cd, "李娜") {
			t.Fatalf("assign: %q %.300s", toast, cd)
		}
		if msgs := h.Sent("ou_owner"); len(msgs) != 1 || !contains(msgs[0], "责任人", "建设省级模范教职工之家") {
			t.Errorf("owner not told: %v", msgs)
		}
		toast, _ = h.click("ou_officer", map[string]any{"action": "tasks.milestone", "task_id": id, "version": task().Version},
			map[string]any{"name": "提交申报材料", "planned": "2024-06-30 +0800"})
		if !strings.Contains(toast, "已添加节点") {
			t.Fatalf("milestone: %q", toast)
		}
		ms := task().Milestones[0].ID

		// Bad input: each refused with a Chinese toast, the database unchanged.
		before := snapshot(t, db)
		v := task().Version
		bad := []struct {
			name, who string
			value     map[string]any
			form      map[string]any
			want      string
		}{
			{"progress 150", "ou_owner", map[string]any{"action": "tasks.progress", "task_id": id, "version": v}, map[string]any{"progress": "150"}, "0 到 100"},
			{"progress -5", "ou_owner", map[string]any{"action": "tasks.progress", "task_id": id, "version": v}, map[string]any{"progress": "-5"}, "0 到 100"},
			{"progress word", "ou_owner", map[string]any{"action": "tasks.progress", "task_id": id, "version": v}, map[string]any{"progress": "一半"}, "整数"},
			{"not responsible", "ou_other", map[string]any{"action": "tasks.progress", "task_id": id, "version": v}, map[string]any{"progress": "50"}, "不是「建设省级模范教职工之家」的责任人"},
			{"not responsible form", "ou_other", map[string]any{"action": "tasks.progress_form", "task_id": id}, nil, "不是"},
			{"stale card", "ou_owner", map[string]any{"action": "tasks.progress", "task_id": id, "version": v - 1}, map[string]any{"progress": "50"}, "已被他人更新"},
			{"extension earlier", "ou_owner", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"reason": "来不及", "new_deadline": "2024-11-30 +0800"}, "必须晚于"},
			{"extension same", "ou_owner", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"reason": "来不及", "new_deadline": "2024-12-31 +0800"}, "必须晚于"},
			{"extension by non-owner", "ou_officer", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"reason": "x", "new_deadline": "2025-03-31"}, "只有"},
			{"extension without reason", "ou_owner", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"new_deadline": "2025-03-31"}, "延期理由"},
			{"new task in the past", "ou_officer", map[string]any{"action": "tasks.create", "year": 2024}, map[string]any{"number": "11", "title": "补建", "owners": []any{"ou_owner"}, "deadline": "2024-03-01 +0800"}, "已经过去"},
			{"deadline in the past", "ou_officer", map[string]any{"action": "tasks.deadline", "task_id": id, "version": v}, map[string]any{"deadline": "2024-01-31"}, "已经过去"},
			{"owner unknown", "ou_officer", map[string]any{"action": "tasks.owners", "task_id": id, "version": v}, map[string]any{"owners": []any{"ou_stranger"}}, "还没有使用过"},
			{"member decides", "ou_other", map[string]any{"action": "tasks.decide", "ext_id": 1, "approve": true}, nil, "没有权限"},
			{"member manages", "ou_other", map[string]any{"action": "tasks.manage", "task_id": id}, nil, "没有权限"},
		}
		for _, b := range bad {
			toast, _ := h.click(b.who, b.value, b.form)
			if !strings.Contains(toast, b.want) {
				t.Errorf("%s: toast %q, want %q", b.name, toast, b.want)
			}
		}
		if after := snapshot(t, db); after != before {
			t.Errorf("refused input changed the database:\n--- before\n%s--- after\n%s", before, after)
		}

		// The owner reports progress with the milestone done.
		_, form := h.click("ou_owner", map[string]any{"action": "tasks.progress_form", "task_id": id}, nil)
		if !contains(form, "progress_form", "提交申报材料") {
			t.Errorf("progress form: %.300s", form)
		}
		toast, cd = h.click("ou_owner", map[string]any{"action": "tasks.progress", "task_id": id, "version": task().Version},
			map[string]any{"progress": "35", "note": "完成自评", "problems": "需要场地经费", "milestone": fmt.Sprint(ms), "evidence": "自评报告.docx"})
		if toast != "已更新进度：35%" || !contains(cd, "完成自评", "需要场地经费", "☑ 提交申报材料") {
			t.Errorf("progress: %q %.500s", toast, cd)
		}
		// An officer may report too; the history says who.
		toast, _ = h.click("ou_officer", map[string]any{"action": "tasks.progress", "task_id": id, "version": task().Version},
			map[string]any{"progress": "40"})
		if toast != "已更新进度：40%" {
			t.Errorf("officer progress: %q", toast)
		}
		events, _ := db.TaskEvents(context.Background(), id, 1)
		if len(events) != 1 || events[0].ActorName != "赵干事" || events[0].Actor != "ou_officer" {
			t.Errorf("last history line: %+v", events)
		}

		// Extension: the owner asks, the officers are asked, the chair refuses, then an officer approves a second request.
		toast, _ = h.click("ou_owner", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"reason": "场地改造推迟", "new_deadline": "2025-03-31 +0800"})
		if !strings.Contains(toast, "已提交延期申请") {
			t.Fatalf("extend: %q", toast)
		}
		for _, o := range []string{"ou_officer", "ou_chair"} {
			msgs := h.Sent(o)
			if len(msgs) != 1 || !contains(msgs[0], "延期申请待审批", "2025-03-31", "tasks.decide") {
				t.Errorf("%s not asked: %v", o, msgs)
			}
		}
		exts, _ := db.TaskExtensions(context.Background(), id)
		toast, _ = h.click("ou_chair", map[string]any{"action": "tasks.decide", "ext_id": exts[0].ID, "approve": false}, nil)
		if !strings.Contains(toast, "已不同意") {
			t.Errorf("refuse: %q", toast)
		}
		toast, _ = h.click("ou_officer", map[string]any{"action": "tasks.decide", "ext_id": exts[0].ID, "approve": true}, nil)
		if !strings.Contains(toast, "已处理") {
			t.Errorf("second decision: %q", toast)
		}
		h.click("ou_owner", map[string]any{"action": "tasks.extend", "task_id": id}, map[string]any{"reason": "经费下月到位", "new_deadline": "2025-01-31"})
		exts, _ = db.TaskExtensions(context.Background(), id)
		toast, cd = h.click("ou_officer", map[string]any{"action": "tasks.decide", "ext_id": exts[0].ID, "approve": true}, nil)
		if !strings.Contains(toast, "已同意") || !contains(cd, "2025-01-31（延期 1 次）") {
			t.Errorf("approve: %q %.400s", toast, cd)
		}
		msgs := h.Sent("ou_owner")
		if len(msgs) != 3 || !contains(msgs[1], "未获同意") || !contains(msgs[2], "已获同意", "2025-01-31") {
			t.Errorf("requester told: %v", msgs)
		}
		if tk := task(); tk.Deadline != "2025-01-31" || tk.Extensions != 1 {
			t.Errorf("task after approval: %s %d", tk.Deadline, tk.Extensions)
		}

		// Officers create a task in chat.
		toast, cd = h.click("ou_officer", map[string]any{"action": "tasks.create", "year": 2024},
			map[string]any{"number": "11", "title": "建设教职工书屋", "owners": []any{"ou_owner", "ou_other"}, "deadline": "2024-10-31 +0800"})
		if toast != "已创建。" || !contains(cd, "建设教职工书屋", "李娜", "王强") {
			t.Errorf("create: %q %.300s", toast, cd)
		}
		// Completing a task.
		id11 := taskID(t, db, 2024, 11)
		toast, _ = h.click("ou_other", map[string]any{"action": "tasks.progress", "task_id": id11}, map[string]any{"progress": "100"})
		if tk, _ := db.TaskByID(context.Background(), id11); toast != "已完成，辛苦了！" || !tk.Done() || tk.CompletedOn != "2024-04-10" {
			t.Errorf("complete: %q %+v", toast, tk)
		}
		_ = officer
		_ = owner
	})
}
