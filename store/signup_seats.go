package store

import (
	"context"
	"fmt"
)

// Seats, waitlist positions and 分工会 quotas, counted on the activity's and the item's rows
// (signup.go says in which order their locks are taken).

// bump adds delta to a counter column of one row when cond holds, and returns the new value.
// On MySQL LAST_INSERT_ID(expr) hands the value back with the UPDATE's reply; on SQLite
// RETURNING does: one round trip either way.
func (tx *Tx) bump(ctx context.Context, table, col string, id int64, delta int, cond string) (int, bool, error) {
	if tx.db.Dialect == MySQL {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = LAST_INSERT_ID(%s + ?) %s`, table, col, col, bumpWhere(cond)), delta, id)
		if err != nil {
			return 0, false, &Error{Code: EINTERNAL, Op: "store.bump", Err: err}
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, false, nil
		}
		v, err := res.LastInsertId()
		return int(v), true, err
	}
	var v int
	err := tx.QueryRowxContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = %s + ? %s RETURNING %s`, table, col, col, bumpWhere(cond), col), delta, id).Scan(&v)
	if errNoRow(err) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, &Error{Code: EINTERNAL, Op: "store.bump", Err: err}
	}
	return v, true, nil
}

func bumpWhere(cond string) string {
	if cond == "" {
		return `WHERE id = ?`
	}
	return `WHERE id = ? AND ` + cond
}

const (
	roomCond = `(capacity = 0 OR confirmed_count < capacity)`
	fullCond = `capacity > 0 AND confirmed_count >= capacity`
)

// takeSeat takes a seat in the item (and the activity), or the next waitlist position of the
// item's queue (the activity's when it has no items). a's counters are updated in memory.
func (tx *Tx) takeSeat(ctx context.Context, a *Activity, itemID int64) (status string, position int, err error) {
	n, ok, err := tx.bump(ctx, "activities", "confirmed_count", a.ID, 1, roomCond)
	if err != nil {
		return "", 0, err
	}
	it := a.Item(itemID)
	if ok {
		a.Confirmed = n
		if it == nil {
			return EntryConfirmed, 0, nil
		}
		in, iok, err := tx.bump(ctx, "activity_items", "confirmed_count", itemID, 1, roomCond)
		if err != nil {
			return "", 0, err
		}
		if iok {
			it.Confirmed = in
			return EntryConfirmed, 0, nil
		}
		// The item is full: give the activity's seat back.
		if a.Confirmed, _, err = tx.bump(ctx, "activities", "confirmed_count", a.ID, -1, ""); err != nil {
			return "", 0, err
		}
	}
	if it == nil {
		pos, _, err := tx.bump(ctx, "activities", "waitlist_seq", a.ID, 1, "")
		a.WaitlistSeq = pos
		return EntryWaitlisted, pos, err
	}
	pos, _, err := tx.bump(ctx, "activity_items", "waitlist_seq", itemID, 1, "")
	it.WaitlistSeq = pos
	return EntryWaitlisted, pos, err
}

// takeSeatGuess is takeSeat for an activity without items that looked full when it was read
// (guessFull): it first asks for a waitlist position on condition that the activity is still
// full, which settles the common case of a rush in one statement; otherwise takeSeat.
func (tx *Tx) takeSeatGuess(ctx context.Context, a *Activity, itemID int64, guessFull bool) (string, int, error) {
	if guessFull && a.Item(itemID) == nil {
		pos, ok, err := tx.bump(ctx, "activities", "waitlist_seq", a.ID, 1, fullCond)
		if err != nil {
			return "", 0, err
		}
		if ok {
			a.WaitlistSeq = pos
			return EntryWaitlisted, pos, nil
		}
	}
	return tx.takeSeat(ctx, a, itemID)
}

// releaseSeat gives a confirmed seat back.
func (tx *Tx) releaseSeat(ctx context.Context, a *Activity, itemID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET confirmed_count = confirmed_count - 1 WHERE id = ? AND confirmed_count > 0`, a.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.releaseSeat", Err: err}
	}
	if itemID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET confirmed_count = confirmed_count - 1 WHERE id = ? AND confirmed_count > 0`, itemID); err != nil {
			return &Error{Code: EINTERNAL, Op: "store.releaseSeat", Err: err}
		}
	}
	return nil
}

// quotaCounted reports whether the activity keeps per-分工会 live counters: first-come
// activities with a quota (a lottery applies the quota at the draw).
func quotaCounted(a *Activity) bool { return a.BranchQuota > 0 && a.Allocation == AllocFirstCome }

// takeQuota counts one more standing entry (or team) for the 分工会 in the item, refusing
// when the quota is reached.
func (tx *Tx) takeQuota(ctx context.Context, a *Activity, itemID, branchID int64, team bool) error {
	if !quotaCounted(a) {
		return nil
	}
	if branchID == 0 {
		return &Error{Code: EINVALID, Op: "store.takeQuota", Message: "本活动按分工会分配名额：请先发送「我的信息」选择你的分工会。"}
	}
	if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
		VALUES (?, ?, ?, 0)`, a.ID, itemID, branchID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.takeQuota", Err: err}
	}
	res, err := tx.ExecContext(ctx, `UPDATE signup_branch_counts SET live_count = live_count + 1
		WHERE activity_id = ? AND item_id = ? AND branch_id = ? AND live_count < ?`, a.ID, itemID, branchID, a.BranchQuota)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.takeQuota", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		what := fmt.Sprintf("%d 人", a.BranchQuota)
		if team {
			what = fmt.Sprintf("%d 队", a.BranchQuota)
		}
		where := ""
		if it := a.Item(itemID); it != nil {
			where = "在项目“" + it.Name + "”"
		}
		return &Error{Code: EINVALID, Op: "store.takeQuota", Message: fmt.Sprintf("每个分工会%s限报 %s，你所在的分工会已报满。", where, what)}
	}
	return nil
}

func (tx *Tx) releaseQuota(ctx context.Context, a *Activity, itemID, branchID int64) error {
	if !quotaCounted(a) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE signup_branch_counts SET live_count = live_count - 1
		WHERE activity_id = ? AND item_id = ? AND branch_id = ? AND live_count > 0`, a.ID, itemID, branchID)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.releaseQuota", Err: err}
	}
	return nil
}

// rebuildBranchCounts recounts the per-分工会 counters from the standing entries (or teams).
func (tx *Tx) rebuildBranchCounts(ctx context.Context, activityID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM signup_branch_counts WHERE activity_id = ?`, activityID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.rebuildBranchCounts", Err: err}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
		SELECT activity_id, item_id, branch_id, COUNT(*) FROM signup_entries
		WHERE activity_id = ? AND live_member IS NOT NULL AND team_id = 0 GROUP BY activity_id, item_id, branch_id`, activityID)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
			SELECT activity_id, item_id, branch_id, COUNT(*) FROM signup_teams
			WHERE activity_id = ? AND live_name IS NOT NULL GROUP BY activity_id, item_id, branch_id`, activityID)
	}
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.rebuildBranchCounts", Err: err}
	}
	return nil
}
