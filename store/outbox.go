package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"github.com/unionbot/unionbot/store/secret"
	"time"

	"github.com/google/uuid"
	"github.com/jmoiron/sqlx"
)

// Outbox message kinds.
const (
	OutboxSend  = "send"  // a new message to ReceiveID (of ReceiveIDType)
	OutboxReply = "reply" // a reply to TargetMessageID
	OutboxPatch = "patch" // replace the card of TargetMessageID with Content
	OutboxFile  = "file"  // upload FileData as FileName, then send it to ReceiveID
	OutboxBatch = "batch" // a batch_send; Content is the whole request body
)

// Outbox statuses.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxFailed  = "failed"
)

// OutboxMessage is one outbound message. It is written in the transaction of whatever caused
// it, and delivered later by the outbox worker. ID is a UUID passed to Feishu as the message's
// uuid, so a retry after a crash is never a second message.
type OutboxMessage struct {
	ID              string     `db:"id"`
	Kind            string     `db:"kind"`
	ReceiveIDType   string     `db:"receive_id_type"`
	ReceiveID       string     `db:"receive_id"`
	TargetMessageID string     `db:"target_message_id"`
	MsgType         string     `db:"msg_type"`
	Content         string     `db:"content"`
	FileName        string     `db:"file_name"`
	FileData        []byte     `db:"file_data"`
	DedupKey        *string    `db:"dedup_key"`
	Status          string     `db:"status"`
	Attempts        int        `db:"attempts"`
	NextAttemptAt   time.Time  `db:"next_attempt_at"`
	ClaimedBy       string     `db:"claimed_by"`
	ClaimedUntil    *time.Time `db:"claimed_until"`
	LastCode        int        `db:"last_code"`
	LastError       string     `db:"last_error"`
	MessageID       string     `db:"message_id"`
	CreatedAt       time.Time  `db:"created_at"`
	SentAt          *time.Time `db:"sent_at"`
	// FailingSince is when the current run of transient failures began (nil: none yet); the
	// worker gives up outbox.retry_for after it.
	FailingSince *time.Time `db:"failing_since"`
	// Sealed marks sensitive content (a card marked card.Sensitive, a member's data, a
	// ledger): Enqueue stores Content and FileData sealed with the data key, bound to the
	// message's id, and refuses when no key is configured; ClaimOutbox opens them for the
	// worker; once sent, the content is dropped. Nothing sensitive lies in the outbox readable.
	Sealed bool `db:"sealed"`
	// Unreadable is set by ClaimOutbox when sealed content does not open (its key is no longer
	// configured, or it was tampered with): the worker fails the message, never sends it.
	Unreadable string `db:"-"`
}

// Places of the outbox's sealed values, keyed by the message's id.
func outboxContentRef(id string) secret.Ref {
	return secret.Ref{Table: "outbox", Column: "content", Key: id}
}

func outboxFileRef(id string) secret.Ref {
	return secret.Ref{Table: "outbox", Column: "file_data", Key: id}
}

// SetKeyring gives the store the data keys that seal sensitive outbox messages (nil: none
// configured, and sensitive messages are refused). Set it once, before the store is used.
func (db *DB) SetKeyring(k *secret.Keyring) { db.keys = k }

// sealOutbox returns the content and file data of m as stored: sealed when m is.
func (db *DB) sealOutbox(m *OutboxMessage) (string, []byte, error) {
	if m.Kind == OutboxFile && db.keys.Enabled() {
		m.Sealed = true // files (rosters with phones, exports) are sealed whenever a key is configured
	}
	if !m.Sealed {
		return m.Content, m.FileData, nil
	}
	if !db.keys.Enabled() {
		return "", nil, &Error{Code: EINVALID, Op: "store.Enqueue",
			Message: "系统未配置数据加密密钥（security.data_key），含个人敏感信息的消息不能发送，请联系管理员。"}
	}
	content, data := m.Content, m.FileData
	var err error
	if content != "" {
		if content, err = db.keys.Seal(outboxContentRef(m.ID), content); err != nil {
			return "", nil, err
		}
	}
	if data != nil {
		sealed, err := db.keys.SealBytes(outboxFileRef(m.ID), data)
		if err != nil {
			return "", nil, err
		}
		data = []byte(sealed)
	}
	return content, data, nil
}

