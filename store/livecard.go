package store

import (
	"context"
	"fmt"
	"time"
)

// Live cards: an entity (a sign-up activity; proposals and aid cases next) whose card is posted
// to chats and kept current as the entity changes. The store remembers which message shows
// which entity (live_cards), what each was last queued to show, and when it was sent; the
// flows render the cards (bot/livecard).
//
// Feishu takes at most 5 updates a second of one message, and none after 14 days. The outbox
// holds at most one patch of a message in flight and one waiting (EnqueuePatch keeps the
// waiting one's content current until the outbox takes it), and the pace of a message's patches
// is kept in the database (message_pace), so it holds across replicas: ClaimOutbox takes a
// patch only when its message is free, and the finish of a patch frees it PatchGap later.

// PatchGap is the least time between the end of one update of a message and the start of the
// next: with one update in flight at a time, no second sees more than five.
const PatchGap = 200 * time.Millisecond

// CardEditable is how long after it was sent a card is patched; later, a change posts it
// afresh. Feishu refuses updates after 14 days (code 230031); the margin covers clocks and the
// time a patch waits in the outbox.
const CardEditable = 14*24*time.Hour - time.Hour

// LiveCard is a chat message showing an entity's card. MessageID is empty until the outbox has
// delivered the card (then LiveCards fills it in, with SentAt).
type LiveCard struct {
	ID        int64      `db:"id"`
	Kind      string     `db:"kind"`
	EntityID  int64      `db:"entity_id"`
	ChatID    string     `db:"chat_id"`
	OutboxID  string     `db:"outbox_id"`
	MessageID string     `db:"message_id"`
	Content   string     `db:"content"` // what the card was last queued to show
	SentAt    *time.Time `db:"sent_at"`
	CreatedAt time.Time  `db:"created_at"`
}

// editableAt reports whether the card's message may still be patched at now. A card whose send
// time was not learnt (a publication from before live cards) counts from its creation.
func (c *LiveCard) editableAt(now time.Time) bool {
	sent := c.CreatedAt
	if c.SentAt != nil {
		sent = *c.SentAt
	}
	return now.Sub(sent) < CardEditable
}

const liveCardColumns = `id, kind, entity_id, chat_id, outbox_id, message_id, content, sent_at, created_at`

// PostCard queues content (a card) to a chat and remembers the message as showing the entity
// kind/entityID. A chat already showing the entity is left as it was (false). The send's
// deduplication key is kind.publish:entityID:chat.
func (tx *Tx) PostCard(ctx context.Context, kind string, entityID int64, chatID, content string) (bool, error) {
	const op = "store.PostCard"
	key := fmt.Sprintf("%s.publish:%d:%s", kind, entityID, chatID)
	m := &OutboxMessage{Kind: OutboxSend, ReceiveIDType: "chat_id", ReceiveID: chatID, MsgType: "interactive",
		Content: content, DedupKey: &key}
	added, err := tx.Enqueue(ctx, m)
	if err != nil || !added {
		return false, err
	}
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO live_cards (kind, entity_id, chat_id, outbox_id,
		message_id, content, sent_at, created_at) VALUES (?, ?, ?, ?, '', ?, NULL, ?)`, kind, entityID, chatID, m.ID, content, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// LiveCards lists the chat messages showing an entity. Message ids and send times the outbox
// has learnt since are copied into the cards first, so they outlive the outbox's pruning. With
// lock the cards are locked (MySQL) until the transaction ends: a refresh holds them, so that
// refreshes of one entity run one after another across replicas, each rendering after the one
// before committed.
func (tx *Tx) LiveCards(ctx context.Context, kind string, entityID int64, lock bool) ([]LiveCard, error) {
	const op = "store.LiveCards"
	q := `SELECT ` + liveCardColumns + ` FROM live_cards WHERE kind = ? AND entity_id = ? ORDER BY id`
	if lock && tx.db.Dialect == MySQL {
		q += ` FOR UPDATE`
	}
	var out []LiveCard
	if err := tx.SelectContext(ctx, &out, q, kind, entityID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for i := range out {
		c := &out[i]
		if c.MessageID != "" {
			continue
		}
		var sent []struct {
			MessageID string     `db:"message_id"`
			SentAt    *time.Time `db:"sent_at"`
		}
		if err := tx.SelectContext(ctx, &sent, `SELECT message_id, sent_at FROM outbox WHERE id = ? AND status = 'sent'`, c.OutboxID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if len(sent) == 0 || sent[0].MessageID == "" {
			continue
		}
		c.MessageID, c.SentAt = sent[0].MessageID, sent[0].SentAt
		if c.SentAt == nil {
			t := tx.now
			c.SentAt = &t
		}
		if _, err := tx.ExecContext(ctx, `UPDATE live_cards SET message_id = ?, sent_at = ? WHERE id = ?`,
			c.MessageID, utc(*c.SentAt), c.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	return out, nil
}

// ShowOnCards queues the delivered cards among cards to show content, each unless it was last
// queued to show it already: a coalesced patch (EnqueuePatch), or, for a card Feishu no longer
// lets be edited (CardEditable), the card posted afresh to its chat, the old message left as it
// is. A card not delivered yet is left alone (it is compared again next time). It reports how
// many cards were queued.
func (tx *Tx) ShowOnCards(ctx context.Context, cards []LiveCard, content string) (int, error) {
	const op = "store.ShowOnCards"
	n := 0
	for i := range cards {
		c := &cards[i]
		if c.MessageID == "" || c.Content == content {
			continue
		}
		if !c.editableAt(tx.now) {
			if err := tx.repostCard(ctx, c, content); err != nil {
				return n, err
			}
			n++
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE live_cards SET content = ? WHERE id = ?`, content, c.ID); err != nil {
			return n, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		c.Content = content
		if _, err := tx.EnqueuePatch(ctx, c.MessageID, content); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// repostCard posts content to the card's chat as a new message, which the card follows from
// now on; a patch of the old message still waiting is dropped.
func (tx *Tx) repostCard(ctx context.Context, c *LiveCard, content string) error {
	const op = "store.repostCard"
	old := c.MessageID
	m := &OutboxMessage{Kind: OutboxSend, ReceiveIDType: "chat_id", ReceiveID: c.ChatID, MsgType: "interactive", Content: content}
	if _, err := tx.Enqueue(ctx, m); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE live_cards SET outbox_id = ?, message_id = '', sent_at = NULL, content = ?
		WHERE id = ?`, m.ID, content, c.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE kind = 'patch' AND target_message_id = ? AND status = 'pending'
		AND claimed_until IS NULL`, old); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	c.OutboxID, c.MessageID, c.SentAt, c.Content = m.ID, "", nil, content
	return nil
}

