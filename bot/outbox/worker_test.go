package outbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestDeliversEveryKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		xlsx := bytes.Repeat([]byte("PK\x03\x04 spreadsheet bytes "), 100)
		send := text("ou_alice", "hello")
		reply := &store.OutboxMessage{Kind: store.OutboxReply, TargetMessageID: "om_parent",
			MsgType: "text", Content: `{"text":"a reply"}`}
		patch := &store.OutboxMessage{Kind: store.OutboxPatch, TargetMessageID: "om_card",
			Content: `{"schema":"2.0","body":{"elements":[]}}`}
		file := &store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: "ou_bob",
			FileName: "报名表.xlsx", FileData: xlsx}
		batch := &store.OutboxMessage{Kind: store.OutboxBatch,
			Content: `{"msg_type":"text","content":{"text":"to all"},"open_ids":["ou_a1","ou_a2"]}`}
		msgs := enqueue(t, db, send, reply, patch, file, batch)
		h.run()
		for _, r := range waitDone(t, db, msgs, 30*time.Second) {
			if r.Status != store.OutboxSent {
				t.Errorf("%s %s: status %s (%d: %s), want sent", r.Kind, r.ID, r.Status, r.LastCode, r.LastError)
			}
			if r.Attempts != 1 {
				t.Errorf("%s: attempts %d, want 1", r.Kind, r.Attempts)
			}
			if r.MessageID == "" {
				t.Errorf("%s: no message id recorded", r.Kind)
			}
			if r.FileData != nil {
				t.Errorf("%s: file data kept after sending", r.Kind)
			}
		}

		byKind := map[string][]feishutest.Message{}
		for _, m := range h.fake.Messages() {
			byKind[m.Kind] = append(byKind[m.Kind], m)
		}
		// send: the uuid is the outbox id, the message id is recorded.
		sends := byKind[feishutest.KindSend]
		if len(sends) != 2 {
			t.Fatalf("got %d sends, want 2 (text and file): %+v", len(sends), sends)
		}
		got := sends[0]
		if sends[0].ReceiveID != "ou_alice" {
			got = sends[1]
		}
		if got.UUID != send.ID || got.ReceiveIDType != "open_id" || got.MsgType != "text" || got.Content != send.Content {
			t.Errorf("send delivered as %+v, want uuid %s and the content", got, send.ID)
		}
		if r := row(t, db, send.ID); r.MessageID != got.MessageID {
			t.Errorf("send: recorded message id %q, want %q", r.MessageID, got.MessageID)
		}
		// reply
		if rs := byKind[feishutest.KindReply]; len(rs) != 1 || rs[0].ReceiveID != "om_parent" || rs[0].UUID != reply.ID || rs[0].Content != reply.Content {
			t.Errorf("replies %+v, want one to om_parent with uuid %s", rs, reply.ID)
		}
		// patch
		if ps := byKind[feishutest.KindPatch]; len(ps) != 1 || ps[0].ReceiveID != "om_card" || ps[0].Content != patch.Content {
			t.Errorf("patches %+v, want one of om_card", ps)
		}
		// file: uploaded as xls with its name and bytes, then sent as a file message.
		ups := h.fake.Uploads()
		if len(ups) != 1 {
			t.Fatalf("got %d uploads, want 1", len(ups))
		}
		if ups[0].FileType != "xls" || ups[0].FileName != "报名表.xlsx" || !bytes.Equal(ups[0].Data, xlsx) {
			t.Errorf("upload: type %q name %q %d bytes, want xls, 报名表.xlsx, %d bytes", ups[0].FileType, ups[0].FileName, len(ups[0].Data), len(xlsx))
		}
		fileMsg := sends[0]
		if fileMsg.ReceiveID != "ou_bob" {
			fileMsg = sends[1]
		}
		var fc struct {
			FileKey string `json:"file_key"`
		}
		if err := json.Unmarshal([]byte(fileMsg.Content), &fc); err != nil || fileMsg.MsgType != "file" || fc.FileKey != ups[0].Key {
			t.Errorf("file message %+v, want msg_type file with file_key %s", fileMsg, ups[0].Key)
		}
		if fileMsg.UUID != file.ID {
			t.Errorf("file message uuid %q, want %q", fileMsg.UUID, file.ID)
		}
		if !bytes.Equal(h.fake.File(fc.FileKey), xlsx) {
			t.Errorf("the fake does not hold the uploaded bytes under %s", fc.FileKey)
		}
		// batch
		bs := byKind[feishutest.KindBatch]
		if len(bs) != 2 || bs[0].ReceiveID != "ou_a1" || bs[1].ReceiveID != "ou_a2" {
			t.Errorf("batch messages %+v, want two (ou_a1, ou_a2)", bs)
		}
		if r := row(t, db, batch.ID); len(bs) > 0 && r.MessageID != bs[0].MessageID {
			t.Errorf("batch: recorded message id %q, want %q", r.MessageID, bs[0].MessageID)
		}

		// The worker counts a message after its row is marked sent: wait for the last count.
		waitFor(t, "five messages counted as sent", 10*time.Second, func() bool {
			return metric(t, h.reg, "unionbot_outbox_sent_total") >= 5
		})
		for _, k := range []string{"send", "reply", "patch", "file", "batch"} {
			if got := metric(t, h.reg, "unionbot_outbox_sent_total", "kind", k); got != 1 {
				t.Errorf("sent_total{kind=%s} = %v, want 1", k, got)
			}
		}
		if got := metric(t, h.reg, "unionbot_outbox_delivery_seconds"); got != 5 {
			t.Errorf("delivery_seconds count = %v, want 5", got)
		}
	})
}

