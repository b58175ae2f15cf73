package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Extension request statuses.
const (
	ExtensionPending  = "pending"
	ExtensionApproved = "approved"
	ExtensionRefused  = "refused"
)

// Extension is a responsible member's request to move a task's deadline, and the officer's
// decision on it.
type Extension struct {
	ID            int64      `db:"id"`
	TaskID        int64      `db:"task_id"`
	Reason        string     `db:"reason"`
	OldDeadline   string     `db:"old_deadline"`
	NewDeadline   string     `db:"new_deadline"`
	RequestedBy   int64      `db:"requested_by"`
	RequesterName string     `db:"requester_name"`
	RequesterOpen string     `db:"requester_open_id"`
	RequestedAt   time.Time  `db:"requested_at"`
	Status        string     `db:"status"`
	DecidedBy     int64      `db:"decided_by"`
	DeciderName   string     `db:"decider_name"`
	DecidedAt     *time.Time `db:"decided_at"`
}

func extensionColumns(dialect string) string {
	return `e.id, e.task_id, e.reason, ` + taskDate(dialect, "e.old_deadline") + ` AS old_deadline, ` +
		taskDate(dialect, "e.new_deadline") + ` AS new_deadline, e.requested_by, COALESCE(rq.name, '') AS requester_name,
		COALESCE(rq.open_id, '') AS requester_open_id, e.requested_at, e.status, COALESCE(e.decided_by, 0) AS decided_by,
		COALESCE(dc.name, '') AS decider_name, e.decided_at`
}

const extensionFrom = ` FROM task_extensions e LEFT JOIN members rq ON rq.id = e.requested_by
	LEFT JOIN members dc ON dc.id = e.decided_by `

// RequestExtension records a request to move a task's deadline to newDeadline, which must be
// later than the current deadline. A task has at most one pending request at a time.
func (tx *Tx) RequestExtension(ctx context.Context, taskID int64, requester *Member, reason, newDeadline, actor string) (*Extension, error) {
	const op = "store.RequestExtension"
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, Errorf(EINVALID, "请填写延期理由。")
	}
	if utf8.RuneCountInString(reason) > MaxTaskText {
		return nil, Errorf(EINVALID, "延期理由太长（最多 %d 字）。", MaxTaskText)
	}
	d, ok := ParseDate(newDeadline)
	if !ok {
		return nil, Errorf(EINVALID, "新的完成时限无效：%q（格式 2024-12-31）。", newDeadline)
	}
	t, err := tx.TaskByID(ctx, taskID)
	if err != nil {
		return nil, err
	}
	if t.Done() {
		return nil, Errorf(EINVALID, "任务已完成，无需延期。")
	}
	if d <= t.Deadline {
		return nil, Errorf(EINVALID, "新的完成时限 %s 必须晚于现在的时限 %s。", d, t.Deadline)
	}
	var pending int
	if err := tx.GetContext(ctx, &pending, `SELECT COUNT(*) FROM task_extensions WHERE task_id = ? AND status = ?`, taskID, ExtensionPending); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if pending > 0 {
		return nil, Errorf(ECONFLICT, "该任务已有一项延期申请等待审批。")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO task_extensions (task_id, reason, old_deadline, new_deadline, requested_by,
		requested_at, status) VALUES (?, ?, ?, ?, ?, ?, ?)`, taskID, reason, t.Deadline, d, requester.ID, tx.now, ExtensionPending)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := tx.bumpTask(ctx, taskID, 0); err != nil {
		return nil, err
	}
	if err := tx.TaskHistory(ctx, taskID, actor, requester.Display(), "extension_request",
		fmt.Sprintf("申请延期：%s → %s；理由：%s", t.Deadline, d, reason)); err != nil {
		return nil, err
	}
	return tx.ExtensionByID(ctx, id)
}

// ExtensionByID returns an extension request, or ENOTFOUND.
func (tx *Tx) ExtensionByID(ctx context.Context, id int64) (*Extension, error) {
	var e Extension
	if err := tx.GetContext(ctx, &e, `SELECT `+extensionColumns(tx.db.Dialect)+extensionFrom+`WHERE e.id = ?`, id); err != nil {
		return nil, notFound("store.ExtensionByID", err, "找不到该延期申请。")
	}
	return &e, nil
}

// TaskExtensions lists a task's extension requests, newest first.
func (db *DB) TaskExtensions(ctx context.Context, taskID int64) ([]*Extension, error) {
	return taskExtensions(ctx, db.r, db.Dialect, taskID)
}

// TaskExtensions is TaskExtensions inside a transaction.
func (tx *Tx) TaskExtensions(ctx context.Context, taskID int64) ([]*Extension, error) {
	return taskExtensions(ctx, tx, tx.db.Dialect, taskID)
}

func taskExtensions(ctx context.Context, q taskQuerier, dialect string, taskID int64) ([]*Extension, error) {
	var out []*Extension
	if err := q.SelectContext(ctx, &out, `SELECT `+extensionColumns(dialect)+extensionFrom+`WHERE e.task_id = ? ORDER BY e.id DESC`, taskID); err != nil {
		return nil, fmt.Errorf("store.TaskExtensions: %w", err)
	}
	return out, nil
}

// DecideExtension approves or refuses a pending extension request. Approval moves the task's
// deadline and counts the extension. A request decided already is ECONFLICT (two officers
// clicked). The decision goes to the task's history.
func (tx *Tx) DecideExtension(ctx context.Context, id int64, approve bool, decider *Member, actor string) (*Extension, error) {
	const op = "store.DecideExtension"
	e, err := tx.ExtensionByID(ctx, id)
	if err != nil {
		return nil, err
	}
	status := ExtensionRefused
	if approve {
		status = ExtensionApproved
	}
	res, err := tx.ExecContext(ctx, `UPDATE task_extensions SET status = ?, decided_by = ?, decided_at = ? WHERE id = ? AND status = ?`,
		status, decider.ID, tx.now, id, ExtensionPending)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, Errorf(ECONFLICT, "该延期申请已处理（%s）。", ExtensionStatusNames[e.Status])
	}
	if err := tx.bumpTask(ctx, e.TaskID, 0); err != nil {
		return nil, err
	}
	detail := fmt.Sprintf("不同意延期申请（%s → %s）", e.OldDeadline, e.NewDeadline)
	if approve {
		var cur string
		err := tx.GetContext(ctx, &cur, `SELECT `+taskDate(tx.db.Dialect, "deadline")+` FROM tasks WHERE id = ?`, e.TaskID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, Errorf(ENOTFOUND, "找不到该任务。")
		} else if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE tasks SET deadline = ?, extensions = extensions + 1 WHERE id = ?`, e.NewDeadline, e.TaskID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		detail = fmt.Sprintf("同意延期：完成时限 %s → %s", cur, e.NewDeadline)
	}
	if err := tx.TaskHistory(ctx, e.TaskID, actor, decider.Display(), "extension_"+status, detail); err != nil {
		return nil, err
	}
	return tx.ExtensionByID(ctx, id)
}

// ExtensionStatusNames are the statuses as members read them.
var ExtensionStatusNames = map[string]string{
	ExtensionPending:  "待审批",
	ExtensionApproved: "已同意",
	ExtensionRefused:  "未同意",
}
