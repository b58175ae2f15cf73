package jobs_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// local is a wall-clock time in Asia/Shanghai.
func local(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, shanghai)
}

// newEngine returns an engine on db in Asia/Shanghai with the default configuration changed
// by cfg.
func newEngine(t testing.TB, db *store.DB, cfg func(*jobs.Config)) *jobs.Engine {
	t.Helper()
	c := jobs.DefaultConfig()
	if cfg != nil {
		cfg(&c)
	}
	e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet, Config: c})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e.Stop(ctx)
	})
	return e
}

func TestBadSpecIsNamed(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEngine(t, db, nil)
	err := e.Add(jobs.Job{Name: "digest", Spec: "every monday", Run: func(context.Context, *jobs.Run) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("err = %v, want one naming the job", err)
	}
}

func TestPanicIsRecoveredAndRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, nil)
		var runs atomic.Int32
		if err := e.Add(jobs.Job{Name: "flaky", Spec: "@every 1s", Run: func(context.Context, *jobs.Run) error {
			runs.Add(1)
			panic("boom")
		}}); err != nil {
			t.Fatal(err)
		}
		if err := e.RunJob(ctx, "flaky", time.Now()); err == nil || !strings.Contains(err.Error(), "panic") {
			t.Errorf("RunJob = %v, want the panic as an error", err)
		}
		last, err := db.LastJobRun(ctx, "flaky")
		if err != nil || last == nil || last.Outcome != store.RunError || !strings.Contains(last.Error, "boom") {
			t.Fatalf("last run = %+v, %v; want an error run naming the panic", last, err)
		}
		// The lease was released: the next run takes it at once.
		if err := e.RunJob(ctx, "flaky", time.Now()); err == nil || !strings.Contains(err.Error(), "panic") {
			t.Errorf("second RunJob = %v, want the panic again (not busy)", err)
		}
		e.Start()
		deadline := time.Now().Add(10 * time.Second)
		for runs.Load() < 4 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if runs.Load() < 4 {
			t.Errorf("the schedule did not run after a panic (runs = %d)", runs.Load())
		}
	})
}

func TestUnknownJob(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	e := newEngine(t, db, nil)
	if err := e.RunJob(context.Background(), "nope", time.Now()); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("err = %v", err)
	}
}

func TestPrune(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		db.Now = func() time.Time { return now.Add(-8 * 24 * time.Hour) }
		db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.MarkProcessed(ctx, "old", "message"); return err })
		db.Now = func() time.Time { return now }
		db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.MarkProcessed(ctx, "new", "message"); return err })
		e := newEngine(t, db, nil)
		if err := e.Add(jobs.Prune(db, "", 7*24*time.Hour, 30*24*time.Hour, quiet)); err != nil {
			t.Fatal(err)
		}
		if err := e.RunJob(ctx, "prune", now); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]bool{"old": false, "new": true} {
			if got, _ := db.IsProcessed(ctx, key); got != want {
				t.Errorf("%s kept = %v, want %v", key, got, want)
			}
		}
	})
}

func TestBusyWhileRunning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a, b := newEngine(t, db, nil), newEngine(t, db, nil)
		started, release := make(chan struct{}), make(chan struct{})
		slow := jobs.Job{Name: "slow", Spec: "@hourly", Run: func(context.Context, *jobs.Run) error {
			close(started)
			<-release
			return nil
		}}
		a.Add(slow)
		b.Add(jobs.Job{Name: "slow", Spec: "@hourly", Run: func(context.Context, *jobs.Run) error { return nil }})
		done := make(chan error)
		go func() { done <- a.RunJob(ctx, "slow", time.Now()) }()
		<-started
		var busy *jobs.BusyError
		if err := b.RunJob(ctx, "slow", time.Now()); !errors.As(err, &busy) || busy.Holder != a.Holder() {
			t.Errorf("second replica: err = %v, want busy with holder %s", err, a.Holder())
		}
		if err := a.RunJob(ctx, "slow", time.Now()); !errors.As(err, &busy) {
			t.Errorf("same process: err = %v, want busy", err)
		}
		close(release)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if err := b.RunJob(ctx, "slow", time.Now()); err != nil {
			t.Errorf("after release: %v", err)
		}
	})
}