func TestRateLimitedRetryHonoursReset(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		h.fake.FailNext(feishutest.Match{Op: feishutest.OpSend}, 1, feishutest.RateLimited(1))
		m := enqueue(t, db, text("ou_carol", "rate limited once"))[0]
		h.run()
		r := waitDone(t, db, []*store.OutboxMessage{m}, 30*time.Second)[0]
		if r.Status != store.OutboxSent || r.Attempts != 2 {
			t.Fatalf("status %s after %d attempts (%d: %s), want sent after 2", r.Status, r.Attempts, r.LastCode, r.LastError)
		}
		reqs := sendRequests(h.fake)
		if len(reqs) != 2 {
			t.Fatalf("got %d send requests, want 2", len(reqs))
		}
		if reqs[0].Status != http.StatusTooManyRequests || !reqs[0].Fault {
			t.Errorf("first request answered %d, want the injected 429", reqs[0].Status)
		}
		if gap := reqs[1].At.Sub(reqs[0].At); gap < time.Second {
			t.Errorf("retried %s after the 429, want at least the 1s of x-ogw-ratelimit-reset", gap)
		}
		if n := len(h.fake.Messages()); n != 1 {
			t.Errorf("delivered %d messages, want 1", n)
		}
		if got := metric(t, h.reg, "unionbot_outbox_retried_total", "kind", "send", "reason", "rate_limited"); got != 1 {
			t.Errorf("retried_total{send,rate_limited} = %v, want 1", got)
		}
	})
}

