package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// batchRig queues calls on one batch key in a known order: a first call holds the key's only
// lane until release, and every later call is queued behind it one at a time, so the next
// batch holds them in the order they were added.
type batchRig struct {
	t       *testing.T
	db      *store.DB
	b       store.Batch
	release chan struct{}
	wg      sync.WaitGroup
	queued  int
	errs    map[string]error
	panics  map[string]any
	hooks   map[string]int
	mu      sync.Mutex
}

func newBatchRig(t *testing.T, db *store.DB, key string) *batchRig {
	r := &batchRig{t: t, db: db, b: store.Batch{Key: key, Lanes: 1}, release: make(chan struct{}),
		errs: map[string]error{}, panics: map[string]any{}, hooks: map[string]int{}}
	entered := make(chan struct{})
	r.start("holder", func(tx *store.Tx) error {
		close(entered)
		<-r.release
		return audit(tx, "holder")
	})
	select {
	case <-entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the holding call never ran")
	}
	return r
}

// add queues a call and waits until it is in the queue.
func (r *batchRig) add(name string, fn func(tx *store.Tx) error) {
	r.start(name, fn)
	r.queued++
	deadline := time.Now().Add(10 * time.Second)
	for r.db.BatchQueueLen(r.b.Key) < r.queued {
		if time.Now().After(deadline) {
			r.t.Fatalf("call %s never queued", name)
		}
		time.Sleep(time.Millisecond)
	}
}

func (r *batchRig) start(name string, fn func(tx *store.Tx) error) {
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer func() {
			if p := recover(); p != nil {
				r.mu.Lock()
				r.panics[name] = p
				r.mu.Unlock()
			}
		}()
		err := r.db.InTxBatch(ctx, r.b, func(tx *store.Tx) error {
			tx.AfterCommit(func() {
				r.mu.Lock()
				r.hooks[name]++
				r.mu.Unlock()
			})
			return fn(tx)
		})
		r.mu.Lock()
		r.errs[name] = err
		r.mu.Unlock()
	}()
}

// run releases the holder and waits for every call.
func (r *batchRig) run() {
	close(r.release)
	r.wg.Wait()
}

func audit(tx *store.Tx, name string) error {
	return tx.Audit(ctx, "test", "batch", name, "write", "")
}

