package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// clock is a settable store clock for the tests of live cards and patch pacing.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func setClock(db *store.DB, at time.Time) *clock {
	c := &clock{now: at}
	db.Now = func() time.Time {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.now
	}
	return c
}

func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

func liveCards(t *testing.T, db *store.DB, kind string, id int64) (out []store.LiveCard) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.LiveCards(context.Background(), kind, id, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func tx(t *testing.T, db *store.DB, f func(tx *store.Tx) error) {
	t.Helper()
	if err := db.InTx(context.Background(), f); err != nil {
		t.Fatal(err)
	}
}

func TestLiveCardsLearnMessageIDs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := setClock(db, time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
		tx(t, db, func(tx *store.Tx) error {
			if ok, err := tx.PostCard(ctx, "activity", 7, "oc_g", `{"v":1}`); err != nil || !ok {
				t.Errorf("PostCard = %v, %v", ok, err)
			}
			if ok, err := tx.PostCard(ctx, "activity", 7, "oc_g", `{"v":2}`); err != nil || ok {
				t.Errorf("second PostCard to the chat = %v, %v; want false", ok, err)
			}
			if ok, err := tx.PostCard(ctx, "proposal", 7, "oc_g", `{"v":1}`); err != nil || !ok {
				t.Errorf("PostCard of another kind = %v, %v", ok, err)
			}
			return nil
		})
		cards := liveCards(t, db, "activity", 7)
		if len(cards) != 1 || cards[0].MessageID != "" || cards[0].OutboxID == "" || cards[0].Content != `{"v":1}` {
			t.Fatalf("before delivery: %+v", cards)
		}
		// Both cards go to oc_g: the claim takes the first queued alone (order per receiver).
		msgs, err := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(msgs) != 1 || msgs[0].ID != cards[0].OutboxID {
			t.Fatalf("claim: %v %v", msgs, err)
		}
		clk.add(time.Second)
		for _, m := range msgs {
			if m.ID == cards[0].OutboxID {
				if err := db.MarkSent(ctx, m, "om_card"); err != nil {
					t.Fatal(err)
				}
			}
		}
		sent := clk.now
		if c := liveCards(t, db, "activity", 7); len(c) != 1 || c[0].MessageID != "om_card" || c[0].SentAt == nil || !c[0].SentAt.Equal(sent) {
			t.Fatalf("after delivery: %+v (sent at %v)", c, sent)
		}
		// The id is kept once the outbox row is pruned.
		db.SQL().ExecContext(ctx, `DELETE FROM outbox`)
		if c := liveCards(t, db, "activity", 7); c[0].MessageID != "om_card" || c[0].SentAt == nil {
			t.Fatalf("after pruning: %+v", c)
		}
	})
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
		// And that one stays waiting (its content kept current) while the first is in flight.
		if patch("om_1", `{"v":4}`) || count() != 3 {
			t.Errorf("a second change while one is in flight: %d pending, want 3", count())
		}
	})
}

// TestPatchPace: a message's patches go one at a time, PatchGap apart, whoever claims them (two
// workers stand for two replicas), and the waiting one carries the newest content when taken.
func TestPatchPace(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := setClock(db, time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
		patch := func(content string) {
			tx(t, db, func(tx *store.Tx) error { _, err := tx.EnqueuePatch(ctx, "om_p", content); return err })
		}
		claim := func(worker string) []*store.OutboxMessage {
			t.Helper()
			msgs, err := db.ClaimOutbox(ctx, worker, 10, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return msgs
		}
		patch(`{"v":1}`)
		first := claim("a")
		if len(first) != 1 {
			t.Fatalf("first claim: %d messages", len(first))
		}
		patch(`{"v":2}`)
		patch(`{"v":3}`)
		if got := claim("b"); len(got) != 0 {
			t.Fatalf("a second patch of the message claimed while one is in flight: %+v", got)
		}
		clk.add(10 * time.Second) // in flight however long it takes
		if got := claim("b"); len(got) != 0 {
			t.Fatalf("claimed while the first is in flight: %+v", got)
		}
		if err := db.MarkSent(ctx, first[0], "om_p"); err != nil {
			t.Fatal(err)
		}
		if got := claim("b"); len(got) != 0 {
			t.Fatalf("claimed at once after the first finished: %+v", got)
		}
		at, ok, err := db.NextOutboxDue(ctx)
		if err != nil || !ok || !at.Equal(clk.now.Add(store.PatchGap)) {
			t.Errorf("next due %v %v %v; want PatchGap after the finish, %v", at, ok, err, clk.now.Add(store.PatchGap))
		}
		clk.add(store.PatchGap)
		got := claim("b")
		if len(got) != 1 || got[0].Content != `{"v":3}` {
			t.Fatalf("after the gap: %+v; want the waiting patch with the newest content", got)
		}
		// A retried patch takes the content of one queued behind it, so nothing older follows.
		patch(`{"v":4}`)
		if err := db.MarkRetry(ctx, got[0], clk.now.Add(time.Second), 500, "boom"); err != nil {
			t.Fatal(err)
		}
		var rows []string
		if err := db.Select(ctx, &rows, `SELECT content FROM outbox WHERE kind = 'patch' AND status = 'pending'`); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0] != `{"v":4}` {
			t.Errorf("after a retry with a patch behind: %v; want one with the newest content", rows)
		}
		// The outbox's pruning forgets the pace of messages not updated for a day.
		count := func() (n int) { db.Get(ctx, &n, `SELECT COUNT(*) FROM message_pace`); return n }
		if _, err := db.PruneOutbox(ctx, time.Hour); err != nil || count() != 1 {
			t.Errorf("pruned a message updated now: %v, %d left", err, count())
		}
		clk.add(25 * time.Hour)
		if _, err := db.PruneOutbox(ctx, time.Hour); err != nil || count() != 0 {
			t.Errorf("after a day: %v, %d paces left", err, count())
		}
	})
}

