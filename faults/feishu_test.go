package faults

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestFeishuMisbehaves: for a minute the fake Open Platform answers every call with 429 (15 s),
// then 5xx (15 s), then takes 2 s per call (15 s), then drops connections (15 s), and the
// long-connection gateway drops the bot's connection, while members keep writing (one reply
// each) and an admin grants and revokes roles (notices to each member, in a fixed order).
// Afterwards every message reached the platform exactly once, none marked failed, and the long
// connection came back by itself, and each member's notices arrived in the order they were
// queued (misordered must be 0: the claim takes only a receiver's first pending message).
// The database is not the fault here: SQLite only.
func TestFeishuMisbehaves(t *testing.T) {
	const (
		members = 10
		rounds  = 6 // 授权, 撤销, 授权, ... per member
		chats   = 200
		phase   = 15 * time.Second
	)
	ctx := context.Background()
	fake := feishutest.NewT(t)
	db, dsn := storetest.OpenDSN(t, store.SQLite)
	for i := range members {
		handlertest.NewMember(t, db, handlertest.Person{OpenID: fmt.Sprintf("ou_f%02d", i), Name: fmt.Sprintf("职工%02d", i),
			EmployeeNo: fmt.Sprintf("F%03d", i), Branch: "机关分工会", Gender: "M"})
	}
	addr := freeAddr(t)
	p := newProc(t, botEnv(fake, addr, store.SQLite, dsn, "UNIONBOT_FEISHU_MODE=websocket"), addr)
	p.start()
	connects0 := fake.ConnectCount()

	// push delivers an event over the long connection until it is acknowledged (Feishu
	// pushes again what was not acked).
	var redelivered atomic.Int64
	push := func(payload []byte) {
		for {
			pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			ack, err := fake.PushEvent(pctx, payload)
			cancel()
			if err == nil && ack.Code == 200 {
				return
			}
			redelivered.Add(1)
			time.Sleep(200 * time.Millisecond)
		}
	}

	start := time.Now()
	var wg sync.WaitGroup
	// The admin: per member, grant and revoke in turn, each command after the previous one
	// was acknowledged, spread over the minute.
	for i := range members {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				time.Sleep(time.Duration(4000+i*100) * time.Millisecond * 60 / (rounds * 4))
				verb := "授权"
				if r%2 == 1 {
					verb = "撤销"
				}
				push(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: fmt.Sprintf("om_adm_%02d_%d", i, r),
					SenderOpenID: adminOpenID, Text: fmt.Sprintf("%s F%03d 代表", verb, i)}))
			}
		}()
	}
	// Members writing: 200 messages over the minute, each answered with the menu.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := range chats {
			push(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: fmt.Sprintf("om_m_%03d", k),
				SenderOpenID: fmt.Sprintf("ou_f%02d", k%members), Text: "菜单"}))
			time.Sleep(4 * phase / chats)
		}
	}()
	// The faults, one after the other.
	all := feishutest.Match{}
	fake.FailNext(all, -1, feishutest.RateLimited(2))
	time.Sleep(phase)
	fake.ClearFaults()
	fake.FailNext(all, -1, feishutest.Unavailable())
	time.Sleep(phase)
	fake.ClearFaults()
	fake.FailNext(all, -1, feishutest.Fault{Delay: 2 * time.Second})
	time.Sleep(phase)
	fake.ClearFaults()
	fake.FailNext(all, -1, feishutest.Dropped())
	fake.DropConnections()
	time.Sleep(phase)
	fake.ClearFaults()
	faultsEnd := time.Now()
	wg.Wait()

	// The long connection is back by itself.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := fake.WaitConnected(wctx, 1); err != nil || fake.ConnectCount() <= connects0 {
		t.Fatalf("the long connection did not come back: %v (connects %d, before %d)", err, fake.ConnectCount(), connects0)
	}
	// Everything delivered.
	var drained time.Time
	deadline := time.Now().Add(3 * time.Minute)
	for {
		at, pending, err := db.NextOutboxDue(ctx)
		if err == nil && (!pending || at.After(time.Now().Add(time.Hour))) {
			drained = time.Now()
			break
		}
		if time.Now().After(deadline) {
			st, _ := db.OutboxStats(ctx)
			t.Fatalf("outbox not drained 3 min after the faults: %+v\n%s", st, tail(p.logs.String(), 30))
		}
		time.Sleep(200 * time.Millisecond)
	}
	p.stop()

	msgs := fake.Messages()
	replies := map[string]int{}
	notices := map[string][]string{}
	byUUID := map[string]int{}
	for _, m := range msgs {
		byUUID[m.UUID]++
		switch {
		case m.Kind == feishutest.KindReply:
			replies[m.ReceiveID]++
		case m.Kind == feishutest.KindSend && strings.HasPrefix(m.ReceiveID, "ou_f"):
			verb := "授予"
			if strings.Contains(m.Content, "撤销") {
				verb = "撤销"
			}
			notices[m.ReceiveID] = append(notices[m.ReceiveID], verb)
		}
	}
	lost, dup, misordered := 0, 0, 0
	check := func(n int) {
		if n == 0 {
			lost++
		}
		if n > 1 {
			dup += n - 1
		}
	}
	for k := range chats {
		check(replies[fmt.Sprintf("om_m_%03d", k)])
	}
	for i := range members {
		for r := range rounds {
			check(replies[fmt.Sprintf("om_adm_%02d_%d", i, r)])
		}
		got := notices[fmt.Sprintf("ou_f%02d", i)]
		want := []string{"授予", "撤销", "授予", "撤销", "授予", "撤销"}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			misordered++
			t.Errorf("ou_f%02d got the notices %v, want %v", i, got, want)
		}
	}
	st, err := db.OutboxStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	if err := db.Select(ctx, &rows, `SELECT id FROM outbox WHERE status = 'sent'`); err != nil {
		t.Fatal(err)
	}
	for _, id := range rows {
		if byUUID[id] != 1 {
			t.Errorf("outbox message %s reached the platform %d times", id, byUUID[id])
		}
	}
	if lost != 0 || dup != 0 || st.Failed != 0 {
		t.Errorf("lost %d, duplicated %d, failed %d", lost, dup, st.Failed)
	}
	var faulted int
	for _, r := range fake.Requests() {
		if r.Fault {
			faulted++
		}
	}
	t.Logf("FIGURES fault=feishu-misbehaves db=sqlite injected=%d events=%d redelivered=%d messages=%d lost=%d duplicated=%d "+
		"misordered=%d failed=%d reconnects=%d drained_after_faults=%s total=%s",
		faulted, chats+members*rounds, redelivered.Load(), len(rows), lost, dup, misordered, st.Failed,
		fake.ConnectCount()-connects0, drained.Sub(faultsEnd).Round(time.Millisecond), time.Since(start).Round(time.Second))
}
