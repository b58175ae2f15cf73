package faults

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	killMembers  = 400 // each clicks 报名 once
	killMessages = 600 // 菜单, from the first 100 members, 6 each: each gets one reply
	killKills    = 6
)

// event is one event of the load, delivered until the bot acknowledges it, as Feishu does.
type event struct {
	id      string // the message id (messages) or the member (clicks)
	click   bool
	payload []byte
	ackedAt time.Time
}

// TestKillUnderLoad: 1,000 events (600 messages, 400 报名 clicks) sent to the bot by 8
// Feishu-like senders, the bot killed with SIGKILL at random moments (6 times) and restarted
// on the same address; an event that got no 200 is delivered again until it does. Afterwards
// every message got exactly one reply, every member is signed up exactly once, and every
// queued message reached the platform exactly once (by uuid and by content), none pending
// or failed.
func TestKillUnderLoad(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) { testKillUnderLoad(t, dialect) })
	}
}

func testKillUnderLoad(t *testing.T, dialect string) {
	ctx := context.Background()
	fake := feishutest.NewT(t)
	db, dsn := storetest.OpenDSN(t, dialect)
	for i := range killMembers {
		handlertest.NewMember(t, db, handlertest.Person{OpenID: fmt.Sprintf("ou_k%03d", i), Name: fmt.Sprintf("成员%03d", i),
			EmployeeNo: fmt.Sprintf("K%04d", i), Branch: "机关分工会", Gender: "F"})
	}
	addr := freeAddr(t)
	p := newProc(t, botEnv(fake, addr, dialect, dsn), addr)

	// An activity open for sign-up, created and published with the command line.
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(loc)
	f := filepath.Join(t.TempDir(), "activity.yaml")
	yaml := fmt.Sprintf("title: 故障测试健步走\nkind: sport\nplace: 操场\nstart: %s\nend: %s\nsignup_opens: %s\nsignup_closes: %s\n"+
		"capacity: 0\nbranch_quota: 0\nentry_mode: individual\nallocation: first_come\neligibility:\n  members_only: true\n",
		now.Add(20*24*time.Hour).Format("2006-01-02 15:04"), now.Add(20*24*time.Hour+2*time.Hour).Format("2006-01-02 15:04"),
		now.Add(-time.Hour).Format("2006-01-02 15:04"), now.Add(10*24*time.Hour).Format("2006-01-02 15:04"))
	if err := os.WriteFile(f, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	p.run("activities", "create", "-f", f, "-publish")
	acts, err := db.Activities(ctx)
	if err != nil || len(acts) != 1 {
		t.Fatalf("activities: %d, %v", len(acts), err)
	}
	a, err := db.Activity(ctx, acts[0].ID)
	if err != nil {
		t.Fatal(err)
	}

	var events []*event
	for i := range killMessages {
		id := fmt.Sprintf("om_k%04d", i)
		events = append(events, &event{id: id, payload: feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id,
			SenderOpenID: fmt.Sprintf("ou_k%03d", i%100), Text: "菜单", Token: verificationToken})})
	}
	join := map[string]any{"action": "signup.join", "activity_id": a.ID, "version": a.Version, "item_id": 0}
	for i := range killMembers {
		who := fmt.Sprintf("ou_k%03d", i)
		events = append(events, &event{id: who, click: true, payload: feishutest.CardActionEvent(feishutest.CardOpts{
			OperatorOpenID: who, Value: join, Token: verificationToken})})
	}
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	readyTimes := []time.Duration{p.start()}
	queue := make(chan *event, len(events))
	for _, e := range events {
		queue <- e
	}
	var acked, refused, redelivered, loadEnd atomic.Int64
	loadStart := time.Now()
	var killing sync.Mutex // held while the bot is down (senders keep trying: Feishu does)
	loadCtx, stopLoad := context.WithTimeout(ctx, 4*time.Minute)
	defer stopLoad()
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for loadCtx.Err() == nil && acked.Load() < int64(len(events)) {
				var e *event
				select {
				case e = <-queue:
				case <-time.After(50 * time.Millisecond):
					continue
				}
				ok, _ := p.deliver(loadCtx, e.payload)
				if ok {
					e.ackedAt = time.Now()
					if acked.Add(1) == int64(len(events)) {
						loadEnd.Store(time.Now().UnixNano())
					}
					time.Sleep(80 * time.Millisecond) // about 100 events a second in all
					continue
				}
				refused.Add(1)
				redelivered.Add(1)
				time.Sleep(100 * time.Millisecond)
				queue <- e // Feishu delivers it again
			}
		}()
	}
	// The killer: at random moments, during the load and after it (while replies are still
	// being delivered), kill -9 and restart at once on the same address.
	kills := 0
	var killTimes []time.Time
	for kills < killKills && loadCtx.Err() == nil {
		time.Sleep(time.Duration(200+rand.IntN(1200)) * time.Millisecond)
		killing.Lock()
		p.kill()
		killTimes = append(killTimes, time.Now())
		kills++
		readyTimes = append(readyTimes, p.start())
		killing.Unlock()
	}
	wg.Wait()
	if n := acked.Load(); n != int64(len(events)) {
		t.Fatalf("%d of %d events acknowledged within the time", n, len(events))
	}

	// Every reply delivered: wait for the outbox to empty.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		// Drained: nothing pending is due (a reminder for office hours may wait for tomorrow).
		at, pending, err := db.NextOutboxDue(ctx)
		st, _ := db.OutboxStats(ctx)
		if err == nil && (!pending || at.After(time.Now().Add(time.Minute))) {
			break
		}
		if time.Now().After(deadline) {
			var left []*store.OutboxMessage
			db.Select(ctx, &left, `SELECT id, kind, receive_id, target_message_id, status, attempts, next_attempt_at, claimed_by,
				claimed_until, last_code, last_error, created_at FROM outbox WHERE status = 'pending'`)
			for _, m := range left {
				t.Logf("pending: %+v", *m)
			}
			t.Fatalf("outbox not drained: %+v %v\n%s", st, err, tail(p.logs.String(), 60))
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Now()
	p.stop()
	duringLoad := 0
	for _, k := range killTimes {
		if k.After(loadStart) && k.Before(time.Unix(0, loadEnd.Load())) {
			duringLoad++
		}
	}
	if duringLoad < 5 {
		t.Errorf("only %d of the kills fell while events were being sent, want at least 5", duringLoad)
	}

	// Effects, exactly.
	msgs := fake.Messages()
	replies := map[string]int{}
	byUUID := map[string]int{}
	var latest time.Duration
	acks := map[string]time.Time{}
	for _, e := range events {
		acks[e.id] = e.ackedAt
	}
	for _, m := range msgs {
		if m.UUID != "" {
			byUUID[m.UUID]++
		}
		if m.Kind == feishutest.KindReply {
			replies[m.ReceiveID]++
			if at, ok := acks[m.ReceiveID]; ok && m.At.Sub(at) > latest {
				latest = m.At.Sub(at)
			}
		}
	}
	lost, dup := 0, 0
	for _, e := range events {
		if e.click {
			continue
		}
		switch n := replies[e.id]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	var entries []struct {
		Member string `db:"open_id"`
		N      int    `db:"n"`
	}
	if err := db.Select(ctx, &entries, `SELECT m.open_id, COUNT(*) AS n FROM signup_entries e JOIN members m ON m.id = e.member_id
		WHERE e.activity_id = ? GROUP BY m.open_id`, a.ID); err != nil {
		t.Fatal(err)
	}
	signed := map[string]int{}
	for _, e := range entries {
		signed[e.Member] = e.N
	}
	for i := range killMembers {
		switch n := signed[fmt.Sprintf("ou_k%03d", i)]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	// Every outbox row reached the platform once, by uuid; nothing reached it that was not queued.
	var rows []struct {
		ID      string    `db:"id"`
		Status  string    `db:"status"`
		Content string    `db:"content"`
		Due     time.Time `db:"next_attempt_at"`
	}
	if err := db.Select(ctx, &rows, `SELECT id, status, content, next_attempt_at FROM outbox`); err != nil {
		t.Fatal(err)
	}
	later := 0
	rows = slices.DeleteFunc(rows, func(r struct {
		ID      string    `db:"id"`
		Status  string    `db:"status"`
		Content string    `db:"content"`
		Due     time.Time `db:"next_attempt_at"`
	}) bool {
		if r.Status == store.OutboxPending && r.Due.After(drained) {
			later++ // not due yet (office hours): not part of this test
			return true
		}
		return false
	})
	notSent, uuidDup := 0, 0
	queued := map[string]bool{}
	for _, r := range rows {
		queued[r.ID] = true
		if r.Status != store.OutboxSent {
			notSent++
		}
		if byUUID[r.ID] != 1 {
			t.Errorf("outbox message %s (%s) reached the platform %d times", r.ID, r.Status, byUUID[r.ID])
		}
		if byUUID[r.ID] > 1 {
			uuidDup++
		}
	}
	for u := range byUUID {
		if !queued[u] {
			t.Errorf("the platform got a message with uuid %s that was never queued", u)
		}
	}
	if lost != 0 || dup != 0 || notSent != 0 {
		t.Errorf("lost %d, duplicated %d, not sent %d", lost, dup, notSent)
	}
	sort.Slice(readyTimes, func(i, j int) bool { return readyTimes[i] > readyTimes[j] })
	t.Logf("FIGURES fault=kill-9 db=%s injected=%d events=%d redelivered=%d messages=%d lost=%d duplicated=%d "+
		"duplicate_posts_absorbed_by_uuid=%d kills_during_load=%d longest_restart_to_ready=%s longest_ack_to_reply=%s drained_after_last_kill=%s",
		dialect, kills, len(events), redelivered.Load(), len(rows), lost, dup, fake.DuplicateUUIDs(),
		duringLoad, readyTimes[0].Round(time.Millisecond), latest.Round(time.Millisecond), drained.Sub(killTimes[len(killTimes)-1]).Round(time.Millisecond))
}
