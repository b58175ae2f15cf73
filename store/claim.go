package store

import (
	"context"
	"errors"
	"fmt"
)

// A Claim is MarkProcessed sent late: on MySQL the deduplication key's INSERT is held back
// and goes out in front of the transaction's next statement, in the same round trip (with
// START TRANSACTION when it is the first), instead of in a round trip of its own. Whether the
// key was new is known once that statement has run; the caller asks Settle after its handler
// and rolls back the handler's writes when the event turns out to be a redelivery. On SQLite
// (in-process, no round trips) the key is written at once.
//
// A claim is for a transaction of its own: in a shared one (InTxBatch) a redelivery found
// after the handler ran would take the other calls' writes with it.
type Claim struct {
	state claimState
	query string
	args  []any
}

type claimState int

const (
	claimHeld    claimState = iota // not sent yet
	claimNew                       // the key was recorded by this transaction
	claimDup                       // the key was already recorded: a redelivery
	claimUnknown                   // the statement that carried it failed
)

// ErrDuplicateEvent is returned by Settle's callers to roll back a redelivery's writes, and by
// a COMMIT that found its claim taken.
var ErrDuplicateEvent = errors.New("store: event already processed")

// holdKey marks the context of the Exec that hands a claim to the connection (mysqltx.go).
type holdKey struct{}

// ClaimEvent records that the event with key is being handled, as MarkProcessed does, but on
// MySQL sends the record with the transaction's next statement (see Claim).
func (tx *Tx) ClaimEvent(ctx context.Context, key, kind string) (*Claim, error) {
	if tx.db.Dialect != MySQL {
		ok, err := tx.MarkProcessed(ctx, key, kind)
		if err != nil {
			return nil, err
		}
		c := &Claim{state: claimDup}
		if ok {
			c.state = claimNew
		}
		return c, nil
	}
	c := &Claim{query: `INSERT IGNORE INTO processed_events (event_key, kind, processed_at) VALUES (?, ?, ?)`,
		args: []any{key, kind, tx.now}}
	// Nothing is sent: the connection keeps the claim for its next statement.
	if _, err := tx.ExecContext(context.WithValue(ctx, holdKey{}, c), "DO 0"); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ClaimEvent", Err: err}
	}
	return c, nil
}

// Settle sends the claim if no statement has carried it yet, and reports whether the event is
// a redelivery. known is false when the statement that carried it failed: the transaction is
// then lost anyway, and IsProcessed (after its rollback) tells.
func (tx *Tx) Settle(ctx context.Context, c *Claim) (dup, known bool, err error) {
	if c.state == claimHeld {
		if _, err := tx.ExecContext(ctx, "DO 0"); err != nil {
			return false, false, &Error{Code: EINTERNAL, Op: "store.Settle", Err: err}
		}
		if c.state == claimHeld {
			return false, false, fmt.Errorf("store.Settle: the claim was not sent")
		}
	}
	dup, known = c.Outcome()
	return dup, known, nil
}

// Outcome reports what Settle reported, without sending anything (nil: nothing known).
func (c *Claim) Outcome() (dup, known bool) {
	if c == nil {
		return false, false
	}
	return c.state == claimDup, c.state == claimNew || c.state == claimDup
}

// settle records the outcome of the statement that carried the claim: n is the number of rows
// its INSERT IGNORE affected.
func (c *Claim) settle(n int64) {
	if n == 1 {
		c.state = claimNew
	} else {
		c.state = claimDup
	}
}
