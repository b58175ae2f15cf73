package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Publication is a group-chat message an activity's sign-up card was posted as. MessageID is
// empty until the outbox has delivered the card (then Publications fills it in).
type Publication struct {
	ID         int64     `db:"id"`
	ActivityID int64     `db:"activity_id"`
	ChatID     string    `db:"chat_id"`
	OutboxID   string    `db:"outbox_id"`
	MessageID  string    `db:"message_id"`
	CreatedAt  time.Time `db:"created_at"`
}

// AddPublication records that the card of an activity was queued to a chat as the outbox
// message outboxID. A chat the activity was already published to is left as it was (false).
func (tx *Tx) AddPublication(ctx context.Context, activityID int64, chatID, outboxID string) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO activity_publications (activity_id, chat_id, outbox_id,
		message_id, created_at) VALUES (?, ?, ?, '', ?)`, activityID, chatID, outboxID, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AddPublication", Err: err}
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// Publications lists the chats an activity was published to. Message ids the outbox has
// learnt since are copied into the publications first, so they outlive the outbox's pruning.
func (tx *Tx) Publications(ctx context.Context, activityID int64) ([]Publication, error) {
	const op = "store.Publications"
	var out []Publication
	if err := tx.SelectContext(ctx, &out, `SELECT id, activity_id, chat_id, outbox_id, message_id, created_at
		FROM activity_publications WHERE activity_id = ? ORDER BY id`, activityID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for i := range out {
		p := &out[i]
		if p.MessageID != "" {
			continue
		}
		var ids []string
		if err := tx.SelectContext(ctx, &ids, `SELECT message_id FROM outbox WHERE id = ? AND status = 'sent'`, p.OutboxID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if len(ids) == 0 || ids[0] == "" {
			continue
		}
		p.MessageID = ids[0]
		if _, err := tx.ExecContext(ctx, `UPDATE activity_publications SET message_id = ? WHERE id = ?`, p.MessageID, p.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	return out, nil
}

// LastCard returns the content most recently queued for a publication's card: its newest
// patch, or else the send that posted it; "" when the outbox has pruned both (or the card was
// never delivered). The patch lookup reads the outbox without an index on its target (the
// sign-up job asks it for a few cards every few minutes; the outbox keeps sent messages only
// for a while), so it is not for hot paths.
func (tx *Tx) LastCard(ctx context.Context, p Publication) (string, error) {
	const op = "store.LastCard"
	var out []string
	if p.MessageID != "" {
		if err := tx.SelectContext(ctx, &out, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = ?
			ORDER BY created_at DESC LIMIT 1`, p.MessageID); err != nil {
			return "", &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if len(out) == 0 {
		if err := tx.SelectContext(ctx, &out, `SELECT content FROM outbox WHERE id = ?`, p.OutboxID); err != nil {
			return "", &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if len(out) == 0 {
		return "", nil
	}
	return out[0], nil
}

// EnqueuePatch queues a replacement of the card in message messageID, coalesced: when a
// patch of that message is queued and not yet taken by the outbox worker, its content is
// replaced instead of queueing another, so a message has at most one waiting patch however
// fast its card changes. (The worker paces patches per target message at the receiver rate.)
// It reports whether a new outbox row was written.
func (tx *Tx) EnqueuePatch(ctx context.Context, messageID, content string) (bool, error) {
	const op = "store.EnqueuePatch"
	res, err := tx.ExecContext(ctx, `UPDATE outbox SET content = ? WHERE kind = 'patch' AND target_message_id = ?
		AND status = 'pending' AND claimed_until IS NULL`, content, messageID)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n > 0 {
		return false, nil
	}
	// MySQL counts a row whose content was already the same as unaffected: look before adding.
	// The look must be a locking read on MySQL: a plain SELECT reads the transaction's
	// snapshot, which can still show a patch the outbox worker has claimed since (the UPDATE
	// above saw the claim), and the newest content would then be dropped.
	lock := ""
	if tx.db.Dialect == MySQL {
		lock = " FOR UPDATE"
	}
	var waiting int
	if err := tx.GetContext(ctx, &waiting, `SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND target_message_id = ?
		AND status = 'pending' AND claimed_until IS NULL`+lock, messageID); err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if waiting > 0 {
		return false, nil
	}
	return tx.Enqueue(ctx, &OutboxMessage{Kind: OutboxPatch, TargetMessageID: messageID, MsgType: "interactive", Content: content})
}

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