func TestTransientFailuresAreRetried(t *testing.T) {
	html502 := feishutest.Fault{HTTPStatus: http.StatusBadGateway, Body: []byte("<html>bad gateway</html>")}
	bare429 := feishutest.Fault{HTTPStatus: http.StatusTooManyRequests, Body: []byte("slow down"),
		Header: map[string]string{"x-ogw-ratelimit-reset": "1"}}
	tests := []struct {
		name     string
		fault    feishutest.Fault
		faults   int // requests that get the fault
		attempts int // attempts until the success
		reason   string
		minGap   time.Duration // between the last failure and the success
	}{
		{"5xx twice", feishutest.ServerError(), 2, 3, "server_error", 0},
		{"chat limited", feishutest.ChatLimited(), 1, 2, "chat_limited", 20 * time.Millisecond},
		{"gateway timeout", feishutest.GatewayTimeout(), 1, 2, "server_error", 0},
		{"non-JSON 502", html502, 1, 2, "server_error", 0},
		{"non-JSON 429", bare429, 1, 2, "rate_limited", time.Second},
		// The SDK itself retries a rejected token once, so one attempt makes two requests.
		{"token rejected", feishutest.Fault{Code: 99991663, Msg: "invalid access token"}, 2, 2, "server_error", 0},
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := newHarness(t, db, nil, fastConfig())
				receiver := "ou_" + strings.ReplaceAll(tt.name, " ", "_")
				h.fake.FailReceiver(receiver, tt.faults, tt.fault)
				m := enqueue(t, db, text(receiver, tt.name))[0]
				h.run()
				r := waitDone(t, db, []*store.OutboxMessage{m}, 30*time.Second)[0]
				if r.Status != store.OutboxSent || r.Attempts != tt.attempts {
					t.Fatalf("status %s after %d attempts (%d: %s), want sent after %d", r.Status, r.Attempts, r.LastCode, r.LastError, tt.attempts)
				}
				reqs := sendRequests(h.fake)
				if len(reqs) != tt.faults+1 {
					t.Fatalf("got %d send requests, want %d", len(reqs), tt.faults+1)
				}
				if gap := reqs[tt.faults].At.Sub(reqs[tt.faults-1].At); gap < tt.minGap {
					t.Errorf("retried after %s, want at least %s", gap, tt.minGap)
				}
				if got := metric(t, h.reg, "unionbot_outbox_retried_total", "kind", "send", "reason", tt.reason); got != float64(tt.attempts-1) {
					t.Errorf("retried_total{send,%s} = %v, want %d", tt.reason, got, tt.attempts-1)
				}
				if n := len(h.fake.Messages()); n != 1 {
					t.Errorf("delivered %d messages, want 1", n)
				}
			})
		}
	})
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		h.fake.FailReceiver("ou_outsider", 1, feishutest.Permanent(feishutest.CodeUserUnavailable))
		secret := "SECRET-CONTENT-do-not-log"
		bad := enqueue(t, db, text("ou_outsider", secret))[0]
		ok := enqueue(t, db, text("ou_insider", "fine"))[0]
		h.run()
		rows := waitDone(t, db, []*store.OutboxMessage{bad, ok}, 30*time.Second)
		r := rows[0]
		if r.Status != store.OutboxFailed || r.LastCode != 230013 || r.Attempts != 1 {
			t.Fatalf("status %s, code %d after %d attempts, want failed with 230013 after 1", r.Status, r.LastCode, r.Attempts)
		}
		if !strings.Contains(r.LastError, "230013") || !strings.Contains(r.LastError, "availability") {
			t.Errorf("reason %q, want the code and what it means", r.LastError)
		}
		if rows[1].Status != store.OutboxSent {
			t.Errorf("the other message: %s, want sent", rows[1].Status)
		}
		time.Sleep(200 * time.Millisecond) // a retry would come within a few polls
		if n := len(h.fake.RequestsFor(feishutest.OpSend)); n != 2 {
			t.Errorf("got %d send requests, want 2 (no retry)", n)
		}
		if got := metric(t, h.reg, "unionbot_outbox_failed_total", "kind", "send", "code", "230013"); got != 1 {
			t.Errorf("failed_total{send,230013} = %v, want 1", got)
		}
		logs := h.logs.String()
		if !strings.Contains(logs, bad.ID) || !strings.Contains(logs, "230013") {
			t.Errorf("no failure line with the outbox id and code in the log:\n%s", logs)
		}
		for _, personal := range []string{secret, "ou_outsider", "ou_insider"} {
			if strings.Contains(logs, personal) {
				t.Errorf("the log contains %q:\n%s", personal, logs)
			}
		}
	})
}

func TestMaxAttemptsExhausted(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := fastConfig()
		cfg.MaxAttempts = 3
		cfg.RetryFor = time.Millisecond // the count decides
		h := newHarness(t, db, nil, cfg)
		h.fake.FailReceiver("ou_down", -1, feishutest.ServerError())
		m := enqueue(t, db, text("ou_down", "never arrives"))[0]
		h.run()
		r := waitDone(t, db, []*store.OutboxMessage{m}, 30*time.Second)[0]
		if r.Status != store.OutboxFailed || r.Attempts != 3 || r.LastCode != feishutest.CodeInternal {
			t.Fatalf("status %s after %d attempts, code %d, want failed after 3 with code 1", r.Status, r.Attempts, r.LastCode)
		}
		if !strings.Contains(r.LastError, "gave up after 3 attempts") {
			t.Errorf("reason %q, want it to say the attempts ran out", r.LastError)
		}
		if n := len(sendRequests(h.fake)); n != 3 {
			t.Errorf("got %d send requests, want 3", n)
		}
		if got := metric(t, h.reg, "unionbot_outbox_retried_total", "reason", "server_error"); got != 2 {
			t.Errorf("retried_total{server_error} = %v, want 2", got)
		}
		if got := metric(t, h.reg, "unionbot_outbox_failed_total", "code", "1"); got != 1 {
			t.Errorf("failed_total{code=1} = %v, want 1", got)
		}
	})
}

func TestReceiverOrderSurvivesRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		h.fake.FailReceiver("ou_dave", 1, feishutest.ChatLimited())
		var msgs []*store.OutboxMessage
		for i := range 8 {
			msgs = append(msgs, text("ou_dave", fmt.Sprintf("dave %d", i)))
			msgs = append(msgs, text("ou_erin", fmt.Sprintf("erin %d", i)))
		}
		enqueue(t, db, msgs...)
		h.run()
		waitDone(t, db, msgs, 30*time.Second)
		for _, who := range []string{"ou_dave", "ou_erin"} {
			got := h.fake.MessagesTo(who)
			if len(got) != 8 {
				t.Fatalf("%s got %d messages, want 8", who, len(got))
			}
			name := strings.TrimPrefix(who, "ou_")
			for i, m := range got {
				if want := fmt.Sprintf(`{"text":"%s %d"}`, name, i); m.Content != want {
					t.Errorf("%s message %d is %s, want %s", who, i, m.Content, want)
				}
			}
		}
	})
}

func TestRestartDeliversWhatWasLeft(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		t.Run("stopped", func(t *testing.T) {
			fake := feishutest.NewT(t)
			cfg := fastConfig()
			cfg.PerReceiver = 2 // slow, so the worker is stopped with most of the lane waiting
			var msgs []*store.OutboxMessage
			for i := range 8 {
				msgs = append(msgs, text("ou_frank", fmt.Sprintf("frank %d", i)))
			}
			enqueue(t, db, msgs...)
			a := newHarness(t, db, fake, cfg)
			stop := a.run()
			if _, err := fake.WaitMessages(ctxTimeout(t, 30*time.Second), 1); err != nil {
				t.Fatal(err)
			}
			stop()
			left := 0
			for _, m := range msgs {
				r := row(t, db, m.ID)
				if r.Status == store.OutboxPending {
					left++
					if r.ClaimedUntil != nil {
						t.Errorf("message %s still claimed after Run returned", m.ID)
					}
				}
			}
			if left == 0 {
				t.Fatalf("the first worker delivered everything before it was stopped")
			}
			b := newHarness(t, db, fake, cfg)
			b.run()
			waitDone(t, db, msgs, 30*time.Second)
			got := fake.MessagesTo("ou_frank")
			if len(got) != 8 || fake.DuplicateUUIDs() != 0 {
				t.Fatalf("delivered %d messages with %d duplicate uuids, want 8 and 0", len(got), fake.DuplicateUUIDs())
			}
			for i, m := range got {
				if want := fmt.Sprintf(`{"text":"frank %d"}`, i); m.Content != want {
					t.Errorf("message %d is %s, want %s", i, m.Content, want)
				}
			}
		})
		t.Run("crashed", func(t *testing.T) {
			// A worker that claimed messages and died holds them until its lease ends.
			var msgs []*store.OutboxMessage
			for i := range 5 {
				msgs = append(msgs, text(fmt.Sprintf("ou_grace%d", i), "after a crash"))
			}
			enqueue(t, db, msgs...)
			claimed, err := db.ClaimOutbox(context.Background(), "dead-worker", 10, time.Second)
			if err != nil || len(claimed) != len(msgs) {
				t.Fatalf("claim: %d messages, %v", len(claimed), err)
			}
			h := newHarness(t, db, nil, fastConfig())
			h.run()
			for _, r := range waitDone(t, db, msgs, 30*time.Second) {
				if r.Status != store.OutboxSent || r.Attempts != 2 {
					t.Errorf("%s: %s after %d attempts, want sent after 2 (the dead claim counts)", r.ID, r.Status, r.Attempts)
				}
			}
			if n := len(h.fake.Messages()); n != len(msgs) {
				t.Errorf("delivered %d messages, want %d", n, len(msgs))
			}
		})
	})
}

