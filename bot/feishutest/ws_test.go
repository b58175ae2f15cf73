package feishutest_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// startWS starts a larkws client against s and returns a channel with
// Start's result; the client stops when the test ends.
func startWS(t *testing.T, s *feishutest.Server, secret string, d *dispatcher.EventDispatcher) <-chan error {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cli := larkws.NewClient(s.AppID(), secret,
		larkws.WithDomain(s.URL()),
		larkws.WithEventHandler(d),
		larkws.WithLogLevel(larkcore.LogLevelError),
	)
	done := make(chan error, 1)
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		done <- cli.Start(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-stopped:
		case <-time.After(10 * time.Second):
			t.Error("larkws client did not stop")
		}
	})
	return done
}

func TestWSEventsAndCallbacks(t *testing.T) {
	s := feishutest.NewT(t)
	ctx := ctxT(t)

	texts := make(chan string, 4)
	d := dispatcher.NewEventDispatcher("", "").
		OnP2MessageReceiveV1(func(_ context.Context, e *larkim.P2MessageReceiveV1) error {
			texts <- *e.Event.Message.Content + " from " + *e.Event.Sender.SenderId.OpenId
			return nil
		}).
		OnP2CardActionTrigger(func(_ context.Context, e *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
			return &callback.CardActionTriggerResponse{Toast: &callback.Toast{
				Type:    "success",
				Content: "ok " + e.Event.Action.Value["action"].(string) + " by " + e.Event.Operator.OpenID + " " + e.Event.Action.FormValue["reason"].(string),
			}}, nil
		})
	startWS(t, s, s.AppSecret(), d)
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}

	ack, err := s.PushEvent(ctx, feishutest.MessageEvent(feishutest.MessageOpts{Text: "hi bot", SenderOpenID: "ou_ann"}))
	if err != nil {
		t.Fatal(err)
	}
	if ack.Code != 200 || ack.Data != nil || ack.BizRT == "" {
		t.Fatalf("ack %+v", ack)
	}
	if got := <-texts; got != `{"text":"hi bot"} from ou_ann` {
		t.Fatalf("handler saw %q", got)
	}

	ack, err = s.PushEvent(ctx, feishutest.CardActionEvent(feishutest.CardOpts{
		OperatorOpenID: "ou_ann",
		Value:          map[string]any{"action": "approve"},
		FormValue:      map[string]any{"reason": "sick"},
	}))
	if err != nil {
		t.Fatal(err)
	}
	var resp callback.CardActionTriggerResponse
	if ack.Code != 200 || json.Unmarshal(ack.Data, &resp) != nil || resp.Toast == nil ||
		resp.Toast.Content != "ok approve by ou_ann sick" || resp.Toast.Type != "success" {
		t.Fatalf("ack %d %s", ack.Code, ack.Data)
	}

	// A string action.value makes the SDK fail the callback: code 500.
	ack, err = s.PushEvent(ctx, feishutest.CardActionEvent(feishutest.CardOpts{Value: "raw string"}))
	if err != nil || ack.Code != 500 {
		t.Fatalf("bad value: %v %+v", err, ack)
	}

	// An event type without a handler is answered 500 as well.
	payload := strings.Replace(string(feishutest.MessageEvent(feishutest.MessageOpts{Text: "x"})),
		"im.message.receive_v1", "im.message.read_v1", 1)
	if ack, err = s.PushEvent(ctx, []byte(payload)); err != nil || ack.Code != 500 {
		t.Fatalf("no handler: %v %+v", err, ack)
	}

	// A payload split over several frames is reassembled by the SDK.
	big := feishutest.MessageEvent(feishutest.MessageOpts{Text: strings.Repeat("long ", 200), SenderOpenID: "ou_bob"})
	if ack, err = s.PushEventSplit(ctx, big, 3); err != nil || ack.Code != 200 {
		t.Fatalf("split: %v %+v", err, ack)
	}
	if got := <-texts; !strings.HasSuffix(got, "long \"} from ou_bob") {
		t.Fatalf("split handler saw %q", got)
	}
	if s.Pings() < 1 {
		t.Fatal("no ping received")
	}
}

