package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// taskFixture creates two members and a task owned by the first.
func taskFixture(t *testing.T, db *store.DB) (*store.Task, *store.Member, *store.Member) {
	t.Helper()
	ctx := context.Background()
	owner := &store.Member{OpenID: "ou_owner", Name: "李娜", EmployeeNo: "0101", Active: true}
	other := &store.Member{OpenID: "ou_other", Name: "王强", EmployeeNo: "0102", Active: true}
	task := &store.Task{Year: 2024, Number: 1, Title: "建设省级模范教职工之家", LeadUnit: "校工会", Deadline: "2024-12-31",
		Milestones: []*store.Milestone{{Name: "提交申报材料", Planned: "2024-06-30"}}}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for _, m := range []*store.Member{owner, other} {
			if err := tx.CreateMember(ctx, m); err != nil {
				return err
			}
		}
		task.Owners = []*store.Member{owner}
		if err := tx.SetUnitHead(ctx, "校工会", other.ID, "test"); err != nil {
			return err
		}
		return tx.CreateTask(ctx, task, "test", "测试", "2024-01-02", false)
	})
	if err != nil {
		t.Fatal(err)
	}
	return task, owner, other
}

// taskRows is a snapshot of every task table, to prove a refused change wrote nothing.
func taskRows(t *testing.T, db *store.DB) string {
	t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, progress, note, problems, status, version, extensions FROM tasks ORDER BY id`,
		`SELECT task_id, member_id FROM task_owners ORDER BY task_id, member_id`,
		`SELECT id, status, evidence FROM task_milestones ORDER BY id`,
		`SELECT id, status FROM task_extensions ORDER BY id`,
		`SELECT COUNT(*) FROM task_history`,
		`SELECT COUNT(*) FROM audit_log`,
	} {
		rows, err := db.SQL().Query(q)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			for _, v := range vals {
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				fmt.Fprint(&b, v, "|")
			}
			b.WriteByte('\n')
		}
		rows.Close()
	}
	return b.String()
}

func TestTaskLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		task, owner, other := taskFixture(t, db)
		got, err := db.TaskByID(ctx, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Deadline != "2024-12-31" || got.StartDate != "2024-01-01" || got.CompletedOn != "" || got.Status != store.TaskOpen {
			t.Errorf("dates/status = %q %q %q %q", got.Deadline, got.StartDate, got.CompletedOn, got.Status)
		}
		if len(got.Owners) != 1 || got.Owners[0].ID != owner.ID || got.LeadHead == nil || got.LeadHead.ID != other.ID {
			t.Errorf("owners %v head %v", got.Owners, got.LeadHead)
		}
		if len(got.Milestones) != 1 || got.Milestones[0].Planned != "2024-06-30" || got.Milestones[0].Actual != "" {
			t.Fatalf("milestones = %+v", got.Milestones)
		}
		ms := got.Milestones[0].ID
		// Progress with a milestone done.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpdateProgress(ctx, task.ID, got.Version, store.ProgressUpdate{Progress: 40, Note: "材料已提交", MilestoneID: ms, Evidence: "申报书.pdf"}, owner.OpenID, owner.Display(), "2024-06-28")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = db.TaskByID(ctx, task.ID)
		if got.Progress != 40 || got.Note != "材料已提交" || got.LastUpdateAt == nil || got.Milestones[0].Actual != "2024-06-28" ||
			got.Milestones[0].Status != store.MilestoneDone || got.Version != 2 {
			t.Errorf("after update: %+v %+v", got, got.Milestones[0])
		}
		// A stale version is refused.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpdateProgress(ctx, task.ID, 1, store.ProgressUpdate{Progress: 50}, owner.OpenID, "", "2024-06-28")
			return err
		})
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("stale version: %v", err)
		}
		// Completion and reopening.
		db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpdateProgress(ctx, task.ID, 0, store.ProgressUpdate{Progress: 100}, owner.OpenID, "", "2024-11-01")
			return err
		})
		got, _ = db.TaskByID(ctx, task.ID)
		if !got.Done() || got.CompletedOn != "2024-11-01" {
			t.Errorf("done: %q %q", got.Status, got.CompletedOn)
		}
		db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.UpdateProgress(ctx, task.ID, 0, store.ProgressUpdate{Progress: 90}, owner.OpenID, "", "2024-11-02")
			return err
		})
		got, _ = db.TaskByID(ctx, task.ID)
		if got.Done() || got.CompletedOn != "" {
			t.Errorf("reopened: %q %q", got.Status, got.CompletedOn)
		}
		// Owners, deadline, milestone.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.SetTaskOwners(ctx, task.ID, 0, []int64{owner.ID, other.ID}, "ou_officer", "干事"); err != nil {
				return err
			}
			if _, err := tx.SetTaskDeadline(ctx, task.ID, 0, "2025-01-15", "ou_officer", "干事", "2024-11-02"); err != nil {
				return err
			}
			_, err := tx.AddMilestone(ctx, task.ID, 0, &store.Milestone{Name: "验收", Planned: "2024-12-20"}, "ou_officer", "干事", "2024-11-02")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = db.TaskByID(ctx, task.ID)
		if len(got.Owners) != 2 || got.Deadline != "2025-01-15" || len(got.Milestones) != 2 {
			t.Errorf("after officer edits: owners %d deadline %s milestones %d", len(got.Owners), got.Deadline, len(got.Milestones))
		}
		events, _ := db.TaskEvents(ctx, task.ID, 0)
		var actions []string
		for i := len(events) - 1; i >= 0; i-- {
			actions = append(actions, events[i].Action)
		}
		want := "create progress milestone_done progress complete progress reopen owners deadline milestone_add"
		if strings.Join(actions, " ") != want {
			t.Errorf("history = %s\nwant      %s", strings.Join(actions, " "), want)
		}
		trail, _ := db.AuditTrail(ctx, "task", fmt.Sprint(task.ID))
		if len(trail) != len(events) {
			t.Errorf("audit has %d entries, history %d", len(trail), len(events))
		}
	})
}

func TestTaskExtensions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		task, owner, other := taskFixture(t, db)
		var ext *store.Extension
		err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			ext, err = tx.RequestExtension(ctx, task.ID, owner, "场地改造推迟", "2025-03-31", owner.OpenID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ext.Status != store.ExtensionPending || ext.OldDeadline != "2024-12-31" || ext.NewDeadline != "2025-03-31" || ext.RequesterName != "李娜" {
			t.Errorf("request = %+v", ext)
		}
		before := taskRows(t, db)
		bad := []struct {
			reason, date, code string
		}{
			{"再推迟", "2025-04-30", store.ECONFLICT}, // one pending request at a time
			{"", "2025-04-30", store.EINVALID},
			{"x", "明年", store.EINVALID},
		}
		for _, b := range bad {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.RequestExtension(ctx, task.ID, owner, b.reason, b.date, owner.OpenID)
				return err
			})
			if store.ErrorCode(err) != b.code || store.ErrorMessage(err) == "" {
				t.Errorf("%q %q: %v, want %s", b.reason, b.date, err, b.code)
			}
		}
		if after := taskRows(t, db); after != before {
			t.Errorf("refused requests changed the database:\n%s\n%s", before, after)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.DecideExtension(ctx, ext.ID, true, other, other.OpenID)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ := db.TaskByID(ctx, task.ID)
		if got.Deadline != "2025-03-31" || got.Extensions != 1 {
			t.Errorf("after approval: %s %d", got.Deadline, got.Extensions)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.DecideExtension(ctx, ext.ID, false, other, other.OpenID)
			return err
		})
		if store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("second decision: %v", err)
		}
		// Earlier or same date than the (new) deadline: refused, nothing written.
		before = taskRows(t, db)
		for _, d := range []string{"2025-03-31", "2025-01-01"} {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				_, err := tx.RequestExtension(ctx, task.ID, owner, "理由", d, owner.OpenID)
				return err
			})
			if store.ErrorCode(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "必须晚于") {
				t.Errorf("extension to %s: %v", d, err)
			}
		}
		if after := taskRows(t, db); after != before {
			t.Errorf("refused requests changed the database")
		}
		exts, _ := db.TaskExtensions(ctx, task.ID)
		if len(exts) != 1 || exts[0].DeciderName != "王强" || exts[0].DecidedAt == nil {
			t.Errorf("extensions = %+v", exts)
		}
	})
}

func TestTaskBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		task, owner, _ := taskFixture(t, db)
		before := taskRows(t, db)
		tests := []struct {
			name string
			f    func(tx *store.Tx) error
			want string
		}{
			{"progress -1", func(tx *store.Tx) error {
				_, err := tx.UpdateProgress(ctx, task.ID, 0, store.ProgressUpdate{Progress: -1}, "x", "", "2024-03-01")
				return err
			}, "0 到 100"},
			{"progress 101", func(tx *store.Tx) error {
				_, err := tx.UpdateProgress(ctx, task.ID, 0, store.ProgressUpdate{Progress: 101}, "x", "", "2024-03-01")
				return err
			}, "0 到 100"},
			{"new task in the past", func(tx *store.Tx) error {
				return tx.CreateTask(ctx, &store.Task{Year: 2024, Number: 2, Title: "x", Deadline: "2024-02-01", Owners: []*store.Member{owner}}, "x", "", "2024-03-01", false)
			}, "已经过去"},
			{"duplicate number", func(tx *store.Tx) error {
				return tx.CreateTask(ctx, &store.Task{Year: 2024, Number: 1, Title: "x", Deadline: "2024-12-01"}, "x", "", "2024-03-01", false)
			}, "已存在"},
			{"bad milestone date", func(tx *store.Tx) error {
				return tx.CreateTask(ctx, &store.Task{Year: 2024, Number: 3, Title: "x", Deadline: "2024-12-01",
					Milestones: []*store.Milestone{{Name: "a", Planned: "六月"}}}, "x", "", "2024-03-01", false)
			}, "计划日期无效"},
			{"deadline in the past", func(tx *store.Tx) error {
				_, err := tx.SetTaskDeadline(ctx, task.ID, 0, "2024-02-01", "x", "", "2024-03-01")
				return err
			}, "已经过去"},
			{"milestone after deadline", func(tx *store.Tx) error {
				_, err := tx.AddMilestone(ctx, task.ID, 0, &store.Milestone{Name: "a", Planned: "2025-02-01"}, "x", "", "2024-03-01")
				return err
			}, "晚于任务完成时限"},
			{"no owners", func(tx *store.Tx) error {
				_, err := tx.SetTaskOwners(ctx, task.ID, 0, nil, "x", "")
				return err
			}, "至少指定一位"},
		}
		for _, tc := range tests {
			err := db.InTx(ctx, tc.f)
			if !strings.Contains(store.ErrorMessage(err), tc.want) {
				t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
			}
		}
		if after := taskRows(t, db); after != before {
			t.Errorf("refused changes wrote to the database:\n%s\n%s", before, after)
		}
	})
}
