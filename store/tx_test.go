package store_test

import (
	"database/sql"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestTransactionBoundaries checks, on both databases, that an open transaction's writes are invisible to others and vanish on rollback, a committed one's
// stay, the connection is clean for the next transaction, and an empty transaction is fine.
func TestTransactionBoundaries(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for round := range 3 { // the pool hands the same connection back: each round reuses it
			tx, err := db.BeginTx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := audit(tx, "bounds-rolled-back"); err != nil {
				t.Fatal(err)
			}
			if db.Dialect == store.MySQL { // SQLite's readers would wait for nothing: WAL shows the old state
				if n := rows(t, db, "bounds-rolled-back"); n != 0 {
					t.Fatalf("round %d: an open transaction's write is visible outside it (%d rows): it did not begin", round, n)
				}
			}
			if err := tx.Rollback(); err != nil {
				t.Fatal(err)
			}
			if n := rows(t, db, "bounds-rolled-back"); n != 0 {
				t.Fatalf("round %d: %d rows after rollback", round, n)
			}

			err = db.InTx(ctx, func(tx *store.Tx) error {
				if err := audit(tx, "bounds-committed"); err != nil {
					return err
				}
				_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', 'bounds-last', 'write', '')`, tx.Now())
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if a, b := rows(t, db, "bounds-committed"), rows(t, db, "bounds-last"); a != round+1 || b != round+1 {
				t.Fatalf("round %d: committed rows %d and %d, want %d", round, a, b, round+1)
			}

			empty, err := db.BeginTx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := empty.Commit(); err != nil {
				t.Fatalf("empty commit: %v", err)
			}
			empty, err = db.BeginTx(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if err := empty.Rollback(); err != nil {
				t.Fatalf("empty rollback: %v", err)
			}
		}
		// A read-only transaction reads (the driver's own path).
		ro, err := db.SQL().BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
		if err != nil {
			t.Fatal(err)
		}
		var n int
		if err := ro.QueryRowContext(ctx, `SELECT COUNT(*) FROM audit_log WHERE entity_id = 'bounds-last'`).Scan(&n); err != nil || n != 3 {
			t.Fatalf("read-only transaction: %d, %v", n, err)
		}
		if err := ro.Commit(); err != nil {
			t.Fatal(err)
		}
	})
}
