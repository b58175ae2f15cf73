package store

import "context"

// BatchQueueLen is how many calls wait in the queue of a batch key (for tests).
func (db *DB) BatchQueueLen(key string) int {
	db.batch.mu.Lock()
	defer db.batch.mu.Unlock()
	bt := db.batch.batchers[key]
	if bt == nil {
		return 0
	}
	bt.mu.Lock()
	defer bt.mu.Unlock()
	return len(bt.queue)
}

// Batch and InTxBatch expose group commit to the package's tests.
type Batch = batch

func (db *DB) InTxBatch(ctx context.Context, b Batch, fn func(*Tx) error) error {
	return db.inTxBatch(ctx, b, fn)
}

// SignupCopyHeld reports whether the transaction holds a valid copy of activity id
// (signup_cache.go): SignupActivity would answer from it without a query.
func (tx *Tx) SignupCopyHeld(id int64) bool {
	_, _, ok := tx.cachedSignupActivity(id)
	return ok
}