func TestTwoReplicasDeliverEachMessageOnce(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			db1, dsn := storetest.OpenDSN(t, dialect)
			db2, err := store.Open(context.Background(), dialect, dsn)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db2.Close() })
			fake := feishutest.NewT(t)

			var msgs []*store.OutboxMessage
			for i := range 200 {
				msgs = append(msgs, text(fmt.Sprintf("ou_r%02d", i%20), fmt.Sprintf("message %d", i)))
			}
			enqueueOneTx(t, db1, msgs)

			cfg1, cfg2 := fastConfig(), fastConfig()
			cfg1.WorkerID, cfg2.WorkerID = "replica-1", "replica-2"
			a := newHarness(t, db1, fake, cfg1)
			b := newHarness(t, db2, fake, cfg2)
			a.run()
			b.run()
			waitNonePending(t, db1, 60*time.Second)

			got := fake.Messages()
			seen := map[string]int{}
			for _, m := range got {
				seen[m.UUID]++
			}
			if len(got) != 200 || len(seen) != 200 || fake.DuplicateUUIDs() != 0 {
				t.Fatalf("delivered %d messages, %d distinct uuids, %d duplicates; want 200, 200, 0",
					len(got), len(seen), fake.DuplicateUUIDs())
			}
			for _, m := range msgs {
				if seen[m.ID] != 1 {
					t.Errorf("message %s delivered %d times", m.ID, seen[m.ID])
				}
			}
			// The counter is bumped just after the row is marked sent: give the last one a moment.
			var sa, sb float64
			for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				sa = metric(t, a.reg, "unionbot_outbox_sent_total")
				sb = metric(t, b.reg, "unionbot_outbox_sent_total")
				if sa+sb >= 200 || time.Now().After(deadline) {
					break
				}
			}
			t.Logf("replica-1 sent %v, replica-2 sent %v", sa, sb)
			if sa+sb != 200 {
				t.Errorf("the replicas counted %v + %v sends, want 200", sa, sb)
			}
		})
	}
}

func TestStaysUnderPlatformRateLimits(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		fake := feishutest.NewT(t, feishutest.WithLimits(50, 5))
		cfg := fastConfig()
		cfg.Workers = 8
		h := newHarness(t, db, fake, cfg)
		var msgs []*store.OutboxMessage
		for i := range 300 {
			msgs = append(msgs, text(fmt.Sprintf("ou_many%03d", i%100), fmt.Sprintf("n %d", i)))
		}
		for i := range 20 {
			msgs = append(msgs, text("ou_busy", fmt.Sprintf("busy %d", i)))
		}
		enqueueOneTx(t, db, msgs)
		h.run()
		waitNonePending(t, db, 120*time.Second)
		if n := fake.Throttled(); n != 0 {
			t.Errorf("the platform throttled %d requests, want 0", n)
		}
		app, perReceiver := busiestSecond(sendRequests(fake))
		t.Logf("busiest second: %d sends app-wide, %d to one receiver", app, perReceiver)
		if n := len(fake.Messages()); n != len(msgs) {
			t.Errorf("delivered %d messages, want %d", n, len(msgs))
		}
		if got := metric(t, h.reg, "unionbot_outbox_retried_total"); got != 0 {
			t.Errorf("retried_total = %v, want 0", got)
		}
	})
}

func TestDrain(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		var msgs []*store.OutboxMessage
		for i := range 30 {
			msgs = append(msgs, text(fmt.Sprintf("ou_h%d", i%7), fmt.Sprintf("drain %d", i)))
		}
		enqueue(t, db, msgs...)
		later := text("ou_later", "tomorrow")
		later.NextAttemptAt = time.Now().Add(time.Hour)
		enqueue(t, db, later)

		if err := h.w.Drain(ctxTimeout(t, 60*time.Second)); err != nil {
			t.Fatalf("Drain: %v", err)
		}
		for _, m := range msgs {
			if r := row(t, db, m.ID); r.Status != store.OutboxSent {
				t.Errorf("%s: %s after Drain, want sent", m.ID, r.Status)
			}
		}
		if r := row(t, db, later.ID); r.Status != store.OutboxPending || r.Attempts != 0 {
			t.Errorf("the message due later: %s after %d attempts, want pending and untouched", r.Status, r.Attempts)
		}
		if n := len(h.fake.Messages()); n != 30 {
			t.Errorf("delivered %d, want 30", n)
		}
	})
}

