package livecard_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestTouchCoalesces: a burst of changes to an entity costs a few background refreshes, the
// last of which renders the final state; its delivered card then has one waiting patch showing
// it, and a refresh with nothing changed queues nothing.
func TestTouchCoalesces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var seats atomic.Int64
		render := func(ctx context.Context, tx *store.Tx, id int64) (*card.Card, error) {
			return card.New(fmt.Sprintf("提案 %d：%d 人附议", id, seats.Load())), nil
		}
		k := livecard.New(db, "proposal", render, nil)
		cd, _ := render(ctx, nil, 5)
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := livecard.Post(ctx, tx, "proposal", 5, "oc_p", cd); return err }); err != nil {
			t.Fatal(err)
		}
		msgs, err := db.ClaimOutbox(ctx, "w", 10, time.Minute)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %v %v", msgs, err)
		}
		if err := db.MarkSent(ctx, msgs[0], "om_p"); err != nil {
			t.Fatal(err)
		}

		const changes = 50
		var wg sync.WaitGroup
		for range changes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				seats.Add(1)
				k.Touch(5, nil)
			}()
		}
		wg.Wait()
		want, _ := card.New(fmt.Sprintf("提案 5：%d 人附议", changes)).JSON()
		deadline := time.Now().Add(20 * time.Second)
		for {
			var contents []string
			if err := db.Select(ctx, &contents, `SELECT content FROM outbox WHERE kind = 'patch' AND status = 'pending'`); err != nil {
				t.Fatal(err)
			}
			if len(contents) > 1 {
				t.Fatalf("%d waiting patches of one card", len(contents))
			}
			if len(contents) == 1 && contents[0] == string(want) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("waiting patches %d, none showing the final state", len(contents))
			}
			time.Sleep(5 * time.Millisecond)
		}
		if n := k.Runs(); n < 1 || n >= changes {
			t.Errorf("%d refreshes for %d changes; want at least one and fewer than the changes", n, changes)
		}
		var n int
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) { n, err = k.Refresh(ctx, tx, 5); return err }); err != nil || n != 0 {
			t.Errorf("a refresh with nothing changed queued %d cards (%v)", n, err)
		}
	})
}
