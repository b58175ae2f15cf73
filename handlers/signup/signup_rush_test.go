package signup_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// The rush: 2,000 members click 报名 on a 64-seat activity at once, through the real webhook
// path, from many concurrent senders.
const (
	rushMembers        = 2000
	rushSeats          = 64
	rushSendersDefault = 64
)

// rushSenders is the number of concurrent senders (UNIONBOT_RUSH_SENDERS overrides it for
// experiments).
var rushSenders = func() int {
	if n, err := strconv.Atoi(os.Getenv("UNIONBOT_RUSH_SENDERS")); err == nil && n > 0 {
		return n
	}
	return rushSendersDefault
}()

func rushOpenID(i int) string { return fmt.Sprintf("ou_rush_%04d", i) }

// prepareRush registers the members (in one transaction) and creates the activity.
func prepareRush(tb testing.TB, h *mh) *store.Activity {
	tb.Helper()
	err := h.DB.InTx(h.ctx, func(tx *store.Tx) error {
		bid, err := tx.EnsureBranch(h.ctx, "机关分工会")
		if err != nil {
			return err
		}
		for i := 0; i < rushMembers; i++ {
			m := &store.Member{OpenID: rushOpenID(i), Name: "成员" + strconv.Itoa(i), EmployeeNo: fmt.Sprintf("R%05d", i),
				BranchID: bid, Gender: "F", Active: true}
			if err := tx.CreateMember(h.ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return h.activity(func(a *store.Activity) { a.Title = "健康跑"; a.Capacity = rushSeats })
}

// rushResult is what the senders saw.
type rushResult struct {
	latencies []time.Duration
	errors    []string // answers that were not a success or waitlist toast
	elapsed   time.Duration
}

// runRush has rushSenders goroutines send every member's click once. The clicks are
// encrypted before the clock starts, as in the spine's webhook benchmark (Feishu encrypts on
// its own servers, not on the bot's cores); each is signed as it is sent.
func runRush(h *mh, a *store.Activity) rushResult {
	bodies := make([][]byte, rushMembers)
	for i := range bodies {
		payload := feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: rushOpenID(i), Token: handlertest.Token,
			Value: map[string]any{"action": "signup.join", "activity_id": a.ID, "version": a.Version, "item_id": 0}})
		body, err := h.WH.Body(payload)
		if err != nil {
			panic(err)
		}
		bodies[i] = body
	}
	res := rushResult{latencies: make([]time.Duration, rushMembers)}
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
	)
	start := time.Now()
	for w := 0; w < rushSenders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= rushMembers {
					return
				}
				t := time.Now()
				status, body, err := h.WH.Send(context.Background(), nil, feishutest.WithRawBody(bodies[i]))
				res.latencies[i] = time.Since(t)
				ok := err == nil && status == 200 && (strings.Contains(string(body), "报名成功") || strings.Contains(string(body), "进入候补"))
				if !ok {
					mu.Lock()
					res.errors = append(res.errors, fmt.Sprintf("%d: %d %v %.200s", i, status, err, body))
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	return res
}

// checkRush proves the outcome: exactly the seats confirmed, everyone else waitlisted with
// distinct consecutive positions 1..N, one entry per member, counters in step.
func checkRush(tb testing.TB, db *store.DB, a *store.Activity, res rushResult) {
	tb.Helper()
	ctx := context.Background()
	if len(res.errors) > 0 {
		tb.Fatalf("%d error answers, first: %s", len(res.errors), res.errors[0])
	}
	var rows []struct {
		Status   string `db:"status"`
		Position int    `db:"position"`
		Member   int64  `db:"member_id"`
	}
	if err := db.Select(ctx, &rows, `SELECT status, position, member_id FROM signup_entries WHERE activity_id = ?`, a.ID); err != nil {
		tb.Fatal(err)
	}
	confirmed := 0
	var positions []int
	members := map[int64]bool{}
	for _, r := range rows {
		members[r.Member] = true
		switch r.Status {
		case store.EntryConfirmed:
			confirmed++
		case store.EntryWaitlisted:
			positions = append(positions, r.Position)
		default:
			tb.Errorf("unexpected status %s", r.Status)
		}
	}
	slices.Sort(positions)
	if confirmed != rushSeats || len(positions) != rushMembers-rushSeats || len(members) != rushMembers || len(rows) != rushMembers {
		tb.Fatalf("confirmed %d, waitlisted %d, members %d, rows %d", confirmed, len(positions), len(members), len(rows))
	}
	for i, p := range positions {
		if p != i+1 {
			tb.Fatalf("waitlist positions are not 1..%d: position %d at index %d", len(positions), p, i)
		}
	}
	got, err := db.Activity(ctx, a.ID)
	if err != nil {
		tb.Fatal(err)
	}
	if got.Confirmed != rushSeats || got.WaitlistSeq != rushMembers-rushSeats {
		tb.Errorf("counters: confirmed %d, waitlist %d", got.Confirmed, got.WaitlistSeq)
	}
}

// TestRush is the required rush, every run, on SQLite and MariaDB, with serve's per-member
// rate limit on (each member clicks once: none is limited).
func TestRush(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		def := config.Default()
		h := newMH(t, db, testDataKey, func(o *handlertest.Options) {
			o.RateLimit = bot.RateLimit{PerSecond: def.Bot.RatePerSecond, Burst: def.Bot.RateBurst}
		})
		a := prepareRush(t, h)
		res := runRush(h, a)
		checkRush(t, db, a, res)
		slices.Sort(res.latencies)
		t.Logf("%d clicks in %s (%.0f/s), p50 %s, p99 %s", rushMembers, res.elapsed.Round(time.Millisecond),
			float64(rushMembers)/res.elapsed.Seconds(), res.latencies[rushMembers/2], res.latencies[rushMembers*99/100])
	})
}

