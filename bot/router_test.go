package bot_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	token      = "vt_test_token"
	encryptKey = "ek_test_encrypt_key"
	secretText = "机密内容-张三的病情"
)

// harness is a router with test routes behind the real webhook endpoint and SDK dispatcher.
type harness struct {
	t       *testing.T
	db      *store.DB
	wh      *feishutest.Webhook
	logs    *syncBuffer
	metrics *bot.Metrics
	now     time.Time
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func newHarness(t *testing.T, db *store.DB) *harness {
	h := &harness{t: t, db: db, logs: &syncBuffer{}, now: time.Now()}
	log := slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.metrics = bot.NewMetrics(prometheus.NewRegistry())
	r := bot.NewRouter(bot.Options{DB: db, Log: log, Metrics: h.metrics, Deadline: time.Second,
		Resolver: &handlers.Resolver{DB: db, Admins: []string{"ou_admin"}, Log: log}})
	note := func(c *bot.Context) (*bot.Response, error) {
		return nil, c.Tx.Audit(c.Ctx, c.Sender.OpenID, "note", "1", "add", c.ArgText+c.FormString("text"))
	}
	r.Command(bot.Command{Names: []string{"记录", "note"}, MinArgs: 1, Usage: "记录 <内容>", Help: "记一笔",
		Handler: func(c *bot.Context) (*bot.Response, error) {
			if _, err := note(c); err != nil {
				return nil, err
			}
			return bot.Success("已记录"), nil
		}})
	r.Command(bot.Command{Names: []string{"boom"}, Handler: func(c *bot.Context) (*bot.Response, error) { panic("kaboom") }})
	r.Command(bot.Command{Names: []string{"fail"}, Handler: func(c *bot.Context) (*bot.Response, error) {
		note(c)
		return nil, store.Errorf(store.EINVALID, "参数不对：请写日期")
	}})
	r.Command(bot.Command{Names: []string{"管理"}, Roles: []string{store.RoleAdmin}, Handler: func(c *bot.Context) (*bot.Response, error) {
		return bot.Info("管理员你好"), nil
	}})
	r.Action(bot.Action{Name: "note.add", Handler: func(c *bot.Context) (*bot.Response, error) {
		if _, err := note(c); err != nil {
			return nil, err
		}
		return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已记录"}, Card: card.New("已记录").Add(card.Markdown("ok"))}, nil
	}})
	r.Action(bot.Action{Name: "note.officer", Roles: []string{store.RoleOfficer}, Handler: note})
	// A handler that writes and then refuses: the router must roll its writes back.
	refuseLate := func(c *bot.Context) (*bot.Response, error) {
		if _, err := note(c); err != nil {
			return nil, err
		}
		if err := c.SendTo("ou_other", bot.Text("不该发出")); err != nil {
			return nil, err
		}
		return bot.Warn("名额已满，不能报名"), nil
	}
	r.Action(bot.Action{Name: "note.refuse_late", Handler: refuseLate})
	r.Command(bot.Command{Names: []string{"晚拒"}, Handler: refuseLate})
	r.Action(bot.Action{Name: "slow", Handler: func(c *bot.Context) (*bot.Response, error) {
		note(c)
		<-c.Ctx.Done()
		return nil, c.Ctx.Err()
	}})
	// Transactions of their own (Solo): the deduplication key rides on the first statement.
	r.Command(bot.Command{Names: []string{"单独记录"}, MinArgs: 1, Usage: "单独记录 <内容>", Solo: true,
		Handler: func(c *bot.Context) (*bot.Response, error) {
			if _, err := note(c); err != nil {
				return nil, err
			}
			return bot.Success("已记录"), nil
		}})
	r.Action(bot.Action{Name: "solo.peek", Solo: true, Handler: func(c *bot.Context) (*bot.Response, error) {
		return bot.Info("只是看看"), nil // no statement at all
	}})
	r.Action(bot.Action{Name: "solo.note", Solo: true, Handler: func(c *bot.Context) (*bot.Response, error) {
		if _, err := note(c); err != nil {
			return nil, err
		}
		return bot.Success("已记录"), nil
	}})
	r.Fallback(func(c *bot.Context) (*bot.Response, error) { return bot.Info("菜单：记录、boom"), nil })
	srv := httptest.NewServer(bot.NewHTTPHandler(bot.HTTPOptions{
		Webhook: bot.Webhook(r, bot.WebhookOptions{VerificationToken: token, EncryptKey: encryptKey, Log: log}),
	}))
	t.Cleanup(srv.Close)
	h.wh = &feishutest.Webhook{URL: srv.URL + "/webhook/event", EncryptKey: encryptKey, VerificationToken: token}
	return h
}

func (h *harness) send(payload []byte, opts ...feishutest.SendOption) (int, []byte) {
	h.t.Helper()
	status, body, err := h.wh.Send(context.Background(), payload, opts...)
	if err != nil {
		h.t.Fatal(err)
	}
	return status, body
}

func (h *harness) message(id, sender, text string) []byte {
	return feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender, Text: text, Token: token})
}

