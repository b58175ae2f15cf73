package store_test

import (
	"errors"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestClaimEvent checks the late deduplication key (store.Claim) on both databases: on MySQL
// it rides on the transaction's next statement, whatever that is (a query, a write, ExecAll,
// nothing before the COMMIT), and a redelivery is found and can be rolled back.
func TestClaimEvent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		claimed := func(key string) bool {
			t.Helper()
			p, err := db.IsProcessed(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		// run claims key, runs body, settles and commits unless the event is a redelivery.
		run := func(key string, body func(tx *store.Tx) error) (dup bool, err error) {
			err = db.InTx(ctx, func(tx *store.Tx) error {
				c, err := tx.ClaimEvent(ctx, key, "test")
				if err != nil {
					return err
				}
				if err := body(tx); err != nil {
					return err
				}
				d, known, err := tx.Settle(ctx, c)
				if err != nil {
					return err
				}
				if !known {
					t.Errorf("%s: claim outcome unknown after a successful body", key)
				}
				if dup = d; d {
					return store.ErrDuplicateEvent
				}
				return nil
			})
			if errors.Is(err, store.ErrDuplicateEvent) {
				err = nil
			}
			return dup, err
		}
		bodies := map[string]func(tx *store.Tx) error{
			"query": func(tx *store.Tx) error {
				var n int
				if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE entity_id = ?`, "claim-query"); err != nil {
					return err
				}
				return audit(tx, "claim-query")
			},
			"write": func(tx *store.Tx) error { return audit(tx, "claim-write") },
			"execall": func(tx *store.Tx) error {
				res, err := tx.ExecAll(ctx,
					store.Stmt{Query: `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', 'claim-execall', 'a', '')`, Args: []any{tx.Now()}},
					store.Stmt{Query: `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', 'claim-execall', 'b', '')`, Args: []any{tx.Now()}})
				if err == nil && (len(res) != 2 || res[0].RowsAffected != 1 || res[1].RowsAffected != 1 || res[1].LastInsertID != res[0].LastInsertID+1) {
					t.Errorf("ExecAll results %+v", res)
				}
				return err
			},
			"last only": func(tx *store.Tx) error {
				return tx.ExecLast(ctx, `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', 'claim-last only', 'write', '')`, tx.Now())
			},
			"nothing": func(tx *store.Tx) error { return nil },
		}
		for name, body := range bodies {
			key := "claim:" + name
			if dup, err := run(key, body); err != nil || dup {
				t.Fatalf("%s: first delivery: dup %v, %v", name, dup, err)
			}
			if !claimed(key) {
				t.Errorf("%s: key not recorded", name)
			}
			before := rows(t, db, "claim-"+name)
			if dup, err := run(key, body); err != nil || !dup {
				t.Errorf("%s: redelivery: dup %v, %v; want a duplicate", name, dup, err)
			}
			if after := rows(t, db, "claim-"+name); after != before {
				t.Errorf("%s: the redelivery's writes stayed: %d rows, then %d", name, before, after)
			}
		}

		// On MySQL, a COMMIT whose claim was never settled (a caller that forgot Settle) still
		// refuses a redelivery and writes nothing. (On SQLite the key is written at once, and
		// the caller learns of the redelivery from Settle.)
		if db.Dialect == store.MySQL {
			err := db.InTx(ctx, func(tx *store.Tx) error {
				if _, err := tx.ClaimEvent(ctx, "claim:write", "test"); err != nil {
					return err
				}
				return tx.ExecLast(ctx, `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', 'claim-unsettled', 'write', '')`, tx.Now())
			})
			if !errors.Is(err, store.ErrDuplicateEvent) {
				t.Errorf("unsettled redelivery committed: %v", err)
			}
			if n := rows(t, db, "claim-unsettled"); n != 0 {
				t.Errorf("an unsettled redelivery wrote %d rows", n)
			}
		}

		// A statement that fails with the claim leaves its outcome unknown, and the rollback
		// leaves no key; a claim never sent leaves none either.
		tx, err := db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		c, err := tx.ClaimEvent(ctx, "claim:failed", "test")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO no_such_table (x) VALUES (?)`, 1); err == nil {
			t.Fatal("insert into a missing table succeeded")
		}
		if _, known := c.Outcome(); known && db.Dialect == store.MySQL {
			t.Error("the outcome of a claim sent with a failing statement is known")
		}
		tx.Rollback()
		tx, err = db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ClaimEvent(ctx, "claim:unsent", "test"); err != nil {
			t.Fatal(err)
		}
		tx.Rollback()
		if claimed("claim:failed") || claimed("claim:unsent") {
			t.Error("a rolled-back claim was recorded")
		}
		// The connection is clean afterwards: a plain transaction commits its write alone.
		if err := db.InTx(ctx, func(tx *store.Tx) error { return audit(tx, "claim-after") }); err != nil || rows(t, db, "claim-after") != 1 {
			t.Errorf("after the claims: %v, %d rows", err, rows(t, db, "claim-after"))
		}
	})
}

// TestExecAll checks one result per statement, and that a failing statement stops the rest.
func TestExecAll(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ins := func(name string) store.Stmt {
			return store.Stmt{Query: `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, 'test', 'batch', ?, 'write', '')`, Args: []any{db.Now(), name}}
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			res, err := tx.ExecAll(ctx, ins("execall-1"), store.Stmt{Query: `UPDATE audit_log SET detail = 'x' WHERE entity_id = 'execall-1'`}, ins("execall-1"))
			if err != nil {
				return err
			}
			if len(res) != 3 || res[0].RowsAffected != 1 || res[1].RowsAffected != 1 || res[2].LastInsertID <= res[0].LastInsertID {
				t.Errorf("results %+v", res)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecAll(ctx, store.Stmt{Query: `INSERT INTO no_such_table (x) VALUES (1)`}, ins("execall-2"))
			if err == nil {
				t.Error("a failing statement gave no error")
			}
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE entity_id = 'execall-2'`); err != nil || n != 0 {
				t.Errorf("the statement after a failing one ran: %d rows, %v", n, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.ExecAll(ctx, store.Stmt{Query: `UPDATE audit_log SET detail = '?' WHERE 1 = 0`}, ins("execall-3"))
			return err
		})
		if db.Dialect == store.MySQL && err == nil {
			t.Error("a literal '?' in a statement without arguments was accepted")
		}
	})
}
