package store_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestPruneDuringDelivery: the housekeeping deletes old sent messages while the outbox is busy
// delivering (claims, sends marked, new messages queued): no deadlock fails either side (on
// MySQL a range delete used to lock the index gaps delivery writes into: Error 1213), every old
// sent message is gone, and nothing in flight or recent is touched.
func TestPruneDuringDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const old = 3000
		// The old sent messages, 40 days ago, written directly (fast).
		past := time.Now().UTC().Add(-40 * 24 * time.Hour)
		for i := 0; i < old; i += 500 {
			q := `INSERT INTO outbox (id, kind, receive_id_type, receive_id, target_message_id, msg_type, content, file_name,
				status, attempts, next_attempt_at, claimed_by, last_code, last_error, message_id, created_at, sent_at) VALUES `
			var args []any
			for j := i; j < i+500; j++ {
				if j > i {
					q += ", "
				}
				q += `(?, 'send', 'open_id', ?, '', 'text', '{}', '', 'sent', 1, ?, '', 0, '', ?, ?, ?)`
				ts := past.Add(time.Duration(j) * time.Millisecond)
				if db.Dialect == store.SQLite {
					args = append(args, fmt.Sprintf("old-%06d", j), fmt.Sprintf("ou_old%d", j), ts.String(), "om_old", ts.String(), ts.String())
				} else {
					args = append(args, fmt.Sprintf("old-%06d", j), fmt.Sprintf("ou_old%d", j), ts, "om_old", ts, ts)
				}
			}
			if _, err := db.SQL().ExecContext(ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}

		// Delivery: 4 workers queue, claim and mark sent while prune runs.
		var stop atomic.Bool
		var delivered atomic.Int64
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for i := 0; !stop.Load(); i++ {
					enqueue(t, db, fmt.Sprintf("new%d-%d", w, i), 5)
					got, err := db.ClaimOutbox(ctx, fmt.Sprintf("w%d", w), 5, time.Minute)
					if err != nil {
						t.Errorf("claim during prune: %v", err)
						return
					}
					for _, m := range got {
						if err := db.MarkSent(ctx, m, "om_"+m.ID); err != nil {
							t.Errorf("mark sent during prune: %v", err)
							return
						}
						delivered.Add(1)
					}
				}
			}(w)
		}
		time.Sleep(100 * time.Millisecond)
		n, err := db.PruneOutbox(ctx, 30*24*time.Hour)
		stop.Store(true)
		wg.Wait()
		if err != nil {
			t.Fatalf("prune during delivery: %v", err)
		}
		if n != old {
			t.Errorf("pruned %d, want the %d old sent messages", n, old)
		}
		var left int
		if err := db.Get(ctx, &left, `SELECT COUNT(*) FROM outbox WHERE receive_id LIKE 'ou_old%'`); err != nil || left != 0 {
			t.Errorf("old messages left: %d, %v", left, err)
		}
		var recent int
		if err := db.Get(ctx, &recent, `SELECT COUNT(*) FROM outbox WHERE receive_id NOT LIKE 'ou_old%' AND status = 'sent'`); err != nil || int64(recent) != delivered.Load() {
			t.Errorf("recent sent messages = %d (%v), want the %d delivered meanwhile", recent, err, delivered.Load())
		}
		t.Logf("pruned %d while %d were delivered", n, delivered.Load())

		// A delivery's transaction marking a message sent, not yet committed, holds its row:
		// prune neither waits for it nor deletes it (on MySQL the range delete used to wait on
		// the row's index entry, up to the lock wait timeout). SQLite has one writer: nothing
		// to contend on.
		if db.Dialect != store.MySQL {
			return
		}
		enqueue(t, db, "inflight", 1)
		tx, err := db.SQL().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback()
		var id string
		if err := db.Get(ctx, &id, `SELECT id FROM outbox WHERE receive_id = 'ou_inflight_0'`); err != nil {
			t.Fatal(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?`,
			time.Now().UTC(), id); err != nil {
			t.Fatal(err)
		}
		enqueue(t, db, "old2", 3) // more old sent messages, committed
		var ids []string
		if err := db.Select(ctx, &ids, `SELECT id FROM outbox WHERE receive_id LIKE 'ou_old2_%'`); err != nil || len(ids) != 3 {
			t.Fatal(ids, err)
		}
		for _, id := range ids {
			if _, err := db.SQL().ExecContext(ctx, `UPDATE outbox SET status = 'sent', sent_at = ? WHERE id = ?`, past, id); err != nil {
				t.Fatal(err)
			}
		}
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		start := time.Now()
		n, err = db.PruneOutbox(pctx, 30*24*time.Hour)
		if err != nil || n != 3 {
			t.Fatalf("prune beside an uncommitted delivery: %d, %v after %v; want the 3 old ones at once", n, err, time.Since(start))
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	})
}

func enqueue(t *testing.T, db *store.DB, who string, n int) {
	t.Helper()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < n; i++ {
			if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
				ReceiveID: fmt.Sprintf("ou_%s_%d", who, i), MsgType: "text", Content: `{"text":"hi"}`}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
