package app

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestChatMembershipEvents: over both transports, the bot added to a group greets it once
// (a redelivery does nothing) and remembers the chat; removed, it forgets it; event types it
// has no use for (a reaction, a read receipt, a member joining) are acked with 200, quietly
// (no ERROR in the log), with no effect.
func TestChatMembershipEvents(t *testing.T) {
	for _, mode := range []string{config.ModeWebSocket, config.ModeWebhook} {
		for _, dialect := range storetest.Dialects() {
			if mode == config.ModeWebSocket && dialect == store.MySQL {
				continue // the transport is the point here; the store's SQL runs on MySQL below
			}
			t.Run(mode+"/"+dialect, func(t *testing.T) {
				fake := feishutest.NewT(t)
				cfg := e2eConfig(t, fake, mode, dialect)
				logs := &lockedBuffer{}
				in := startLogged(t, fake, cfg, logs)
				tok := ""
				if mode == config.ModeWebhook {
					tok = e2eToken
				}
				added := feishutest.BotAddedEvent("oc_union", "工会活动群", "ou_officer", tok)
				in.deliver(added)
				in.deliver(added) // redelivered: no second greeting
				greeting := waitFor(t, fake, "the greeting", func(m feishutest.Message) bool {
					return m.Kind == feishutest.KindSend && m.ReceiveID == "oc_union"
				})
				if !strings.Contains(greeting.Content, "工会助手") || greeting.ReceiveIDType != "chat_id" {
					t.Errorf("greeting %+v", greeting)
				}
				chats, err := in.m.DB.BotChats(t.Context())
				if err != nil || len(chats) != 1 || chats[0].ChatID != "oc_union" || chats[0].Name != "工会活动群" || chats[0].AddedBy != "ou_officer" {
					t.Fatalf("chats after the bot was added: %+v, %v", chats, err)
				}
				for _, typ := range []string{"im.message.reaction.created_v1", "im.message.message_read_v1",
					"im.chat.member.user.added_v1", "im.message.recalled_v1", "application.bot.menu_v6"} {
					in.deliver(feishutest.Event(typ, tok, map[string]any{"chat_id": "oc_union"}))
				}
				in.deliver(feishutest.BotDeletedEvent("oc_union", "ou_officer", tok))
				if chats, err := in.m.DB.BotChats(t.Context()); err != nil || len(chats) != 0 {
					t.Errorf("chats after the bot was removed: %+v, %v", chats, err)
				}
				time.Sleep(300 * time.Millisecond)
				n := 0
				for _, m := range fake.Messages() {
					if m.ReceiveID == "oc_union" {
						n++
					}
				}
				if n != 1 {
					t.Errorf("%d messages to the group, want the one greeting", n)
				}
				if s := logs.String(); strings.Contains(s, "not found handler") || strings.Contains(s, "level=ERROR") {
					t.Errorf("errors logged:\n%s", grep(s, "ERROR"))
				}
			})
		}
	}
}
