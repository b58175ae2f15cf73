package outbox

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/store"
)

// logBuffer collects the worker's log lines, so tests can check what is (never) logged.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// harness is a worker wired to a fake Feishu and a database.
type harness struct {
	t    *testing.T
	db   *store.DB
	fake *feishutest.Server
	w    *Worker
	reg  *prometheus.Registry
	logs *logBuffer
}

// fastConfig is a config for tests: quick polling, a few workers.
func fastConfig() Config {
	return Config{PollInterval: 50 * time.Millisecond, Workers: 4}
}

func newClient(fake *feishutest.Server) *lark.Client {
	return lark.NewClient(fake.AppID(), fake.AppSecret(),
		lark.WithOpenBaseUrl(fake.URL()),
		lark.WithLogLevel(larkcore.LogLevelError))
}

// newHarness starts a fake (unless given) and builds a worker with a short backoff base.
func newHarness(t *testing.T, db *store.DB, fake *feishutest.Server, cfg Config) *harness {
	t.Helper()
	if fake == nil {
		fake = feishutest.NewT(t)
	}
	h := &harness{t: t, db: db, fake: fake, reg: prometheus.NewRegistry(), logs: &logBuffer{}}
	log := slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.w = New(db, newClient(fake), cfg, log, h.reg)
	h.w.base = 20 * time.Millisecond
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("worker log:\n%s", h.logs.String())
		}
	})
	return h
}

// run starts w.Run and returns a stop function (also run at cleanup) that cancels it and
// waits for it to return.
func (h *harness) run() (stop func()) {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- h.w.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					h.t.Errorf("Run returned %v", err)
				}
			case <-time.After(30 * time.Second):
				h.t.Errorf("Run did not return within 30s of cancel")
			}
		})
	}
	h.t.Cleanup(stop)
	return stop
}

// enqueue writes the messages, each in its own transaction (so created_at orders them), and
// returns them with their ids.
func enqueue(t *testing.T, db *store.DB, msgs ...*store.OutboxMessage) []*store.OutboxMessage {
	t.Helper()
	for _, m := range msgs {
		err := db.InTx(context.Background(), func(tx *store.Tx) error {
			_, err := tx.Enqueue(context.Background(), m)
			return err
		})
		if err != nil {
			t.Fatalf("enqueue: %v", err)
		}
	}
	return msgs
}

// enqueueOneTx writes all messages in one transaction (fast; they share created_at).
func enqueueOneTx(t *testing.T, db *store.DB, msgs []*store.OutboxMessage) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		for _, m := range msgs {
			if _, err := tx.Enqueue(context.Background(), m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("enqueue: %v", err)
	}
}

func text(receiver, s string) *store.OutboxMessage {
	return &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: receiver,
		MsgType: "text", Content: fmt.Sprintf(`{"text":%q}`, s)}
}

// row reads a message back.
func row(t *testing.T, db *store.DB, id string) *store.OutboxMessage {
	t.Helper()
	m, err := db.OutboxByID(context.Background(), id)
	if err != nil {
		t.Fatalf("OutboxByID(%s): %v", id, err)
	}
	return m
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitDone waits until every message has left pending, and returns them.
func waitDone(t *testing.T, db *store.DB, msgs []*store.OutboxMessage, timeout time.Duration) []*store.OutboxMessage {
	t.Helper()
	var out []*store.OutboxMessage
	waitFor(t, fmt.Sprintf("%d messages to be finished", len(msgs)), timeout, func() bool {
		out = out[:0]
		for _, m := range msgs {
			r := row(t, db, m.ID)
			if r.Status == store.OutboxPending {
				return false
			}
			out = append(out, r)
		}
		return true
	})
	return out
}

// waitNonePending waits until the outbox has no pending message.
func waitNonePending(t *testing.T, db *store.DB, timeout time.Duration) store.OutboxStats {
	t.Helper()
	var st store.OutboxStats
	waitFor(t, "the outbox to have no pending message", timeout, func() bool {
		var err error
		st, err = db.OutboxStats(context.Background())
		if err != nil {
			t.Fatalf("OutboxStats: %v", err)
		}
		return st.Pending == 0
	})
	return st
}

// metric reads a counter or gauge from the registry: the sum over series whose labels include
// the given name/value pairs.
func metric(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				sum += m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				sum += m.GetGauge().GetValue()
			case m.GetHistogram() != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return sum
}

// sendRequests returns the fake's recorded send requests.
func sendRequests(fake *feishutest.Server) []feishutest.Request {
	return fake.RequestsFor(feishutest.OpSend)
}
