package tasks_test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const (
	token = "vt_t"
	key   = "ek_t"
	admin = "ou_admin"
)

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// clock is a settable clock for db.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // strictly increasing, as the store wants
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// defaultCfg is the default tasks configuration.
func defaultCfg() config.Tasks { return config.Default().Tasks }

type harness struct {
	t     *testing.T
	db    *store.DB
	wh    *feishutest.Webhook
	clock *clock
	n     int
}

// newHarness wires the real router, resolver and handlers behind the signed webhook, with the
// database clock at start (Asia/Shanghai).
func newHarness(t *testing.T, db *store.DB, start time.Time) *harness {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	clk := &clock{t: start}
	db.Now = clk.Now
	r := bot.NewRouter(bot.Options{DB: db, Log: log, Metrics: bot.NewMetrics(prometheus.NewRegistry()), Deadline: 5 * time.Second,
		Resolver: &handlers.Resolver{DB: db, Admins: []string{admin}, Log: log}})
	d := handlers.Deps{DB: db, Admins: []string{admin}, Log: log, Loc: shanghai}
	handlers.Register(r, d)
	tasks.Register(r, d, defaultCfg())
	srv := httptest.NewServer(bot.Webhook(r, bot.WebhookOptions{VerificationToken: token, EncryptKey: key, Log: log}))
	t.Cleanup(srv.Close)
	return &harness{t: t, db: db, wh: &feishutest.Webhook{URL: srv.URL, EncryptKey: key, VerificationToken: token}, clock: clk}
}

// member creates a member with an open_id and a 工号, and grants roles.
func (h *harness) member(openID, name, no string, roles ...string) *store.Member {
	h.t.Helper()
	ctx := context.Background()
	m := &store.Member{OpenID: openID, Name: name, EmployeeNo: no, Active: true}
	err := h.db.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateMember(ctx, m); err != nil {
			return err
		}
		for _, r := range roles {
			if _, err := tx.GrantRole(ctx, m.ID, r, "test"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// say sends a message and returns the text (or card JSON) of the bot's reply.
func (h *harness) say(sender, text string) string {
	h.t.Helper()
	h.n++
	id := fmt.Sprintf("om_t%06d", h.n)
	status, _, err := h.wh.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender, Text: text, Token: token}))
	if err != nil || status != 200 {
		h.t.Fatalf("send: %d %v", status, err)
	}
	var content string
	if err := h.db.Get(context.Background(), &content, `SELECT content FROM outbox WHERE target_message_id = ?`, id); err != nil {
		h.t.Fatalf("no reply to %q: %v", text, err)
	}
	var v struct{ Text string }
	if json.Unmarshal([]byte(content), &v) == nil && v.Text != "" {
		return v.Text
	}
	return content
}

// click sends a card action and returns the toast and the replacement card JSON.
func (h *harness) click(sender string, value, form map[string]any) (toast, card string) {
	h.t.Helper()
	status, body, err := h.wh.Send(context.Background(), feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: sender, Value: value, FormValue: form, Token: token}))
	if err != nil || status != 200 {
		h.t.Fatalf("click: %d %v", status, err)
	}
	var resp struct {
		Toast struct{ Content string }
		Card  struct{ Data json.RawMessage }
	}
	json.Unmarshal(body, &resp)
	return resp.Toast.Content, string(resp.Card.Data)
}

// sent lists the outbox messages to a receiver (1:1 sends), oldest first, as text or card JSON.
func (h *harness) sent(openID string) []string {
	h.t.Helper()
	var rows []string
	if err := h.db.Select(context.Background(), &rows, `SELECT content FROM outbox WHERE kind = 'send' AND receive_id = ? ORDER BY created_at`, openID); err != nil {
		h.t.Fatal(err)
	}
	return rows
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
