package store_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestRollbackKeepsNothing is issue 11's reproduction: a statement the MySQL driver cannot
// interpolate (a literal '?' inside a string makes go-sql-driver answer driver.ErrSkip, and
// database/sql then prepares it on the server) must still run inside the transaction, so that
// a rollback takes it back. The stock driver does; a connection wrapper must too.
func TestRollbackKeepsNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE rb_t (id INTEGER PRIMARY KEY, note VARCHAR(20) NOT NULL, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.ExecContext(ctx, "INSERT INTO rb_t (id, note, n) VALUES (?, 'why?', ?)", 1, 2); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("InTx: %v, want the handler's error", err)
		}
		var n int
		if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM rb_t`); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Fatalf("%d rows after the transaction rolled back, want 0", n)
		}
	})
}

// TestRollbackKeepsDedupKey: an event whose handler wrote a statement the driver cannot
// interpolate and then failed leaves neither its deduplication key nor its row; committed, it
// is recorded once, and a redelivery runs nothing.
func TestRollbackKeepsDedupKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE rb_k (id INTEGER PRIMARY KEY, note VARCHAR(20) NOT NULL, n INTEGER NOT NULL)`); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		body := func(tx *store.Tx, id int) error {
			_, err := tx.ExecContext(ctx, "INSERT INTO rb_k (id, note, n) VALUES (?, 'why?', ?)", id, 2)
			return err
		}
		for _, p := range []store.Policy{{Solo: true}, {}, {Serial: "rb"}} {
			key := fmt.Sprintf("rb-key-%v-%s", p.Solo, p.Serial)
			// Rolled back: neither the key nor the row stays.
			dup, err := db.HandleEvent(ctx, key, "test", p, func(tx *store.Tx) error {
				if err := body(tx, 1); err != nil {
					return err
				}
				return boom
			})
			if dup || !errors.Is(err, boom) {
				t.Fatalf("%+v: HandleEvent: %v %v, want the handler's error", p, dup, err)
			}
			if processed, err := db.IsProcessed(ctx, key); err != nil || processed {
				t.Fatalf("%+v: key recorded after rollback: %v %v", p, processed, err)
			}
			var n int
			if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM rb_k`); err != nil || n != 0 {
				t.Fatalf("%+v: %d rows after rollback (%v), want 0", p, n, err)
			}
			// Committed: the key is recorded, once; a second delivery runs nothing.
			for i := range 2 {
				ran := false
				dup, err := db.HandleEvent(ctx, key, "test", p, func(tx *store.Tx) error {
					ran = true
					return body(tx, 10+i)
				})
				if err != nil || dup != (i == 1) || ran != (i == 0) {
					t.Fatalf("%+v: delivery %d: dup %v, ran %v, err %v", p, i, dup, ran, err)
				}
			}
			if processed, err := db.IsProcessed(ctx, key); err != nil || !processed {
				t.Fatalf("%+v: key not recorded after commit: %v %v", p, processed, err)
			}
			if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM rb_k`); err != nil || n != 1 {
				t.Fatalf("%+v: %d rows after one committed delivery and one duplicate (%v), want 1", p, n, err)
			}
			if _, err := db.SQL().ExecContext(ctx, `DELETE FROM rb_k`); err != nil {
				t.Fatal(err)
			}
		}
	})
}
