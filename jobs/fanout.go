package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// MaxBatch is the most open_ids one batch_send call takes.
const MaxBatch = 200

// Batch is one notice to many members at once (a notice to everyone, an activity to all
// eligible members), sent with Feishu's batch send: one outbox row of kind "batch" per
// MaxBatch recipients. Use it instead of one Reminder per member when the message is the same
// for all; individual reminders go through Remind (and the outbox's 50/s and 5/s per user).
type Batch struct {
	Key     string   // unique for the notice, e.g. "signup.published:42"
	OpenIDs []string // recipients; duplicates are sent once
	Text    string   // a text message, or
	Card    *card.Card
}

// EnqueueBatch queues a batch notice in tx under its key, at most once per key: chunk i is the
// outbox row with dedup key "batch:<key>:<i>". It returns the number of chunks written (0 when
// the notice was queued before). The outbox worker delivers it at the app's rate limit.
// Feishu's batch send has no idempotency token: a crash in the instant between the call and
// its record may repeat one chunk, which is the platform's limit, not this queue's.
func EnqueueBatch(ctx context.Context, tx *store.Tx, b Batch) (int, error) {
	return enqueueBatch(ctx, tx, b, time.Time{})
}

// enqueueBatch is EnqueueBatch with the chunks due at next (zero: now).
func enqueueBatch(ctx context.Context, tx *store.Tx, b Batch, next time.Time) (int, error) {
	if b.Key == "" {
		return 0, fmt.Errorf("jobs: batch without a key")
	}
	if (b.Text == "") == (b.Card == nil) {
		return 0, fmt.Errorf("jobs: batch %s needs exactly one of Text and Card", b.Key)
	}
	body := map[string]any{}
	if b.Card != nil {
		c, err := b.Card.JSON()
		if err != nil {
			return 0, fmt.Errorf("jobs: batch %s: %w", b.Key, err)
		}
		body["msg_type"], body["card"] = "interactive", json.RawMessage(c)
	} else {
		body["msg_type"], body["content"] = "text", map[string]string{"text": b.Text}
	}
	seen := make(map[string]bool, len(b.OpenIDs))
	ids := make([]string, 0, len(b.OpenIDs))
	for _, id := range b.OpenIDs {
		if id != "" && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	n := 0
	for i := 0; i*MaxBatch < len(ids); i++ {
		chunk := ids[i*MaxBatch : min((i+1)*MaxBatch, len(ids))]
		body["open_ids"] = chunk
		content, err := json.Marshal(body)
		if err != nil {
			return n, err
		}
		key := StoreKey(fmt.Sprintf("batch:%s:%d", b.Key, i))
		ok, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxBatch, MsgType: body["msg_type"].(string),
			Content: string(content), DedupKey: &key, NextAttemptAt: next})
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// Notice queues a batch notice from a job run, once per key ever (like Remind), marked late or
// dropped by the same rules, held out of the night. It returns whether it was queued.
func (r *Run) Notice(ctx context.Context, tx *store.Tx, b Batch, due time.Time) (bool, error) {
	if b.Key == "" {
		return false, fmt.Errorf("jobs: notice without a key")
	}
	row := &store.ReminderRow{Key: StoreKey("notice:" + b.Key), Job: r.Job, Recipient: fmt.Sprintf("%d members", len(b.OpenIDs)),
		DueAt: due, RunAt: r.At, Status: store.ReminderSent}
	lateness := r.At.Sub(due)
	switch {
	case lateness > r.e.cfg.DropAfter:
		row.Status = store.ReminderDropped
		ok, err := tx.ClaimReminder(ctx, row)
		if ok {
			tx.AfterCommit(func() { r.dropped.Add(1) })
		}
		return false, err
	case lateness > r.e.cfg.LateAfter:
		row.Status = store.ReminderLate
		if b.Card != nil {
			cp := *b.Card
			b.Card = cp.Prepend(card.Note(r.LateNote(due)))
		} else {
			b.Text = r.LateNote(due) + "\n" + b.Text
		}
	}
	ok, err := tx.ClaimReminder(ctx, row)
	if err != nil || !ok {
		return false, err
	}
	next := due
	if tx.Now().After(next) {
		next = tx.Now()
	}
	if _, err := enqueueBatch(ctx, tx, b, r.e.outOfQuiet(row.Key, next)); err != nil {
		return false, err
	}
	r.counted(tx, row.Status == store.ReminderLate)
	return true, nil
}
