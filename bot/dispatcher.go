package bot

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// NewDispatcher builds the one SDK event dispatcher both transports feed: message events and
// card callbacks go to the router. In webhook mode the SDK decrypts with encryptKey and checks
// signatures; over the long connection both are empty.
func NewDispatcher(r *Router, verificationToken, encryptKey string, log *slog.Logger) *dispatcher.EventDispatcher {
	d := newEventDispatcher(verificationToken, encryptKey)
	d.InitConfig(larkevent.WithLogger(SDKLogger(log)), larkevent.WithLogLevel(larkcore.LogLevelWarn))
	d.OnP2MessageReceiveV1(r.OnMessage)
	d.OnP2CardActionTrigger(r.OnCardAction)
	// The bot added to or removed from a group chat; the chat disbanded.
	d.OnP2ChatMemberBotAddedV1(r.OnBotAdded)
	d.OnP2ChatMemberBotDeletedV1(func(ctx context.Context, ev *larkim.P2ChatMemberBotDeletedV1) error {
		var key, chat string
		if ev != nil && ev.EventV2Base != nil {
			key = eventKey(ev.EventV2Base.Header)
		}
		if ev != nil && ev.Event != nil {
			chat = deref(ev.Event.ChatId)
		}
		return r.OnBotDeleted(ctx, "bot_deleted", key, chat)
	})
	d.OnP2ChatDisbandedV1(func(ctx context.Context, ev *larkim.P2ChatDisbandedV1) error {
		var key, chat string
		if ev != nil && ev.EventV2Base != nil {
			key = eventKey(ev.EventV2Base.Header)
		}
		if ev != nil && ev.Event != nil {
			chat = deref(ev.Event.ChatId)
		}
		return r.OnBotDeleted(ctx, "chat_disbanded", key, chat)
	})
	// The SDK's dispatcher has no catch-all (v3.12.0): an event type without a handler is
	// logged at ERROR and, over the long connection, acked with code 500, which Feishu counts
	// as a failed delivery and pushes again. Read receipts, reactions and the like are acked
	// at once without effect.
	for _, typ := range QuietEventTypes {
		d.OnCustomizedEvent(typ, r.onQuiet(typ))
	}
	return d
}

// SDKLogger routes the SDK's logs into slog at Warn and above only: at Debug the SDK logs
// whole request bodies and event payloads, which carry personal data.
func SDKLogger(log *slog.Logger) larkcore.Logger { return sdkLogger{log.With("component", "lark-sdk")} }

type sdkLogger struct{ log *slog.Logger }

func (l sdkLogger) Debug(context.Context, ...interface{}) {}
func (l sdkLogger) Info(context.Context, ...interface{})  {}
func (l sdkLogger) Warn(ctx context.Context, args ...interface{}) {
	l.log.WarnContext(ctx, fmt.Sprint(args...))
}
func (l sdkLogger) Error(ctx context.Context, args ...interface{}) {
	l.log.ErrorContext(ctx, fmt.Sprint(args...))
}

// stdoutMu serialises newEventDispatcher's swap of os.Stdout.
var stdoutMu sync.Mutex

// newEventDispatcher is dispatcher.NewEventDispatcher without its one plain line on stdout:
// the SDK (v3.12.0) logs "event-dispatch is ready" through its default logger before
// InitConfig can install ours, and every log line of unionbot is structured on stderr. The
// dispatcher is built once, while the process starts, before anything else writes to stdout.
func newEventDispatcher(verificationToken, encryptKey string) *dispatcher.EventDispatcher {
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return dispatcher.NewEventDispatcher(verificationToken, encryptKey)
	}
	defer null.Close()
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	saved := os.Stdout
	os.Stdout = null
	defer func() { os.Stdout = saved }()
	return dispatcher.NewEventDispatcher(verificationToken, encryptKey)
}
