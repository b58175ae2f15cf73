package store

import (
	"context"
	"fmt"
	"time"
)

// Reading entries: one entry, a member's, 我的报名, the roster export, and the ID numbers.

// Entry returns an entry, or ENOTFOUND.
func (tx *Tx) Entry(ctx context.Context, id int64) (*Entry, error) {
	var e Entry
	if err := tx.GetContext(ctx, &e, `SELECT `+entryColumns+` FROM signup_entries WHERE id = ?`, id); err != nil {
		return nil, notFound("store.Entry", err, "找不到该报名记录。")
	}
	return &e, nil
}

// MemberEntries returns a member's standing entries in an activity.
func (tx *Tx) MemberEntries(ctx context.Context, activityID, memberID int64) ([]*Entry, error) {
	var out []*Entry
	if err := tx.SelectContext(ctx, &out, `SELECT `+entryColumns+` FROM signup_entries
		WHERE member_id = ? AND activity_id = ? AND live_member IS NOT NULL ORDER BY item_id`, memberID, activityID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.MemberEntries", Err: err}
	}
	return out, nil
}

// MyEntry is one of a member's sign-ups, for 我的报名.
type MyEntry struct {
	Entry
	Title          string    `db:"title"`
	ItemName       string    `db:"item_name"`
	TeamName       string    `db:"team_name"`
	StartsAt       time.Time `db:"starts_at"`
	Place          string    `db:"place"`
	CancelDeadline time.Time `db:"cancel_deadline"`
	ActivityStatus string    `db:"activity_status"`
	Ahead          int       `db:"ahead"` // waitlisted: entries before this one in its queue
}

// MyEntries lists a member's standing entries in activities not yet finished or cancelled,
// by start time.
func (tx *Tx) MyEntries(ctx context.Context, memberID int64) ([]*MyEntry, error) {
	var out []*MyEntry
	err := tx.SelectContext(ctx, &out, `SELECT e.id, e.activity_id, e.item_id, e.member_id, e.branch_id, e.team_id, e.role,
		e.status, e.position, e.lottery_rank, e.id_masked, e.created_at, e.updated_at, e.checked_in_at,
		a.title, COALESCE(i.name, '') AS item_name, COALESCE(t.name, '') AS team_name, a.starts_at, a.place,
		a.cancel_deadline, a.status AS activity_status,
		CASE WHEN e.status = 'waitlisted' THEN (SELECT COUNT(*) FROM signup_entries w WHERE w.activity_id = e.activity_id
			AND w.item_id = e.item_id AND w.status = 'waitlisted' AND w.live_member IS NOT NULL AND w.position < e.position)
			ELSE 0 END AS ahead
		FROM signup_entries e JOIN activities a ON a.id = e.activity_id
		LEFT JOIN activity_items i ON i.id = e.item_id LEFT JOIN signup_teams t ON t.id = e.team_id
		WHERE e.member_id = ? AND e.live_member IS NOT NULL AND a.status IN ('draft', 'open', 'closed')
		ORDER BY a.starts_at, e.id`, memberID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.MyEntries", Err: err}
	}
	return out, nil
}

// RosterRow is one entry as the roster export shows it.
type RosterRow struct {
	EntryID     int64      `db:"entry_id"`
	ItemID      int64      `db:"item_id"`
	ItemName    string     `db:"item_name"`
	BranchID    int64      `db:"branch_id"`
	BranchName  string     `db:"branch_name"`
	MemberID    int64      `db:"member_id"`
	Name        string     `db:"name"`
	Gender      string     `db:"gender"` // "M", "F", ""
	EmployeeNo  string     `db:"employee_no"`
	Mobile      string     `db:"mobile"` // full: mask it for display (MaskedMobile)
	TeamID      int64      `db:"team_id"`
	TeamName    string     `db:"team_name"`
	RoleKey     string     `db:"role"`
	Role        string     `db:"-"` // 队长 / 队员 / 个人
	Status      string     `db:"status"`
	Position    int        `db:"position"`
	SignedUpAt  time.Time  `db:"created_at"`
	CheckedInAt *time.Time `db:"checked_in_at"`
	IDMasked    string     `db:"id_masked"` // only for insured activities, masked; "" otherwise
}

// Roster lists every entry of an activity that ever stood (cancelled ones included, with
// their status), by item, status, waitlist position and time (read pool).
func (db *DB) Roster(ctx context.Context, activityID int64) ([]RosterRow, error) {
	var out []RosterRow
	err := db.Select(ctx, &out, `SELECT e.id AS entry_id, e.item_id, COALESCE(i.name, '') AS item_name, e.branch_id,
		COALESCE(b.name, '') AS branch_name, e.member_id, m.name, m.gender, COALESCE(m.employee_no, '') AS employee_no,
		m.mobile, e.team_id, COALESCE(t.name, '') AS team_name, e.role, e.status, e.position, e.created_at,
		e.checked_in_at, CASE WHEN a.needs_insurance = 1 THEN e.id_masked ELSE '' END AS id_masked
		FROM signup_entries e JOIN members m ON m.id = e.member_id JOIN activities a ON a.id = e.activity_id
		LEFT JOIN activity_items i ON i.id = e.item_id LEFT JOIN branches b ON b.id = e.branch_id
		LEFT JOIN signup_teams t ON t.id = e.team_id
		WHERE e.activity_id = ?
		ORDER BY COALESCE(i.position, 0), e.item_id,
			CASE e.status WHEN 'confirmed' THEN 0 WHEN 'no_show' THEN 1 WHEN 'pending_unit_approval' THEN 2
			WHEN 'applied' THEN 3 WHEN 'waitlisted' THEN 4 ELSE 5 END, e.position, e.team_id, e.created_at, e.id`, activityID)
	if err != nil {
		return nil, fmt.Errorf("store.Roster: %w", err)
	}
	for i := range out {
		out[i].Role = EntryRoleNames[out[i].RoleKey]
	}
	return out, nil
}

// PurgeIDNumbers erases the ID numbers (sealed and masked) collected for an activity, for the
// job that finishes it. It returns how many entries had one.
func (tx *Tx) PurgeIDNumbers(ctx context.Context, activityID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE signup_entries SET id_cipher = '', id_masked = ''
		WHERE activity_id = ? AND (id_cipher <> '' OR id_masked <> '')`, activityID)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.PurgeIDNumbers", Err: err}
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := tx.Audit(ctx, "system", "activity", fmt.Sprint(activityID), "purge_id_numbers", fmt.Sprintf("%d entries", n)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// IDNumberCipher returns an entry's sealed ID number ("" when none or purged). Only code that
// must read the number (opening it with store/secret) calls this; nothing shows it unmasked.
func (tx *Tx) IDNumberCipher(ctx context.Context, entryID int64) (string, error) {
	var s string
	if err := tx.GetContext(ctx, &s, `SELECT id_cipher FROM signup_entries WHERE id = ?`, entryID); err != nil {
		return "", notFound("store.IDNumberCipher", err, "找不到该报名记录。")
	}
	return s, nil
}