// TestShowOnCards: a card is patched only when its content changes, and posted afresh (the old
// message no longer patched) once Feishu would refuse to edit it.
func TestShowOnCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		clk := setClock(db, time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC))
		tx(t, db, func(tx *store.Tx) error { _, err := tx.PostCard(ctx, "activity", 3, "oc_x", `{"v":1}`); return err })
		msgs, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if len(msgs) != 1 {
			t.Fatalf("claimed %d", len(msgs))
		}
		if err := db.MarkSent(ctx, msgs[0], "om_old"); err != nil {
			t.Fatal(err)
		}
		show := func(content string) (n int) {
			t.Helper()
			tx(t, db, func(tx *store.Tx) error {
				cards, err := tx.LiveCards(ctx, "activity", 3, true)
				if err != nil {
					return err
				}
				n, err = tx.ShowOnCards(ctx, cards, content)
				return err
			})
			return n
		}
		count := func(q string, args ...any) (n int) {
			t.Helper()
			if err := db.Get(ctx, &n, q, args...); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := show(`{"v":1}`); n != 0 {
			t.Errorf("unchanged content: %d cards queued", n)
		}
		if n := show(`{"v":2}`); n != 1 || count(`SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_old'`) != 1 {
			t.Errorf("changed content: %d cards queued", n)
		}
		clk.add(15 * 24 * time.Hour)
		if n := show(`{"v":3}`); n != 1 {
			t.Errorf("after 15 days: %d cards queued", n)
		}
		if n := count(`SELECT COUNT(*) FROM outbox WHERE kind = 'patch'`); n != 0 {
			t.Errorf("%d patches of the old message left; want the waiting one dropped", n)
		}
		if n := count(`SELECT COUNT(*) FROM outbox WHERE kind = 'send' AND receive_id = 'oc_x' AND status = 'pending' AND content = '{"v":3}'`); n != 1 {
			t.Errorf("%d fresh sends to the chat, want 1", n)
		}
		c := liveCards(t, db, "activity", 3)
		if len(c) != 1 || c[0].MessageID != "" || c[0].Content != `{"v":3}` {
			t.Fatalf("the card after the fresh post: %+v", c)
		}
		msgs, _ = db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if len(msgs) != 1 || msgs[0].ID != c[0].OutboxID {
			t.Fatalf("claimed %+v, want the fresh send", msgs)
		}
		if err := db.MarkSent(ctx, msgs[0], "om_new"); err != nil {
			t.Fatal(err)
		}
		if n := show(`{"v":4}`); n != 1 || count(`SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_new'`) != 1 {
			t.Errorf("the next change: %d cards queued; want a patch of the new message", n)
		}
	})
}

// TestMarkCardTooOld: a patch Feishu refuses as too old fails, and the card is posted afresh
// to its chat with the newest content queued for it.
func TestMarkCardTooOld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		tx(t, db, func(tx *store.Tx) error { _, err := tx.PostCard(ctx, "activity", 4, "oc_y", `{"v":1}`); return err })
		msgs, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err := db.MarkSent(ctx, msgs[0], "om_y"); err != nil {
			t.Fatal(err)
		}
		liveCards(t, db, "activity", 4) // learns the message id
		tx(t, db, func(tx *store.Tx) error { _, err := tx.EnqueuePatch(ctx, "om_y", `{"v":2}`); return err })
		p, _ := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if len(p) != 1 || p[0].Kind != store.OutboxPatch {
			t.Fatalf("claimed %+v", p)
		}
		tx(t, db, func(tx *store.Tx) error { _, err := tx.EnqueuePatch(ctx, "om_y", `{"v":3}`); return err })
		if err := db.MarkCardTooOld(ctx, p[0], 230031, "too old"); err != nil {
			t.Fatal(err)
		}
		got, err := db.OutboxByID(ctx, p[0].ID)
		if err != nil || got.Status != store.OutboxFailed || got.LastCode != 230031 {
			t.Errorf("the refused patch: %+v %v", got, err)
		}
		var sends []string
		db.Select(ctx, &sends, `SELECT content FROM outbox WHERE kind = 'send' AND status = 'pending' AND receive_id = 'oc_y'`)
		var patches int
		db.Get(ctx, &patches, `SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND status = 'pending'`)
		if len(sends) != 1 || sends[0] != `{"v":3}` || patches != 0 {
			t.Errorf("fresh sends %v, waiting patches %d; want one send with the newest content and no patch", sends, patches)
		}
		if c := liveCards(t, db, "activity", 4); len(c) != 1 || c[0].MessageID != "" || c[0].Content != `{"v":3}` {
			t.Errorf("the card: %+v", c)
		}
	})
}
