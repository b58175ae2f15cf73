package signup

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
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
		h.Click(off.OpenID, map[string]any{"action": actCreate}, form(map[string]any{fOpens: "2020-01-01 09:00 +0800"}))
		acts, _ := db.Activities(ctx)
		a, _ := db.Activity(ctx, acts[0].ID)
		if toast, _ := h.Click(off.OpenID, map[string]any{"action": actPublish, "activity_id": a.ID, "version": a.Version}, nil); !strings.Contains(toast, "已发布") {
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
			if toast, _ := h.Click(off.OpenID, map[string]any{"action": actUpdate, "activity_id": cur.ID, "version": cur.Version}, form(map[string]any{fCapacity: capacity, fOpens: "2020-01-01 09:00 +0800"})); toast != "已保存修改。" {
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

func publications(t *testing.T, db *store.DB, id int64) (out []store.LiveCard) {
	t.Helper()
	err := db.InTx(context.Background(), func(tx *store.Tx) (err error) {
		out, err = tx.LiveCards(context.Background(), cardKind, id, false)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestSignupsRefreshGroupCards: 报名 clicks on a published activity, sequential and then in a
// burst, keep its group cards current through the card refresher: after the burst each chat
// card's last patch shows the final seats, and the burst cost far fewer refreshes than clicks.
func TestSignupsRefreshGroupCards(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 3, 30, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		fake := feishutest.NewT(t)
		client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()), lark.WithLogLevel(larkcore.LogLevelError))
		w := outbox.New(db, client, outbox.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		drain := func() {
			t.Helper()
			h.setNow(time.Now())
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := w.Drain(dctx); err != nil {
				t.Fatal(err)
			}
		}
		off := h.member(officer, "赵干事", "9001", "机关分工会", "F", store.RoleOfficer)
		const burst = 24
		for i := range burst + 1 {
			h.member(fmt.Sprintf("ou_rf_%02d", i), fmt.Sprint("成员", i), fmt.Sprint(500+i), "机关分工会", "F", "")
		}
		h.Click(off.OpenID, map[string]any{"action": actCreate}, form(map[string]any{fOpens: "2020-01-01 09:00 +0800",
			fCloses: "2030-01-01 18:00 +0800", fStart: "2030-02-01 14:00 +0800", fEnd: "2030-02-01 18:00 +0800",
			fCapacity: "40", fQuota: nil, fItems: nil, fOneItem: false}))
		acts, _ := db.Activities(ctx)
		a, _ := db.Activity(ctx, acts[0].ID)
		if toast, _ := h.Click(off.OpenID, map[string]any{"action": actPublish, "activity_id": a.ID, "version": a.Version}, nil); !strings.Contains(toast, "已发布") {
			t.Fatalf("publish: %q", toast)
		}
		drain()
		var chatCard string
		for _, m := range fake.Messages() {
			if m.Kind == feishutest.KindSend && m.ReceiveID == "oc_group1" {
				chatCard = m.MessageID
			}
		}
		if chatCard == "" {
			t.Fatal("the activity card did not reach oc_group1")
		}
		lastPatch := func() (string, int) {
			var last string
			n := 0
			for _, m := range fake.Messages() {
				if m.Kind == feishutest.KindPatch && m.ReceiveID == chatCard {
					last, n = m.Content, n+1
				}
			}
			return last, n
		}

		// untilPatched drains the outbox until the chat card's last patch shows want (the
		// refresh runs in the background after each click).
		untilPatched := func(want string) int {
			t.Helper()
			deadline := time.Now().Add(20 * time.Second)
			for {
				drain()
				p, n := lastPatch()
				if strings.Contains(p, want) {
					return n
				}
				if time.Now().After(deadline) {
					seats := p
					if i := strings.Index(p, "剩余"); i >= 0 {
						seats = p[i:min(len(p), i+20)]
					}
					t.Fatalf("%d patches, the last showing %q; want it to show %s", n, seats, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}

		join := map[string]any{"action": actJoin, "activity_id": a.ID, "version": a.Version, "item_id": 0}
		if toast, _ := h.Click("ou_rf_00", join, nil); !strings.Contains(toast, "报名成功") {
			t.Fatalf("join: %q", toast)
		}
		if n := untilPatched("剩余 39 / 40"); n != 1 {
			t.Errorf("one click: %d patches, want 1", n)
		}

		// A burst: every click answered, and the card ends at the final seats.
		runs0 := h.sig.cards.Runs()
		var wg sync.WaitGroup
		for i := 1; i <= burst; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if toast, _ := h.Click(fmt.Sprintf("ou_rf_%02d", i), join, nil); !strings.Contains(toast, "报名成功") {
					t.Errorf("burst click %d: %q", i, toast)
				}
			}()
		}
		wg.Wait()
		untilPatched(fmt.Sprintf("剩余 %d / 40", 40-1-burst))
		if n := h.sig.cards.Runs() - runs0; n < 1 || n >= burst {
			t.Errorf("%d refreshes for %d clicks; want at least one and fewer than the clicks", n, burst)
		}

		// A process that dies between a click's commit and its card refresh: the seats changed
		// (a sign-up straight through the store, which no refresher follows) and the card did
		// not. The sign-up job repairs it on its next run, and leaves current cards alone.
		e := newEngine(t, db, h.loc)
		runJob := func() {
			t.Helper()
			now := time.Now()
			h.setNow(now)
			if err := e.RunJob(ctx, JobName, now); err != nil {
				t.Fatal(err)
			}
			drain()
		}
		patches := func() int { return h.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'patch'`) }
		_, before := lastPatch()
		queued := patches()
		runJob()
		if n := patches(); n != queued {
			t.Errorf("the job patched current cards: %d patches queued, want %d", n, queued)
		}
		late := h.member("ou_rf_late", "晚到", "599", "机关分工会", "M", "")
		h.signUp(a.ID, late.ID, 0)
		runJob()
		if n := untilPatched(fmt.Sprintf("剩余 %d / 40", 40-2-burst)); n != before+1 {
			t.Errorf("after the job: %d patches of the chat card, want %d", n, before+1)
		}
		queued = patches()
		runJob()
		if n := patches(); n != queued {
			t.Errorf("a second run patched again: %d patches queued, want %d", n, queued)
		}
	})
}

// TestCardPostedAfreshAfter14Days: Feishu refuses to update a message 14 days after it was
// sent (the fake enforces it by its clock, moved with the store's). An activity changed 15 days
// after it was published gets a fresh card in each chat, and its old messages no patch; the
// next change patches the fresh ones. A patch the platform nevertheless refuses as too old (the
// store's clock a little behind the platform's) falls back the same way.
func TestCardPostedAfreshAfter14Days(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		start := time.Date(2024, 3, 30, 2, 0, 0, 0, time.UTC)
		h := newAdminHarness(t, db, start)
		ctx := context.Background()
		fake := feishutest.NewT(t)
		var mu sync.Mutex
		fakeNow := start
		fake.SetClock(func() time.Time { mu.Lock(); defer mu.Unlock(); return fakeNow })
		at := func(store, platform time.Duration) {
			h.setNow(start.Add(store))
			mu.Lock()
			fakeNow = start.Add(platform)
			mu.Unlock()
		}
		client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()), lark.WithLogLevel(larkcore.LogLevelError))
		w := outbox.New(db, client, outbox.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)), nil)
		drain := func() {
			t.Helper()
			dctx, cancel := context.WithTimeout(ctx, 20*time.Second)
			defer cancel()
			if err := w.Drain(dctx); err != nil {
				t.Fatal(err)
			}
		}
		// cards returns each chat's messages showing the activity, oldest first.
		cards := func() map[string][]string {
			out := map[string][]string{}
			for _, m := range fake.Messages() {
				if m.Kind == feishutest.KindSend && strings.HasPrefix(m.ReceiveID, "oc_") {
					out[m.ReceiveID] = append(out[m.ReceiveID], m.MessageID)
				}
			}
			return out
		}
		patched := func(id string) (contents []string) {
			for _, r := range fake.RequestsFor(feishutest.OpPatch) {
				if strings.HasSuffix(r.Path, "/"+id) {
					contents = append(contents, fmt.Sprint(r.Code))
				}
			}
			return contents
		}
		off := h.member(officer, "赵干事", "9001", "机关分工会", "F", store.RoleOfficer)
		h.Click(off.OpenID, map[string]any{"action": actCreate}, form(map[string]any{fOpens: "2020-01-01 09:00 +0800",
			fCloses: "2030-01-01 18:00 +0800", fStart: "2030-02-01 14:00 +0800", fEnd: "2030-02-01 18:00 +0800", fNotifyAll: false}))
		acts, _ := db.Activities(ctx)
		a, _ := db.Activity(ctx, acts[0].ID)
		if toast, _ := h.Click(off.OpenID, map[string]any{"action": actPublish, "activity_id": a.ID, "version": a.Version}, nil); !strings.Contains(toast, "已发布") {
			t.Fatalf("publish: %q", toast)
		}
		drain()
		first := cards()
		if len(first) != 2 || len(first["oc_group1"]) != 1 || len(first["oc_default"]) != 1 {
			t.Fatalf("published: %v", first)
		}
		edit := func(capacity string) {
			t.Helper()
			cur, _ := db.Activity(ctx, a.ID)
			if toast, _ := h.Click(off.OpenID, map[string]any{"action": actUpdate, "activity_id": cur.ID, "version": cur.Version}, form(map[string]any{fCapacity: capacity,
				fOpens: "2020-01-01 09:00 +0800", fCloses: "2030-01-01 18:00 +0800", fStart: "2030-02-01 14:00 +0800",
				fEnd: "2030-02-01 18:00 +0800", fNotifyAll: false})); toast != "已保存修改。" {
				t.Fatalf("update: %q", toast)
			}
			drain()
		}
		lastContent := func(chat string) string {
			var last string
			ids := cards()[chat]
			for _, m := range fake.Messages() {
				if (m.Kind == feishutest.KindSend && m.ReceiveID == chat) || (m.Kind == feishutest.KindPatch && m.ReceiveID == ids[len(ids)-1]) {
					last = m.Content
				}
			}
			return last
		}

		// 15 days later: a fresh card in each chat, no update of the old message attempted.
		at(15*24*time.Hour, 15*24*time.Hour)
		edit("12")
		second := cards()
		for chat, ids := range second {
			if len(ids) != 2 || ids[0] != first[chat][0] {
				t.Errorf("%s: messages %v after a change 15 days on; want the first and a fresh one", chat, ids)
				continue
			}
			if p := patched(ids[0]); len(p) != 0 {
				t.Errorf("%s: the old message got update requests %v", chat, p)
			}
			if c := lastContent(chat); !strings.Contains(c, "剩余 12 / 12") {
				t.Errorf("%s: the fresh card shows %.200s", chat, c)
			}
		}
		pubs := publications(t, db, a.ID)
		for _, p := range pubs {
			if ids := second[p.ChatID]; len(ids) != 2 || p.MessageID != ids[1] {
				t.Errorf("the live card of %s follows %q; want the fresh message %v", p.ChatID, p.MessageID, ids)
			}
		}

		// The next change patches the fresh messages.
		at(15*24*time.Hour+time.Minute, 15*24*time.Hour+time.Minute)
		edit("13")
		for chat, ids := range cards() {
			if p := patched(ids[len(ids)-1]); len(ids) != 2 || !slices.Equal(p, []string{"0"}) || !strings.Contains(lastContent(chat), "剩余 13 / 13") {
				t.Errorf("%s: messages %v, updates of the fresh one %v; want one accepted update showing 13 seats", chat, ids, p)
			}
		}

		// The platform's clock ahead of the store's: the store still patches, the platform
		// refuses (230031), and the card is posted afresh with the newest seats.
		at(29*24*time.Hour-2*time.Hour, 30*24*time.Hour)
		edit("14")
		drain() // the fresh sends queued by the refusals
		for chat, ids := range cards() {
			if len(ids) != 3 || !slices.Equal(patched(ids[1]), []string{"0", "230031"}) || !strings.Contains(lastContent(chat), "剩余 14 / 14") {
				t.Errorf("%s: messages %v, updates of the second %v, the card shows 14 seats: %v", chat, ids, patched(ids[1]),
					strings.Contains(lastContent(chat), "剩余 14 / 14"))
			}
		}
		if n := fake.Throttled(); n != 0 {
			t.Errorf("%d requests over the platform's limits", n)
		}
	})
}
