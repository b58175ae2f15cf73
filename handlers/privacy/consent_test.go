package privacy_test

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var ctx = context.Background()

// A tiny flow that needs the legal consent: 测试援助 asks for it, test.go continues after 同意
// and stores a row of the audit trail (standing for the flow's first write).
func register(r *bot.Router, d handlers.Deps) {
	privacy.Register(r, d)
	cont := card.Action("test.go")
	r.Command(bot.Command{Names: []string{"测试援助"}, Handler: func(c *bot.Context) (*bot.Response, error) {
		if resp, err := privacy.Require(c, d.Config, store.PurposeLegal, cont); resp != nil || err != nil {
			return resp, err
		}
		return bot.Info("继续"), c.Tx.Audit(c.Ctx, c.Sender.OpenID, "test", "1", "stored", "")
	}})
	r.Action(bot.Action{Name: "test.go", Handler: func(c *bot.Context) (*bot.Response, error) {
		if resp, err := privacy.Accept(c, d.Config, store.PurposeLegal); resp != nil || err != nil {
			return resp, err
		}
		return bot.Success("已同意，继续"), c.Tx.Audit(c.Ctx, c.Sender.OpenID, "test", "1", "stored", "")
	}})
	r.Action(bot.Action{Name: "test.send", Handler: func(c *bot.Context) (*bot.Response, error) {
		err := privacy.SendPrivate(c, c.String("to"), card.New("案情").Add(card.Markdown("对方：学校")), "你有一条法律援助消息")
		if errors.Is(err, privacy.ErrNotPrivate) {
			return bot.Warn("refused"), nil
		}
		return bot.Success("sent"), err
	}})
}

func rig(t *testing.T, db *store.DB) *handlertest.Chat {
	cfg := config.Default()
	cfg.Security.DataKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef")) // sensitive cards are sealed in the outbox
	return handlertest.New(t, db, handlertest.Options{Config: cfg, Register: register})
}

func count(t *testing.T, db *store.DB, q string) int {
	t.Helper()
	var n int
	if err := db.Get(ctx, &n, q); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestConsentFlow: without consent the flow answers with the consent card and stores nothing;
// 不同意 stores nothing; a card of an older version is stale (nothing written, the current
// card shown); 同意 records the consent (once) and the flow goes on; afterwards it goes on
// at once.
func TestConsentFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := rig(t, db)
		c.Member(handlertest.Person{OpenID: "ou_m", Name: "王老师"})
		got := c.Say("ou_m", "测试援助")
		for _, want := range []string{"法律援助 · 个人信息处理同意书", "谁能看到", "保存多久", "如何撤回", `"enable_forward":false`, "test.go", `"version":1`} {
			if !strings.Contains(got, want) {
				t.Errorf("consent card lacks %q: %s", want, got)
			}
		}
		stored := `SELECT COUNT(*) FROM audit_log WHERE entity IN ('test', 'consent')`
		if n := count(t, db, stored) + count(t, db, `SELECT COUNT(*) FROM consents`); n != 0 {
			t.Fatalf("stored %d rows before consent", n)
		}
		if toast, _ := c.Click("ou_m", map[string]any{"action": privacy.ActionDecline, "purpose": store.PurposeLegal}, nil); !strings.Contains(toast, "未保存") {
			t.Errorf("decline: %s", toast)
		}
		a := c.Answer("ou_m", map[string]any{"action": "test.go", "purpose": store.PurposeLegal, "version": 0}, nil)
		if !strings.Contains(a.Toast.Content, "同意书已更新") || !strings.Contains(a.Data(), `"version":1`) {
			t.Errorf("stale consent card: %+v %s", a.Toast, a.Data())
		}
		if n := count(t, db, stored) + count(t, db, `SELECT COUNT(*) FROM consents`); n != 0 {
			t.Fatalf("stored %d rows after decline and a stale card", n)
		}
		for i := 0; i < 2; i++ {
			if toast, _ := c.Click("ou_m", map[string]any{"action": "test.go", "purpose": store.PurposeLegal, "version": 1}, nil); toast != "已同意，继续" {
				t.Fatalf("accept: %s", toast)
			}
		}
		if n := count(t, db, `SELECT COUNT(*) FROM consents WHERE purpose = 'legal' AND version = 1 AND withdrawn_at IS NULL`); n != 1 {
			t.Errorf("%d consents recorded, want 1", n)
		}
		if got := c.Say("ou_m", "测试援助"); got != "继续" {
			t.Errorf("after consent: %s", got)
		}
	})
}

