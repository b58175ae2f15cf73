package app

import (
	"context"
	"slices"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// newJobs builds the job engine from the configuration and registers every job. `serve`,
// `jobs list` and `jobs run` all build it here, so they know the same jobs.
func NewJobs(ctx context.Context, m *Main) (*jobs.Engine, error) {
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
	if m.Instance != "" {
		o.Holder = m.Instance + "~" + jobs.DefaultHolder() // see Main.reclaim
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
		jobs.CalendarCheck(c.Jobs.CalendarCheckSchedule, func(ctx context.Context) ([]string, error) { return adminOpenIDs(ctx, m) }),
	} {
		if err := e.Add(j); err != nil {
			return err
		}
	}
	// Each flow with jobs registers them here, one line each.
	for _, register := range []func(*jobs.Engine, handlers.Deps) error{signup.RegisterJobs, tasks.RegisterJobs, legalaid.RegisterJobs, privacy.RegisterJobs, aid.RegisterJobs, proposals.RegisterJobs} {
		if err := register(e, m.deps()); err != nil {
			return err
		}
	}
	return nil
}

// adminOpenIDs returns the admins' open_ids: those of the configuration and the members
// holding the admin role, each once.
func adminOpenIDs(ctx context.Context, m *Main) ([]string, error) {
	ids := slices.Clone(m.Config.Admins)
	holders, err := m.DB.RoleHolders(ctx)
	if err != nil {
		return nil, err
	}
	for _, h := range holders {
		if h.Role == store.RoleAdmin && h.Active && h.OpenID != "" && !slices.Contains(ids, h.OpenID) {
			ids = append(ids, h.OpenID)
		}
	}
	return ids, nil
}