func TestDrainStopsAtDeadline(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := fastConfig()
		cfg.PerReceiver = 1
		h := newHarness(t, db, nil, cfg)
		var msgs []*store.OutboxMessage
		for i := range 10 {
			msgs = append(msgs, text("ou_slow", fmt.Sprintf("slow %d", i)))
		}
		enqueue(t, db, msgs...)
		ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
		defer cancel()
		if err := h.w.Drain(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Drain = %v, want the deadline", err)
		}
		sent := 0
		for _, m := range msgs {
			r := row(t, db, m.ID)
			switch {
			case r.Status == store.OutboxSent:
				sent++
			case r.ClaimedUntil != nil:
				t.Errorf("%s still claimed after Drain returned", m.ID)
			}
		}
		if sent == 0 || sent == len(msgs) {
			t.Errorf("sent %d of %d by the deadline, want some but not all", sent, len(msgs))
		}
	})
}

func TestPanicInDeliveryIsRetried(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		msgs := enqueue(t, db, text("ou_ivan", "boom"), text("ou_judy", "fine"))
		var once sync.Once
		h.w.beforeDeliver = func(m *store.OutboxMessage) {
			if m.ID == msgs[0].ID {
				once.Do(func() { panic("injected") })
			}
		}
		h.run()
		for _, r := range waitDone(t, db, msgs, 30*time.Second) {
			if r.Status != store.OutboxSent {
				t.Errorf("%s: %s, want sent", r.ID, r.Status)
			}
		}
		if r := row(t, db, msgs[0].ID); r.Attempts != 2 {
			t.Errorf("the panicking message took %d attempts, want 2", r.Attempts)
		}
		if got := metric(t, h.reg, "unionbot_outbox_retried_total", "reason", "panic"); got != 1 {
			t.Errorf("retried_total{panic} = %v, want 1", got)
		}
	})
}

func TestRunSurvivesDatabaseErrors(t *testing.T) {
	t.Run("closed", func(t *testing.T) {
		for _, dialect := range storetest.Dialects() {
			t.Run(dialect, func(t *testing.T) {
				_, dsn := storetest.OpenDSN(t, dialect)
				broken, err := store.Open(context.Background(), dialect, dsn)
				if err != nil {
					t.Fatal(err)
				}
				broken.Close()
				h := newHarness(t, broken, nil, fastConfig())
				stop := h.run()
				h.w.Notify()
				waitFor(t, "a logged claim error", 10*time.Second, func() bool {
					return strings.Contains(h.logs.String(), "claiming messages failed")
				})
				stop()
			})
		}
	})
	t.Run("recovers", func(t *testing.T) {
		storetest.Each(t, func(t *testing.T, db *store.DB) {
			h := newHarness(t, db, nil, fastConfig())
			m := enqueue(t, db, text("ou_leo", "after the outage"))[0]
			exec := func(q string) {
				if _, err := db.SQL().Exec(q); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("ALTER TABLE outbox RENAME TO outbox_away")
			h.run()
			waitFor(t, "two logged claim errors", 20*time.Second, func() bool {
				return strings.Count(h.logs.String(), "claiming messages failed") >= 2
			})
			exec("ALTER TABLE outbox_away RENAME TO outbox")
			if r := waitDone(t, db, []*store.OutboxMessage{m}, 60*time.Second)[0]; r.Status != store.OutboxSent {
				t.Fatalf("status %s after the database came back, want sent", r.Status)
			}
		})
	})
}

func TestMetricsShareARegistry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		reg := prometheus.NewRegistry()
		fake := feishutest.NewT(t)
		w1 := New(db, newClient(fake), fastConfig(), nil, reg)
		w2 := New(db, newClient(fake), fastConfig(), nil, reg) // must not panic
		w1.met.sent.WithLabelValues("send").Inc()
		w2.met.sent.WithLabelValues("send").Inc()
		if got := metric(t, reg, "unionbot_outbox_sent_total", "kind", "send"); got != 2 {
			t.Errorf("sent_total = %v, want 2 (one shared counter)", got)
		}
	})
}

