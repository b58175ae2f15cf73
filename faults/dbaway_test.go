package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
)

const (
	awayMembers  = 200 // each clicks 报名 once
	awayMessages = 200 // 菜单, from the first 100 members, 2 each: each gets one reply
	awayOutage   = 10 * time.Second
	// awayRSSLimit bounds the bot's resident memory throughout (it idles at about 30 MB).
	awayRSSLimit = 150 << 20
	// awayRSSGrowth bounds how much more the bot may hold at the end of the outage than at its
	// first seconds: a queue or leak that grows with the outage's length would pass it.
	awayRSSGrowth = 24 << 20
)

// TestDatabaseGoesAway: under load (webhook events from 8 Feishu-like senders: 200 messages,
// 200 报名 clicks), the database goes away and comes back while the bot keeps running:
//
//   - mysql: the test's own MariaDB server (its own data directory, port and socket; the
//     machine's server is not touched) is killed with SIGKILL, left down for 10 s, and started
//     again on the same data directory and port;
//   - sqlite: the database file's disk (a tmpfs the test mounts) is filled up, so that SQLite's
//     writes fail (SQLITE_FULL), for 10 s, and then the space is freed.
//
// Throughout: an event the bot acknowledged (HTTP 200; for a click, an answer that is not an
// error toast) had its effect, exactly once, at the end; an event it did not acknowledge is
// delivered again, as Feishu does (a click: clicked again, as a member does after an error
// toast), and then has it once. On MariaDB, no event is acknowledged while the server is down.
// /readyz answers 503 while the database is away (SQLite: from the first write that failed;
// the commits before it still found room) and 200 after, without a restart of the bot. Every queued message
// reaches the platform once. The bot's memory (VmRSS) stays under awayRSSLimit and does not
// keep growing with the outage.
func TestDatabaseGoesAway(t *testing.T) {
	t.Run("mysql", func(t *testing.T) {
		m := startMariaDB(t)
		dsn := m.createDatabase("unionbot_away")
		db := openMigrated(t, store.MySQL, dsn)
		testDatabaseGoesAway(t, awayLeg{dialect: store.MySQL, db: db, dsn: dsn, down: m.kill, up: m.start})
	})
	t.Run("sqlite", func(t *testing.T) {
		disk := filepath.Join(t.TempDir(), "disk")
		if err := os.Mkdir(disk, 0o755); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", disk).CombinedOutput(); err != nil {
			t.Fatalf("mount a tmpfs for the SQLite file's disk (the test needs root, as CI has): %v %s", err, out)
		}
		t.Cleanup(func() {
			if out, err := exec.Command("umount", disk).CombinedOutput(); err != nil {
				t.Errorf("umount %s: %v %s", disk, err, out)
			}
		})
		path := filepath.Join(disk, "unionbot.db")
		db := openMigrated(t, store.SQLite, path)
		filler := filepath.Join(disk, "filler")
		testDatabaseGoesAway(t, awayLeg{dialect: store.SQLite, db: db, dsn: path,
			down: func() { fillDisk(t, filler) },
			up: func() {
				if err := os.Remove(filler); err != nil {
					t.Fatal(err)
				}
			}})
	})
}

// awayLeg is a database and how to take it away and give it back.
type awayLeg struct {
	dialect  string
	db       *store.DB // the test's own handle
	dsn      string
	down, up func()
}

// openMigrated opens the database at dsn and migrates it.
func openMigrated(t *testing.T, dialect, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dialect, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(ctx, db.SQL(), dialect); err != nil {
		t.Fatal(err)
	}
	return db
}

// fillDisk writes f until its file system has no space left.
func fillDisk(t *testing.T, f string) {
	t.Helper()
	fh, err := os.Create(f)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	chunk := make([]byte, 64<<10)
	for {
		if _, err := fh.Write(chunk); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return
			}
			t.Fatal(err)
		}
	}
}

// attempt is one delivery of an event.
type attempt struct {
	start, end time.Time
	acked      bool
}

// sample is one reading of /readyz or of the bot's memory.
type sample struct {
	start, end time.Time
	value      int // HTTP status, or bytes
}

