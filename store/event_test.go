package store_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestHandleEventSerialShares: events of one Serial key share transactions, at most 32 in one.
func TestHandleEventSerialShares(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n = 200
		txs0, calls0 := db.BatchStats()
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[i] = db.HandleEvent(ctx, fmt.Sprint("serial-share-", i), "test", store.Policy{Serial: "share"},
					func(tx *store.Tx) error { return audit(tx, "serial-share") })
			}()
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("event %d: %v", i, err)
			}
		}
		txs, calls := db.BatchStats()
		txs, calls = txs-txs0, calls-calls0
		if calls != n || rows(t, db, "serial-share") != n {
			t.Fatalf("%d calls committed, %d rows; want %d", calls, rows(t, db, "serial-share"), n)
		}
		if txs >= n || txs < (n+31)/32 {
			t.Errorf("%d events in %d transactions: want shared transactions of at most 32", n, txs)
		}
	})
}

// TestHandleEventSerialLanes: on MySQL a second transaction of a Serial key runs while the first
// is open (it reads and inserts while the first holds the contended row); on SQLite, with its
// one writer, it waits for the first to commit.
func TestHandleEventSerialLanes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		inside, release := make(chan struct{}), make(chan struct{})
		var mu sync.Mutex
		var order []string
		done := func(s string) { mu.Lock(); order = append(order, s); mu.Unlock() }
		first := make(chan error, 1)
		go func() {
			_, err := db.HandleEvent(ctx, "lanes-a", "test", store.Policy{Serial: "lanes"}, func(tx *store.Tx) error {
				close(inside)
				<-release
				return audit(tx, "lanes-a")
			})
			done("a")
			first <- err
		}()
		<-inside
		second := make(chan error, 1)
		go func() {
			_, err := db.HandleEvent(ctx, "lanes-b", "test", store.Policy{Serial: "lanes"}, func(tx *store.Tx) error {
				return audit(tx, "lanes-b")
			})
			done("b")
			second <- err
		}()
		if db.Dialect == store.MySQL {
			if err := <-second; err != nil { // while the first is still open
				t.Fatal(err)
			}
			close(release)
		} else {
			select {
			case <-second:
				t.Error("the second transaction committed while the first was open")
			default:
			}
			close(release)
			if err := <-second; err != nil {
				t.Fatal(err)
			}
		}
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.MySQL && fmt.Sprint(order) != "[b a]" {
			t.Errorf("finished %v, want the second before the first", order)
		}
	})
}
