package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Milestone statuses.
const (
	MilestonePending = "pending"
	MilestoneDone    = "done"
)

// Milestone is a step of a task (节点) with its planned date, and once done, the actual date
// and the evidence (a document name or a link).
type Milestone struct {
	ID        int64     `db:"id"`
	TaskID    int64     `db:"task_id"`
	Name      string    `db:"name"`
	Planned   string    `db:"planned"` // "2006-01-02"
	Actual    string    `db:"actual"`  // "" until done
	Status    string    `db:"status"`
	Evidence  string    `db:"evidence"`
	CreatedAt time.Time `db:"created_at"`
}

func milestoneColumns(dialect string) string {
	return `ms.id, ms.task_id, ms.name, ` + taskDate(dialect, "ms.planned") + ` AS planned, ` +
		taskDate(dialect, "ms.actual") + ` AS actual, ms.status, ms.evidence, ms.created_at`
}

func validateMilestone(m *Milestone) error {
	m.Name = strings.TrimSpace(m.Name)
	if m.Name == "" {
		return Errorf(EINVALID, "请填写节点名称。")
	}
	if utf8.RuneCountInString(m.Name) > MaxTaskTitle {
		return Errorf(EINVALID, "节点名称太长（最多 %d 字）。", MaxTaskTitle)
	}
	d, ok := ParseDate(m.Planned)
	if !ok {
		return Errorf(EINVALID, "节点「%s」的计划日期无效：%q（格式 2024-06-30）。", m.Name, m.Planned)
	}
	m.Planned = d
	if m.Status == "" {
		m.Status = MilestonePending
	}
	return nil
}

func (tx *Tx) insertMilestone(ctx context.Context, m *Milestone) error {
	const op = "store.insertMilestone"
	if err := validateMilestone(m); err != nil {
		return err
	}
	var actual any
	if m.Actual != "" {
		actual = m.Actual
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO task_milestones (task_id, name, planned, actual, status, evidence, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, m.TaskID, m.Name, m.Planned, actual, m.Status, m.Evidence, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	m.CreatedAt = tx.now
	return nil
}

// AddMilestone adds a milestone to a task (an officer's planning). The planned date may not be
// before today nor after the task's deadline.
func (tx *Tx) AddMilestone(ctx context.Context, taskID int64, version int, m *Milestone, actor, actorName, today string) (*Task, error) {
	m.TaskID = taskID
	m.Status, m.Actual = MilestonePending, ""
	if err := validateMilestone(m); err != nil {
		return nil, err
	}
	t, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if m.Planned < today {
		return nil, Errorf(EINVALID, "节点计划日期 %s 已经过去（今天是 %s）。", m.Planned, today)
	}
	if m.Planned > t.Deadline {
		return nil, Errorf(EINVALID, "节点计划日期 %s 晚于任务完成时限 %s。", m.Planned, t.Deadline)
	}
	if err := tx.bumpTask(ctx, taskID, version); err != nil {
		return nil, err
	}
	if err := tx.insertMilestone(ctx, m); err != nil {
		return nil, err
	}
	if err := tx.TaskHistory(ctx, taskID, actor, actorName, "milestone_add", fmt.Sprintf("新增节点「%s」，计划 %s", m.Name, m.Planned)); err != nil {
		return nil, err
	}
	return tx.TaskByID(ctx, taskID)
}

// completeMilestone marks a milestone done on today, with its evidence.
func (tx *Tx) completeMilestone(ctx context.Context, t *Task, m *Milestone, evidence, actor, actorName, today string) error {
	evidence = strings.TrimSpace(evidence)
	if _, err := tx.ExecContext(ctx, `UPDATE task_milestones SET status = ?, actual = ?, evidence = ? WHERE id = ? AND task_id = ?`,
		MilestoneDone, today, evidence, m.ID, t.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.completeMilestone", Err: err}
	}
	detail := fmt.Sprintf("节点「%s」完成（计划 %s，实际 %s）", m.Name, m.Planned, today)
	if evidence != "" {
		detail += "；佐证：" + evidence
	}
	return tx.TaskHistory(ctx, t.ID, actor, actorName, "milestone_done", detail)
}
