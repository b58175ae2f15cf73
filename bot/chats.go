package bot

import (
	"context"
	"encoding/json"

	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/store"
)

// groupGreeting is what the bot says once when it is added to a group chat.
const groupGreeting = "大家好，我是工会助手。在群里 @我 并发送「菜单」可以查看能用的功能；活动报名、通知等会发在这里。"

// QuietEventTypes are the event types a union bot may be sent (subscribed in the console, or
// pushed to every bot) that need no effect: they are acknowledged at once and counted, so that
// Feishu does not push them again and the SDK does not log "not found handler" at ERROR.
var QuietEventTypes = []string{
	"im.message.message_read_v1",
	"im.message.recalled_v1",
	"im.message.reaction.created_v1",
	"im.message.reaction.deleted_v1",
	"im.chat.updated_v1",
	"im.chat.member.user.added_v1",
	"im.chat.member.user.deleted_v1",
	"im.chat.member.user.withdrawn_v1",
	"im.chat.access_event.bot_p2p_chat_entered_v1",
	"application.bot.menu_v6",
	"contact.user.created_v3",
	"contact.user.updated_v3",
	"contact.user.deleted_v3",
	"p2p_chat_create", // schema 1.0 events some tenants still send
	"add_bot",
	"remove_bot",
}

// eventKey is the deduplication key of an event without a message id.
func eventKey(h *larkevent.EventHeader) string {
	if h == nil {
		return ""
	}
	return h.EventID
}

// OnBotAdded handles im.chat.member.bot.added_v1: the bot was added to a group. The chat is
// remembered and greeted once (a redelivered event does nothing).
func (r *Router) OnBotAdded(ctx context.Context, ev *larkim.P2ChatMemberBotAddedV1) error {
	const typ = "bot_added"
	r.o.Metrics.Received.WithLabelValues(typ).Inc()
	if ev == nil || ev.Event == nil || ev.Event.ChatId == nil || *ev.Event.ChatId == "" || ev.EventV2Base == nil {
		r.o.Log.Warn("malformed bot-added event")
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
	chatID := *ev.Event.ChatId
	var by string
	if ev.Event.OperatorId != nil {
		by = deref(ev.Event.OperatorId.OpenId)
	}
	greeted := false
	dup, err := r.o.DB.HandleEvent(ctx, eventKey(ev.EventV2Base.Header), typ, store.Policy{Solo: true}, func(tx *store.Tx) error {
		greeted = false
		added, err := tx.AddBotChat(ctx, chatID, deref(ev.Event.Name), by)
		if err != nil || !added {
			return err
		}
		content, _ := json.Marshal(map[string]string{"text": groupGreeting})
		if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "chat_id", ReceiveID: chatID,
			MsgType: "text", Content: string(content)}); err != nil {
			return err
		}
		if r.o.Notify != nil {
			tx.AfterCommit(r.o.Notify)
		}
		greeted = true
		return nil
	})
	if err != nil {
		r.o.Log.Error("bot added to a chat: not recorded; Feishu will retry", "err", err)
		r.o.Metrics.Handled.WithLabelValues(typ, "error").Inc()
		return err
	}
	outcome := "ok"
	if dup {
		outcome = "duplicate"
	}
	r.o.Metrics.Handled.WithLabelValues(typ, outcome).Inc()
	r.o.Log.Info("bot added to a group chat", "chat_id", chatID, "greeted", greeted && !dup, "outcome", outcome)
	return nil
}

// OnBotDeleted handles im.chat.member.bot.deleted_v1 (the bot was removed from a group) and
// im.chat.disbanded_v1: the chat is forgotten.
func (r *Router) OnBotDeleted(ctx context.Context, typ, key, chatID string) error {
	r.o.Metrics.Received.WithLabelValues(typ).Inc()
	if chatID == "" {
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
	dup, err := r.o.DB.HandleEvent(ctx, key, typ, store.Policy{Solo: true}, func(tx *store.Tx) error {
		_, err := tx.RemoveBotChat(ctx, chatID)
		return err
	})
	if err != nil {
		r.o.Log.Error("bot removed from a chat: not recorded; Feishu will retry", "err", err)
		r.o.Metrics.Handled.WithLabelValues(typ, "error").Inc()
		return err
	}
	outcome := "ok"
	if dup {
		outcome = "duplicate"
	}
	r.o.Metrics.Handled.WithLabelValues(typ, outcome).Inc()
	r.o.Log.Info("bot left a group chat", "chat_id", chatID, "event", typ, "outcome", outcome)
	return nil
}

// onQuiet acknowledges an event type that needs no effect.
func (r *Router) onQuiet(typ string) func(context.Context, *larkevent.EventReq) error {
	return func(context.Context, *larkevent.EventReq) error {
		r.o.Metrics.Received.WithLabelValues(typ).Inc()
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
}