// TestStartCatchesUp: at start-up every job runs once for now, with Since the At of its last
// completed run, so a job selects what came due while the bot was down.
func TestStartCatchesUp(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before := local(2024, 3, 22, 9, 0)
		now := local(2024, 3, 25, 8, 30)
		type window struct{ since, at time.Time }
		got := make(chan window, 4)
		job := jobs.Job{Name: "digest", Spec: "0 9 * * MON", Run: func(_ context.Context, r *jobs.Run) error {
			got <- window{r.Since, r.At}
			return nil
		}}
		e := newEngine(t, db, nil)
		e.Add(job)
		if err := e.RunJob(ctx, "digest", before); err != nil {
			t.Fatal(err)
		}
		if w := <-got; !w.since.IsZero() || !w.at.Equal(before) {
			t.Errorf("first run window = %v", w)
		}
		// "Restart" at now.
		db.Now = func() time.Time { return now }
		e2 := newEngine(t, db, nil)
		e2.Add(job)
		e2.Start()
		select {
		case w := <-got:
			if !w.since.Equal(before) || !w.at.Equal(now) {
				t.Errorf("catch-up window = (%s, %s], want (%s, %s]", w.since, w.at, before, now)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("no catch-up run at start")
		}
	})
}

func TestOccurrences(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	e := newEngine(t, db, nil)
	var got []time.Time
	e.Add(jobs.Job{Name: "weekly", Spec: "@hourly", Run: func(_ context.Context, r *jobs.Run) error {
		var err error
		got, err = r.Occurrences("0 9 * * MON")
		return err
	}})
	e.RunJob(ctx, "weekly", local(2024, 3, 4, 8, 0))
	// Down from Monday 4 March 08:00 to Monday 11 March 10:00: the window is clipped to the
	// last 72h (drop_after), which holds one Monday 09:00.
	if err := e.RunJob(ctx, "weekly", local(2024, 3, 11, 10, 0)); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || !got[0].Equal(local(2024, 3, 11, 9, 0)) {
		t.Errorf("occurrences = %v", got)
	}
	// A first run looks back no further than drop_after (72h).
	e.Add(jobs.Job{Name: "fresh", Spec: "@hourly", Run: func(_ context.Context, r *jobs.Run) error {
		var err error
		got, err = r.Occurrences("0 9 * * *")
		return err
	}})
	e.RunJob(ctx, "fresh", local(2024, 3, 12, 10, 0))
	if len(got) != 3 || !got[0].Equal(local(2024, 3, 10, 9, 0)) {
		t.Errorf("first-run occurrences = %v", got)
	}
}

// TestLeaseLostStopsTheRun: when a run's lease is taken from it (it could not renew in time),
// its context is cancelled with ErrLeaseLost and the run is recorded as an error.
func TestLeaseLostStopsTheRun(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e := newEngine(t, db, func(c *jobs.Config) { c.Lease = 300 * time.Millisecond })
		started := make(chan struct{})
		e.Add(jobs.Job{Name: "long", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
			close(started)
			<-ctx.Done()
			return ctx.Err()
		}})
		done := make(chan error)
		go func() { done <- e.RunJob(ctx, "long", time.Now()) }()
		<-started
		// Another replica steals the lease (as if this one had stalled past its expiry).
		if _, err := db.SQL().ExecContext(ctx, `UPDATE job_leases SET holder = 'thief', token = token + 1 WHERE name = 'long'`); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-done:
			if !errors.Is(err, jobs.ErrLeaseLost) {
				t.Errorf("err = %v, want ErrLeaseLost", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the run went on without its lease")
		}
		last, _ := db.LastJobRun(ctx, "long")
		if last.Outcome != store.RunError {
			t.Errorf("run = %+v", last)
		}
		// The thief's lease is left alone.
		l, _ := db.LeaseOf(ctx, "long")
		if l.Holder != "thief" {
			t.Errorf("lease holder = %q", l.Holder)
		}
	})
}
