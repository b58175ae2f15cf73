package store

import (
	"context"
	"fmt"
	"strings"
)

// SetReminderOptOut turns a member's sign-up reminders off (optOut) or back on. It reports
// whether anything changed.
func (tx *Tx) SetReminderOptOut(ctx context.Context, memberID int64, optOut bool) (bool, error) {
	const op = "store.SetReminderOptOut"
	var err error
	var n int64
	if optOut {
		res, e := tx.ExecContext(ctx, tx.insertIgnore()+` INTO signup_reminder_optouts (member_id, created_at) VALUES (?, ?)`, memberID, tx.now)
		if err = e; e == nil {
			n, _ = res.RowsAffected()
		}
	} else {
		res, e := tx.ExecContext(ctx, `DELETE FROM signup_reminder_optouts WHERE member_id = ?`, memberID)
		if err = e; e == nil {
			n, _ = res.RowsAffected()
		}
	}
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n == 0 {
		return false, nil
	}
	action := "reminders_off"
	if !optOut {
		action = "reminders_on"
	}
	return true, tx.Audit(ctx, fmt.Sprint(memberID), "member", fmt.Sprint(memberID), action, "sign-up reminders")
}

// ReminderOptOuts returns the ids of the members who turned sign-up reminders off.
func (tx *Tx) ReminderOptOuts(ctx context.Context) (map[int64]bool, error) {
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, `SELECT member_id FROM signup_reminder_optouts`); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ReminderOptOuts", Err: err}
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}

// Recipients lists the active members with a Feishu account and what eligibility rules
// look at, for sending a card to everyone an activity is open to (Activity.Ineligible).
func (tx *Tx) Recipients(ctx context.Context) ([]*MemberFacts, error) {
	var out []*MemberFacts
	err := tx.SelectContext(ctx, &out, `SELECT m.id, m.open_id, m.name, m.gender, COALESCE(m.branch_id, 0) AS branch_id,
		COALESCE(b.name, '') AS branch_name, COALESCE(m.employee_no, '') AS employee_no, m.active, m.placeholder, m.birth_date
		FROM members m LEFT JOIN branches b ON b.id = m.branch_id
		WHERE m.active = 1 AND m.open_id IS NOT NULL AND m.open_id <> '' ORDER BY m.id`)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.Recipients", Err: err}
	}
	return out, nil
}

// ActivityPeople lists the people with a standing entry in an activity (one row per entry),
// in any of statuses (all standing entries when none).
func (tx *Tx) ActivityPeople(ctx context.Context, activityID int64, statuses ...string) ([]Participant, error) {
	q := `SELECT e.id AS entry_id, e.member_id, COALESCE(m.open_id, '') AS open_id, m.name, e.status
		FROM signup_entries e JOIN members m ON m.id = e.member_id
		WHERE e.activity_id = ? AND e.live_member IS NOT NULL`
	args := []any{activityID}
	if len(statuses) > 0 {
		q += ` AND e.status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `)`
		for _, s := range statuses {
			args = append(args, s)
		}
	}
	var out []Participant
	if err := tx.SelectContext(ctx, &out, q+` ORDER BY e.id`, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ActivityPeople", Err: err}
	}
	return out, nil
}