func TestWSReconnect(t *testing.T) {
	s := feishutest.NewT(t)
	ctx := ctxT(t)
	got := make(chan string, 4)
	d := dispatcher.NewEventDispatcher("", "").OnP2MessageReceiveV1(func(_ context.Context, e *larkim.P2MessageReceiveV1) error {
		got <- *e.Event.Message.MessageId
		return nil
	})
	startWS(t, s, s.AppSecret(), d)
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	s.DropConnections()
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := s.ConnectCount(); n != 2 {
		t.Fatalf("ConnectCount = %d, want 2", n)
	}
	if n := len(s.RequestsFor(feishutest.OpWSEndpoint)); n != 2 {
		t.Fatalf("endpoint calls = %d, want 2", n)
	}
	ack, err := s.PushEvent(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_after", Text: "x"}))
	if err != nil || ack.Code != 200 || <-got != "om_after" {
		t.Fatal(err, ack)
	}

	// With the endpoint refusing, the client keeps retrying (every
	// ReconnectInterval = 1 s) and connects once it is accepted again.
	s.RefuseBootstrap(true)
	s.DropConnections()
	deadline := time.Now().Add(5 * time.Second)
	for len(s.RequestsFor(feishutest.OpWSEndpoint)) < 4 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.Connections() != 0 {
		t.Fatal("connected while refused")
	}
	s.RefuseBootstrap(false)
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	if n := s.ConnectCount(); n != 3 {
		t.Fatalf("ConnectCount = %d, want 3", n)
	}
}

func TestWSBadCredentialsStopsClient(t *testing.T) {
	s := feishutest.NewT(t)
	d := dispatcher.NewEventDispatcher("", "")
	done := startWS(t, s, "wrong-secret", d)
	select {
	case err := <-done:
		var ce *larkws.ClientError
		if !errors.As(err, &ce) || ce.Code != feishutest.CodeAppSecretInvalid {
			t.Fatalf("Start returned %T %v", err, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Start did not return on bad credentials")
	}
	if s.ConnectCount() != 0 {
		t.Fatal("connected with bad credentials")
	}
}

func TestPushEventWaitsForConnectionAndReportsLoss(t *testing.T) {
	s := feishutest.NewT(t)
	ctx := ctxT(t)

	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := s.PushEvent(short, feishutest.MessageEvent(feishutest.MessageOpts{})); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("no connection: %v", err)
	}

	release := make(chan struct{})
	d := dispatcher.NewEventDispatcher("", "").OnP2MessageReceiveV1(func(ctx context.Context, _ *larkim.P2MessageReceiveV1) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	startWS(t, s, s.AppSecret(), d)
	defer close(release)
	errc := make(chan error, 1)
	go func() {
		_, err := s.PushEvent(ctx, feishutest.MessageEvent(feishutest.MessageOpts{}))
		errc <- err
	}()
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond) // let the frame reach the blocked handler
	s.DropConnections()
	if err := <-errc; !errors.Is(err, feishutest.ErrConnectionLost) {
		t.Fatalf("want ErrConnectionLost, got %v", err)
	}
}

func TestWSConnectionLimit(t *testing.T) {
	s := feishutest.NewT(t, feishutest.WithMaxWSConnections(1))
	ctx := ctxT(t)
	startWS(t, s, s.AppSecret(), dispatcher.NewEventDispatcher("", ""))
	if err := s.WaitConnected(ctx, 1); err != nil {
		t.Fatal(err)
	}
	// A second instance is refused at the handshake; the SDK treats the
	// limit as a client error and Start returns.
	done := startWS(t, s, s.AppSecret(), dispatcher.NewEventDispatcher("", ""))
	select {
	case err := <-done:
		var ce *larkws.ClientError
		if !errors.As(err, &ce) || ce.Code != larkws.AuthFailed {
			t.Fatalf("Start returned %T %v", err, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second client was not refused")
	}
	if s.Connections() != 1 || s.ConnectCount() != 1 {
		t.Fatalf("connections=%d count=%d", s.Connections(), s.ConnectCount())
	}
}
