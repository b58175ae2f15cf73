package store

import (
	"context"
	"time"
)

// Policy says how an event's transaction may be shared with other events'.
type Policy struct {
	// Solo gives the event a transaction of its own: long handlers (an export, a send to every
	// member) would hold their batch-mates up.
	Solo bool
	// Serial names the row the event contends for (an activity's seat counter; "" for none):
	// events with the same Serial share transactions, one transaction at a time, instead of
	// queueing on the row's lock each in a transaction of its own.
	Serial string
}

// HandleEvent runs fn for the event with key exactly once: in one write transaction with the
// event's deduplication key, so that fn's writes and the key commit together or not at all.
// A redelivery (the key is already recorded, or is recorded by a concurrent delivery first)
// returns dup without running fn. Concurrent events share transactions (group commit) as p
// allows; fn sees the writes of the events before it in the same transaction as if they had
// committed. When fn returns an error, its writes are rolled back and the error returned; fn
// may run again (a shared transaction that failed as a whole, a deadlock), so it must have no
// effect outside the transaction.
func (db *DB) HandleEvent(ctx context.Context, key, kind string, p Policy, fn func(tx *Tx) error) (dup bool, err error) {
	var began time.Time // when the attempt that committed started
	run := func(tx *Tx) error {
		began = time.Now()
		dup = false // fn runs again when its shared transaction failed
		ok, err := tx.MarkProcessed(ctx, key, kind)
		if err != nil {
			return err
		}
		if !ok {
			dup = true // the key's INSERT changed nothing: committing is harmless
			return nil
		}
		tx.writes = 0
		return fn(tx)
	}
	switch {
	case p.Solo:
		err = db.InTx(ctx, run)
	case p.Serial != "":
		err = db.inTxBatch(ctx, batch{Key: "serial:" + p.Serial, Lanes: db.serialLanes(), Max: 32}, run)
	default:
		err = db.inTxBatch(ctx, batch{Key: "events", Lanes: db.eventLanes()}, run)
	}
	if err == nil {
		db.noteCommittedSince(began)
	}
	if dup {
		return true, nil
	}
	return false, err
}

// eventLanes is how many shared transactions of ordinary events run at once: SQLite has one
// writer; MySQL runs them on connections of their own.
func (db *DB) eventLanes() int {
	if db.Dialect == MySQL {
		return 4
	}
	return 1
}

// serialLanes is how many shared transactions of one Serial key run at once. SQLite has one
// writer. On MySQL a second transaction begins and runs its first call up to the contended row
// (a sign-up: up to its locking read of the activity) while the first holds the row's lock
// through its commit, and then takes the lock in turn.
func (db *DB) serialLanes() int {
	if db.Dialect == MySQL {
		return 2
	}
	return 1
}

// Writes is how many write statements the transaction's current call has run (in HandleEvent,
// counted from the call's start, after its deduplication key). The router uses it to roll back
// a handler that refused after it had written something.
func (tx *Tx) Writes() int { return tx.writes }