func rows(t *testing.T, db *store.DB, name string) int {
	t.Helper()
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE entity = 'batch' AND entity_id = ?`, name); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestInTxBatchSharesOneCommit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		txs0, calls0 := db.BatchStats()
		r := newBatchRig(t, db, "share")
		var nows []time.Time
		const queued = 8 // the most a MySQL batch takes
		for i := range queued {
			r.add(fmt.Sprint("c", i), func(tx *store.Tx) error {
				nows = append(nows, tx.Now()) // calls of one batch run one after another
				return audit(tx, fmt.Sprint("c", i))
			})
		}
		r.run()
		for i := range queued {
			name := fmt.Sprint("c", i)
			if r.errs[name] != nil || rows(t, db, name) != 1 || r.hooks[name] != 1 {
				t.Errorf("%s: err %v, rows %d, hooks %d; want nil, 1, 1", name, r.errs[name], rows(t, db, name), r.hooks[name])
			}
		}
		txs, calls := db.BatchStats()
		if txs-txs0 != 2 || calls-calls0 != queued+1 {
			t.Errorf("batches: %d transactions for %d calls; want 2 for %d (the holder alone, then the others together)", txs-txs0, calls-calls0, queued+1)
		}
		for i := 1; i < len(nows); i++ {
			if !nows[i].After(nows[i-1]) {
				t.Errorf("Tx.Now of call %d (%v) not after call %d's (%v)", i, nows[i], i-1, nows[i-1])
			}
		}
	})
}

// TestInTxBatchIsolatesFailures: a call that fails leaves nothing behind (its rows and its
// after-commit hooks) and its batch-mates commit, whether it ran first (no savepoint), in the
// middle or last, and whether it failed on a statement or by returning an error.
func TestInTxBatchIsolatesFailures(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newBatchRig(t, db, "fail")
		userErr := store.Errorf(store.EINVALID, "名额已满")
		failing := func(name string) func(tx *store.Tx) error {
			return func(tx *store.Tx) error {
				if err := audit(tx, name); err != nil {
					return err
				}
				return userErr
			}
		}
		r.add("first-fails", failing("first-fails"))
		r.add("ok1", func(tx *store.Tx) error { return audit(tx, "ok1") })
		r.add("dup-branch", func(tx *store.Tx) error {
			if err := audit(tx, "dup-branch"); err != nil {
				return err
			}
			for range 2 { // the second insert violates the unique name
				if _, err := tx.ExecContext(ctx, `INSERT INTO branches (name, created_at) VALUES (?, ?)`, "批量分会", tx.Now()); err != nil {
					return err
				}
			}
			return nil
		})
		r.add("ok2", func(tx *store.Tx) error { return audit(tx, "ok2") })
		r.add("middle-fails", failing("middle-fails"))
		r.add("ok3", func(tx *store.Tx) error { return audit(tx, "ok3") })
		r.add("last-fails", failing("last-fails"))
		r.run()
		for _, name := range []string{"first-fails", "middle-fails", "last-fails"} {
			if !errors.Is(r.errs[name], userErr) || rows(t, db, name) != 0 || r.hooks[name] != 0 {
				t.Errorf("%s: err %v, rows %d, hooks %d; want the user error, 0, 0", name, r.errs[name], rows(t, db, name), r.hooks[name])
			}
		}
		if err := r.errs["dup-branch"]; err == nil || rows(t, db, "dup-branch") != 0 || r.hooks["dup-branch"] != 0 {
			t.Errorf("dup-branch: err %v, rows %d, hooks %d; want an error, 0, 0", err, rows(t, db, "dup-branch"), r.hooks["dup-branch"])
		}
		var branches int
		if err := db.Get(ctx, &branches, `SELECT COUNT(*) FROM branches WHERE name = '批量分会'`); err != nil || branches != 0 {
			t.Errorf("the failed call's first branch insert survived: %d, %v", branches, err)
		}
		for _, name := range []string{"holder", "ok1", "ok2", "ok3"} {
			if r.errs[name] != nil || rows(t, db, name) != 1 || r.hooks[name] != 1 {
				t.Errorf("%s: err %v, rows %d, hooks %d; want nil, 1, 1", name, r.errs[name], rows(t, db, name), r.hooks[name])
			}
		}
	})
}

// TestInTxBatchLostTransaction: when the shared transaction is lost (a deadlock, which rolls
// back everything on MySQL) or a call panics, every other call runs again alone and commits
// exactly once; the panic reaches its own caller only.
func TestInTxBatchLostTransaction(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newBatchRig(t, db, "lost")
		var runs [4]atomic.Int32
		r.add("a", func(tx *store.Tx) error { runs[0].Add(1); return audit(tx, "a") })
		r.add("deadlock", func(tx *store.Tx) error {
			if runs[1].Add(1) == 1 {
				return fmt.Errorf("update seats: %w", &mysql.MySQLError{Number: 1213, Message: "Deadlock found"})
			}
			return audit(tx, "deadlock")
		})
		r.add("b", func(tx *store.Tx) error { runs[2].Add(1); return audit(tx, "b") })
		r.run()
		for i, name := range []string{"a", "deadlock", "b"} {
			if r.errs[name] != nil || rows(t, db, name) != 1 || r.hooks[name] != 1 {
				t.Errorf("%s: err %v, rows %d, hooks %d; want nil, 1, 1", name, r.errs[name], rows(t, db, name), r.hooks[name])
			}
			// a and the deadlocked call ran in the batch, then alone; b, queued after the
			// deadlock, only alone.
			if want := []int32{2, 2, 1}[i]; runs[i].Load() != want {
				t.Errorf("%s ran %d times; want %d", name, runs[i].Load(), want)
			}
		}

		r = newBatchRig(t, db, "panic")
		r.add("p1", func(tx *store.Tx) error { return audit(tx, "p1") })
		r.add("boom", func(tx *store.Tx) error {
			if err := audit(tx, "boom"); err != nil {
				return err
			}
			panic("handler bug")
		})
		r.add("p2", func(tx *store.Tx) error { return audit(tx, "p2") })
		r.run()
		bp, ok := r.panics["boom"].(*store.HandlerPanic)
		if !ok || bp.Value != "handler bug" || len(bp.Stack) == 0 {
			t.Errorf("boom's caller got panic %#v; want *store.HandlerPanic with the value and a stack", r.panics["boom"])
		}
		if rows(t, db, "boom") != 0 || r.hooks["boom"] != 0 {
			t.Errorf("the panicking call left %d rows, %d hooks", rows(t, db, "boom"), r.hooks["boom"])
		}
		for _, name := range []string{"p1", "p2"} {
			if r.panics[name] != nil || r.errs[name] != nil || rows(t, db, name) != 1 {
				t.Errorf("%s: panic %v, err %v, rows %d; want none, nil, 1", name, r.panics[name], r.errs[name], rows(t, db, name))
			}
		}
	})
}

// TestInTxBatchCancelledWhileQueued: a caller whose context ends while it waits is told so and
// writes nothing.
func TestInTxBatchCancelledWhileQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newBatchRig(t, db, "cancel")
		cctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			done <- db.InTxBatch(cctx, r.b, func(tx *store.Tx) error { return audit(tx, "gone") })
		}()
		for db.BatchQueueLen("cancel") < 1 {
			time.Sleep(time.Millisecond)
		}
		r.queued++
		r.add("stays", func(tx *store.Tx) error { return audit(tx, "stays") })
		cancel()
		r.run()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call: %v; want context.Canceled", err)
		}
		if rows(t, db, "gone") != 0 || rows(t, db, "stays") != 1 || r.errs["stays"] != nil {
			t.Errorf("rows gone %d, stays %d (err %v); want 0, 1", rows(t, db, "gone"), rows(t, db, "stays"), r.errs["stays"])
		}
	})
}

// TestInTxBatchLanes: with two lanes a second transaction of the key runs while the first is
// still open (MySQL; SQLite has one writer, so the second waits for it but still completes).
func TestInTxBatchLanes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := store.Batch{Key: "lanes", Lanes: 2}
		release := make(chan struct{})
		entered := make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.InTxBatch(ctx, b, func(tx *store.Tx) error {
				close(entered)
				<-release
				return audit(tx, "lane1")
			})
		}()
		<-entered
		second := make(chan error, 1)
		go func() { second <- db.InTxBatch(ctx, b, func(tx *store.Tx) error { return audit(tx, "lane2") }) }()
		if db.Dialect == store.MySQL {
			select {
			case err := <-second:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the second lane did not run while the first was open")
			}
			close(release)
		} else {
			close(release)
			if err := <-second; err != nil {
				t.Fatal(err)
			}
		}
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if rows(t, db, "lane1") != 1 || rows(t, db, "lane2") != 1 {
			t.Errorf("rows %d, %d; want 1, 1", rows(t, db, "lane1"), rows(t, db, "lane2"))
		}
	})
}

// TestInTxBatchUnderLoad: many concurrent callers on a few keys, some failing; every
// successful call committed exactly once, no failed call left a row.
func TestInTxBatchUnderLoad(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 400
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b := store.Batch{Key: fmt.Sprint("load", i%3), Lanes: 1 + i%3}
				errs[i] = db.InTxBatch(ctx, b, func(tx *store.Tx) error {
					if err := audit(tx, fmt.Sprint("l", i)); err != nil {
						return err
					}
					if i%7 == 0 {
						return store.Errorf(store.ECONFLICT, "冲突")
					}
					return nil
				})
			}()
		}
		wg.Wait()
		for i := range n {
			want := 1
			if i%7 == 0 {
				want = 0
				if store.ErrorCode(errs[i]) != store.ECONFLICT {
					t.Errorf("call %d: %v; want the conflict", i, errs[i])
				}
			} else if errs[i] != nil {
				t.Errorf("call %d: %v", i, errs[i])
			}
			if got := rows(t, db, fmt.Sprint("l", i)); got != want {
				t.Errorf("call %d: %d rows, want %d", i, got, want)
			}
		}
	})
}

// TestInTxBatchBound: a transaction takes at most 8 calls on MySQL and 32 on SQLite.
func TestInTxBatchBound(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		limit := 32
		if db.Dialect == store.MySQL {
			limit = 8
		}
		txs0, calls0 := db.BatchStats()
		r := newBatchRig(t, db, "bound")
		for i := range limit + 1 {
			r.add(fmt.Sprint("b", i), func(tx *store.Tx) error { return audit(tx, fmt.Sprint("b", i)) })
		}
		r.run()
		txs, calls := db.BatchStats()
		// The holder alone, a full batch, then the one left over.
		if txs-txs0 != 3 || calls-calls0 != int64(limit+2) {
			t.Errorf("%d transactions for %d calls; want 3 for %d", txs-txs0, calls-calls0, limit+2)
		}
	})
}

// TestInTxBatchMaxOne: with Max 1 the lanes share nothing; they only bound how many calls of
// the key run at once, each in a transaction of its own (MySQL: two at once here; SQLite's
// one writer runs them one at a time).
func TestInTxBatchMaxOne(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		b := store.Batch{Key: "max-one", Lanes: 2, Max: 1}
		txs0, calls0 := db.BatchStats()
		release := make(chan struct{})
		var running, most atomic.Int32
		entered := make(chan struct{}, 3)
		var wg sync.WaitGroup
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTxBatch(ctx, b, func(tx *store.Tx) error {
					n := running.Add(1)
					for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
					}
					entered <- struct{}{}
					<-release
					running.Add(-1)
					return audit(tx, fmt.Sprint("one", i))
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		want := int32(1)
		if db.Dialect == store.MySQL {
			want = 2
		}
		for range want {
			<-entered
		}
		time.Sleep(50 * time.Millisecond) // a third call would enter now if the lanes let it
		if n := running.Load(); n != want {
			t.Errorf("%d calls running at once, want %d", n, want)
		}
		close(release)
		wg.Wait()
		txs, calls := db.BatchStats()
		if most.Load() != want || txs-txs0 != 3 || calls-calls0 != 3 {
			t.Errorf("at most %d at once, %d transactions for %d calls; want %d, 3, 3", most.Load(), txs-txs0, calls-calls0, want)
		}
	})
}

// TestInTxBatchCallDeadline: a statement run with a context that expires while it runs (a
// handler's deadline) does not take the shared transaction down: on MySQL the driver would
// close the connection under every call of the batch. Its batch-mates commit with it.
func TestInTxBatchCallDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		slow := `WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) SELECT COUNT(*) FROM c`
		if db.Dialect == store.MySQL {
			slow = `SELECT SLEEP(0.3)`
		}
		txs0, calls0 := db.BatchStats()
		r := newBatchRig(t, db, "deadline")
		r.add("slow", func(tx *store.Tx) error {
			short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
			defer cancel()
			var n int
			if err := tx.GetContext(short, &n, slow); err != nil {
				return err
			}
			return audit(tx, "slow")
		})
		r.add("mate", func(tx *store.Tx) error { return audit(tx, "mate") })
		r.run()
		for _, name := range []string{"slow", "mate"} {
			if r.errs[name] != nil || rows(t, db, name) != 1 {
				t.Errorf("%s: err %v, rows %d; want nil, 1", name, r.errs[name], rows(t, db, name))
			}
		}
		if txs, calls := db.BatchStats(); txs-txs0 != 2 || calls-calls0 != 3 {
			t.Errorf("%d transactions for %d calls; want 2 for 3 (the holder, then both in one)", txs-txs0, calls-calls0)
		}
	})
}
