package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Unit rosters (unit mode) and the 分工会主席's decision on entries waiting for it.

// DecideEntry is a 分工会主席's (or an officer's) decision on an entry waiting for
// confirmation: approved, it takes a seat or a waitlist position (in a lottery activity not yet
// drawn, it becomes an applicant instead); rejected, it ends. It returns the decision, for the
// caller to tell the member.
func (tx *Tx) DecideEntry(ctx context.Context, entryID int64, approve bool, actor string, loc *time.Location) (*Decision, error) {
	const op = "store.DecideEntry"
	e, err := tx.Entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	a, err := tx.activityForUpdate(ctx, e.ActivityID)
	if err != nil {
		return nil, err
	}
	if e.Status != EntryPendingUnit {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("这条报名已处理（%s）。", EntryStatusNames[e.Status])}
	}
	if a.Status != ActivityOpen && a.Status != ActivityClosed {
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动" + ActivityStatusName(a.Status) + "，不能再确认报名。"}
	}
	if !approve {
		if _, err := tx.endEntry(ctx, e, EntryRejected); err != nil {
			return nil, err
		}
		if err := tx.releaseQuota(ctx, a, e.ItemID, e.BranchID); err != nil {
			return nil, err
		}
		e.Status = EntryRejected
	} else {
		// Approved before the draw, it applies; after the draw (or first come) it takes a seat,
		// else the next waitlist position.
		status, pos := EntryApplied, 0
		if a.Allocation != AllocLottery || a.LotterySeed != 0 {
			if status, pos, err = tx.takeSeat(ctx, a, e.ItemID); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, position = ?, updated_at = ? WHERE id = ?`,
			status, pos, tx.now, e.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		e.Status, e.Position = status, pos
	}
	if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(e.ID), "decide", e.Status); err != nil {
		return nil, err
	}
	d := &Decision{Entry: e, Activity: a, Item: a.Item(e.ItemID)}
	if err := tx.GetContext(ctx, &d.OpenID, `SELECT COALESCE(open_id, '') FROM members WHERE id = ?`, e.MemberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return d, nil
}

// Decision is the outcome of DecideEntry.
type Decision struct {
	Entry    *Entry        // as it is now: rejected, or confirmed, waitlisted or applied
	Activity *Activity     // as the decision read it
	Item     *ActivityItem // nil for an activity without items
	OpenID   string        // the member's ("" when not known yet)
}

// PendingEntry is an entry waiting for a 分工会主席, with the member shown.
type PendingEntry struct {
	Entry
	Name       string `db:"name"`
	BranchName string `db:"branch_name"`
	Title      string `db:"title"`
	ItemName   string `db:"item_name"`
	Sensitive  bool   `db:"is_sensitive"`
}

// PendingEntries lists the entries waiting for confirmation in open or closed activities,
// of one 分工会 (branchID 0: all), oldest first.
func (tx *Tx) PendingEntries(ctx context.Context, branchID int64) ([]*PendingEntry, error) {
	var out []*PendingEntry
	err := tx.SelectContext(ctx, &out, `SELECT e.id, e.activity_id, e.item_id, e.member_id, e.branch_id, e.team_id, e.role,
		e.status, e.position, e.lottery_rank, e.id_masked, e.created_at, e.updated_at, e.checked_in_at,
		m.name, COALESCE(b.name, '') AS branch_name, a.title, COALESCE(i.name, '') AS item_name, a.is_sensitive
		FROM signup_entries e JOIN members m ON m.id = e.member_id JOIN activities a ON a.id = e.activity_id
		LEFT JOIN branches b ON b.id = e.branch_id LEFT JOIN activity_items i ON i.id = e.item_id
		WHERE e.status = 'pending_unit_approval' AND e.live_member IS NOT NULL AND a.status IN ('open', 'closed')
		AND (? = 0 OR e.branch_id = ?) ORDER BY e.created_at, e.id LIMIT 50`, branchID, branchID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.PendingEntries", Err: err}
	}
	return out, nil
}

// AddUnitEntries enters people of one 分工会 in an item of a unit-mode activity (by its
// 分工会主席): each entry waits for ConfirmUnit. All or nothing; a person who cannot be entered
// is named.
func (tx *Tx) AddUnitEntries(ctx context.Context, a *Activity, itemID, branchID int64, people []*MemberFacts, byID int64, actor string, loc *time.Location) ([]*Entry, error) {
	const op = "store.AddUnitEntries"
	if a.EntryMode != ModeUnit {
		return nil, &Error{Code: EINVALID, Op: op, Message: "本活动不是按分工会统一报名。"}
	}
	if len(people) == 0 {
		return nil, &Error{Code: EINVALID, Op: op, Message: "请选择要报名的人员。"}
	}
	var out []*Entry
	for _, m := range people {
		if m.BranchID != branchID {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("「%s」不属于你的分工会，不能由你报名。", m.Name)}
		}
		res, err := tx.SignUp(ctx, SignupRequest{Activity: a, ItemID: itemID, Member: m, Actor: actor, ByID: byID, Loc: loc, Pending: true})
		if err != nil {
			if e, ok := err.(*Error); ok && !strings.Contains(e.Message, m.Name) {
				e.Message = "「" + m.Name + "」：" + strings.Replace(e.Message, "你", "其", 1)
			}
			return nil, err
		}
		out = append(out, res.Entry)
	}
	return out, nil
}

// ConfirmUnit confirms every entry of a 分工会 waiting in an activity, in the order entered:
// each takes a seat or a waitlist position (DecideEntry). It returns the decisions, in order.
func (tx *Tx) ConfirmUnit(ctx context.Context, activityID, branchID int64, actor string, loc *time.Location) ([]*Decision, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT id FROM signup_entries WHERE activity_id = ? AND branch_id = ?
		AND status = 'pending_unit_approval' AND live_member IS NOT NULL ORDER BY created_at, id`, activityID, branchID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ConfirmUnit", Err: err}
	}
	if len(ids) == 0 {
		return nil, &Error{Code: EINVALID, Op: "store.ConfirmUnit", Message: "你的分工会在该活动中没有待确认的名单。"}
	}
	var out []*Decision
	for _, id := range ids {
		d, err := tx.DecideEntry(ctx, id, true, actor, loc)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

// UnitEntry is one standing entry of a 分工会 in an activity, for the chair's unit card.
type UnitEntry struct {
	EntryID  int64  `db:"entry_id"`
	ItemID   int64  `db:"item_id"`
	ItemName string `db:"item_name"`
	Name     string `db:"name"`
	Status   string `db:"status"`
	Position int    `db:"position"`
}

// UnitEntries lists the standing entries of one 分工会 in an activity, by item and in the order
// entered. It reads in the transaction, so a card built right after AddUnitEntries or
// ConfirmUnit shows what they just wrote.
func (tx *Tx) UnitEntries(ctx context.Context, activityID, branchID int64) ([]UnitEntry, error) {
	var out []UnitEntry
	if err := tx.SelectContext(ctx, &out, `SELECT e.id AS entry_id, e.item_id, COALESCE(i.name, '') AS item_name, m.name,
		e.status, e.position FROM signup_entries e JOIN members m ON m.id = e.member_id
		LEFT JOIN activity_items i ON i.id = e.item_id
		WHERE e.activity_id = ? AND e.branch_id = ? AND e.live_member IS NOT NULL
		ORDER BY COALESCE(i.position, 0), e.item_id, e.created_at, e.id`, activityID, branchID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.UnitEntries", Err: err}
	}
	return out, nil
}
