package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// MarkProcessed records that the event with key has been handled, inside the handler's own
// transaction. It returns false when the key was already recorded: the event is a redelivery
// and must have no second effect. Concurrent deliveries of one key serialise on the key's row,
// so exactly one of them sees true.
func (tx *Tx) MarkProcessed(ctx context.Context, key, kind string) (bool, error) {
	const op = "store.MarkProcessed"
	var res sql.Result
	err := tx.keepCopies(func() (err error) { // the key's row is in no copy the transaction keeps
		res, err = tx.ExecContext(ctx, tx.insertIgnore()+` INTO processed_events (event_key, kind, processed_at) VALUES (?, ?, ?)`,
			key, kind, tx.now)
		return err
	})
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return n == 1, nil
}

// IsProcessed reports whether an event key is recorded (read pool, no transaction).
func (db *DB) IsProcessed(ctx context.Context, key string) (bool, error) {
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM processed_events WHERE event_key = ?`, key); err != nil {
		return false, fmt.Errorf("store.IsProcessed: %w", err)
	}
	return n > 0, nil
}

// PruneProcessed deletes event keys older than retention and returns how many went.
func (db *DB) PruneProcessed(ctx context.Context, retention time.Duration) (int64, error) {
	cutoff := db.now().Add(-retention)
	// By key, in small batches, as PruneOutbox: new keys are written meanwhile.
	n, err := db.pruneByKey(ctx, `SELECT event_key FROM processed_events WHERE processed_at < ? ORDER BY event_key LIMIT ?`,
		`DELETE FROM processed_events WHERE processed_at < ? AND event_key IN (?)`, cutoff)
	if err != nil {
		return n, fmt.Errorf("store.PruneProcessed: %w", err)
	}
	return n, nil
}
