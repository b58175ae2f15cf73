package app

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// TestAdminsToldOfFailedMessages: a reply Feishu refuses for good is marked failed at once,
// and the admins are told 1:1, once an hour however many fail.
func TestAdminsToldOfFailedMessages(t *testing.T) {
	fake := feishutest.NewT(t)
	fake.AddUser(feishutest.User{OpenID: "ou_wang", Name: "王五"})
	fake.AddUser(feishutest.User{OpenID: admin, Name: "管理员"})
	cfg := e2eConfig(t, fake, config.ModeWebhook, store.SQLite)
	in := start(t, fake, cfg)
	for _, id := range []string{"om_refused1", "om_refused2"} {
		fake.FailReceiver(id, -1, feishutest.Permanent(feishutest.CodeBotNotInChat))
		in.message(id, "ou_wang", "菜单")
	}
	notice := waitFor(t, fake, "the admins' notice", func(m feishutest.Message) bool {
		return m.Kind == feishutest.KindSend && m.ReceiveID == admin
	})
	if !strings.Contains(notice.Content, "230002") || !strings.Contains(notice.Content, "发送失败") {
		t.Errorf("notice %s: want the code and the command that lists failed messages", notice.Content)
	}
	time.Sleep(500 * time.Millisecond)
	n := 0
	for _, m := range fake.Messages() {
		if m.ReceiveID == admin {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d notices to the admin for two failed replies within the hour, want 1", n)
	}
	rows, err := in.m.DB.FailedOutbox(t.Context(), 10)
	if err != nil || len(rows) != 2 || rows[0].Attempts != 1 {
		t.Errorf("failed messages: %d (%v), want the 2 replies, failed at the first attempt", len(rows), err)
	}
}
