package main

import (
	"context"
	"time"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/jobs/workday"
)

// newJobs builds the job engine from the configuration and registers every job. `serve`,
// `jobs list` and `jobs run` all build it here, so they know the same jobs.
func newJobs(ctx context.Context, m *Main) (*jobs.Engine, error) {
	c := m.Config
	loc := c.Location()
	cal := workday.New(loc, m.DB)
	if err := cal.Reload(ctx); err != nil {
		return nil, err
	}
	from, until := c.Jobs.Quiet()
	o := jobs.Options{
		DB:  m.DB,
		Loc: loc,
		Cal: cal,
		Log: m.Log.With("component", "jobs"),
		Now: m.Now,
		Config: jobs.Config{
			Lease:      c.Jobs.Lease,
			LateAfter:  c.Jobs.LateAfter,
			DropAfter:  c.Jobs.DropAfter,
			OfficeTime: c.Jobs.OfficeOffset(),
			Jitter:     c.Jobs.Jitter,
			QuietFrom:  from,
			QuietUntil: until,
		},
	}
	if m.Outbox != nil {
		o.Notify = m.Outbox.Notify
	}
	e, err := jobs.NewEngine(o)
	if err != nil {
		return nil, err
	}
	if err := registerJobs(e, m); err != nil {
		return nil, err
	}
	return e, nil
}

// registerJobs is the one place where jobs are added to the engine.
func registerJobs(e *jobs.Engine, m *Main) error {
	c := m.Config
	for _, j := range []jobs.Job{
		jobs.Prune(m.DB, c.Jobs.PruneSchedule, c.Bot.DedupRetention, 30*24*time.Hour, m.Log),
	} {
		if err := e.Add(j); err != nil {
			return err
		}
	}
	// Other packages register their jobs below, one line each, e.g.
	//	if err := signup.RegisterJobs(e, ...); err != nil { return err }
	//	if err := tasks.RegisterJobs(e, ...); err != nil { return err }
	return nil
}
