package jobs_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestRunGivesLeaseBack: a run gives its lease back when it ends, whatever the outcome, even
// while another replica keeps trying to take the same job (its refused acquisitions lock the
// lease row too): after each run that ended ok, no holder is left and the next run is not
// refused.
func TestRunGivesLeaseBack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: time.UTC, Holder: "cli-run"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Add(jobs.Job{Name: "busy", Spec: "@hourly", Run: func(ctx context.Context, r *jobs.Run) error {
			return nil
		}}); err != nil {
			t.Fatal(err)
		}
		// The other replica: its cron wakes the job over and over; its own runs are short.
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for i := 0; i < 4; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					l, ok, err := db.AcquireLease(ctx, "busy", "replica", time.Minute)
					if err == nil && ok {
						db.ReleaseLease(ctx, l)
					}
				}
			}()
		}
		defer func() { close(stop); wg.Wait() }()
		refused, left := 0, 0
		for i := 0; i < 200; i++ {
			err := e.RunJob(ctx, "busy", time.Date(2024, 3, 25, 9, 0, 0, 0, time.UTC))
			if err != nil {
				refused++ // the replica held it at that moment: allowed
				continue
			}
			l, err := db.LeaseOf(ctx, "busy")
			if err != nil {
				t.Fatal(err)
			}
			if l.Holder == "cli-run" {
				left++
			}
		}
		t.Logf("%d runs refused while the replica held the job, %d leases left behind", refused, left)
		if left > 0 {
			t.Errorf("%d runs that ended ok left their lease behind", left)
		}
	})
}
