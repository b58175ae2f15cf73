package store

import (
	"context"
	"fmt"
	"time"
)

// TaskEvent is one line of a task's supervision log (督办记录): who changed what, when.
type TaskEvent struct {
	ID        int64     `db:"id"`
	TaskID    int64     `db:"task_id"`
	At        time.Time `db:"at"`
	Actor     string    `db:"actor"`      // an open_id, "cli:<os user>" or "seed"
	ActorName string    `db:"actor_name"` // as shown: 姓名（分工会）
	Action    string    `db:"action"`     // create, progress, owners, deadline, milestone_add, ...
	Detail    string    `db:"detail"`     // what changed, in Chinese
}

// TaskHistory appends a line to the task's supervision log and the same change to the audit
// trail, in the transaction.
func (tx *Tx) TaskHistory(ctx context.Context, taskID int64, actor, actorName, action, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO task_history (task_id, at, actor, actor_name, action, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		taskID, tx.now, actor, actorName, action, detail)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.TaskHistory", Err: err}
	}
	return tx.Audit(ctx, actor, "task", fmt.Sprint(taskID), action, detail)
}

// TaskEvents returns a task's supervision log, newest first, at most limit lines (0: all).
func (db *DB) TaskEvents(ctx context.Context, taskID int64, limit int) ([]TaskEvent, error) {
	return taskEvents(ctx, db.r, taskID, limit)
}

// TaskEvents is TaskEvents inside a transaction (it sees the transaction's own changes).
func (tx *Tx) TaskEvents(ctx context.Context, taskID int64, limit int) ([]TaskEvent, error) {
	return taskEvents(ctx, tx, taskID, limit)
}

func taskEvents(ctx context.Context, q taskQuerier, taskID int64, limit int) ([]TaskEvent, error) {
	query := `SELECT id, task_id, at, actor, actor_name, action, detail FROM task_history WHERE task_id = ? ORDER BY id DESC`
	args := []any{taskID}
	if limit > 0 {
		query += ` LIMIT ?`
		args = append(args, limit)
	}
	var out []TaskEvent
	if err := q.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, fmt.Errorf("store.TaskEvents: %w", err)
	}
	return out, nil
}
