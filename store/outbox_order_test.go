package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// queue enqueues one text message to receiver in a transaction of its own, due at at (zero:
// now), and returns it.
func queue(t *testing.T, db *store.DB, receiver string, at time.Time) *store.OutboxMessage {
	t.Helper()
	m := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: receiver, MsgType: "text",
		Content: `{"text":"x"}`, NextAttemptAt: at}
	if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Enqueue(ctx, m); return err }); err != nil {
		t.Fatal(err)
	}
	return m
}

// claimIDs claims up to 100 messages as worker and returns their ids.
func claimIDs(t *testing.T, db *store.DB, worker string) []*store.OutboxMessage {
	t.Helper()
	got, err := db.ClaimOutbox(ctx, worker, 100, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func ids(ms []*store.OutboxMessage) map[string]bool {
	out := map[string]bool{}
	for _, m := range ms {
		out[m.ID] = true
	}
	return out
}

// TestOutboxOrderPerReceiverAcrossRetry: a receiver's message waiting for a retry holds back
// its later messages (which are due before it) until it is sent, and frees them when it
// fails for good; another receiver is not held back; a message scheduled for later holds
// back nothing due before it. (The claim before issue 15 took the receiver's second message
// here, since it was due first.)
func TestOutboxOrderPerReceiverAcrossRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now().UTC()
		db.Now = func() time.Time { return now }
		a1 := queue(t, db, "ou_a", time.Time{})
		now = now.Add(time.Second)
		a2 := queue(t, db, "ou_a", time.Time{})
		b1 := queue(t, db, "ou_b", time.Time{})
		got := claimIDs(t, db, "w1")
		if g := ids(got); len(got) != 2 || !g[a1.ID] || !g[b1.ID] {
			t.Fatalf("first claim took %v, want ou_a's first and ou_b's", got)
		}
		var claimedA1 *store.OutboxMessage
		for _, m := range got {
			if m.ID == a1.ID {
				claimedA1 = m
			} else if err := db.MarkSent(ctx, m, "om_b1"); err != nil {
				t.Fatal(err)
			}
		}
		// a1 fails transiently and is due again in a minute; a2 is due now.
		if err := db.MarkRetry(ctx, claimedA1, now.Add(time.Minute), 500, "server error"); err != nil {
			t.Fatal(err)
		}
		b2 := queue(t, db, "ou_b", time.Time{})
		got = claimIDs(t, db, "w2")
		if len(got) != 1 || got[0].ID != b2.ID {
			t.Fatalf("while ou_a's first waits for its retry, the claim took %v, want only ou_b's second", got)
		}
		if err := db.MarkSent(ctx, got[0], "om_b2"); err != nil {
			t.Fatal(err)
		}
		if at, ok, err := db.NextOutboxDue(ctx); err != nil || !ok || !at.Equal(now.Add(time.Minute).Truncate(time.Microsecond)) {
			t.Errorf("next due = %v %v %v, want ou_a's retry (ou_a's second waits behind it)", at, ok, err)
		}
		now = now.Add(2 * time.Minute)
		got = claimIDs(t, db, "w3")
		if len(got) != 1 || got[0].ID != a1.ID {
			t.Fatalf("after the retry time the claim took %v, want ou_a's first alone", got)
		}
		// It fails for good: the receiver's next message goes.
		if err := db.MarkFailed(ctx, got[0], 230013, "outside availability"); err != nil {
			t.Fatal(err)
		}
		got = claimIDs(t, db, "w4")
		if len(got) != 1 || got[0].ID != a2.ID {
			t.Fatalf("after ou_a's first failed the claim took %v, want ou_a's second", got)
		}
		if err := db.MarkSent(ctx, got[0], "om_a2"); err != nil {
			t.Fatal(err)
		}

		// A reminder scheduled for tomorrow does not hold back a reply due now, queued after it.
		later := queue(t, db, "ou_c", now.Add(24*time.Hour))
		c := queue(t, db, "ou_c", time.Time{})
		got = claimIDs(t, db, "w5")
		if len(got) != 1 || got[0].ID != c.ID {
			t.Fatalf("the claim took %v, want ou_c's message due now", got)
		}
		db.MarkSent(ctx, got[0], "om_c")
		now = now.Add(25 * time.Hour)
		if got = claimIDs(t, db, "w6"); len(got) != 1 || got[0].ID != later.ID {
			t.Fatalf("the next day the claim took %v, want the reminder", got)
		}
	})
}

