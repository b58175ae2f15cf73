package store

import (
	"context"
	"fmt"
	"time"
)

// Check-in: an officer opens it, each confirmed participant checks in once (idempotent), and
// after the event the confirmed people who never checked in are marked no_show.

// OpenCheckIn opens check-in for an activity (idempotent) and returns the activity.
func (tx *Tx) OpenCheckIn(ctx context.Context, activityID int64, actor string) (*Activity, error) {
	a, err := tx.Activity(ctx, activityID)
	if err != nil {
		return nil, err
	}
	if a.Status != ActivityOpen && a.Status != ActivityClosed {
		return nil, &Error{Code: EINVALID, Op: "store.OpenCheckIn", Message: "活动" + ActivityStatusName(a.Status) + "，不能签到。"}
	}
	res, err := tx.ExecContext(ctx, `UPDATE activities SET checkin_opened_at = ? WHERE id = ? AND checkin_opened_at IS NULL`, tx.now, activityID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.OpenCheckIn", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 1 {
		if err := tx.Audit(ctx, actor, "activity", fmt.Sprint(activityID), "checkin_open", ""); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// CheckIn records a confirmed participant's arrival: once per person (all their confirmed
// entries in the activity), the first time kept. It returns that time and whether this call
// recorded it.
func (tx *Tx) CheckIn(ctx context.Context, activityID, memberID int64, loc *time.Location) (time.Time, bool, error) {
	const op = "store.CheckIn"
	var open struct {
		Status string     `db:"status"`
		At     *time.Time `db:"checkin_opened_at"`
	}
	if err := tx.GetContext(ctx, &open, `SELECT status, checkin_opened_at FROM activities WHERE id = ?`, activityID); err != nil {
		return time.Time{}, false, notFound(op, err, "找不到该活动。")
	}
	switch {
	case open.Status == ActivityCancelled:
		return time.Time{}, false, &Error{Code: EINVALID, Op: op, Message: "活动已取消。"}
	case open.Status == ActivityFinished:
		return time.Time{}, false, &Error{Code: EINVALID, Op: op, Message: "活动已结束，签到已关闭。"}
	case open.At == nil:
		return time.Time{}, false, &Error{Code: EINVALID, Op: op, Message: "签到尚未开始。"}
	}
	entries, err := tx.MemberEntries(ctx, activityID, memberID)
	if err != nil {
		return time.Time{}, false, err
	}
	var confirmed []*Entry
	for _, e := range entries {
		if e.Status == EntryConfirmed {
			if e.CheckedInAt != nil {
				return *e.CheckedInAt, false, nil
			}
			confirmed = append(confirmed, e)
		}
	}
	if len(confirmed) == 0 {
		if len(entries) > 0 {
			return time.Time{}, false, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("你在本活动的报名状态是“%s”，只有已确认的参加者才能签到。", EntryStatusNames[entries[0].Status])}
		}
		return time.Time{}, false, &Error{Code: EINVALID, Op: op, Message: "你没有报名本活动（或报名已取消），不能签到。如有疑问请联系现场工作人员。"}
	}
	res, err := tx.ExecContext(ctx, `UPDATE signup_entries SET checked_in_at = ?, updated_at = ? WHERE activity_id = ?
		AND member_id = ? AND status = 'confirmed' AND live_member IS NOT NULL AND checked_in_at IS NULL`, tx.now, tx.now, activityID, memberID)
	if err != nil {
		return time.Time{}, false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return tx.now, false, nil
	}
	return tx.now, true, tx.Audit(ctx, fmt.Sprint("member:", memberID), "activity", fmt.Sprint(activityID), "checkin", "")
}

// CheckInRow is a confirmed participant with their check-in time (nil: not yet).
type CheckInRow struct {
	MemberID    int64      `db:"member_id"`
	Name        string     `db:"name"`
	BranchName  string     `db:"branch_name"`
	Status      string     `db:"status"`
	CheckedInAt *time.Time `db:"checked_in_at"`
}

// CheckInList lists the confirmed (and no-show) participants of an activity, one row per
// person, those not checked in first (read pool).
func (db *DB) CheckInList(ctx context.Context, activityID int64) ([]CheckInRow, error) {
	var rows []CheckInRow
	err := db.Select(ctx, &rows, `SELECT e.member_id, m.name, COALESCE(b.name, '') AS branch_name, e.status, e.checked_in_at
		FROM signup_entries e JOIN members m ON m.id = e.member_id LEFT JOIN branches b ON b.id = e.branch_id
		WHERE e.activity_id = ? AND e.status IN ('confirmed', 'no_show') ORDER BY b.name, m.name, e.member_id, e.id`, activityID)
	if err != nil {
		return nil, fmt.Errorf("store.CheckInList: %w", err)
	}
	var out, done []CheckInRow
	seen := map[int64]bool{}
	for _, r := range rows {
		if seen[r.MemberID] {
			continue
		}
		seen[r.MemberID] = true
		if r.CheckedInAt == nil {
			out = append(out, r)
		} else {
			done = append(done, r)
		}
	}
	return append(out, done...), nil
}

// MarkNoShows marks the confirmed entries without a check-in as no_show, when check-in was
// opened for the activity (otherwise nobody could have checked in, and nothing changes). It
// returns how many entries changed.
func (tx *Tx) MarkNoShows(ctx context.Context, activityID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = 'no_show', updated_at = ? WHERE activity_id = ?
		AND status = 'confirmed' AND checked_in_at IS NULL AND live_member IS NOT NULL
		AND EXISTS (SELECT 1 FROM activities a WHERE a.id = ? AND a.checkin_opened_at IS NOT NULL)`, tx.now, activityID, activityID)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.MarkNoShows", Err: err}
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := tx.Audit(ctx, "system", "activity", fmt.Sprint(activityID), "no_shows", fmt.Sprintf("%d entries", n)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// FinishActivity marks an activity finished after the event: no-shows marked, ID numbers
// purged. For the admin helper's after-event job.
func (tx *Tx) FinishActivity(ctx context.Context, activityID int64, actor string) error {
	if err := tx.SetActivityStatus(ctx, activityID, ActivityFinished, actor); err != nil {
		return err
	}
	if _, err := tx.MarkNoShows(ctx, activityID); err != nil {
		return err
	}
	_, err := tx.PurgeIDNumbers(ctx, activityID)
	return err
}
