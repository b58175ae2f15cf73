package store_test

import (
	"fmt"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestExecLast: statements held back for the commit are applied with it, and a failing one
// fails the commit with nothing of the transaction left behind.
func TestExecLast(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		branch := func(name string) int {
			var n int
			if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM branches WHERE name = ?`, name); err != nil {
				t.Fatal(err)
			}
			return n
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := audit(tx, "last-ok"); err != nil {
				return err
			}
			if err := tx.ExecLast(ctx, `INSERT INTO branches (name, created_at) VALUES (?, ?)`, "最后一分会", tx.Now()); err != nil {
				return err
			}
			return tx.ExecLast(ctx, `UPDATE branches SET name = ? WHERE name = ?`, "最后二分会", "最后一分会")
		})
		if err != nil {
			t.Fatal(err)
		}
		if branch("最后一分会") != 0 || branch("最后二分会") != 1 || rows(t, db, "last-ok") != 1 {
			t.Errorf("after commit: %d, %d, %d; want 0, 1, 1 (both held-back statements, in order)",
				branch("最后一分会"), branch("最后二分会"), rows(t, db, "last-ok"))
		}

		// A held-back statement that fails (a duplicate name): nothing of the transaction stays.
		hooks := 0
		err = db.InTx(ctx, func(tx *store.Tx) error {
			tx.AfterCommit(func() { hooks++ })
			if err := audit(tx, "last-fail"); err != nil {
				return err
			}
			return tx.ExecLast(ctx, `INSERT INTO branches (name, created_at) VALUES (?, ?)`, "最后二分会", tx.Now())
		})
		if err == nil {
			t.Fatal("a failing held-back statement committed")
		}
		if rows(t, db, "last-fail") != 0 || hooks != 0 || branch("最后二分会") != 1 {
			t.Errorf("after the failed commit: audit %d, hooks %d, branches %d; want 0, 0, 1", rows(t, db, "last-fail"), hooks, branch("最后二分会"))
		}
	})
}

// TestExecLastInBatch: in a shared transaction a call's held-back statements are applied
// before the next call runs (it reads them), and a failing call's are dropped.
func TestExecLastInBatch(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newBatchRig(t, db, "last")
		r.add("writer", func(tx *store.Tx) error {
			return tx.ExecLast(ctx, `INSERT INTO branches (name, created_at) VALUES (?, ?)`, "批次分会", tx.Now())
		})
		seen, runs := 0, 0
		r.add("reader", func(tx *store.Tx) error {
			// Its first run is the one in the batch, after the writer's. (On MySQL the failing
			// call below makes it run again alone, in parallel with the writer's rerun.)
			runs++
			if runs > 1 {
				return nil
			}
			return tx.GetContext(ctx, &seen, `SELECT COUNT(*) FROM branches WHERE name = '批次分会'`)
		})
		r.add("dropped", func(tx *store.Tx) error {
			if err := tx.ExecLast(ctx, `INSERT INTO branches (name, created_at) VALUES (?, ?)`, "丢弃分会", tx.Now()); err != nil {
				return err
			}
			return store.Errorf(store.EINVALID, "不行")
		})
		r.add("after", func(tx *store.Tx) error { return audit(tx, "after-dropped") })
		r.run()
		if seen != 1 {
			t.Errorf("the next call saw %d rows of the held-back insert; want 1", seen)
		}
		var dropped int
		if err := db.Get(ctx, &dropped, `SELECT COUNT(*) FROM branches WHERE name = '丢弃分会'`); err != nil || dropped != 0 {
			t.Errorf("the failed call's held-back insert: %d rows (%v); want 0", dropped, err)
		}
		if r.errs["after"] != nil || rows(t, db, "after-dropped") != 1 {
			t.Errorf("after: %v, %d rows", r.errs["after"], rows(t, db, "after-dropped"))
		}
	})
}

// TestHeldWrites: on MySQL, audit entries and replies and plain sends without a dedup key are
// held back and go out with the commit (a round trip less each); a message with a dedup key,
// whose answer says whether it was added, is written at once; and a transaction holds at most
// 100 statements back before sending them. On SQLite every write runs at once.
func TestHeldWrites(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		held := db.Dialect == store.MySQL
		count := func(tx *store.Tx, q string, args ...any) int {
			t.Helper()
			var n int
			if err := tx.GetContext(ctx, &n, q, args...); err != nil {
				t.Fatal(err)
			}
			return n
		}
		want := func(heldN, atOnceN int) int {
			if held {
				return heldN
			}
			return atOnceN
		}
		const audits = `SELECT COUNT(*) FROM audit_log WHERE entity = 'held'`
		const replies = `SELECT COUNT(*) FROM outbox WHERE target_message_id = 'om_held'`
		const sends = `SELECT COUNT(*) FROM outbox WHERE receive_id = 'ou_held'`
		key := "held:dedup"
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.Audit(ctx, "test", "held", "1", "write", ""); err != nil {
				return err
			}
			if n := count(tx, audits); n != want(0, 1) {
				t.Errorf("audit entries seen in the transaction: %d, want %d", n, want(0, 1))
			}
			added, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxReply, TargetMessageID: "om_held", MsgType: "text", Content: `{"text":"好"}`})
			if err != nil || !added {
				t.Fatalf("reply: %v %v", added, err)
			}
			if n := count(tx, replies); n != want(0, 1) {
				t.Errorf("replies seen in the transaction: %d, want %d", n, want(0, 1))
			}
			for _, k := range []*string{nil, &key, &key} {
				if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_held",
					MsgType: "text", Content: `{"text":"好"}`, DedupKey: k}); err != nil {
					return err
				}
			}
			// The keyed send is written at once (and the second one with the key is not added).
			if n := count(tx, sends); n != want(1, 2) {
				t.Errorf("sends seen in the transaction: %d, want %d", n, want(1, 2))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var a, r, s int
		db.Get(ctx, &a, audits)
		db.Get(ctx, &r, replies)
		db.Get(ctx, &s, sends)
		if a != 1 || r != 1 || s != 2 {
			t.Errorf("after commit: %d audit entries, %d replies, %d sends; want 1, 1, 2", a, r, s)
		}

		// A bulk transaction: the held-back writes go out in hundreds, never later than asked.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			for i := range 250 {
				if err := tx.Audit(ctx, "test", "held-bulk", fmt.Sprint(i), "write", ""); err != nil {
					return err
				}
			}
			if n := count(tx, `SELECT COUNT(*) FROM audit_log WHERE entity = 'held-bulk'`); n != want(200, 250) {
				t.Errorf("bulk entries seen in the transaction: %d, want %d", n, want(200, 250))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var bulk int
		db.Get(ctx, &bulk, `SELECT COUNT(*) FROM audit_log WHERE entity = 'held-bulk'`)
		if bulk != 250 {
			t.Errorf("bulk entries after commit: %d, want 250", bulk)
		}
	})
}