// EnqueuePatch queues a replacement of the card in message messageID, coalesced: when a
// patch of that message is queued and not yet taken by the outbox worker, its content is
// replaced instead of queueing another, so a message has at most one waiting patch however
// fast its card changes (and one in flight: ClaimOutbox takes a message's patch only when the
// one before has finished). It reports whether a new outbox row was written.
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

// takePace claims the next update of a message for a claim whose lease ends at until: it
// succeeds when the message's pace allows an update now, and then holds the message until the
// lease ends (or the update finishes, finishPatch). Otherwise it returns when the message is
// free again.
func (tx *Tx) takePace(ctx context.Context, messageID string, until time.Time) (bool, time.Time, error) {
	res, err := tx.ExecContext(ctx, `UPDATE message_pace SET not_before = ? WHERE message_id = ? AND not_before <= ?`,
		until, messageID, tx.now)
	if err != nil {
		return false, time.Time{}, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, time.Time{}, nil
	}
	res, err = tx.ExecContext(ctx, tx.insertIgnore()+` INTO message_pace (message_id, not_before) VALUES (?, ?)`, messageID, until)
	if err != nil {
		return false, time.Time{}, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return true, time.Time{}, nil
	}
	var at time.Time
	if err := tx.GetContext(ctx, &at, `SELECT not_before FROM message_pace WHERE message_id = ?`, messageID); err != nil {
		return false, time.Time{}, err
	}
	return false, at, nil
}

// finishPatch frees the message of a patch the worker finished (or put back) for its next
// update at free. A patch put back for a later attempt (retry) takes the newest content of
// any patch queued behind it, which is dropped, so that an older content never follows a
// newer one; otherwise the patch waiting behind is due when the message is free.
func (tx *Tx) finishPatch(ctx context.Context, m *OutboxMessage, free time.Time, retry bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE message_pace SET not_before = ? WHERE message_id = ?`, free, m.TargetMessageID); err != nil {
		return err
	}
	if !retry {
		_, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE kind = 'patch' AND target_message_id = ?
			AND status = 'pending' AND claimed_until IS NULL AND next_attempt_at > ?`, free, m.TargetMessageID, free)
		return err
	}
	var behind []struct {
		ID      string `db:"id"`
		Content string `db:"content"`
	}
	if err := tx.SelectContext(ctx, &behind, `SELECT id, content FROM outbox WHERE kind = 'patch' AND target_message_id = ?
		AND status = 'pending' AND claimed_until IS NULL AND id <> ? ORDER BY created_at DESC`, m.TargetMessageID, m.ID); err != nil {
		return err
	}
	if len(behind) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `UPDATE outbox SET content = ? WHERE id = ?`, behind[0].Content, m.ID); err != nil {
		return err
	}
	for _, b := range behind {
		if _, err := tx.ExecContext(ctx, `DELETE FROM outbox WHERE id = ?`, b.ID); err != nil {
			return err
		}
	}
	return nil
}

// MarkCardTooOld ends a patch Feishu refused because its message can no longer be edited (it
// fails, with code and reason) and posts the card afresh to the chat of the live card showing
// that message, with the newest content queued for it (a patch waiting behind this one, or
// this one's). A patch of a message no live card shows just fails.
func (db *DB) MarkCardTooOld(ctx context.Context, m *OutboxMessage, code int, reason string) error {
	const op = "store.MarkCardTooOld"
	return db.InTx(ctx, func(tx *Tx) error {
		q := `SELECT ` + liveCardColumns + ` FROM live_cards WHERE message_id = ?`
		if db.Dialect == MySQL {
			q += ` FOR UPDATE`
		}
		var cards []LiveCard
		if err := tx.SelectContext(ctx, &cards, q, m.TargetMessageID); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'failed', claimed_until = NULL, last_code = ?, last_error = ?
			WHERE id = ? AND claimed_by = ? AND status = 'pending'`, code, reason, m.ID, m.ClaimedBy)
		if err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return &Error{Code: ECONFLICT, Op: op, Message: "outbox lease lost"}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM message_pace WHERE message_id = ?`, m.TargetMessageID); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		content := m.Content
		var newer []string
		if err := tx.SelectContext(ctx, &newer, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = ?
			AND status = 'pending' AND claimed_until IS NULL ORDER BY created_at DESC LIMIT 1`, m.TargetMessageID); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if len(newer) > 0 {
			content = newer[0]
		}
		for i := range cards {
			if err := tx.repostCard(ctx, &cards[i], content); err != nil {
				return err
			}
		}
		return nil
	})
}