func TestDepthGauge(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db, nil, fastConfig())
		later := text("ou_kim", "later")
		later.NextAttemptAt = time.Now().Add(time.Hour)
		enqueue(t, db, later, text("ou_kim", "now"))
		h.run()
		waitFor(t, "depth 1", 10*time.Second, func() bool {
			return metric(t, h.reg, "unionbot_outbox_depth") == 1
		})
	})
}

// busiestSecond is the largest number of requests the fake saw in one sliding second, overall
// and to one receiver (a diagnostic: how close to the limits the worker ran).
func busiestSecond(reqs []feishutest.Request) (app, perReceiver int) {
	byReceiver := map[string][]time.Time{}
	var all []time.Time
	for _, r := range reqs {
		var b struct {
			ReceiveID string `json:"receive_id"`
		}
		_ = json.Unmarshal(r.Body, &b)
		all = append(all, r.At)
		byReceiver[b.ReceiveID] = append(byReceiver[b.ReceiveID], r.At)
	}
	busiest := func(ts []time.Time) int {
		sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
		most, lo := 0, 0
		for hi := range ts {
			for ts[hi].Sub(ts[lo]) >= time.Second {
				lo++
			}
			most = max(most, hi-lo+1)
		}
		return most
	}
	app = busiest(all)
	for _, ts := range byReceiver {
		perReceiver = max(perReceiver, busiest(ts))
	}
	return app, perReceiver
}

func ctxTimeout(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// TestRetriesForTimeNotCount: transient failures are retried for outbox.retry_for, however
// many attempts that takes (an outage longer than MaxAttempts backoffs loses nothing);
// a message still failing after retry_for fails for good, and a permanent refusal fails at
// once; OnFailed hears of each message failed for good, once.
func TestRetriesForTimeNotCount(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := fastConfig()
		cfg.MaxAttempts = 3
		cfg.RetryFor = 3 * time.Second
		var mu sync.Mutex
		failed := map[string]int{}
		cfg.OnFailed = func(m *store.OutboxMessage, code int, reason string) {
			mu.Lock()
			failed[m.ReceiveID]++
			mu.Unlock()
		}
		h := newHarness(t, db, nil, cfg)
		h.fake.FailReceiver("ou_outage", -1, feishutest.Unavailable())
		h.fake.FailReceiver("ou_gone", -1, feishutest.ServerError())
		h.fake.FailReceiver("ou_outside", -1, feishutest.Permanent(feishutest.CodeUserUnavailable))
		msgs := enqueue(t, db, text("ou_outage", "after the outage"), text("ou_gone", "never"), text("ou_outside", "refused"))
		start := time.Now()
		h.run()
		// The outage lasts longer than 3 attempts' backoff, shorter than retry_for.
		time.Sleep(1500 * time.Millisecond)
		if r, _ := db.OutboxByID(context.Background(), msgs[0].ID); r.Status != store.OutboxPending || r.Attempts <= 3 {
			t.Errorf("during the outage: %s after %d attempts, want still pending after more than 3", r.Status, r.Attempts)
		}
		h.fake.ClearFaults()
		h.fake.FailReceiver("ou_gone", -1, feishutest.ServerError())
		h.fake.FailReceiver("ou_outside", -1, feishutest.Permanent(feishutest.CodeUserUnavailable))
		got := waitDone(t, db, msgs, 30*time.Second)
		if got[0].Status != store.OutboxSent {
			t.Errorf("the message behind the outage: %s (%s), want sent", got[0].Status, got[0].LastError)
		}
		if got[1].Status != store.OutboxFailed || !strings.Contains(got[1].LastError, "gave up after") ||
			got[1].FailingSince == nil || time.Since(start) < cfg.RetryFor || got[1].Attempts <= 3 {
			t.Errorf("the message failing for good: %s %q since %v, want failed after retrying for %v", got[1].Status,
				got[1].LastError, got[1].FailingSince, cfg.RetryFor)
		}
		if got[2].Status != store.OutboxFailed || got[2].Attempts != 1 || got[2].LastCode != feishutest.CodeUserUnavailable {
			t.Errorf("the refused message: %s after %d attempts (code %d), want failed at once", got[2].Status, got[2].Attempts, got[2].LastCode)
		}
		// OnFailed runs just after the row is marked failed.
		waitFor(t, "OnFailed calls", 5*time.Second, func() bool {
			mu.Lock()
			defer mu.Unlock()
			return failed["ou_gone"] >= 1 && failed["ou_outside"] >= 1
		})
		mu.Lock()
		defer mu.Unlock()
		if failed["ou_gone"] != 1 || failed["ou_outside"] != 1 || failed["ou_outage"] != 0 {
			t.Errorf("OnFailed calls: %v, want one each for ou_gone and ou_outside", failed)
		}
	})
}

