package jobs_test

import (
	"context"
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

func TestBadSpecIsNamed(t *testing.T) {
	s := jobs.New(time.UTC, quiet)
	err := s.Add(jobs.Job{Name: "digest", Spec: "every monday", Run: func(context.Context) error { return nil }})
	if err == nil || !strings.Contains(err.Error(), "digest") {
		t.Errorf("err = %v, want one naming the job", err)
	}
}

func TestPanicIsRecoveredAndScheduleRuns(t *testing.T) {
	s := jobs.New(time.UTC, quiet)
	var runs atomic.Int32
	if err := s.Add(jobs.Job{Name: "flaky", Spec: "@every 1s", Run: func(context.Context) error {
		runs.Add(1)
		panic("boom")
	}}); err != nil {
		t.Fatal(err)
	}
	if err := s.RunNow("flaky"); err == nil || !strings.Contains(err.Error(), "panic") {
		t.Errorf("RunNow = %v, want the panic as an error", err)
	}
	s.Start()
	deadline := time.Now().Add(5 * time.Second)
	for runs.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Stop(ctx)
	if runs.Load() < 2 {
		t.Errorf("the schedule did not run after a panic (runs = %d)", runs.Load())
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
		s := jobs.New(time.UTC, quiet)
		s.Add(jobs.Prune(db, 7*24*time.Hour, 30*24*time.Hour, quiet))
		if err := s.RunNow("prune"); err != nil {
			t.Fatal(err)
		}
		for key, want := range map[string]bool{"old": false, "new": true} {
			if got, _ := db.IsProcessed(ctx, key); got != want {
				t.Errorf("%s kept = %v, want %v", key, got, want)
			}
		}
	})
}
