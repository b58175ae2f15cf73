package jobs_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/bot/outbox"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// runWorker runs a real outbox worker delivering db's outbox to fake until the test ends.
func runWorker(t testing.TB, db *store.DB, fake *feishutest.Server, cfg outbox.Config) *outbox.Worker {
	t.Helper()
	client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()),
		lark.WithLogLevel(larkcore.LogLevelError))
	w := outbox.New(db, client, cfg, quiet, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); w.Run(ctx) }()
	t.Cleanup(func() { cancel(); wg.Wait() })
	return w
}

func members(n int) []string {
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("ou_m%05d", i)
	}
	return ids
}

// TestNoticeUsesBatchSend sends a notice to 450 members: three batch_send calls (200, 200,
// 50), each member once, and nothing more when the job runs again.
func TestNoticeUsesBatchSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		fake := feishutest.NewT(t, feishutest.WithLimits(50, 5))
		w := runWorker(t, db, fake, outbox.Config{PollInterval: 50 * time.Millisecond})
		e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet, Notify: w.Notify,
			Config: func() jobs.Config { c := jobs.DefaultConfig(); c.QuietFrom, c.QuietUntil = 0, 0; return c }()})
		if err != nil {
			t.Fatal(err)
		}
		ids := append(members(450), "ou_m00001") // a duplicate is sent once
		e.Add(jobs.Job{Name: "notice", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
			return r.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := r.Notice(ctx, tx, jobs.Batch{Key: "union.notice:2024-03-08", OpenIDs: ids,
					Card: card.New("三八节活动通知").Add(card.Markdown("欢迎参加"))}, r.At)
				return err
			})
		}})
		now := time.Now()
		for i := 0; i < 2; i++ {
			if err := e.RunJob(ctx, "notice", now); err != nil {
				t.Fatal(err)
			}
		}
		wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		msgs, err := fake.WaitMessages(wctx, 450)
		if err != nil {
			t.Fatalf("delivered %d of 450: %v", len(fake.Messages()), err)
		}
		time.Sleep(200 * time.Millisecond) // nothing more may come
		msgs = fake.Messages()
		got := map[string]int{}
		for _, m := range msgs {
			if m.Kind != feishutest.KindBatch || m.MsgType != "interactive" {
				t.Fatalf("message %+v is not a batch card", m)
			}
			got[m.ReceiveID]++
		}
		if len(msgs) != 450 || len(got) != 450 {
			t.Errorf("%d messages to %d members, want 450 to 450", len(msgs), len(got))
		}
		if calls := len(fake.RequestsFor(feishutest.OpBatchSend)); calls != 3 {
			t.Errorf("batch_send calls = %d, want 3", calls)
		}
		// EnqueueBatch outside a job: once per key.
		for i := 0; i < 2; i++ {
			var n int
			err := db.InTx(ctx, func(tx *store.Tx) error {
				var err error
				n, err = jobs.EnqueueBatch(ctx, tx, jobs.Batch{Key: "k", OpenIDs: members(201), Text: "通知"})
				return err
			})
			if err != nil || n != 2*(1-i) {
				t.Errorf("EnqueueBatch #%d = %d, %v", i, n, err)
			}
		}
	})
}

// BenchmarkFanOut measures delivering one reminder to each of N members (individual 1:1
// reminders, not a batch) through the real outbox worker to the fake Feishu enforcing the
// platform's limits. Defaults finish in seconds: N=2000 at a fake limit of 500 calls/s.
// The full-size run (10,000 members at Feishu's 50/s and 1000/min; about 11 minutes per
// database):
//
//	UNIONBOT_BENCH_FANOUT_N=10000 UNIONBOT_BENCH_FANOUT_RATE=50 UNIONBOT_BENCH_FANOUT_PER_MINUTE=1000 \
//	  go test -run '^$' -bench BenchmarkFanOut -benchtime 1x -timeout 60m ./jobs/
//
// UNIONBOT_BENCH_FANOUT_PER_MINUTE sets the platform's per-minute limit, enforced by the fake
// and configured in the worker (default: off). Reported: s_total (time from the start of the
// job run to the last delivery), s_enqueue (the job run alone: N reminders and outbox rows
// written), s_floor (the rate-limit floor: N / rate, or N / per-minute minutes when that is
// longer), floor_ratio, throttled (429 and 230020 answers provoked, must be 0) and duplicates
// (must be 0).
func BenchmarkFanOut(b *testing.B) {
	n := envInt("UNIONBOT_BENCH_FANOUT_N", 2000)
	rate := envInt("UNIONBOT_BENCH_FANOUT_RATE", 500)
	perMinute := envInt("UNIONBOT_BENCH_FANOUT_PER_MINUTE", -1)
	floor := float64(n) / float64(rate)
	if perMinute > 0 {
		floor = max(floor, float64(n)/float64(perMinute)*60)
	}
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				db := storetest.Open(b, dialect)
				opts := []feishutest.Option{feishutest.WithLimits(rate, 5)}
				if perMinute > 0 {
					opts = append(opts, feishutest.WithMinuteLimit(perMinute))
				}
				fake := feishutest.NewT(b, opts...)
				e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet,
					Config: func() jobs.Config { c := jobs.DefaultConfig(); c.QuietFrom, c.QuietUntil = 0, 0; return c }()})
				if err != nil {
					b.Fatal(err)
				}
				ids := members(n)
				e.Add(jobs.Job{Name: "fanout", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
					const per = 500 // reminders per transaction
					for lo := 0; lo < len(ids); lo += per {
						err := r.DB.InTx(ctx, func(tx *store.Tx) error {
							for _, id := range ids[lo:min(lo+per, len(ids))] {
								if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: "bench:" + id, Due: r.At, OpenID: id, Text: "请填写年度考核表"}); err != nil {
									return err
								}
							}
							return nil
						})
						if err != nil {
							return err
						}
					}
					return nil
				}})
				b.StartTimer()
				start := time.Now()
				if err := e.RunJob(context.Background(), "fanout", time.Now()); err != nil {
					b.Fatal(err)
				}
				enqueued := time.Since(start)
				w := runWorker(b, db, fake, outbox.Config{Rate: float64(rate), PerMinute: perMinute, Workers: 16,
					PollInterval: 20 * time.Millisecond})
				w.Notify()
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(floor*3+120)*time.Second)
				_, err = fake.WaitMessages(ctx, n)
				cancel()
				total := time.Since(start)
				b.StopTimer()
				if err != nil {
					b.Fatalf("delivered %d of %d: %v", len(fake.Messages()), n, err)
				}
				seen := map[string]bool{}
				dups := 0
				for _, m := range fake.Messages() {
					if seen[m.ReceiveID] {
						dups++
					}
					seen[m.ReceiveID] = true
				}
				dups += fake.DuplicateUUIDs()
				b.ReportMetric(total.Seconds(), "s_total")
				b.ReportMetric(floor, "s_floor")
				b.ReportMetric(enqueued.Seconds(), "s_enqueue")
				b.ReportMetric(total.Seconds()/floor, "floor_ratio")
				b.ReportMetric(float64(fake.Throttled()), "throttled")
				b.ReportMetric(float64(dups), "duplicates")
				if fake.Throttled() > 0 || dups > 0 {
					b.Errorf("throttled %d, duplicates %d: both must be 0", fake.Throttled(), dups)
				}
				b.StartTimer()
			}
		})
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v != 0 {
		return v
	}
	return def
}
