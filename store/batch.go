package store

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit. Most of unionbot's transactions are a handful of short statements for one
// event (mark it processed, write a row, queue a reply), and on both databases the commit is
// what they pay for most: SQLite writes the touched pages to the WAL once per commit, and
// InnoDB flushes its log. When many events arrive at once, inTxBatch runs several of them in
// one transaction, one after another, and commits once for all of them. On SQLite each call
// runs behind a savepoint, so that one failing handler rolls back only its own writes; on
// MySQL, where a savepoint is a round trip, a failing handler rolls back the transaction and
// the calls before it run again alone.
//
// The same mechanism serialises events that contend for one row (the seats of an activity in
// a sign-up rush): instead of 64 transactions queueing on the row lock, each holding it
// through its commit, one transaction at a time takes a batch of them.

// batch says how calls may be grouped.
type batch struct {
	// Key groups calls: only calls with the same key share a transaction.
	Key string
	// Lanes is how many transactions of the key may run at once (default 1). One lane for a
	// key that names a contended row; more where the calls touch different rows and the
	// database has cores to spare (MySQL).
	Lanes int
	// Max is the most calls one transaction of the key takes (default: the dialect's, see
	// maxBatch). Max 1 with several lanes shares nothing: it only bounds how many of the
	// key's calls run at once, each in its own transaction.
	Max int
}

// maxBatch is the most calls one transaction takes: on SQLite, with its one writer, larger
// batches only help; on MySQL, where a batch's statements run one after another on one
// connection and the lanes run beside each other, the last call of a long batch waits for all
// the others, so the p99 grows with the batch.
func (db *DB) maxBatch() int {
	if db.Dialect == MySQL {
		return 8
	}
	return 32
}

// errSolo tells a caller that its batch failed as a whole (a deadlock, a lost connection, a
// panic of another call): its call had no effect and runs again in a transaction of its own.
var errSolo = errors.New("store: batch failed; run alone")

// HandlerPanic is what a call's panic becomes inside a batch; inTxBatch panics with it again in
// the caller's goroutine, where the caller's own recovery sees it.
type HandlerPanic struct {
	Value any
	Stack []byte
}

func (p *HandlerPanic) Error() string { return fmt.Sprintf("panic in transaction: %v", p.Value) }

type batchCall struct {
	ctx  context.Context
	fn   func(*Tx) error
	err  error
	done chan struct{}
}

type batcher struct {
	key     string
	max     int // calls per transaction
	mu      sync.Mutex
	queue   []*batchCall
	running int
}

// batchState is the DB's group-commit bookkeeping.
type batchState struct {
	mu       sync.Mutex
	batchers map[string]*batcher
	txs      atomic.Int64 // transactions run for batches
	calls    atomic.Int64 // calls committed through batches
}

// BatchStats reports how many transactions inTxBatch ran and how many calls they committed:
// calls/txs is the mean batch size.
func (db *DB) BatchStats() (txs, calls int64) {
	return db.batch.txs.Load(), db.batch.calls.Load()
}

