package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestOneRunPerTick: two replicas wake at the same tick of a schedule; the second takes the
// lease after the first's run has ended (its wake-up came late), and does not run the tick
// again. It runs the next tick; a run at start-up and a run by hand are not ticks.
func TestOneRunPerTick(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var runs atomic.Int64
		var nowA, nowB atomic.Int64
		replica := func(holder string, now *atomic.Int64) *jobs.Engine {
			e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: quiet, Holder: holder,
				Now: func() time.Time { return time.Unix(0, now.Load()) }})
			if err != nil {
				t.Fatal(err)
			}
			if err := e.Add(jobs.Job{Name: "every-minute", Spec: "0 * * * * *", Run: func(ctx context.Context, r *jobs.Run) error {
				runs.Add(1)
				return nil
			}}); err != nil {
				t.Fatal(err)
			}
			return e
		}
		a, b := replica("replica-a", &nowA), replica("replica-b", &nowB)
		tick := local(2024, 6, 3, 9, 30)
		nowA.Store(tick.Add(5 * time.Millisecond).UnixNano())
		nowB.Store(tick.Add(900 * time.Millisecond).UnixNano())
		a.Wake("every-minute")
		b.Wake("every-minute")
		if n := runs.Load(); n != 1 {
			t.Fatalf("the tick ran %d times, want once", n)
		}
		nowB.Store(tick.Add(time.Minute + 3*time.Millisecond).UnixNano())
		nowA.Store(tick.Add(time.Minute + 200*time.Millisecond).UnixNano())
		b.Wake("every-minute")
		a.Wake("every-minute")
		if n := runs.Load(); n != 2 {
			t.Fatalf("after the next tick: %d runs, want 2", n)
		}
		// By hand, in the same minute: it runs.
		if err := a.RunJob(ctx, "every-minute", tick.Add(time.Minute+500*time.Millisecond)); err != nil || runs.Load() != 3 {
			t.Fatalf("by hand: %v, %d runs", err, runs.Load())
		}
		var rec []store.JobRun
		if err := db.Select(ctx, &rec, `SELECT holder, manual FROM job_runs ORDER BY id`); err != nil {
			t.Fatal(err)
		}
		if len(rec) != 3 || rec[0].Holder != "replica-a" || rec[1].Holder != "replica-b" || !rec[2].Manual {
			t.Errorf("runs recorded: %+v", rec)
		}
	})
}
