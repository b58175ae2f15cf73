package feishutest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/core/httpserverext"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/bot/feishutest"
)

func TestWebhookAcceptedBySDK(t *testing.T) {
	const token, key = "vtoken", "encrypt-key-123"
	ctx := ctxT(t)

	var mu sync.Mutex
	var seen []string
	d := dispatcher.NewEventDispatcher(token, key).
		OnP2MessageReceiveV1(func(_ context.Context, e *larkim.P2MessageReceiveV1) error {
			mu.Lock()
			seen = append(seen, *e.Event.Message.Content)
			mu.Unlock()
			return nil
		}).
		OnP2CardActionTrigger(func(_ context.Context, e *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
			return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: "info", Content: e.Event.Token}}, nil
		})
	srv := httptest.NewServer(http.HandlerFunc(httpserverext.NewEventHandlerFunc(d, larkevent.WithLogLevel(larkcore.LogLevelError))))
	t.Cleanup(srv.Close)
	wh := &feishutest.Webhook{URL: srv.URL, EncryptKey: key, VerificationToken: token}

	msg := feishutest.MessageEvent(feishutest.MessageOpts{Text: "via webhook", Token: token, ChatType: "group"})
	status, body, err := wh.Send(ctx, msg)
	if err != nil || status != 200 {
		t.Fatalf("send: %v %d %s", err, status, body)
	}
	mu.Lock()
	if len(seen) != 1 || seen[0] != `{"text":"via webhook"}` {
		t.Fatalf("handler saw %v", seen)
	}
	mu.Unlock()

	status, body, err = wh.Send(ctx, feishutest.CardActionEvent(feishutest.CardOpts{Token: token, CallbackToken: "c-xyz", Value: map[string]any{"k": "v"}}))
	var resp callback.CardActionTriggerResponse
	if err != nil || status != 200 || json.Unmarshal(body, &resp) != nil || resp.Toast.Content != "c-xyz" {
		t.Fatalf("card: %v %d %s", err, status, body)
	}

	status, body, err = wh.Verify(ctx, "challenge-1")
	if err != nil || status != 200 || !strings.Contains(string(body), `"challenge-1"`) {
		t.Fatalf("verify: %v %d %s", err, status, body)
	}

	// Forged deliveries are rejected.
	for name, opts := range map[string][]feishutest.SendOption{
		"bad signature": {feishutest.WithBadSignature()},
		"no signature":  {feishutest.WithoutSignature()},
		"plain":         {feishutest.Plain()},
		"bad json":      {feishutest.WithRawBody([]byte(`{"encrypt":`))},
	} {
		status, body, err = wh.Send(ctx, msg, opts...)
		if err != nil || status != 500 {
			t.Errorf("%s: want 500, got %v %d %s", name, err, status, body)
		}
	}
	// A stale timestamp is NOT rejected by the SDK: the bot must check it.
	if status, _, _ = wh.Send(ctx, msg, feishutest.WithTimestamp(time.Now().Add(-time.Hour))); status != 200 {
		t.Errorf("stale timestamp: %d", status)
	}
	// Wrong verification token in an event is NOT rejected by the SDK either.
	wrongToken := feishutest.MessageEvent(feishutest.MessageOpts{Text: "x", Token: "not-the-token"})
	if status, _, _ = wh.Send(ctx, wrongToken); status != 200 {
		t.Errorf("wrong event token: %d", status)
	}
	// An event type without a handler is answered 200 in webhook mode (the
	// long connection answers 500 for the same event).
	noHandler := strings.Replace(string(msg), "im.message.receive_v1", "im.message.read_v1", 1)
	if status, body, _ = wh.Send(ctx, []byte(noHandler)); status != 200 || !strings.Contains(string(body), "not found handler") {
		t.Errorf("no handler: %d %s", status, body)
	}
	// A url_verification with the wrong token is rejected.
	bad := &feishutest.Webhook{URL: srv.URL, EncryptKey: key, VerificationToken: "nope"}
	if status, _, _ = bad.Verify(ctx, "c"); status != 500 {
		t.Errorf("verify with wrong token: %d", status)
	}
}

func TestWebhookSignatureFormat(t *testing.T) {
	wh := &feishutest.Webhook{EncryptKey: "k"}
	body, err := wh.Body([]byte(`{"a":1}`))
	if err != nil {
		t.Fatal(err)
	}
	var env struct {
		Encrypt string `json:"encrypt"`
	}
	if err := json.Unmarshal(body, &env); err != nil || env.Encrypt == "" {
		t.Fatalf("envelope %s", body)
	}
	plain, err := larkevent.EventDecrypt(env.Encrypt, "k")
	if err != nil || string(plain) != `{"a":1}` {
		t.Fatalf("decrypt: %v %q", err, plain)
	}
	if got, want := feishutest.Sign("1", "n", "k", []byte("b")), larkevent.Signature("1", "n", "k", "b"); got != want {
		t.Fatalf("signature %s != sdk %s", got, want)
	}
}