// TestOutboxOrderWithinATransactionAndRelease: messages one transaction queued to one
// receiver are claimed one at a time in the order they were queued; a message given back
// (ReleaseOutbox) is claimed again before the ones behind it, on the same attempt.
func TestOutboxOrderWithinATransactionAndRelease(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var queued []string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < 20; i++ {
				m := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_o", MsgType: "text", Content: "{}"}
				if _, err := tx.Enqueue(ctx, m); err != nil {
					return err
				}
				queued = append(queued, m.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got := claimIDs(t, db, "w")
		if len(got) != 1 || got[0].ID != queued[0] {
			t.Fatalf("claimed %v, want the first message alone", got)
		}
		if err := db.ReleaseOutbox(ctx, got[0], time.Now()); err != nil {
			t.Fatal(err)
		}
		for i, id := range queued {
			got := claimIDs(t, db, "w2")
			if len(got) != 1 || got[0].ID != id {
				t.Fatalf("claim %d took %v, want message %d alone", i, got, i)
			}
			if i == 0 && got[0].Attempts != 1 {
				t.Errorf("the released message is on attempt %d, want 1", got[0].Attempts)
			}
			if err := db.MarkSent(ctx, got[0], "om_"+id); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestOutboxClaimIsExclusive: four workers claiming side by side (on MySQL, transactions
// running at once) each take a message at most once, and each receiver's messages are sent
// one at a time in the order they were queued: a receiver never has two messages in flight.
func TestOutboxClaimIsExclusive(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const receivers, each = 8, 5
		var want []string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for i := 0; i < receivers*each; i++ {
				m := &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
					ReceiveID: fmt.Sprintf("ou_x%d", i%receivers), MsgType: "text", Content: `{"text":"hi"}`}
				if _, err := tx.Enqueue(ctx, m); err != nil {
					return err
				}
				want = append(want, m.ID)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var (
			mu       sync.Mutex
			seen     = map[string]int{}
			inFlight = map[string]string{} // receiver -> message being sent
			order    = map[string][]string{}
			done     int
			wg       sync.WaitGroup
		)
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				for {
					mu.Lock()
					finished := done == len(want)
					mu.Unlock()
					if finished {
						return
					}
					got, err := db.ClaimOutbox(ctx, fmt.Sprintf("w%d", w), 3, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(got) == 0 {
						time.Sleep(time.Millisecond)
						continue
					}
					for _, m := range got {
						r := m.Receiver()
						mu.Lock()
						seen[m.ID]++
						if other, ok := inFlight[r]; ok {
							t.Errorf("%s: %s claimed while %s is in flight", r, m.ID, other)
						}
						inFlight[r] = m.ID
						order[r] = append(order[r], m.ID)
						mu.Unlock()
					}
					time.Sleep(time.Millisecond) // "sending"
					for _, m := range got {
						mu.Lock()
						delete(inFlight, m.Receiver())
						done++
						mu.Unlock()
						if err := db.MarkSent(ctx, m, "om_"+m.ID); err != nil {
							t.Error(err)
						}
					}
				}
			}(w)
		}
		wg.Wait()
		if len(seen) != len(want) {
			t.Errorf("claimed %d distinct, want %d", len(seen), len(want))
		}
		for id, c := range seen {
			if c != 1 {
				t.Errorf("%s claimed %d times", id, c)
			}
		}
		for i, id := range want {
			r := fmt.Sprintf("ou_x%d", i%receivers)
			if k := i / receivers; k >= len(order[r]) || order[r][k] != id {
				t.Errorf("%s: message %d out of order", r, k)
			}
		}
		st, _ := db.OutboxStats(ctx)
		if st.Sent != len(want) || st.Pending != 0 {
			t.Errorf("stats = %+v", st)
		}
	})
}
