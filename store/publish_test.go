package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestPublicationsLearnMessageIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var outboxID string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			m := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "chat_id", ReceiveID: "oc_g", MsgType: "text", Content: `{"text":"x"}`}
			if _, err := tx.Enqueue(ctx, m); err != nil {
				return err
			}
			outboxID = m.ID
			if ok, err := tx.AddPublication(ctx, 7, "oc_g", m.ID); err != nil || !ok {
				t.Errorf("AddPublication = %v, %v", ok, err)
			}
			if ok, err := tx.AddPublication(ctx, 7, "oc_g", "other"); err != nil || ok {
				t.Errorf("second AddPublication to the chat = %v, %v; want false", ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		pubs := publications(t, db, 7)
		if len(pubs) != 1 || pubs[0].MessageID != "" || pubs[0].OutboxID != outboxID {
			t.Fatalf("before delivery: %+v", pubs)
		}
		msgs, err := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %v %v", msgs, err)
		}
		if err := db.MarkSent(ctx, msgs[0], "om_card"); err != nil {
			t.Fatal(err)
		}
		if pubs := publications(t, db, 7); len(pubs) != 1 || pubs[0].MessageID != "om_card" {
			t.Fatalf("after delivery: %+v", pubs)
		}
		// The id is kept once the outbox row is pruned.
		db.SQL().ExecContext(ctx, `DELETE FROM outbox`)
		if pubs := publications(t, db, 7); pubs[0].MessageID != "om_card" {
			t.Fatalf("after pruning: %+v", pubs)
		}
	})
}

func publications(t *testing.T, db *store.DB, id int64) (out []store.Publication) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.Publications(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestEnqueuePatchCoalesces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		patch := func(msg, content string) bool {
			var added bool
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				added, err = tx.EnqueuePatch(ctx, msg, content)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return added
		}
		count := func() (n int) {
			db.Get(ctx, &n, `SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND status = 'pending'`)
			return n
		}
		if !patch("om_1", `{"v":1}`) || patch("om_1", `{"v":2}`) || patch("om_1", `{"v":2}`) || !patch("om_2", `{"v":1}`) {
			t.Fatal("want one new row per message, then updates")
		}
		if n := count(); n != 2 {
			t.Fatalf("%d pending patches, want 2", n)
		}
		var content string
		db.Get(ctx, &content, `SELECT content FROM outbox WHERE target_message_id = 'om_1'`)
		if content != `{"v":2}` {
			t.Errorf("content = %s, want the newest", content)
		}
		// Once the worker holds the patch, a change queues a new one (it goes after it).
		msgs, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if len(msgs) != 2 || msgs[0].Receiver() != msgs[0].TargetMessageID {
			t.Fatalf("claimed %+v; a patch's rate-limit lane must be its target message", msgs)
		}
		if !patch("om_1", `{"v":3}`) || count() != 3 {
			t.Errorf("a patch while one is in flight: %d pending", count())
		}
	})
}

func TestReminderOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, step := range []struct {
				out, want bool
			}{{true, true}, {true, false}, {false, true}, {false, false}, {true, true}} {
				if got, err := tx.SetReminderOptOut(ctx, 5, step.out); err != nil || got != step.want {
					t.Errorf("SetReminderOptOut(%v) = %v, %v; want %v", step.out, got, err, step.want)
				}
			}
			ids, err := tx.ReminderOptOuts(ctx)
			if err != nil || len(ids) != 1 || !ids[5] {
				t.Errorf("opt-outs = %v, %v", ids, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if trail, _ := db.AuditTrail(ctx, "member", "5"); len(trail) != 3 {
			t.Errorf("audit = %+v", trail)
		}
	})
}