// BenchmarkSignupRush measures the rush per database: callbacks/s, p50/p99 answer time and
// the process's peak RSS. One op is one callback (like bot.BenchmarkWebhook's one event), and
// the callbacks come in whole rushes of 2,000 clicks on a fresh 64-seat activity and fresh
// members in a fresh database: -benchtime=2000x is one rush, 4000x two. Run it beside the
// spine's bare-dispatcher ceiling in the same invocation (BENCHMARKS.md):
//
//	go test -p 1 -run '^$' -bench 'Webhook/sdk-bare|SignupRush' -benchtime=2000x ./bot/ ./handlers/signup/
func BenchmarkSignupRush(b *testing.B) {
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) {
			var lat []time.Duration
			var elapsed time.Duration
			var txs, calls int64
			b.ReportAllocs()
			b.ResetTimer()
			for done := 0; done < b.N; done += rushMembers {
				b.StopTimer()
				db := storetest.Open(b, dialect)
				h := newMH(b, db, testDataKey)
				a := prepareRush(b, h)
				t0, c0 := db.BatchStats()
				b.StartTimer()
				res := runRush(h, a)
				b.StopTimer()
				t1, c1 := db.BatchStats()
				txs, calls = txs+t1-t0, calls+c1-c0
				checkRush(b, db, a, res)
				lat = append(lat, res.latencies...)
				elapsed += res.elapsed
				db.Close()
			}
			slices.Sort(lat)
			b.ReportMetric(float64(len(lat))/elapsed.Seconds(), "callbacks/s")
			b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100])/1e6, "p99-ms")
			b.ReportMetric(peakRSSMB(), "peak-rss-MB")
			if txs > 0 {
				b.ReportMetric(float64(calls)/float64(txs), "clicks/commit")
			}
		})
	}
}

// peakRSSMB is the process's peak resident set (VmHWM) in MB, from /proc (Linux).
func peakRSSMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