// TestDatabaseAwayAfterSend: Feishu accepted a message but the database went away before the
// send was recorded, for longer than the worker's few quick retries and longer than the
// claim's lease: the message is POSTed once (not again when the claim runs out and it is
// claimed anew), and recorded sent once the database answers.
func TestDatabaseAwayAfterSend(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		cfg := fastConfig()
		cfg.Lease = 3 * time.Second
		h := newHarness(t, db, nil, cfg)
		var away atomic.Bool
		away.Store(true)
		h.w.markFault = func(what string) error {
			if away.Load() {
				return errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")
			}
			return nil
		}
		m := enqueue(t, db, text("ou_ann", "once"))[0]
		// While "away", claims still work here (only recording the outcome fails), so the
		// expired claim is taken again: the worker must not send it a second time.
		h.run()
		waitFor(t, "the first send", 10*time.Second, func() bool { return len(sendRequests(h.fake)) >= 1 })
		time.Sleep(cfg.Lease + 2*time.Second)
		away.Store(false)
		r := waitDone(t, db, []*store.OutboxMessage{m}, 10*time.Second)[0]
		if r.Status != store.OutboxSent || r.MessageID == "" {
			t.Errorf("status %s, message id %q; want sent with Feishu's id", r.Status, r.MessageID)
		}
		if n := len(sendRequests(h.fake)); n != 1 {
			t.Errorf("POSTed %d times, want once", n)
		}
	})
}

// TestDrainRecordsUnrecordedSends: at a clean stop, a send Feishu accepted that the database
// missed (it was away) is recorded by Drain once the database answers, and not POSTed again;
// one that still cannot be recorded when Drain's time ends is logged at WARN by its outbox id
// (the content never).
func TestDrainRecordsUnrecordedSends(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, back := range []bool{true, false} {
			h := newHarness(t, db, nil, fastConfig())
			var away atomic.Bool
			away.Store(true)
			h.w.markFault = func(what string) error {
				if away.Load() && what == "sent" {
					return errors.New("dial tcp 127.0.0.1:3306: connect: connection refused")
				}
				return nil
			}
			secret := fmt.Sprintf("私密内容 %v", back)
			m := enqueue(t, db, text(fmt.Sprintf("ou_drain_%v", back), secret))[0]
			stop := h.run()
			waitFor(t, "the send kept in memory", 10*time.Second, func() bool { return h.w.unrecordedCount() == 1 })
			stop()
			if back {
				go func() { time.Sleep(300 * time.Millisecond); away.Store(false) }()
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			err := h.w.Drain(ctx)
			cancel()
			r := row(t, db, m.ID)
			warned := strings.Contains(h.logs.String(), "level=WARN msg=\"outbox: stopping with a send Feishu accepted") &&
				strings.Contains(h.logs.String(), "outbox_id="+m.ID)
			if back {
				if err != nil || r.Status != store.OutboxSent || r.MessageID == "" || warned {
					t.Errorf("database back: Drain %v, row %s %q, warned %v; want recorded sent, no warning", err, r.Status, r.MessageID, warned)
				}
			} else if r.Status != store.OutboxPending || !warned {
				t.Errorf("database still away: row %s, warned %v; want pending and a warning naming %s", r.Status, warned, m.ID)
			}
			if strings.Contains(h.logs.String(), secret) {
				t.Errorf("the content was logged")
			}
			if n := len(h.fake.MessagesTo(fmt.Sprintf("ou_drain_%v", back))); n != 1 {
				t.Errorf("POSTed %d times, want once", n)
			}
		}
	})
}
