package bot_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/core/httpserverext"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// Benchmark parameters: the 64 concurrent senders, spread over 500 members.
const (
	benchToken   = "vt_bench_token"
	benchKey     = "ek_bench_encrypt_key"
	benchSenders = 64
	benchMembers = 500
	// benchDeadline is the production default of bot.card_deadline.
	benchDeadline = 2 * time.Second
)

// BenchmarkWebhook compares, in one run and behind the same HTTP stack (net/http server,
// bot.NewHTTPHandler's mux, keep-alive client with 64 connections):
//
//   - sdk-bare: the SDK's dispatcher (decrypt, signature, JSON) with a no-op message
//     handler, mounted with httpserverext directly: the ceiling of any Go Feishu bot here;
//   - unionbot/{sqlite,mysql}: unionbot's whole webhook path (guard: size limit, signature,
//     replay window, decrypt, token; then the SDK; then the router: dedup, sender resolution,
//     one transaction with the dedup key, one audit row and one queued reply).
//
// Every request is a distinct, pre-encrypted and pre-signed message from one of 500
// pre-registered members; the timed loop only POSTs them from 64 goroutines.
func BenchmarkWebhook(b *testing.B) {
	b.Run("sdk-bare", func(b *testing.B) {
		var d *dispatcher.EventDispatcher
		quietly(func() { d = dispatcher.NewEventDispatcher(benchToken, benchKey) })
		d.InitConfig(larkevent.WithLogger(bot.SDKLogger(discardLog())), larkevent.WithLogLevel(larkcore.LogLevelWarn))
		var handled atomic.Int64
		d.OnP2MessageReceiveV1(func(context.Context, *larkim.P2MessageReceiveV1) error {
			handled.Add(1)
			return nil
		})
		h := bot.NewHTTPHandler(bot.HTTPOptions{Webhook: http.HandlerFunc(httpserverext.NewEventHandlerFunc(d))})
		runWebhookBench(b, h)
		if got := handled.Load(); got != int64(b.N) {
			b.Fatalf("handler ran %d times for %d requests", got, b.N)
		}
	})
	b.Run("unionbot", func(b *testing.B) {
		for _, dialect := range storetest.Dialects() {
			b.Run(dialect, func(b *testing.B) {
				db := storetest.Open(b, dialect)
				registerMembers(b, db)
				log := discardLog()
				r := bot.NewRouter(bot.Options{DB: db, Log: log, Metrics: bot.NewMetrics(prometheus.NewRegistry()),
					Deadline: benchDeadline, Resolver: &handlers.Resolver{DB: db, Log: log}})
				r.Command(bot.Command{Names: []string{"记录", "note"}, MinArgs: 1, Usage: "记录 <内容>",
					Handler: func(c *bot.Context) (*bot.Response, error) {
						if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "bench", c.MessageID, "note", c.ArgText); err != nil {
							return nil, err
						}
						return nil, c.Reply(bot.Text("已记录"))
					}})
				var h http.Handler
				quietly(func() {
					h = bot.NewHTTPHandler(bot.HTTPOptions{
						Webhook: bot.Webhook(r, bot.WebhookOptions{VerificationToken: benchToken, EncryptKey: benchKey, Log: log}),
					})
				})
				t0, c0 := db.BatchStats()
				runWebhookBench(b, h)
				if t1, c1 := db.BatchStats(); t1 > t0 {
					b.ReportMetric(float64(c1-c0)/float64(t1-t0), "events/commit")
				}
				// Prove the work was done: one dedup key, one audit row and one reply per event.
				for table, want := range map[string]int{
					"processed_events":                 b.N,
					"audit_log WHERE entity = 'bench'": b.N,
					"outbox":                           b.N,
				} {
					var n int
					if err := db.Get(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
						b.Fatal(err)
					}
					if n != want {
						b.Fatalf("%s: %d rows after %d events", table, n, want)
					}
				}
			})
		}
	})
}

// quietly runs f with os.Stdout pointed at /dev/null: the SDK's NewEventDispatcher prints
// "event-dispatch is ready" to stdout, in the middle of the benchmark result lines.
func quietly(f func()) {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		f()
		return
	}
	defer null.Close()
	saved := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = saved }()
	f()
}

// discardLog is a production-shaped logger (JSON, Info) writing nowhere: the formatting cost
// of the per-event log line stays in the measurement, the I/O does not.
func discardLog() *slog.Logger {
	return slog.New(slog.NewJSONHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelInfo}))
}

func senderID(i int) string { return fmt.Sprintf("ou_bench_%04d", i%benchMembers) }

// registerMembers registers the members the benchmark's events come from, so the timed loop
// measures the steady state (known senders) rather than first-contact registration.
func registerMembers(b *testing.B, db *store.DB) {
	b.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < benchMembers; i++ {
			m := &store.Member{OpenID: senderID(i), Name: handlers.PlaceholderName, Placeholder: true}
			if _, _, err := tx.RegisterMember(ctx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// signedRequest is one pre-built webhook delivery.
type signedRequest struct {
	body           []byte
	ts, nonce, sig string
}

// buildRequests encrypts and signs n distinct message events (fresh message and event ids,
// senders cycling over the registered members) the way Feishu sends them.
func buildRequests(b *testing.B, n int) []signedRequest {
	b.Helper()
	wh := &feishutest.Webhook{EncryptKey: benchKey, VerificationToken: benchToken}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	reqs := make([]signedRequest, n)
	for i := range reqs {
		payload := feishutest.MessageEvent(feishutest.MessageOpts{
			MessageID:    fmt.Sprintf("om_bench_%d_%d", time.Now().UnixNano(), i),
			SenderOpenID: senderID(i),
			Text:         "记录 羽毛球场地 " + strconv.Itoa(i),
			Token:        benchToken,
		})
		body, err := wh.Body(payload)
		if err != nil {
			b.Fatal(err)
		}
		nonce := fmt.Sprintf("n%015d", i)
		reqs[i] = signedRequest{body: body, ts: ts, nonce: nonce, sig: feishutest.Sign(ts, nonce, benchKey, body)}
	}
	return reqs
}

// runWebhookBench serves h on an httptest server and POSTs b.N pre-built events to it from
// benchSenders goroutines sharing one keep-alive client. It fails unless every answer is 200,
// and reports events/s and the p50/p99 latency of the individual requests.
func runWebhookBench(b *testing.B, h http.Handler) {
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := srv.URL + "/webhook/event"
	tr := &http.Transport{MaxIdleConns: benchSenders * 2, MaxIdleConnsPerHost: benchSenders, IdleConnTimeout: time.Minute}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	reqs := buildRequests(b, b.N)
	lat := make([]time.Duration, b.N)

	var (
		next     atomic.Int64
		failures atomic.Int64
		firstErr atomic.Value
		wg       sync.WaitGroup
	)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for w := 0; w < benchSenders; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(reqs) {
					return
				}
				rq := reqs[i]
				t0 := time.Now()
				status, err := post(client, url, rq)
				lat[i] = time.Since(t0)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("request %d: status %d", i, status)
				}
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
		b.Fatalf("%d of %d requests failed; first: %v", n, b.N, firstErr.Load())
	}
	slices.Sort(lat)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
}

func post(client *http.Client, url string, rq signedRequest) (int, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(rq.body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("X-Lark-Request-Timestamp", rq.ts)
	req.Header.Set("X-Lark-Request-Nonce", rq.nonce)
	req.Header.Set("X-Lark-Signature", rq.sig)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, err
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
