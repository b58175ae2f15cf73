package signup_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/bot/outbox"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestRushGroupCard is the rush on an activity whose card was posted to a group, with the
// outbox worker running beside it and delivering through the real SDK to the fake Open
// Platform (which refuses a sixth update of one message within a second): once the rush is
// over, the group card shows the final seats after a handful of patches in all, every one
// accepted. (The rush's own outcome is TestRush's to check: on a loaded machine a few clicks
// may time out here, and the card must show whatever the seats came to.)
func TestRushGroupCard(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		h := newMH(t, db, testDataKey)
		// The store's clock runs with the wall clock from t0: the outbox paces patches by it.
		var mu sync.Mutex
		start, last := time.Now(), time.Time{}
		db.Now = func() time.Time {
			mu.Lock()
			defer mu.Unlock()
			now := t0.Add(time.Since(start))
			if !now.After(last) {
				now = last.Add(time.Microsecond)
			}
			last = now
			return now
		}
		a := prepareRush(t, h)

		fake := feishutest.NewT(t)
		client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()), lark.WithLogLevel(larkcore.LogLevelError))
		w := outbox.New(db, client, outbox.Config{PollInterval: 50 * time.Millisecond}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		h.must(db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.PostCard(ctx, "activity", a.ID, "oc_rush", `{"schema":"2.0","config":{"update_multi":true},"body":{"elements":[]}}`)
			return err
		}))
		drain := func() {
			t.Helper()
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			h.must(w.Drain(dctx))
		}
		drain()
		msgs := fake.MessagesTo("oc_rush")
		if len(msgs) != 1 {
			t.Fatalf("the card reached the group %d times", len(msgs))
		}
		card := msgs[0].MessageID
		patches := func() (out []feishutest.Message) {
			for _, m := range fake.Messages() {
				if m.Kind == feishutest.KindPatch && m.ReceiveID == card {
					out = append(out, m)
				}
			}
			return out
		}

		rctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() { defer close(done); w.Run(rctx) }()
		began := time.Now()
		res := runRush(h, a)
		over := time.Now()
		after, err := db.Activity(ctx, a.ID)
		h.must(err)
		final := fmt.Sprintf("剩余 %d / %d", rushSeats-after.Confirmed, rushSeats)
		for {
			p := patches()
			if len(p) > 0 && strings.Contains(p[len(p)-1].Content, final) {
				t.Logf("%d clicks (%d errors) in %s; the card showed the final seats %s after the rush began",
					rushMembers, len(res.errors), res.elapsed.Round(time.Millisecond), p[len(p)-1].At.Sub(began).Round(time.Millisecond))
				break
			}
			if time.Since(over) > 20*time.Second {
				t.Fatalf("%d patches, none showing %s at the end", len(p), final)
			}
			time.Sleep(5 * time.Millisecond)
		}
		stop()
		<-done
		drain() // whatever was still queued
		p := patches()
		if len(p) > 5 || !strings.Contains(p[len(p)-1].Content, final) {
			t.Errorf("%d patches of the group card, the last showing the final seats: %v; want at most 5",
				len(p), strings.Contains(p[len(p)-1].Content, final))
		}
		if n := fake.Throttled(); n != 0 {
			t.Errorf("%d updates refused by the platform's limit", n)
		}
	})
}
