package store

import (
	"context"
	"fmt"
	"time"
)

// Cancellation and promotion: a seat given back goes at once, in the same transaction, to the
// first waitlisted entry (or team) that fits. The store says who was affected (CancelResult,
// Promotion); the caller words the notices and queues them in the same transaction.

// CancelResult is the outcome of a cancellation.
type CancelResult struct {
	Activity *Activity
	Entries  []*Entry    // the entries cancelled (a captain's cancellation takes the team's)
	Promoted []Promotion // waitlisted entries (or teams) that got the seat
	// A captain's cancellation withdraws the team: Team is it, Teammates its other people,
	// whose entries ended with it.
	Team      *Team
	Teammates []Participant
	// A team member's cancellation: the team left, as it stands now (nil otherwise).
	Left *TeamLeft
}

// TeamLeft is a member's departure from a team.
type TeamLeft struct {
	Team  *TeamDetail // after the departure
	Entry *Entry      // the entry that ended
	Name  string      // the member who left
}

// CancelEntry cancels a standing entry of memberID (officer true: anyone's, and after the
// deadline). A confirmed seat goes at once to the first waitlisted entry that fits, in this
// transaction (CancelResult.Promoted says whom to tell). A captain's cancellation withdraws
// the whole team.
func (tx *Tx) CancelEntry(ctx context.Context, entryID, memberID int64, officer bool, actor string, loc *time.Location) (*CancelResult, error) {
	const op = "store.CancelEntry"
	e, err := tx.Entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if e.MemberID != memberID && !officer {
		return nil, &Error{Code: EUNAUTHORIZED, Op: op, Message: "只能取消自己的报名。"}
	}
	a, err := tx.activityForUpdate(ctx, e.ActivityID)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Status == ActivityCancelled:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已取消，报名已随之作废。"}
	case a.Status == ActivityFinished:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已结束，不能再取消报名。"}
	case !officer && !tx.now.Before(a.CancelDeadline):
		if loc == nil {
			loc = time.UTC
		}
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("已过取消报名的截止时间（%s），如确需取消请联系工会。",
			a.CancelDeadline.In(loc).Format("1月2日 15:04"))}
	}
	res := &CancelResult{Activity: a}
	if e.Role == RoleCaptain && e.TeamID != 0 {
		if res.Team, res.Entries, res.Teammates, err = tx.cancelTeam(ctx, a, e.TeamID, actor); err != nil {
			return nil, err
		}
	} else {
		ok, err := tx.endEntry(ctx, e, EntryCancelled)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &Error{Code: EINVALID, Op: op, Message: "这条报名已经取消了。"}
		}
		if e.TeamID == 0 {
			if e.Status == EntryConfirmed {
				if err := tx.releaseSeat(ctx, a, e.ItemID); err != nil {
					return nil, err
				}
			}
			if err := tx.releaseQuota(ctx, a, e.ItemID, e.BranchID); err != nil {
				return nil, err
			}
		} else if res.Left, err = tx.teamLeft(ctx, e); err != nil {
			return nil, err
		}
		res.Entries = []*Entry{e}
	}
	if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(e.ID), "cancel", fmt.Sprintf("activity %d, was %s", a.ID, e.Status)); err != nil {
		return nil, err
	}
	if res.Promoted, err = tx.promote(ctx, a.ID, actor); err != nil {
		return nil, err
	}
	return res, nil
}

// endEntry moves a standing entry to a final status (cancelled, rejected); false when it was
// not standing any more.
func (tx *Tx) endEntry(ctx context.Context, e *Entry, status string) (bool, error) {
	r, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, live_member = NULL, updated_at = ?
		WHERE id = ? AND live_member IS NOT NULL`, status, tx.now, e.ID)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.endEntry", Err: err}
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// Promotion is an entry (or a team) moved from the waitlist to a seat.
type Promotion struct {
	Activity *Activity     // the activity, as the promotion read it
	Item     *ActivityItem // the item (nil for an activity without items)
	EntryID  int64         // 0 for a team
	TeamID   int64
	ItemID   int64
	Members  []Participant // the people to tell
}

// promote gives free seats to waitlisted entries (teams in team mode), first come first
// served across the activity, as long as the item, the activity and the 分工会 quota allow.
// It returns the promotions, in order, for the caller to tell everyone promoted.
func (tx *Tx) promote(ctx context.Context, activityID int64, actor string) ([]Promotion, error) {
	const op = "store.promote"
	a, err := tx.activityForUpdate(ctx, activityID)
	if err != nil {
		return nil, err
	}
	if a.Status != ActivityOpen && a.Status != ActivityClosed {
		return nil, nil
	}
	table, live := "signup_entries", "live_member IS NOT NULL AND team_id = 0"
	if a.EntryMode == ModeTeam {
		table, live = "signup_teams", "live_name IS NOT NULL"
	}
	var cands []struct {
		ID       int64 `db:"id"`
		ItemID   int64 `db:"item_id"`
		BranchID int64 `db:"branch_id"`
	}
	if err := tx.SelectContext(ctx, &cands, `SELECT id, item_id, branch_id FROM `+table+`
		WHERE activity_id = ? AND status = 'waitlisted' AND `+live+` ORDER BY created_at, id`, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	quota := map[[2]int64]int{}
	if a.BranchQuota > 0 && a.Allocation == AllocLottery {
		var rows []struct {
			ItemID   int64 `db:"item_id"`
			BranchID int64 `db:"branch_id"`
			N        int   `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT item_id, branch_id, COUNT(*) AS n FROM `+table+`
			WHERE activity_id = ? AND status = 'confirmed' AND `+live+` GROUP BY item_id, branch_id`, a.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		for _, r := range rows {
			quota[[2]int64{r.ItemID, r.BranchID}] = r.N
		}
	}
	var out []Promotion
	for _, c := range cands {
		if a.Capacity > 0 && a.Confirmed >= a.Capacity {
			break
		}
		it := a.Item(c.ItemID)
		if it != nil && it.Capacity > 0 && it.Confirmed >= it.Capacity {
			continue
		}
		qk := [2]int64{c.ItemID, c.BranchID}
		if a.BranchQuota > 0 && a.Allocation == AllocLottery && quota[qk] >= a.BranchQuota {
			continue
		}
		r, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = 'confirmed', position = 0, updated_at = ?
			WHERE id = ? AND status = 'waitlisted'`, tx.now, c.ID)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n, _ := r.RowsAffected(); n == 0 {
			continue
		}
		a.Confirmed++
		if it != nil {
			it.Confirmed++
		}
		quota[qk]++
		p := Promotion{Activity: a, Item: it, ItemID: c.ItemID}
		if a.EntryMode == ModeTeam {
			p.TeamID = c.ID
			if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = 'confirmed', position = 0, updated_at = ?
				WHERE team_id = ? AND status = 'waitlisted' AND live_member IS NOT NULL`, tx.now, c.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
			err = tx.SelectContext(ctx, &p.Members, participantQuery+`WHERE e.team_id = ? AND e.live_member IS NOT NULL ORDER BY e.id`, c.ID)
		} else {
			p.EntryID = c.ID
			err = tx.SelectContext(ctx, &p.Members, participantQuery+`WHERE e.id = ?`, c.ID)
		}
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(c.ID), "promote", fmt.Sprintf("activity %d (%s)", a.ID, table)); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if len(out) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET confirmed_count = ? WHERE id = ?`, a.Confirmed, a.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		for _, it := range a.Items {
			if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET confirmed_count = ? WHERE id = ?`, it.Confirmed, it.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
		}
	}
	return out, nil
}
