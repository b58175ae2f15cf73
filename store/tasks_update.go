package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Changing a task: progress reports, owners and deadline, each checked against the version the
// user's card showed and written to the history.

// bumpTask marks a task changed: a new version and updated_at. When version is not 0 the task
// must still be at that version (the card the user clicked is current), else ECONFLICT.
func (tx *Tx) bumpTask(ctx context.Context, id int64, version int) error {
	const op = "store.bumpTask"
	q := `UPDATE tasks SET version = version + 1, updated_at = ? WHERE id = ?`
	args := []any{tx.now, id}
	if version != 0 {
		q += ` AND version = ?`
		args = append(args, version)
	}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "任务已被他人更新，请重新打开任务卡片后再操作。"}
	}
	return nil
}

// ProgressUpdate is a responsible member's (or an officer's) report on a task.
type ProgressUpdate struct {
	Progress    int    // 0..100
	Note        string // what was done
	Problems    string // problems needing coordination ("" for none)
	MilestoneID int64  // a milestone reported done with this update (0 for none)
	Evidence    string // the milestone's evidence (a link, a document name)
}

// UpdateProgress records a progress report on a task: progress, note, problems and optionally
// a milestone done. Reaching 100 % completes the task on today; going below 100 % reopens it.
// version, when not 0, must be the task's current version. The change goes to the history.
func (tx *Tx) UpdateProgress(ctx context.Context, taskID int64, version int, u ProgressUpdate, actor, actorName, today string) (*Task, error) {
	const op = "store.UpdateProgress"
	if u.Progress < 0 || u.Progress > 100 {
		return nil, Errorf(EINVALID, "进度应在 0 到 100 之间，收到 %d。", u.Progress)
	}
	u.Note, u.Problems = strings.TrimSpace(u.Note), strings.TrimSpace(u.Problems)
	if utf8.RuneCountInString(u.Note) > MaxTaskText || utf8.RuneCountInString(u.Problems) > MaxTaskText ||
		utf8.RuneCountInString(u.Evidence) > MaxTaskText {
		return nil, Errorf(EINVALID, "说明太长（每项最多 %d 字）。", MaxTaskText)
	}
	t, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	var ms *Milestone
	if u.MilestoneID != 0 {
		for _, m := range t.Milestones {
			if m.ID == u.MilestoneID {
				ms = m
			}
		}
		if ms == nil {
			return nil, Errorf(EINVALID, "该任务没有这个节点。")
		}
		if ms.Status == MilestoneDone {
			return nil, Errorf(EINVALID, "节点「%s」已于 %s 完成。", ms.Name, ms.Actual)
		}
	}
	if err := tx.bumpTask(ctx, taskID, version); err != nil {
		return nil, err
	}
	status, completed := TaskOpen, sql.NullString{}
	if u.Progress == 100 {
		status, completed = TaskDone, sql.NullString{String: today, Valid: true}
		if t.Done() {
			completed.String = t.CompletedOn
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET progress = ?, note = ?, problems = ?, status = ?, completed_on = ?,
		last_update_at = ? WHERE id = ?`, u.Progress, u.Note, u.Problems, status, completed, tx.now, taskID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	detail := fmt.Sprintf("进度 %d%% → %d%%", t.Progress, u.Progress)
	if u.Note != "" {
		detail += "；说明：" + u.Note
	}
	if u.Problems != "" {
		detail += "；需协调：" + u.Problems
	}
	if err := tx.TaskHistory(ctx, taskID, actor, actorName, "progress", detail); err != nil {
		return nil, err
	}
	if ms != nil {
		if err := tx.completeMilestone(ctx, t, ms, u.Evidence, actor, actorName, today); err != nil {
			return nil, err
		}
	}
	switch {
	case status == TaskDone && !t.Done():
		if err := tx.TaskHistory(ctx, taskID, actor, actorName, "complete", "任务完成，完成日期 "+today); err != nil {
			return nil, err
		}
	case status == TaskOpen && t.Done():
		if err := tx.TaskHistory(ctx, taskID, actor, actorName, "reopen", "进度低于 100%，任务重新打开"); err != nil {
			return nil, err
		}
	}
	return tx.TaskByID(ctx, taskID)
}

// SetTaskOwners replaces a task's responsible members.
func (tx *Tx) SetTaskOwners(ctx context.Context, taskID int64, version int, memberIDs []int64, actor, actorName string) (*Task, error) {
	const op = "store.SetTaskOwners"
	if len(memberIDs) == 0 {
		return nil, Errorf(EINVALID, "请至少指定一位责任人。")
	}
	t, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if err := tx.bumpTask(ctx, taskID, version); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM task_owners WHERE task_id = ?`, taskID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, id := range memberIDs {
		if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO task_owners (task_id, member_id) VALUES (?, ?)`, taskID, id); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	nt, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if err := tx.TaskHistory(ctx, taskID, actor, actorName, "owners", "责任人 "+t.OwnerNames()+" → "+nt.OwnerNames()); err != nil {
		return nil, err
	}
	return nt, nil
}

// SetTaskDeadline changes a task's deadline directly (an officer's decision, not an extension
// request); the new date may not be before today.
func (tx *Tx) SetTaskDeadline(ctx context.Context, taskID int64, version int, deadline, actor, actorName, today string) (*Task, error) {
	const op = "store.SetTaskDeadline"
	d, ok := ParseDate(deadline)
	if !ok {
		return nil, Errorf(EINVALID, "完成时限无效：%q（格式 2024-12-31）。", deadline)
	}
	if d < today {
		return nil, Errorf(EINVALID, "完成时限 %s 已经过去（今天是 %s）。", d, today)
	}
	t, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if d < t.StartDate {
		return nil, Errorf(EINVALID, "完成时限 %s 早于开始日期 %s。", d, t.StartDate)
	}
	if d == t.Deadline {
		return nil, Errorf(EINVALID, "完成时限没有变化（%s）。", d)
	}
	if err := tx.bumpTask(ctx, taskID, version); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE tasks SET deadline = ? WHERE id = ?`, d, taskID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := tx.TaskHistory(ctx, taskID, actor, actorName, "deadline", "完成时限 "+t.Deadline+" → "+d); err != nil {
		return nil, err
	}
	return tx.TaskByID(ctx, taskID)
}
