package store_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// benchConcurrency is the number of concurrent writers, the same as the webhook benchmark's
// concurrent senders (bot.BenchmarkWebhook).
const benchConcurrency = 64

// BenchmarkInsertCommit is the database's own rate of single-row insert-and-commit
// transactions through the store (db.InTx with one tx.Audit): the floor under any handler
// that writes one row. serial is one writer; parallel-64 is 64 goroutines sharing b.N
// transactions, the webhook benchmark's concurrency.
func BenchmarkInsertCommit(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			b.Run("serial", func(b *testing.B) { benchInsertCommit(b, dialect, 1) })
			b.Run("parallel-64", func(b *testing.B) { benchInsertCommit(b, dialect, benchConcurrency) })
		})
	}
}

func benchInsertCommit(b *testing.B, dialect string, workers int) {
	db := storetest.Open(b, dialect)
	ctx := context.Background()
	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1)
				if i > int64(b.N) {
					return
				}
				id := strconv.FormatInt(i, 10)
				err := db.InTx(ctx, func(tx *store.Tx) error {
					return tx.Audit(ctx, "ou_bench", "bench", id, "insert", "one row, one commit")
				})
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if n := failures.Load(); n > 0 {
		b.Fatalf("%d of %d transactions failed; first: %v", n, b.N, firstErr.Load())
	}
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE entity = 'bench'`); err != nil {
		b.Fatal(err)
	}
	if n != b.N {
		b.Fatalf("%d rows after %d transactions", n, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "ops/s")
}