// TestConsentInGroup: asked in a group, the consent card goes 1:1 and the group sees a
// neutral line.
func TestConsentInGroup(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := rig(t, db)
		c.Member(handlertest.Person{OpenID: "ou_m", Name: "王老师"})
		id := "om_privacy_group"
		status, _, err := c.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: "ou_m",
			ChatID: "oc_group", ChatType: "group", Text: "@_user_1 测试援助", Token: handlertest.Token,
			Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
		if err != nil || status != 200 {
			t.Fatal(status, err)
		}
		var reply string
		db.Get(ctx, &reply, `SELECT content FROM outbox WHERE target_message_id = ?`, id)
		if !strings.Contains(reply, "请在与我的单聊中继续") || strings.Contains(reply, "法律") {
			t.Errorf("the group sees %s", reply)
		}
		sent := c.Sent("ou_m")
		if len(sent) != 1 || !strings.Contains(sent[0], "个人信息处理同意书") || !strings.Contains(sent[0], `"enable_forward":false`) {
			t.Errorf("1:1: %v", sent)
		}
	})
}

// TestSendPrivate: a sensitive card goes to one person with a neutral summary and no
// forwarding; a chat id is refused and nothing is queued.
func TestSendPrivate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		c := rig(t, db)
		c.Member(handlertest.Person{OpenID: "ou_m", Name: "王老师"})
		if toast, _ := c.Click("ou_m", map[string]any{"action": "test.send", "to": "oc_group"}, nil); toast != "refused" {
			t.Errorf("to a group: %s", toast)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM outbox`); n != 0 {
			t.Errorf("%d messages queued for a group", n)
		}
		if toast, _ := c.Click("ou_m", map[string]any{"action": "test.send", "to": "ou_lawyer"}, nil); toast != "sent" {
			t.Fatalf("1:1: %s", toast)
		}
		sent := c.Sent("ou_lawyer")
		if len(sent) != 1 || !strings.Contains(sent[0], `"summary":{"content":"你有一条法律援助消息"}`) || !strings.Contains(sent[0], `"enable_forward":false`) {
			t.Errorf("sent %v", sent)
		}
	})
}

// TestConsentCards pins the consent cards of every purpose.
func TestConsentCards(t *testing.T) {
	for _, p := range []string{store.PurposeAid, store.PurposeLegal, store.PurposeAidPublicity} {
		tx, ok := privacy.TextOf(config.Default(), p)
		if !ok || tx.Version < 1 || tx.Collected == "" || tx.Who == "" || tx.Kept == "" || tx.Withdraw == "" {
			t.Fatalf("text of %s: %+v", p, tx)
		}
		golden.Card(t, "consent_"+p, privacy.ConsentCard(tx, nil))
	}
	if _, ok := privacy.TextOf(nil, "marketing"); ok {
		t.Error("an unknown purpose has a text")
	}
	cfg := config.Default()
	cfg.Privacy.MaterialsRetentionDays = 180
	tx, _ := privacy.TextOf(cfg, store.PurposeAid)
	if !strings.Contains(tx.Kept, "180 天") || !strings.Contains(tx.Kept, "10 年") {
		t.Errorf("the periods come from the configuration: %s", tx.Kept)
	}
}