// inTxBatch runs fn in a write transaction like InTx, which it may share with other
// concurrent calls of the same key. fn sees the writes of the calls before it in the same
// transaction, exactly as if they had committed just before. When fn returns an error, its own
// writes are rolled back (to a savepoint) and its AfterCommit hooks dropped; the other calls
// go on. When the transaction fails as a whole, every call in it is run again alone (through
// InTx), so fn must have no effect outside the transaction, as for InTx. Tx.Now is fresh for
// each call. A panic in fn is raised again in the caller's goroutine.
func (db *DB) inTxBatch(ctx context.Context, b batch, fn func(*Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c := &batchCall{ctx: ctx, fn: fn, done: make(chan struct{})}
	lanes := max(b.Lanes, 1)
	db.batch.mu.Lock()
	if db.batch.batchers == nil {
		db.batch.batchers = map[string]*batcher{}
	}
	bt := db.batch.batchers[b.Key]
	if bt == nil {
		bt = &batcher{key: b.Key, max: b.Max}
		if bt.max <= 0 {
			bt.max = db.maxBatch()
		}
		db.batch.batchers[b.Key] = bt
	}
	bt.mu.Lock()
	bt.queue = append(bt.queue, c)
	start := bt.running < lanes
	if start {
		bt.running++
	}
	bt.mu.Unlock()
	db.batch.mu.Unlock()
	if start {
		go db.runBatches(bt)
	}
	// No select on ctx: once taken, the call may be inside a transaction that is about to
	// commit, and its caller must learn the outcome. Statements honour ctx themselves.
	<-c.done
	var p *HandlerPanic
	switch {
	case errors.Is(c.err, errSolo):
		return db.InTx(ctx, fn)
	case errors.As(c.err, &p):
		panic(p)
	case c.err != nil:
		db.noteFailure(c.err)
	}
	return c.err
}

// runBatches takes batches off the key's queue until it is empty.
func (db *DB) runBatches(bt *batcher) {
	for {
		db.batch.mu.Lock()
		bt.mu.Lock()
		if len(bt.queue) == 0 {
			bt.running--
			if bt.running == 0 && db.batch.batchers[bt.key] == bt {
				delete(db.batch.batchers, bt.key)
			}
			bt.mu.Unlock()
			db.batch.mu.Unlock()
			return
		}
		n := min(len(bt.queue), bt.max)
		calls := make([]*batchCall, n)
		copy(calls, bt.queue)
		rest := copy(bt.queue, bt.queue[n:])
		clear(bt.queue[rest:])
		bt.queue = bt.queue[:rest]
		bt.mu.Unlock()
		db.batch.mu.Unlock()
		db.runBatch(calls)
	}
}

// batchTimeout bounds a shared transaction, whose statements no single call's deadline cancels.
const batchTimeout = 10 * time.Second

// runBatch runs calls in one transaction and tells each caller its outcome.
func (db *DB) runBatch(calls []*batchCall) {
	defer func() {
		for _, c := range calls {
			close(c.done)
		}
	}()
	live := calls[:0:0]
	for _, c := range calls {
		if err := c.ctx.Err(); err != nil {
			c.err = err
			continue
		}
		live = append(live, c)
	}
	switch len(live) {
	case 0:
		return
	case 1:
		// Nothing to share: InTx, with its retries.
		c := live[0]
		c.err = safeCall(func() error { return db.InTx(c.ctx, c.fn) })
		if c.err == nil {
			db.batch.txs.Add(1)
			db.batch.calls.Add(1)
		}
		return
	}
	// The shared transaction's statements run under the batch's own context, never one call's:
	// a call whose deadline passes mid-statement must not make the driver kill the connection
	// under every other call of the batch (MySQL closes a connection whose statement is
	// cancelled). The batch is bounded by batchTimeout instead.
	bg, cancel := context.WithTimeout(context.WithoutCancel(live[0].ctx), batchTimeout)
	defer cancel()
	tx, err := db.BeginTx(bg)
	if err != nil {
		for _, c := range live {
			c.err = err
		}
		return
	}
	tx.stmtBase = bg
	defer func() { tx.Rollback() }()
	var ok []*batchCall
	solo := func(from int) { // the transaction is lost: everyone not yet failed runs alone
		tx.Rollback()
		for _, c := range ok {
			c.err = errSolo
		}
		for _, c := range live[from:] {
			if c.err == nil {
				c.err = errSolo
			}
		}
	}
	for i, c := range live {
		if c.ctx.Err() != nil {
			c.err = c.ctx.Err()
			continue
		}
		// A savepoint keeps the earlier calls' writes if this one fails. On MySQL it would
		// cost a round trip per call, so there a failure (rare: a handler's error) rolls back
		// the whole transaction instead and the earlier calls run again alone.
		guarded := len(ok) > 0 && db.Dialect != MySQL
		if guarded {
			if err := tx.keepCopies(func() error {
				_, err := tx.ExecContext(bg, "SAVEPOINT unionbot_call")
				return err
			}); err != nil {
				solo(i)
				return
			}
		}
		hooks := len(tx.afterCommit)
		tx.now = db.now()
		err := safeCall(func() error { return c.fn(tx) })
		if err == nil {
			ok = append(ok, c)
			continue
		}
		var p *HandlerPanic
		if retryable(err) || errors.As(err, &p) {
			// A deadlock has rolled back the whole transaction on MySQL; a panic may have
			// left a statement half-read. Start over, each call alone.
			solo(i)
			if p != nil {
				c.err = p
			}
			return
		}
		c.err = err
		tx.afterCommit = tx.afterCommit[:hooks]
		if guarded {
			tx.signup = nil // its writes are undone: what the transaction read since may be gone
			if _, err := tx.ExecContext(bg, "ROLLBACK TO SAVEPOINT unionbot_call"); err != nil {
				solo(i + 1)
				return
			}
			continue
		}
		// Nothing kept: begin afresh; the calls that had succeeded run again alone.
		for _, o := range ok {
			o.err = errSolo
		}
		ok = ok[:0]
		tx.Rollback()
		next, err := db.BeginTx(bg)
		if err != nil {
			for _, c := range live[i+1:] {
				c.err = err
			}
			return
		}
		tx, tx.stmtBase = next, bg
	}
	if len(ok) == 0 {
		return
	}
	if err := tx.Commit(); err != nil {
		for _, c := range ok {
			if retryable(err) {
				c.err = errSolo
			} else {
				c.err = err
			}
		}
		return
	}
	db.batch.txs.Add(1)
	db.batch.calls.Add(int64(len(ok)))
}

// safeCall runs f, turning a panic into a *HandlerPanic.
func safeCall(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			if bp, ok := p.(*HandlerPanic); ok {
				err = bp
				return
			}
			err = &HandlerPanic{Value: p, Stack: debug.Stack()}
		}
	}()
	return f()
}