func (h *harness) count(table string) int {
	h.t.Helper()
	var n int
	if err := h.db.Get(context.Background(), &n, "SELECT COUNT(*) FROM "+table); err != nil {
		h.t.Fatal(err)
	}
	return n
}

// replies returns the texts of the queued replies to a message.
func (h *harness) replies(messageID string) []string {
	h.t.Helper()
	var contents []string
	if err := h.db.Select(context.Background(), &contents, `SELECT content FROM outbox WHERE target_message_id = ? ORDER BY created_at`, messageID); err != nil {
		h.t.Fatal(err)
	}
	var out []string
	for _, c := range contents {
		var v struct {
			Text string `json:"text"`
		}
		json.Unmarshal([]byte(c), &v)
		if v.Text == "" {
			v.Text = c
		}
		out = append(out, v.Text)
	}
	return out
}

func TestWebhookRejectsBadTransport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		good := h.message("om_t1", "ou_a", "记录 "+secretText)
		big := h.message("om_big", "ou_a", strings.Repeat("长", 600_000))
		tests := []struct {
			name    string
			payload []byte
			opts    []feishutest.SendOption
			want    int
		}{
			{"malformed JSON", nil, []feishutest.SendOption{feishutest.WithRawBody([]byte(`{"encrypt":`))}, http.StatusBadRequest},
			{"not encrypted", good, []feishutest.SendOption{feishutest.Plain()}, http.StatusBadRequest},
			{"oversized body", big, nil, http.StatusRequestEntityTooLarge},
			{"forged signature", good, []feishutest.SendOption{feishutest.WithBadSignature()}, http.StatusUnauthorized},
			{"no signature", good, []feishutest.SendOption{feishutest.WithoutSignature()}, http.StatusUnauthorized},
			{"stale timestamp", good, []feishutest.SendOption{feishutest.WithTimestamp(time.Now().Add(-6 * time.Minute))}, http.StatusUnauthorized},
			{"future timestamp", good, []feishutest.SendOption{feishutest.WithTimestamp(time.Now().Add(6 * time.Minute))}, http.StatusUnauthorized},
			{"wrong verification token", feishutest.MessageEvent(feishutest.MessageOpts{SenderOpenID: "ou_a", Text: "记录 x", Token: "forged"}), nil, http.StatusUnauthorized},
			{"signed but undecryptable", good, []feishutest.SendOption{feishutest.WithRawBody(mustEncrypt(t, good, "another key"))}, http.StatusBadRequest},
			{"unsigned and undecryptable", good, []feishutest.SendOption{feishutest.WithRawBody(mustEncrypt(t, good, "another key")), feishutest.WithoutSignature()}, http.StatusUnauthorized},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				status, _ := h.send(tc.payload, tc.opts...)
				if status != tc.want {
					t.Errorf("status = %d, want %d", status, tc.want)
				}
			})
		}
		if n := h.count("processed_events") + h.count("audit_log") + h.count("outbox") + h.count("members"); n != 0 {
			t.Errorf("rejected requests wrote %d rows", n)
		}
		// A signed request within the window passes.
		if status, _ := h.send(good); status != http.StatusOK {
			t.Fatalf("good request: status %d", status)
		}
		if h.count("audit_log") != 2 { // the member's registration and the note
			t.Errorf("good request not handled")
		}
		if strings.Contains(h.logs.String(), secretText) {
			t.Errorf("a message body reached the log")
		}
	})
}

