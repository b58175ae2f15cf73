package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// BenchmarkClaimOutbox is the outbox claim on its hot path: b.N queued messages (one
// transaction per 100) are claimed, 32 at a time (the worker's capacity at Feishu's limits),
// and each marked sent, until none is pending. One op is one message claimed and recorded.
// spread: every message to a receiver of its own (reminders, replies); bunched: every message
// to one of 4 receivers (a busy chat, an officer's notices), where a claim that takes only a
// receiver's first pending message gets 4 a round instead of 32. claims/op is the number of
// claim transactions per message; claim-us/op the time spent in them per message, and
// us/claim per claim (the rest of ns/op is recording each send, a commit apiece).
func BenchmarkClaimOutbox(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			b.Run("spread", func(b *testing.B) { benchClaim(b, dialect, 0) })
			b.Run("bunched", func(b *testing.B) { benchClaim(b, dialect, 4) })
		})
	}
}

// benchClaim runs the benchmark with messages spread over receivers (0: one each).
func benchClaim(b *testing.B, dialect string, receivers int) {
	db := storetest.Open(b, dialect)
	ctx := context.Background()
	if receivers == 0 {
		receivers = b.N
	}
	for i := 0; i < b.N; i += 100 {
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for k := i; k < min(i+100, b.N); k++ {
				if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
					ReceiveID: fmt.Sprintf("ou_bench%05d", k%receivers), MsgType: "text", Content: `{"text":"提醒"}`}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	claims, sent := 0, 0
	var claiming time.Duration
	for sent < b.N {
		t0 := time.Now()
		got, err := db.ClaimOutbox(ctx, "bench", 32, time.Minute)
		claiming += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		claims++
		if len(got) == 0 {
			b.Fatalf("nothing to claim after %d of %d", sent, b.N)
		}
		for _, m := range got {
			if err := db.MarkSent(ctx, m, "om_"+m.ID); err != nil {
				b.Fatal(err)
			}
			sent++
		}
	}
	elapsed := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(claims)/float64(b.N), "claims/op")
	b.ReportMetric(float64(claiming.Microseconds())/float64(b.N), "claim-us/op")
	b.ReportMetric(float64(claiming.Microseconds())/float64(claims), "us/claim")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
}
