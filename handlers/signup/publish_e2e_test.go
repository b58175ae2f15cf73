package signup

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/bot/outbox"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestPublishAndPatchThroughTheOutbox publishes an activity and delivers it with the real
// outbox worker and SDK to the fake Open Platform: the cards reach the chats, the batch reaches
// the members, and later edits patch the very messages posted in the chats (coalesced, within
// the platform's per-message limit).
func TestPublishAndPatchThroughTheOutbox(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 3, 30, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		fake := feishutest.NewT(t, feishutest.WithLimits(50, 5))
		client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()), lark.WithLogLevel(larkcore.LogLevelError))
		w := outbox.New(db, client, outbox.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		drain := func() {
			t.Helper()
			h.setNow(time.Now()) // the worker delivers what is due by the store's clock
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := w.Drain(dctx); err != nil {
				t.Fatal(err)
			}
		}

		off := h.member(officer, "赵干事", "9001", "机关分工会", "F", store.RoleOfficer)
		h.member("ou_sa_a", "甲", "101", "机关分工会", "M", "")
		h.member("ou_sa_b", "乙", "102", "机关分工会", "F", "")
		h.click(off.OpenID, map[string]any{"action": actCreate}, form(map[string]any{fOpens: "2020-01-01 09:00 +0800"}))
		acts, _ := db.Activities(ctx)
		a, _ := db.Activity(ctx, acts[0].ID)
		if toast, _ := h.click(off.OpenID, map[string]any{"action": actPublish, "a": a.ID, "v": a.Version}, nil); !strings.Contains(toast, "已发布") {
			t.Fatalf("publish: %q", toast)
		}
		drain()
		sent := map[string]string{} // chat → message id
		batch := 0
		for _, m := range fake.Messages() {
			switch m.Kind {
			case feishutest.KindSend:
				sent[m.ReceiveID] = m.MessageID
				if !strings.Contains(m.Content, "signup.join") {
					t.Errorf("chat card without sign-up buttons: %.200s", m.Content)
				}
			case feishutest.KindBatch:
				batch++
			}
		}
		if len(sent) != 2 || sent["oc_group1"] == "" || sent["oc_default"] == "" || batch != 3 {
			t.Fatalf("delivered: chats %v, batch messages %d (want 2 chats, 3 members)", sent, batch)
		}

		// Three quick edits: each group message gets one patch, with the newest content.
		for _, capacity := range []string{"12", "13", "14"} {
			cur, _ := db.Activity(ctx, a.ID)
			if toast, _ := h.click(off.OpenID, map[string]any{"action": actUpdate, "a": cur.ID, "v": cur.Version}, form(map[string]any{fCapacity: capacity, fOpens: "2020-01-01 09:00 +0800"})); toast != "已保存修改。" {
				t.Fatalf("update: %q", toast)
			}
		}
		drain()
		patched := map[string][]string{}
		for _, m := range fake.Messages() {
			if m.Kind == feishutest.KindPatch {
				patched[m.ReceiveID] = append(patched[m.ReceiveID], m.Content)
			}
		}
		for chat, id := range sent {
			p := patched[id]
			if len(p) != 1 || !strings.Contains(p[0], "剩余 14 / 14") {
				t.Errorf("%s (%s): %d patches, want one with the newest seats", chat, id, len(p))
			}
		}
		if n := fake.Throttled(); n != 0 {
			t.Errorf("%d requests over the platform's limits", n)
		}
		if pubs := publications(t, db, a.ID); len(pubs) != 2 || pubs[0].MessageID == "" {
			t.Errorf("publications = %+v", pubs)
		}
	})
}

func publications(t *testing.T, db *store.DB, id int64) (out []store.Publication) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.Publications(context.Background(), id)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
