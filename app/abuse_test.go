package app_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// abuseRig is the app's routes with serve's default rate limit.
func abuseRig(t *testing.T, db *store.DB) (*handlertest.Chat, *world) {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 10, 10, 0, 0, 0, loc)
	def := config.Default()
	chat := handlertest.New(t, db, handlertest.Options{Loc: loc, Now: now, Deadline: 10 * time.Second, Config: &config.Config{},
		IDPrefix: "om_abuse_", Routes: app.RegisterRoutes,
		RateLimit: bot.RateLimit{PerSecond: def.Bot.RatePerSecond, Burst: def.Bot.RateBurst}})
	w := &world{t: t, chat: chat, ctx: context.Background(), loc: loc, now: now}
	w.activity = w.newActivity(nil)
	return chat, w
}

// count is a table's rows.
func count(t *testing.T, db *store.DB, q string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Get(context.Background(), &n, q, args...); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFloodIsRateLimited: a member sending 100 messages and 100 card clicks within a second
// gets the first burst handled and is then told 操作太频繁，请稍后再试: once for the messages (one
// reply, not a hundred), in the toast of every click; nothing is written for the refused
// events; another member sending meanwhile is not slowed.
func TestFloodIsRateLimited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		chat, w := abuseRig(t, db)
		flooder, other := w.member(""), w.member("")
		ctx := context.Background()
		burst := config.Default().Bot.RateBurst

		var wg sync.WaitGroup
		statuses := make(chan int, 200)
		start := time.Now()
		for i := 0; i < 100; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				status, _, err := chat.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{
					MessageID: fmt.Sprintf("om_flood_%d", i), SenderOpenID: flooder.OpenID, Text: "活动", Token: handlertest.Token}))
				if err != nil {
					t.Error(err)
				}
				statuses <- status
			}()
		}
		wg.Wait()
		if d := time.Since(start); d > 5*time.Second {
			t.Logf("the flood took %v (a loaded machine refills more tokens meanwhile)", d)
		}
		close(statuses)
		for s := range statuses {
			if s != http.StatusOK {
				t.Errorf("a flooded message was answered %d, want 200 (Feishu must not redeliver it)", s)
			}
		}
		replies := count(t, db, `SELECT COUNT(*) FROM outbox WHERE kind = 'reply' AND target_message_id LIKE 'om_flood_%'`)
		told := count(t, db, `SELECT COUNT(*) FROM outbox WHERE kind = 'reply' AND target_message_id LIKE 'om_flood_%' AND content LIKE ?`, "%操作太频繁%")
		recorded := count(t, db, `SELECT COUNT(*) FROM processed_events WHERE event_key LIKE 'om_flood_%'`)
		if told != 1 {
			t.Errorf("the flooder was told %d times, want once", told)
		}
		// The burst, plus what the bucket refilled while the flood lasted, plus the one answer.
		if replies < burst+1 || replies > burst+1+int(2*time.Since(start).Seconds())+2 || recorded != replies {
			t.Errorf("%d replies and %d events recorded for 100 messages; want the burst of %d and one answer", replies, recorded, burst)
		}

		// Clicks: the bucket is empty now; each click is told in its toast, and nothing is written.
		before := count(t, db, `SELECT COUNT(*) FROM processed_events`)
		limited := 0
		for i := 0; i < 100; i++ {
			toast, _ := chat.Click(flooder.OpenID, map[string]any{"action": "signup.join", "activity_id": w.activity.ID, "version": w.activity.Version}, nil)
			if toast == "操作太频繁，请稍后再试。" {
				limited++
			}
		}
		after := count(t, db, `SELECT COUNT(*) FROM processed_events`)
		if limited < 90 || after-before != 100-limited {
			t.Errorf("%d of 100 clicks limited, %d events recorded", limited, after-before)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM signup_entries WHERE member_id = ?`, flooder.ID); n > 1 {
			t.Errorf("the flooder holds %d entries", n)
		}
		if got := chat.Say(other.OpenID, "我的信息"); strings.Contains(got, "操作太频繁") {
			t.Errorf("another member was limited: %s", got)
		}
	})
}

// TestHostileMessages: a 1 MiB message is refused by the webhook (413) before anything reads
// it; a long one (100 KB) is answered 消息太长 without being echoed; control characters and
// direction overrides never come back in a reply.
func TestHostileMessages(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	chat, w := abuseRig(t, db)
	m := w.member("")
	ctx := context.Background()
	events := count(t, db, `SELECT COUNT(*) FROM processed_events`)
	status, _, err := chat.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_huge", SenderOpenID: m.OpenID,
		Text: "名单 " + strings.Repeat("x", 1<<20), Token: handlertest.Token}))
	if err != nil || status != http.StatusRequestEntityTooLarge {
		t.Errorf("1 MiB message: %d %v, want 413", status, err)
	}
	if n := count(t, db, `SELECT COUNT(*) FROM processed_events`); n != events {
		t.Errorf("the refused message wrote %d events", n-events)
	}
	if got := chat.Say(m.OpenID, "名单 "+strings.Repeat("长", 100<<10/3)); !strings.Contains(got, "消息太长") || len(got) > 200 {
		t.Errorf("100 KB message answered with %d bytes: %.80s", len(got), got)
	}
	got := chat.Say(m.OpenID, "名单 \x00\x07\x1b[2J\u202e\u200f活动\u0085x")
	for _, r := range got {
		if r == '\n' {
			continue
		}
		if unicode.IsControl(r) || r == '\u202e' || r == '\u200f' {
			t.Errorf("the reply carries %U: %q", r, got)
		}
	}
}

// TestReplayedAndForgedCallbacks: a card's button replayed by another member acts as that
// member, never as the card's owner (the operator of the callback is the one acting: handlers
// read identity from nothing else), so another's 取消报名 is refused and the entry stays; a
// value claiming another operator changes nothing; an unsigned or wrongly signed callback
// naming an admin as operator is refused (401) and reaches no handler.
func TestReplayedAndForgedCallbacks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		chat, w := abuseRig(t, db)
		owner, other := w.member(""), w.member("")
		admin := w.member(store.RoleAdmin)
		e := w.signUp(w.activity, owner)
		cancel := map[string]any{"action": "signup.cancel", "entry_id": e.ID, "activity_id": w.activity.ID,
			"open_id": other.OpenID, "operator": other.OpenID, "member_id": other.ID}
		if toast, _ := chat.Click(other.OpenID, cancel, nil); !strings.Contains(toast, "只能取消自己的报名") {
			t.Errorf("another's cancel button: %q", toast)
		}
		status := func() string {
			var s string
			if err := db.Get(context.Background(), &s, `SELECT status FROM signup_entries WHERE id = ?`, e.ID); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if s := status(); s != store.EntryConfirmed {
			t.Fatalf("the entry after another's click: %s", s)
		}
		// The same callback (its event id) replayed with another operator: a duplicate, ignored.
		id := "ev_replayed"
		payload := func(op string) []byte {
			return feishutest.CardActionEvent(feishutest.CardOpts{EventID: id, OperatorOpenID: op, Token: handlertest.Token, Value: cancel})
		}
		if st, _, err := chat.WH.Send(context.Background(), payload(owner.OpenID)); err != nil || st != 200 {
			t.Fatalf("the owner's click: %d %v", st, err)
		}
		if s := status(); s != store.EntryCancelled {
			t.Fatalf("the owner's own cancel: %s", s)
		}
		before := count(t, db, `SELECT COUNT(*) FROM audit_log`)
		if st, body, err := chat.WH.Send(context.Background(), payload(other.OpenID)); err != nil || st != 200 || strings.Contains(string(body), "已取消") {
			t.Errorf("the replay: %d %s %v", st, body, err)
		}
		// Forged: an admin named as operator, without Feishu's signature, or with a wrong one.
		grant := map[string]any{"action": "roles.list"}
		for name, opt := range map[string]feishutest.SendOption{"unsigned": feishutest.WithoutSignature(), "bad signature": feishutest.WithBadSignature()} {
			st, body, err := chat.WH.Send(context.Background(), feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: admin.OpenID,
				Token: handlertest.Token, Value: grant}), opt)
			if err != nil || st != http.StatusUnauthorized {
				t.Errorf("%s: %d %s %v, want 401", name, st, body, err)
			}
		}
		// A callback with the wrong verification token, correctly signed (another app's).
		st, _, err := chat.WH.Send(context.Background(), feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: admin.OpenID,
			Token: "vt_someone_else", Value: grant}))
		if err != nil || st != http.StatusUnauthorized {
			t.Errorf("wrong token: %d %v, want 401", st, err)
		}
		if n := count(t, db, `SELECT COUNT(*) FROM audit_log`); n != before {
			t.Errorf("the replay and the forgeries wrote %d audit rows", n-before)
		}
	})
}

// TestWebhookKeepsFailuresRetryable: the guard answers itself only the events the SDK cannot
// decode; a well-formed event that fails (here the database is gone) is still answered 500,
// so that Feishu delivers it again.
func TestWebhookKeepsFailuresRetryable(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	chat, w := abuseRig(t, db)
	m := w.member("")
	db.Close()
	status, _, err := chat.WH.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_db_gone",
		SenderOpenID: m.OpenID, Text: "菜单", Token: handlertest.Token}))
	if err != nil || status != http.StatusInternalServerError {
		t.Errorf("a message while the database is gone: %d %v, want 500", status, err)
	}
}