func testDatabaseGoesAway(t *testing.T, leg awayLeg) {
	ctx := context.Background()
	db := leg.db
	fake := feishutest.NewT(t)
	for i := range awayMembers {
		handlertest.NewMember(t, db, handlertest.Person{OpenID: fmt.Sprintf("ou_a%03d", i), Name: fmt.Sprintf("会员%03d", i),
			EmployeeNo: fmt.Sprintf("A%04d", i), Branch: "机关分工会", Gender: "M"})
	}
	addr := freeAddr(t)
	p := newProc(t, botEnv(fake, addr, leg.dialect, leg.dsn), addr)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Now().In(loc)
	f := filepath.Join(t.TempDir(), "activity.yaml")
	yaml := fmt.Sprintf("title: 断库测试健步走\nkind: sport\nplace: 操场\nstart: %s\nend: %s\nsignup_opens: %s\nsignup_closes: %s\n"+
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
	for i := range awayMessages {
		id := fmt.Sprintf("om_a%04d", i)
		events = append(events, &event{id: id, payload: feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id,
			SenderOpenID: fmt.Sprintf("ou_a%03d", i%100), Text: "菜单", Token: verificationToken})})
	}
	join := map[string]any{"action": "signup.join", "activity_id": a.ID, "version": a.Version, "item_id": 0}
	for i := range awayMembers {
		who := fmt.Sprintf("ou_a%03d", i)
		events = append(events, &event{id: who, click: true, payload: feishutest.CardActionEvent(feishutest.CardOpts{
			OperatorOpenID: who, Value: join, Token: verificationToken})})
	}
	rand.Shuffle(len(events), func(i, j int) { events[i], events[j] = events[j], events[i] })

	p.start()
	pid := p.cmd.Process.Pid
	exited := p.done

	// Samplers: /readyz and the bot's resident memory, every 100 ms until the end.
	var (
		smu       sync.Mutex
		readyz    []sample
		rss       []sample
		stopWatch = make(chan struct{})
		watchers  sync.WaitGroup
	)
	watchers.Add(2)
	go func() {
		defer watchers.Done()
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			s := sample{start: time.Now()}
			s.value, _ = p.get("/readyz")
			s.end = time.Now()
			smu.Lock()
			readyz = append(readyz, s)
			smu.Unlock()
		}
	}()
	go func() {
		defer watchers.Done()
		for {
			select {
			case <-stopWatch:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if n, err := vmRSS(pid); err == nil {
				at := time.Now()
				smu.Lock()
				rss = append(rss, sample{start: at, end: at, value: n})
				smu.Unlock()
			}
		}
	}()

	queue := make(chan *event, len(events))
	for _, e := range events {
		queue <- e
	}
	var (
		acked, redelivered atomic.Int64
		amu                sync.Mutex
		attempts           []attempt
		errorToasts        = map[string]int{}
	)
	loadCtx, stopLoad := context.WithTimeout(ctx, 3*time.Minute)
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
				at := attempt{start: time.Now()}
				status, body, err := p.webhook().Send(loadCtx, e.payload)
				at.end = time.Now()
				at.acked = err == nil && status == 200
				if at.acked && e.click {
					// A click is answered with a toast; an error toast means it was not done, and
					// the member clicks again.
					var r struct {
						Toast *struct{ Type, Content string } `json:"toast"`
					}
					if json.Unmarshal(body, &r) == nil && r.Toast != nil && r.Toast.Type == "error" {
						at.acked = false
						amu.Lock()
						errorToasts[r.Toast.Content]++
						amu.Unlock()
					}
				}
				amu.Lock()
				attempts = append(attempts, at)
				amu.Unlock()
				if at.acked {
					e.ackedAt = at.end
					acked.Add(1)
					time.Sleep(80 * time.Millisecond) // about 100 events a second in all
					continue
				}
				redelivered.Add(1)
				time.Sleep(100 * time.Millisecond)
				queue <- e // Feishu delivers it again
			}
		}()
	}

	// The fault: once a sixth of the events went through, the database goes away for 10 s.
	for acked.Load() < int64(len(events)/6) && loadCtx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	leg.down()
	downAt := time.Now()
	ackedBefore := acked.Load()
	time.Sleep(awayOutage)
	upAt := time.Now()
	ackedDuring := acked.Load() - ackedBefore
	leg.up()
	upDone := time.Now()
	wg.Wait()
	if n := acked.Load(); n != int64(len(events)) {
		t.Fatalf("%d of %d events acknowledged within the time\n%s", n, len(events), tail(p.logs.String(), 40))
	}

	// Ready again, without a restart.
	var readyAgain time.Time
	for deadline := time.Now().Add(time.Minute); readyAgain.IsZero(); {
		if time.Now().After(deadline) {
			t.Fatalf("/readyz did not answer 200 within a minute of the database's return\n%s", tail(p.logs.String(), 40))
		}
		smu.Lock()
		for _, s := range readyz {
			if s.start.After(upDone) && s.value == 200 {
				readyAgain = s.end
				break
			}
		}
		smu.Unlock()
		time.Sleep(50 * time.Millisecond)
	}

	// Every reply delivered: wait for the outbox to empty.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		at, pending, err := db.NextOutboxDue(ctx)
		if err == nil && (!pending || at.After(time.Now().Add(time.Minute))) {
			break
		}
		if time.Now().After(deadline) {
			st, _ := db.OutboxStats(ctx)
			t.Fatalf("outbox not drained: %+v %v\n%s", st, err, tail(p.logs.String(), 60))
		}
		time.Sleep(100 * time.Millisecond)
	}
	drained := time.Now()
	close(stopWatch)
	watchers.Wait()
	select {
	case <-exited:
		t.Fatalf("the bot exited during the test:\n%s", tail(p.logs.String(), 40))
	default:
	}
	p.mu.Lock()
	samePID := p.cmd != nil && p.cmd.Process.Pid == pid
	p.mu.Unlock()
	if !samePID {
		t.Fatal("the bot was restarted")
	}
	logs := p.logs.String()
	p.stop()

	// No acknowledgement while the database was certainly away (MariaDB: the server is dead).
	acksWhileDown, failedWhileDown, firstFail := 0, 0, time.Time{}
	for _, at := range attempts {
		if at.start.After(downAt) && at.end.Before(upAt) {
			if at.acked {
				acksWhileDown++
			} else {
				failedWhileDown++
				if firstFail.IsZero() || at.end.Before(firstFail) {
					firstFail = at.end
				}
			}
		}
	}
	acksAfterFailure := 0 // acknowledged (committed) although a write had failed before
	for _, at := range attempts {
		if at.acked && !firstFail.IsZero() && at.start.After(firstFail) && at.end.Before(upAt) {
			acksAfterFailure++
		}
	}
	if leg.dialect == store.MySQL && acksWhileDown != 0 {
		t.Errorf("%d events acknowledged while the database server was down", acksWhileDown)
	}
	if failedWhileDown == 0 {
		t.Errorf("no delivery failed while the database was away: the fault did not take")
	}

	// /readyz: 503 while away, 200 after.
	var notReady, readyWhileDown int
	for _, s := range readyz {
		if s.start.After(downAt) && s.end.Before(upAt) {
			if s.value == 503 {
				notReady++
			} else if leg.dialect == store.MySQL || s.start.After(firstFail) {
				readyWhileDown++
				t.Logf("/readyz answered %d at %s into the outage", s.value, s.start.Sub(downAt).Round(time.Millisecond))
			}
		}
	}
	if notReady == 0 {
		t.Errorf("/readyz never answered 503 while the database was away")
	}
	if readyWhileDown != 0 {
		t.Errorf("/readyz answered other than 503 %d times while the database was away (SQLite: after the first failed write)", readyWhileDown)
	}

	// Memory: bounded, and not growing with the outage.
	var peak, firstSecs, lastSecs int
	for _, s := range rss {
		peak = max(peak, s.value)
		if s.start.After(downAt) && s.start.Before(downAt.Add(3*time.Second)) {
			firstSecs = max(firstSecs, s.value)
		}
		if s.start.After(upAt.Add(-3*time.Second)) && s.start.Before(upAt) {
			lastSecs = max(lastSecs, s.value)
		}
	}
	if peak == 0 || firstSecs == 0 || lastSecs == 0 {
		t.Fatalf("no memory samples (%d)", len(rss))
	}
	if peak > awayRSSLimit {
		t.Errorf("the bot's resident memory reached %d MB, over %d MB", peak>>20, awayRSSLimit>>20)
	}
	if lastSecs > firstSecs+awayRSSGrowth {
		t.Errorf("the bot's resident memory grew during the outage: %d MB in its first 3 s, %d MB in its last", firstSecs>>20, lastSecs>>20)
	}

	// Effects, exactly.
	lost, dup, wrong := 0, 0, 0
	replies := map[string]int{}
	byUUID := map[string]int{}
	for _, m := range fake.Messages() {
		byUUID[m.UUID]++
		if m.Kind == feishutest.KindReply {
			replies[m.ReceiveID]++
			if !strings.Contains(m.Content, "菜单") || strings.Contains(m.Content, "稍后再试") {
				wrong++
				t.Errorf("reply to %s is not the menu: %.200s", m.ReceiveID, m.Content)
			}
		}
	}
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
	for i := range awayMembers {
		switch n := signed[fmt.Sprintf("ou_a%03d", i)]; {
		case n == 0:
			lost++
		case n > 1:
			dup += n - 1
		}
	}
	var rows []struct {
		ID     string    `db:"id"`
		Status string    `db:"status"`
		Due    time.Time `db:"next_attempt_at"`
	}
	if err := db.Select(ctx, &rows, `SELECT id, status, next_attempt_at FROM outbox`); err != nil {
		t.Fatal(err)
	}
	// A notice due tomorrow morning (the activity's publication, for office hours) is not part
	// of this test.
	rows = slices.DeleteFunc(rows, func(r struct {
		ID     string    `db:"id"`
		Status string    `db:"status"`
		Due    time.Time `db:"next_attempt_at"`
	}) bool {
		return r.Status == store.OutboxPending && r.Due.After(drained)
	})
	notSent := 0
	queued := map[string]bool{}
	for _, r := range rows {
		queued[r.ID] = true
		if r.Status != store.OutboxSent {
			notSent++
		}
		if byUUID[r.ID] != 1 {
			t.Errorf("outbox message %s (%s) reached the platform %d times", r.ID, r.Status, byUUID[r.ID])
		}
	}
	for u := range byUUID {
		if !queued[u] {
			t.Errorf("the platform got a message with uuid %s that was never queued", u)
		}
	}
	if lost != 0 || dup != 0 || notSent != 0 {
		t.Errorf("lost %d, duplicated %d, not sent %d", lost, dup, notSent)
		var left []*store.OutboxMessage
		db.Select(ctx, &left, `SELECT id, kind, receive_id, target_message_id, status, attempts, next_attempt_at, claimed_by,
			claimed_until, last_code, last_error, created_at FROM outbox WHERE status <> 'sent'`)
		for _, m := range left {
			t.Logf("not sent: %+v", *m)
		}
	}
	for text, n := range errorToasts {
		t.Logf("error toast ×%d: %s", n, text)
		if text != "系统暂时不可用，请稍后再试。" {
			t.Errorf("a click was answered %q while the database was away, want it to say the system is unavailable", text)
		}
	}
	if t.Failed() {
		t.Logf("bot log:\n%s", tail(logs, 60))
	}
	fault := "mariadb-killed-10s"
	if leg.dialect == store.SQLite {
		fault = "disk-full-10s"
	}
	ackedTimes := make([]time.Time, 0, len(events))
	for _, e := range events {
		ackedTimes = append(ackedTimes, e.ackedAt)
	}
	lastAck := slices.MaxFunc(ackedTimes, func(x, y time.Time) int { return x.Compare(y) })
	t.Logf("FIGURES fault=%s db=%s events=%d attempts=%d redelivered=%d acked_while_away=%d acked_after_first_failure=%d failed_while_away=%d error_toasts=%d "+
		"messages=%d lost=%d duplicated=%d wrong=%d duplicate_posts_absorbed_by_uuid=%d readyz_503=%d readyz_not_503_after_first_failure=%d "+
		"ready_after_return=%s acked_all_after_return=%s drained_after_return=%s rss_peak_mb=%d rss_outage_first3s_mb=%d rss_outage_last3s_mb=%d",
		fault, leg.dialect, len(events), len(attempts), redelivered.Load(), ackedDuring, acksAfterFailure, failedWhileDown, sumValues(errorToasts),
		len(rows), lost, dup, wrong, fake.DuplicateUUIDs(), notReady, readyWhileDown,
		readyAgain.Sub(upAt).Round(time.Millisecond), lastAck.Sub(upAt).Round(time.Millisecond), drained.Sub(upAt).Round(time.Millisecond),
		peak>>20, firstSecs>>20, lastSecs>>20)
}

// vmRSS reads a process's resident memory in bytes from /proc.
func vmRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")))
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

func sumValues(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