func mustEncrypt(t *testing.T, payload []byte, key string) []byte {
	b, err := feishutest.Encrypt(payload, key)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestWebhookURLVerificationAndUnknownEvents(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	status, body, err := h.wh.Verify(context.Background(), "ajls384kdjx98XX")
	if err != nil || status != 200 || !strings.Contains(string(body), `"challenge":"ajls384kdjx98XX"`) {
		t.Errorf("verification: %d %s %v", status, body, err)
	}
	status, _ = h.send(feishutest.URLVerification("wrong", "x"))
	if status != http.StatusUnauthorized {
		t.Errorf("verification with a wrong token: %d, want 401", status)
	}
	unknown := []byte(`{"schema":"2.0","header":{"event_id":"e1","event_type":"contact.user.created_v3","token":"` + token + `"},"event":{}}`)
	status, _ = h.send(unknown)
	if status != http.StatusOK {
		t.Errorf("unknown event type: %d, want 200 (acked, not redelivered)", status)
	}
	if h.count("processed_events") != 0 {
		t.Error("unknown event wrote something")
	}
}

func TestMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		t.Run("command writes and replies in one transaction", func(t *testing.T) {
			h.send(h.message("om_1", "ou_a", "记录 羽毛球"))
			if got := h.replies("om_1"); len(got) != 1 || got[0] != "已记录" {
				t.Errorf("replies = %q", got)
			}
		})
		t.Run("redelivery has no second effect", func(t *testing.T) {
			before := h.count("audit_log")
			for i := 0; i < 3; i++ {
				if status, _ := h.send(h.message("om_1", "ou_a", "记录 羽毛球")); status != 200 {
					t.Errorf("redelivery status %d", status)
				}
			}
			if h.count("audit_log") != before || len(h.replies("om_1")) != 1 {
				t.Error("redelivery had an effect")
			}
			if got := testutil.ToFloat64(h.metrics.Deduplicated.WithLabelValues("message")); got != 3 {
				t.Errorf("deduplicated metric = %v, want 3", got)
			}
		})
		t.Run("English alias and full-width space", func(t *testing.T) {
			h.send(h.message("om_2", "ou_a", "NOTE\u3000气排球"))
			if got := h.replies("om_2"); len(got) != 1 || got[0] != "已记录" {
				t.Errorf("replies = %q", got)
			}
		})
		t.Run("line breaks survive, blank lines and extra spaces do not", func(t *testing.T) {
			h.send(h.message("om_lines", "ou_a", "记录  2027-01-01 休\u3000元旦\n\n  2027-02-07 班 春节调休 "))
			trail, err := h.db.AuditTrail(context.Background(), "note", "1")
			if err != nil || len(trail) == 0 {
				t.Fatal(err)
			}
			if got, want := trail[len(trail)-1].Detail, "2027-01-01 休 元旦\n2027-02-07 班 春节调休"; got != want {
				t.Errorf("ArgText = %q, want %q", got, want)
			}
		})
		t.Run("control characters and direction overrides are dropped", func(t *testing.T) {
			h.send(h.message("om_ctrl", "ou_a", "记录 a\x00b\x1b[31mc\u202ed\u2066e"))
			trail, err := h.db.AuditTrail(context.Background(), "note", "1")
			if err != nil || len(trail) == 0 {
				t.Fatal(err)
			}
			if got := trail[len(trail)-1].Detail; got != "ab[31mcde" {
				t.Errorf("ArgText = %q, want %q", got, "ab[31mcde")
			}
		})
		t.Run("an over-long message is refused, not echoed", func(t *testing.T) {
			before := h.count("audit_log")
			h.send(h.message("om_long", "ou_a", "记录 "+strings.Repeat("长", 9000)))
			if got := h.replies("om_long"); len(got) != 1 || got[0] != "消息太长（最多 8000 字），请分几次发送。" {
				t.Errorf("replies = %.80q", got)
			}
			if h.count("audit_log") != before {
				t.Error("the handler ran on an over-long message")
			}
		})
		t.Run("missing arguments", func(t *testing.T) {
			before := h.count("audit_log")
			h.send(h.message("om_3", "ou_a", "记录"))
			if got := h.replies("om_3"); len(got) != 1 || got[0] != "用法：记录 <内容>" {
				t.Errorf("replies = %q", got)
			}
			if h.count("audit_log") != before {
				t.Error("wrote without arguments")
			}
		})
		t.Run("not understood gets the menu", func(t *testing.T) {
			h.send(h.message("om_4", "ou_a", "今天天气怎么样"))
			if got := h.replies("om_4"); len(got) != 1 || !strings.HasPrefix(got[0], "菜单") {
				t.Errorf("replies = %q", got)
			}
			h.send(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_img", SenderOpenID: "ou_a", Token: token,
				MessageType: "image", Content: `{"image_key":"img_1"}`}))
			if got := h.replies("om_img"); len(got) != 1 || !strings.HasPrefix(got[0], "菜单") {
				t.Errorf("image: replies = %q", got)
			}
		})
		t.Run("group messages only when mentioned", func(t *testing.T) {
			h.send(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_g1", ChatType: "group", SenderOpenID: "ou_a",
				Text: "记录 不该处理", Token: token}))
			if got := h.replies("om_g1"); len(got) != 0 {
				t.Errorf("unmentioned group message answered: %q", got)
			}
			h.send(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_g2", ChatType: "group", SenderOpenID: "ou_a",
				Text: "@_user_1 记录 群里", Token: token, Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
			if got := h.replies("om_g2"); len(got) != 1 || got[0] != "已记录" {
				t.Errorf("mentioned group message: replies = %q", got)
			}
		})
		t.Run("refusal after a write: rolled back, answered once", func(t *testing.T) {
			before := h.count("audit_log")
			for range 2 { // the second is a redelivery
				h.send(h.message("om_late", "ou_a", "晚拒"))
			}
			if got := h.replies("om_late"); len(got) != 1 || got[0] != "名额已满，不能报名" {
				t.Errorf("replies = %q", got)
			}
			if h.count("audit_log") != before {
				t.Error("the refused handler's write stayed")
			}
		})
		t.Run("panic is an error reply, not a crash", func(t *testing.T) {
			status, _ := h.send(h.message("om_5", "ou_a", "boom"))
			if status != 200 {
				t.Errorf("status %d", status)
			}
			if got := h.replies("om_5"); len(got) != 1 || !strings.Contains(got[0], "系统出了点问题") {
				t.Errorf("replies = %q", got)
			}
			h.send(h.message("om_6", "ou_a", "记录 还活着"))
			if len(h.replies("om_6")) != 1 {
				t.Error("router dead after a panic")
			}
		})
		t.Run("a failing handler leaves nothing half-written", func(t *testing.T) {
			before := h.count("audit_log")
			h.send(h.message("om_7", "ou_a", "fail 乱写"))
			if got := h.replies("om_7"); len(got) != 1 || got[0] != "参数不对：请写日期" {
				t.Errorf("replies = %q", got)
			}
			if h.count("audit_log") != before {
				t.Error("the failed handler's write survived")
			}
			h.send(h.message("om_7", "ou_a", "fail 乱写"))
			if len(h.replies("om_7")) != 1 {
				t.Error("redelivered failure answered twice")
			}
		})
		t.Run("permission", func(t *testing.T) {
			h.send(h.message("om_8", "ou_a", "管理"))
			if got := h.replies("om_8"); len(got) != 1 || !strings.Contains(got[0], "没有权限") || !strings.Contains(got[0], "管理员") {
				t.Errorf("replies = %q", got)
			}
			h.send(h.message("om_9", "ou_admin", "管理"))
			if got := h.replies("om_9"); len(got) != 1 || got[0] != "管理员你好" {
				t.Errorf("admin: replies = %q", got)
			}
		})
		t.Run("first-time sender is registered once", func(t *testing.T) {
			m, err := db.MemberByOpenID(context.Background(), "ou_a")
			if err != nil || m.Name != handlers.PlaceholderName || !m.Placeholder {
				t.Errorf("member = %+v, %v", m, err)
			}
		})
		if strings.Contains(h.logs.String(), "羽毛球") || strings.Contains(h.logs.String(), "乱写") {
			t.Error("message text reached the log")
		}
	})
}