// openOutbox opens the sealed content of claimed messages in place; a message that does not
// open is marked Unreadable (its sealed text stays out of the worker's hands).
func (db *DB) openOutbox(msgs []*OutboxMessage) {
	for _, m := range msgs {
		if !m.Sealed {
			continue
		}
		var err error
		if m.Content != "" {
			m.Content, err = db.keys.Open(outboxContentRef(m.ID), m.Content)
		}
		if err == nil && m.FileData != nil {
			m.FileData, err = db.keys.OpenBytes(outboxFileRef(m.ID), string(m.FileData))
		}
		if err != nil {
			m.Content, m.FileData = "", nil
			m.Unreadable = "sealed content cannot be opened (its key is not configured, or it was altered): " + err.Error()
		}
	}
}

const outboxColumns = `id, kind, receive_id_type, receive_id, target_message_id, msg_type, content, file_name,
	file_data, dedup_key, status, attempts, next_attempt_at, claimed_by, claimed_until, last_code, last_error,
	message_id, created_at, sent_at, failing_since, sealed`

// Receiver is the key the worker rate-limits on: the receiving user or chat, or the message a
// patch or reply targets.
func (m *OutboxMessage) Receiver() string {
	if m.ReceiveID != "" {
		return m.ReceiveID
	}
	return m.TargetMessageID
}

// Enqueue writes m to the outbox in the transaction. It assigns the ID when empty and the
// timing fields. When m has a DedupKey that is already queued, nothing is written and Enqueue
// returns false: that message exists (for example a reminder enqueued by an earlier run).
func (tx *Tx) Enqueue(ctx context.Context, m *OutboxMessage) (bool, error) {
	const op = "store.Enqueue"
	if m.ID == "" {
		m.ID = uuid.NewString()
	}
	switch m.Kind {
	case OutboxSend, OutboxFile:
		if m.ReceiveID == "" || m.ReceiveIDType == "" {
			return false, &Error{Code: EINVALID, Op: op, Message: "outbox: missing receiver"}
		}
	case OutboxReply, OutboxPatch:
		if m.TargetMessageID == "" {
			return false, &Error{Code: EINVALID, Op: op, Message: "outbox: missing target message"}
		}
	case OutboxBatch:
	default:
		return false, &Error{Code: EINVALID, Op: op, Message: "outbox: unknown kind " + m.Kind}
	}
	m.Status = OutboxPending
	// Messages queued by one transaction keep their order: each is stamped a microsecond after
	// the one before, in created_at and in due_at (a receiver's messages go out in due_at order,
	// see ClaimOutbox).
	step := time.Duration(tx.enqueued) * time.Microsecond
	m.CreatedAt = tx.now.Add(step)
	tx.enqueued++
	if m.NextAttemptAt.IsZero() {
		m.NextAttemptAt = tx.now
	}
	m.NextAttemptAt = utc(m.NextAttemptAt)
	content, data, err := tx.db.sealOutbox(m)
	if err != nil {
		return false, err
	}
	// Positional, not named: one fixed text, which SQLite keeps prepared (stmtcache.go).
	q := tx.insertIgnore() + ` INTO outbox (id, kind, receive_id_type, receive_id,
		target_message_id, msg_type, content, file_name, file_data, dedup_key, status, attempts, next_attempt_at,
		claimed_by, last_code, last_error, message_id, created_at, receiver, due_at, sealed)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, '', 0, '', '', ?, ?, ?, ?)`
	args := []any{m.ID, m.Kind, m.ReceiveIDType, m.ReceiveID, m.TargetMessageID, m.MsgType, content, m.FileName,
		data, m.DedupKey, m.Status, m.NextAttemptAt, m.CreatedAt, m.Receiver(), m.NextAttemptAt.Add(step), m.Sealed}
	res, err := tx.ExecContext(ctx, q, args...)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return n == 1, nil
}

// headOnly keeps, of the pending messages o, those that no pending message of the same receiver
// comes before (in due_at, then id order): the head of each receiver's queue. The outer query
// names its outbox row o.
const headOnly = `NOT EXISTS (SELECT 1 FROM outbox e WHERE e.receiver = o.receiver AND e.status = 'pending'
	AND e.due_at <= o.due_at AND (e.due_at < o.due_at OR e.id < o.id))`

