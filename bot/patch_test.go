package bot_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestPatchCoalesces: Context.Patch keeps one waiting patch per message, with the newest card.
func TestPatchCoalesces(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		r := bot.NewRouter(bot.Options{DB: db, Log: log, Metrics: bot.NewMetrics(prometheus.NewRegistry()), Deadline: 2 * time.Second,
			Resolver: &handlers.Resolver{DB: db, Log: log}})
		r.Action(bot.Action{Name: "card.patch", Handler: func(c *bot.Context) (*bot.Response, error) {
			for _, v := range []string{"v1", "v2"} {
				if err := c.Patch("om_shared", card.New(v)); err != nil {
					return nil, err
				}
			}
			return &bot.Response{}, nil
		}})
		srv := httptest.NewServer(bot.Webhook(r, bot.WebhookOptions{VerificationToken: token, EncryptKey: encryptKey, Log: log}))
		defer srv.Close()
		wh := &feishutest.Webhook{URL: srv.URL, EncryptKey: encryptKey, VerificationToken: token}
		for range 2 {
			payload := feishutest.CardActionEvent(feishutest.CardOpts{Token: token, OperatorOpenID: "ou_p", Value: map[string]any{"action": "card.patch"}})
			if status, body, err := wh.Send(context.Background(), payload); err != nil || status != 200 {
				t.Fatalf("click: %d %s %v", status, body, err)
			}
		}
		var contents []string
		if err := db.Select(context.Background(), &contents, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_shared'`); err != nil {
			t.Fatal(err)
		}
		want, _ := card.New("v2").JSON()
		if len(contents) != 1 || contents[0] != string(want) {
			t.Errorf("waiting patches %q; want one with the newest card", contents)
		}
	})
}