func TestCardActions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		click := func(value any, form map[string]any, opts ...func(*feishutest.CardOpts)) (int, map[string]any) {
			o := feishutest.CardOpts{Token: token, OperatorOpenID: "ou_c", Value: value, FormValue: form}
			for _, f := range opts {
				f(&o)
			}
			status, body := h.send(feishutest.CardActionEvent(o))
			var resp map[string]any
			if len(body) > 0 && json.Unmarshal(body, &resp) != nil {
				t.Fatalf("answer is not JSON: %s", body)
			}
			return status, resp
		}
		toast := func(resp map[string]any) string {
			m, _ := resp["toast"].(map[string]any)
			s, _ := m["content"].(string)
			return s
		}
		tests := []struct {
			name      string
			value     any
			wantToast string
			wantWrite bool
		}{
			{"routed", map[string]any{"action": "note.add"}, "已记录", true},
			{"missing action", map[string]any{"activity": 1}, "这张卡片已失效", false},
			{"unknown action", map[string]any{"action": "nope"}, "这张卡片已失效", false},
			{"string value", "note.add", "这张卡片已失效", false},
			{"no permission", map[string]any{"action": "note.officer"}, "没有权限", false},
			{"deadline", map[string]any{"action": "slow"}, "系统繁忙", false},
			{"refusal after a write", map[string]any{"action": "note.refuse_late"}, "名额已满", false},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := h.count("audit_log")
				status, resp := click(tc.value, nil)
				if status != 200 {
					t.Fatalf("status %d", status)
				}
				if got := toast(resp); !strings.Contains(got, tc.wantToast) {
					t.Errorf("toast = %q, want %q", got, tc.wantToast)
				}
				wrote := h.count("audit_log") - before
				if tc.name == "routed" {
					wrote-- // the first click also registered the member
				}
				if (wrote > 0) != tc.wantWrite {
					t.Errorf("wrote %d rows, want write=%v", wrote, tc.wantWrite)
				}
			})
		}
		t.Run("refusal after a write is rolled back and counted", func(t *testing.T) {
			if n := testutil.ToFloat64(h.metrics.Handled.WithLabelValues("card_action", "refused_after_write")); n != 1 {
				t.Errorf("refused_after_write = %v, want 1", n)
			}
			var n int
			if err := db.Get(context.Background(), &n, `SELECT COUNT(*) FROM outbox WHERE receive_id = 'ou_other'`); err != nil || n != 0 {
				t.Errorf("%d messages queued by the refused handler (%v), want 0", n, err)
			}
			if !strings.Contains(h.logs.String(), "refused after writing") {
				t.Errorf("no error logged for the refusal after a write")
			}
		})
		t.Run("replacement card is JSON 2.0", func(t *testing.T) {
			_, resp := click(map[string]any{"action": "note.add"}, nil)
			c, _ := resp["card"].(map[string]any)
			data, _ := c["data"].(map[string]any)
			if c["type"] != "raw" || data["schema"] != "2.0" {
				t.Errorf("card = %v", resp["card"])
			}
		})
		t.Run("form values reach the handler", func(t *testing.T) {
			click(map[string]any{"action": "note.add"}, map[string]any{"text": "表单内容"})
			trail, _ := db.AuditTrail(context.Background(), "note", "1")
			if len(trail) == 0 || trail[len(trail)-1].Detail != "表单内容" {
				t.Errorf("last note = %+v", trail[len(trail)-1])
			}
		})
		t.Run("duplicate event id has no second effect", func(t *testing.T) {
			before := h.count("audit_log")
			for i := 0; i < 2; i++ {
				status, _ := click(map[string]any{"action": "note.add"}, nil, func(o *feishutest.CardOpts) { o.EventID = "ev_dup" })
				if status != 200 {
					t.Errorf("status %d", status)
				}
			}
			if got := h.count("audit_log") - before; got != 1 {
				t.Errorf("wrote %d notes, want 1", got)
			}
		})
	})
}

func TestConcurrentRedeliveriesWinOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.send(h.message("om_warm", "ou_z", "记录 注册")) // register the sender first
		var wg sync.WaitGroup
		for i := 0; i < 10; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				h.wh.Send(context.Background(), h.message("om_race", "ou_z", fmt.Sprint("记录 并发")))
			}()
		}
		wg.Wait()
		if got := h.replies("om_race"); len(got) != 1 {
			t.Errorf("%d replies to 10 concurrent deliveries, want 1", len(got))
		}
	})
}

// TestRedeliveriesInTransactionsOfTheirOwn: Solo routes (a transaction of their own).
// Concurrent and later redeliveries of a message, of a writing card action and of a card action
// that runs no statement have one effect each, and every delivery is answered.
func TestRedeliveriesInTransactionsOfTheirOwn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.send(h.message("om_warm", "ou_y", "记录 注册"))
		dups := func() float64 { return testutil.ToFloat64(h.metrics.Deduplicated.WithLabelValues("card_action")) }
		notes := func(detail string) int {
			var k int
			if err := db.Get(context.Background(), &k, `SELECT COUNT(*) FROM audit_log WHERE entity = 'note' AND detail = ?`, detail); err != nil {
				t.Fatal(err)
			}
			return k
		}
		before := dups()
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var payload []byte
				switch i % 3 {
				case 0:
					payload = h.message("om_solo", "ou_y", "单独记录 一次")
				case 1:
					payload = feishutest.CardActionEvent(feishutest.CardOpts{Token: token, OperatorOpenID: "ou_y",
						EventID: "ev_solo_note", Value: map[string]any{"action": "solo.note"}, FormValue: map[string]any{"text": "卡片一次"}})
				case 2:
					payload = feishutest.CardActionEvent(feishutest.CardOpts{Token: token, OperatorOpenID: "ou_y",
						EventID: "ev_solo_peek", Value: map[string]any{"action": "solo.peek"}})
				}
				status, body, err := h.wh.Send(context.Background(), payload)
				if err != nil || status != 200 {
					t.Errorf("delivery %d: %d %v", i, status, err)
				}
				if i%3 != 0 && strings.Contains(string(body), "系统") {
					t.Errorf("delivery %d answered with an error: %s", i, body)
				}
			}()
		}
		wg.Wait()
		// And once more each, after the first has committed.
		h.send(h.message("om_solo", "ou_y", "单独记录 一次"))
		h.send(feishutest.CardActionEvent(feishutest.CardOpts{Token: token, OperatorOpenID: "ou_y",
			EventID: "ev_solo_note", Value: map[string]any{"action": "solo.note"}, FormValue: map[string]any{"text": "卡片一次"}}))
		h.send(feishutest.CardActionEvent(feishutest.CardOpts{Token: token, OperatorOpenID: "ou_y",
			EventID: "ev_solo_peek", Value: map[string]any{"action": "solo.peek"}}))
		if got := h.replies("om_solo"); len(got) != 1 || got[0] != "已记录" || notes("一次") != 1 {
			t.Errorf("message delivered 11 times: replies %q, notes %d; want one of each", got, notes("一次"))
		}
		if n := notes("卡片一次"); n != 1 {
			t.Errorf("card action delivered 11 times wrote %d notes, want 1", n)
		}
		if d := dups() - before; d != 20 {
			t.Errorf("%v card actions counted as duplicates, want 20 (10 + 10 of 11 deliveries of two events)", d)
		}
		for _, key := range []string{"om_solo", "ev_solo_note", "ev_solo_peek"} {
			if p, err := db.IsProcessed(context.Background(), key); err != nil || !p {
				t.Errorf("key %s not recorded: %v", key, err)
			}
		}
	})
}