// ClaimOutbox takes up to limit due messages for worker, leasing them for lease. A message
// whose lease ran out (its worker died) is due again; Feishu's uuid de-duplication makes the
// resend harmless. The claim is atomic, so two replicas never hold one message at once.
//
// Order per receiver: a message is claimed only when it is the first pending message of its
// receiver (Receiver) in the order the receiver is owed them, due_at then id (due_at is when
// the message was first due: when it was queued, or the time it was scheduled for; messages
// queued by one transaction are a microsecond apart). So each receiver has at most one
// message in flight, on every replica, and a message waiting for a retry holds back its
// receiver's later messages, and no one else's, until it is sent or fails for good (a message
// that fails, at once or after outbox.retry_for, frees its receiver). The rule reads only
// which messages are pending, which a concurrent claim does not change, so it holds on MySQL
// too, where claims run side by side (SKIP LOCKED) and the subquery reads a snapshot: a
// snapshot older than a send can only hold a message back longer, never let it overtake.
func (db *DB) ClaimOutbox(ctx context.Context, worker string, limit int, lease time.Duration) ([]*OutboxMessage, error) {
	const op = "store.ClaimOutbox"
	claim := worker + ":" + randomHex(6)
	var out []*OutboxMessage
	err := db.InTx(ctx, func(tx *Tx) error {
		now := tx.now
		var due []struct {
			ID     string `db:"id"`
			Kind   string `db:"kind"`
			Target string `db:"target_message_id"`
		}
		q := `SELECT id, kind, target_message_id FROM outbox o WHERE status = 'pending' AND next_attempt_at <= ?
			AND (claimed_until IS NULL OR claimed_until < ?) AND ` + headOnly + ` ORDER BY next_attempt_at, created_at LIMIT ?`
		if db.Dialect == MySQL {
			q += ` FOR UPDATE SKIP LOCKED`
		}
		if err := tx.SelectContext(ctx, &due, q, now, now, limit); err != nil || len(due) == 0 {
			return err
		}
		// A patch is taken only when its message is free (message_pace): the one before it has
		// finished, PatchGap ago. Otherwise it stays waiting, due when the message is free, and
		// EnqueuePatch keeps its content current meanwhile.
		ids := make([]string, 0, len(due))
		for _, d := range due {
			if d.Kind == OutboxPatch {
				ok, at, err := tx.takePace(ctx, d.Target, now.Add(lease))
				if err != nil {
					return err
				}
				if !ok {
					if _, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ? WHERE id = ?`, utc(at), d.ID); err != nil {
						return err
					}
					continue
				}
			}
			ids = append(ids, d.ID)
		}
		if len(ids) == 0 {
			return nil
		}
		uq, args, err := sqlx.In(`UPDATE outbox SET claimed_by = ?, claimed_until = ?, attempts = attempts + 1 WHERE id IN (?)`,
			claim, now.Add(lease), ids)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, uq, args...); err != nil {
			return err
		}
		return tx.SelectContext(ctx, &out, `SELECT `+outboxColumns+` FROM outbox WHERE claimed_by = ? ORDER BY created_at, id`, claim)
	})
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	db.openOutbox(out)
	return out, nil
}

// ReclaimOutbox takes back the claims of an earlier process of this replica: pending messages
// claimed by a worker whose id starts with prefix but is not own (the running worker's id).
// They are due at once, instead of when the dead process's lease would have run out; a patch
// among them frees its message's pace too. Only a process that knows its predecessor is dead
// may call it (see app.Instance); another replica's claims never match the prefix. It returns
// how many messages were taken back.
func (db *DB) ReclaimOutbox(ctx context.Context, prefix, own string) (int, error) {
	const op = "store.ReclaimOutbox"
	if prefix == "" {
		return 0, &Error{Code: EINVALID, Op: op, Message: "outbox: empty instance prefix"}
	}
	var n int
	err := db.InTx(ctx, func(tx *Tx) error {
		now := tx.now
		var rows []struct {
			ID     string `db:"id"`
			Kind   string `db:"kind"`
			Target string `db:"target_message_id"`
			By     string `db:"claimed_by"`
		}
		q := `SELECT id, kind, target_message_id, claimed_by FROM outbox WHERE status = 'pending' AND claimed_until >= ?
			AND SUBSTR(claimed_by, 1, ?) = ?`
		if db.Dialect == MySQL {
			q += ` FOR UPDATE`
		}
		if err := tx.SelectContext(ctx, &rows, q, now, len(prefix), prefix); err != nil {
			return err
		}
		n = 0
		for _, r := range rows {
			if r.By == own || (len(r.By) > len(own) && r.By[:len(own)+1] == own+":") {
				continue // this process's own claim
			}
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET claimed_until = NULL, next_attempt_at = ? WHERE id = ? AND claimed_by = ?`,
				now, r.ID, r.By); err != nil {
				return err
			}
			if r.Kind == OutboxPatch {
				if _, err := tx.ExecContext(ctx, `UPDATE message_pace SET not_before = ? WHERE message_id = ?`, now, r.Target); err != nil {
					return err
				}
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return n, nil
}

// MarkSent records a delivered message (and drops any file bytes, which are no longer needed,
// and a sealed message's content).
// The message went out, so it is recorded even when the worker's claim on it has run out or
// another worker has claimed it since (that worker's send carries the same uuid, which Feishu
// drops); it returns ECONFLICT only when the message is no longer pending.
func (db *DB) MarkSent(ctx context.Context, m *OutboxMessage, messageID string) error {
	now := db.now()
	return db.finishOutbox(ctx, "store.MarkSent", m, now.Add(PatchGap), false, `status = 'sent', message_id = ?, sent_at = ?,
		file_data = NULL, content = CASE WHEN sealed = 1 THEN '' ELSE content END, claimed_until = NULL, last_code = 0,
		last_error = ''`, messageID, now)
}

// MarkRetry puts a message back in the queue for another attempt at next, recording why and,
// on its first failure, since when it fails.
func (db *DB) MarkRetry(ctx context.Context, m *OutboxMessage, next time.Time, code int, reason string) error {
	now := db.now()
	return db.finishOutbox(ctx, "store.MarkRetry", m, now.Add(PatchGap), true,
		`next_attempt_at = ?, claimed_until = NULL, last_code = ?, last_error = ?, failing_since = COALESCE(failing_since, ?)`,
		utc(next), code, reason, now)
}

// ReleaseOutbox gives a claimed message back without counting the claim as an attempt (the
// worker did not try to send it: it is shutting down, or an earlier message to the same
// receiver waits for a retry). It is due again at next.
func (db *DB) ReleaseOutbox(ctx context.Context, m *OutboxMessage, next time.Time) error {
	return db.finishOutbox(ctx, "store.ReleaseOutbox", m, utc(next), true, `next_attempt_at = ?, claimed_until = NULL,
		attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END`, utc(next))
}

// MarkFailed ends a message as failed for good, with the platform's code and reason.
func (db *DB) MarkFailed(ctx context.Context, m *OutboxMessage, code int, reason string) error {
	return db.finishOutbox(ctx, "store.MarkFailed", m, db.now().Add(PatchGap), false,
		`status = 'failed', claimed_until = NULL, last_code = ?, last_error = ?, file_data = NULL`, code, reason)
}

// finishOutbox updates a claimed message with set. A patch also frees its message for the
// next update at free (finishPatch; again marks a patch that stays queued), in the same
// transaction.
func (db *DB) finishOutbox(ctx context.Context, op string, m *OutboxMessage, free time.Time, again bool, set string, args ...any) error {
	q := `UPDATE outbox SET ` + set + ` WHERE id = ? AND claimed_by = ? AND status = 'pending'`
	args = append(args, m.ID, m.ClaimedBy)
	if op == "store.MarkSent" { // see MarkSent: whoever holds the claim
		q = `UPDATE outbox SET ` + set + ` WHERE id = ? AND status = 'pending'`
		args = args[:len(args)-1]
	}
	lost := &Error{Code: ECONFLICT, Op: op, Message: "outbox lease lost"}
	if m.Kind == OutboxPatch {
		return db.InTx(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, q, args...)
			if err != nil {
				return &Error{Code: EINTERNAL, Op: op, Err: err}
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return lost
			}
			if err := tx.finishPatch(ctx, m, free, again); err != nil {
				return &Error{Code: EINTERNAL, Op: op, Err: err}
			}
			return nil
		})
	}
	res, err := db.exec(ctx, q, args...)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return lost
	}
	return nil
}

// OutboxStats are the outbox's counts by status.
type OutboxStats struct {
	Pending int `db:"pending"`
	Sent    int `db:"sent"`
	Failed  int `db:"failed"`
}

// OutboxStats counts the outbox by status.
func (db *DB) OutboxStats(ctx context.Context) (OutboxStats, error) {
	var s OutboxStats
	err := db.Get(ctx, &s, `SELECT
		COALESCE(SUM(CASE WHEN status = 'pending' THEN 1 ELSE 0 END), 0) AS pending,
		COALESCE(SUM(CASE WHEN status = 'sent' THEN 1 ELSE 0 END), 0) AS sent,
		COALESCE(SUM(CASE WHEN status = 'failed' THEN 1 ELSE 0 END), 0) AS failed FROM outbox`)
	if err != nil {
		return s, fmt.Errorf("store.OutboxStats: %w", err)
	}
	return s, nil
}

// FailedOutbox lists the newest failed messages, for admins (without contents or files).
func (db *DB) FailedOutbox(ctx context.Context, limit int) ([]*OutboxMessage, error) {
	var out []*OutboxMessage
	err := db.Select(ctx, &out, `SELECT id, kind, receive_id_type, receive_id, target_message_id, msg_type, '' AS content,
		file_name, NULL AS file_data, dedup_key, status, attempts, next_attempt_at, claimed_by, claimed_until, last_code,
		last_error, message_id, created_at, sent_at, failing_since FROM outbox WHERE status = 'failed' ORDER BY created_at DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store.FailedOutbox: %w", err)
	}
	return out, nil
}

// OpenedOutbox reads outbox messages (every column, selected by where, e.g. "kind = ?",
// with args) with their sealed content opened, as the worker sees it; a value that does not
// open is left empty and the message marked Unreadable. For tools and tests: the worker
// itself gets its messages from ClaimOutbox.
func (db *DB) OpenedOutbox(ctx context.Context, where string, args ...any) ([]*OutboxMessage, error) {
	var out []*OutboxMessage
	if err := db.Select(ctx, &out, `SELECT `+outboxColumns+` FROM outbox WHERE `+where+` ORDER BY created_at, id`, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.OpenedOutbox", Err: err}
	}
	db.openOutbox(out)
	return out, nil
}

// OutboxByID returns one outbox message.
func (db *DB) OutboxByID(ctx context.Context, id string) (*OutboxMessage, error) {
	var m OutboxMessage
	if err := db.Get(ctx, &m, `SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id); err != nil {
		return nil, notFound("store.OutboxByID", err, "找不到该消息")
	}
	return &m, nil
}

// NextOutboxDue returns when the next pending message that the claim may take is due (the
// first of its receiver's queue: see ClaimOutbox), or false when none is pending.
func (db *DB) NextOutboxDue(ctx context.Context) (time.Time, bool, error) {
	var ts []time.Time
	err := db.Select(ctx, &ts, `SELECT next_attempt_at FROM outbox o WHERE status = 'pending' AND `+headOnly+`
		ORDER BY next_attempt_at LIMIT 1`)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store.NextOutboxDue: %w", err)
	}
	if len(ts) == 0 {
		return time.Time{}, false, nil
	}
	return ts[0], true, nil
}

// pruneBatch is how many rows one housekeeping DELETE removes.
const pruneBatch = 200

// PruneOutbox deletes sent messages older than retention. It does not contend with delivery:
// the old rows are found by a plain read (no locks), then deleted by primary key in small
// batches, each still 'sent' (a row in flight is never touched), a deadlock or lock timeout
// retried. (A range DELETE over the status index locked the index entries and gaps that
// delivery writes into, and deadlocked with it on MySQL: Error 1213.)
func (db *DB) PruneOutbox(ctx context.Context, retention time.Duration) (int64, error) {
	n, err := db.pruneByKey(ctx, `SELECT id FROM outbox WHERE status = 'sent' AND sent_at < ? ORDER BY id LIMIT ?`,
		`DELETE FROM outbox WHERE status = 'sent' AND sent_at < ? AND id IN (?)`, db.now().Add(-retention))
	if err != nil {
		return n, fmt.Errorf("store.PruneOutbox: %w", err)
	}
	// The pace of messages not updated for a day: a message without a row is free.
	cutoff := db.now().Add(-24 * time.Hour)
	if _, err := db.pruneByKey(ctx, `SELECT message_id FROM message_pace WHERE not_before < ? ORDER BY message_id LIMIT ?`,
		`DELETE FROM message_pace WHERE not_before < ? AND message_id IN (?)`, cutoff); err != nil {
		return n, fmt.Errorf("store.PruneOutbox: %w", err)
	}
	return n, nil
}

// pruneByKey deletes, pruneBatch at a time, the rows whose keys find selects (find takes the
// cutoff and a limit; del takes the cutoff again and the keys, as sqlx.In's "IN (?)"). It stops when a batch
// comes back short, or after a bounded number of rounds (the rest is the next run's).
func (db *DB) pruneByKey(ctx context.Context, find, del string, cutoff time.Time) (int64, error) {
	var total int64
	for round := 0; round < 10000; round++ {
		var keys []string
		if err := db.Select(ctx, &keys, find, cutoff, pruneBatch); err != nil {
			return total, err
		}
		if len(keys) == 0 {
			return total, nil
		}
		q, args, err := sqlx.In(del, cutoff, keys)
		if err != nil {
			return total, err
		}
		res, err := db.execRetry(ctx, q, args...)
		if err != nil {
			return total, err
		}
		n, _ := res.RowsAffected()
		total += n
		if len(keys) < pruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	return total, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