// TestSharedTransactionsKeepEachAnswer sends a burst of concurrent messages that share
// transactions (store.DB.HandleEvent): successes, user errors, panics and redeliveries mixed.
// Each event gets its own answer, a failing handler leaves none of its writes, and a
// redelivered message has one effect.
func TestSharedTransactionsKeepEachAnswer(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		const n = 60
		for i := range 4 { // register the senders first
			h.send(h.message(fmt.Sprint("om_reg", i), fmt.Sprint("ou_s", i), "记录 注册"))
		}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				text := fmt.Sprint("记录 第", i, "条")
				switch i % 5 {
				case 1:
					text = "fail"
				case 2:
					text = "boom"
				}
				id := fmt.Sprint("om_burst", i)
				if i%5 == 3 {
					id = "om_burst_dup" // the same message delivered 12 times
					text = "记录 重复"
				}
				if status, _, err := h.wh.Send(context.Background(), h.message(id, fmt.Sprint("ou_s", i%4), text)); err != nil || status != 200 {
					t.Errorf("event %d: %d %v", i, status, err)
				}
			}()
		}
		wg.Wait()
		notes := func(detail string) int {
			var k int
			if err := db.Get(context.Background(), &k, `SELECT COUNT(*) FROM audit_log WHERE entity = 'note' AND detail = ?`, detail); err != nil {
				t.Fatal(err)
			}
			return k
		}
		for i := range n {
			id := fmt.Sprint("om_burst", i)
			switch i % 5 {
			case 0, 4:
				if got := h.replies(id); len(got) != 1 || got[0] != "已记录" || notes(fmt.Sprint("第", i, "条")) != 1 {
					t.Errorf("event %d: replies %q, notes %d; want one 已记录 and one note", i, got, notes(fmt.Sprint("第", i, "条")))
				}
			case 1:
				if got := h.replies(id); len(got) != 1 || !strings.Contains(got[0], "参数不对") {
					t.Errorf("failing event %d: replies %q", i, got)
				}
			case 2:
				if got := h.replies(id); len(got) != 1 || !strings.Contains(got[0], "系统出了点问题") {
					t.Errorf("panicking event %d: replies %q", i, got)
				}
			}
		}
		// The failing handler writes a note before its error: none may survive.
		if k := notes(""); k != 0 {
			t.Errorf("%d notes of failing handlers survived", k)
		}
		txs, calls := db.BatchStats()
		t.Logf("%d handler transactions in %d shared ones", calls, txs)
		if got := h.replies("om_burst_dup"); len(got) != 1 || notes("重复") != 1 {
			t.Errorf("redelivered message: replies %q, notes %d; want one of each", got, notes("重复"))
		}
	})
}
