// Package jobs runs unionbot's scheduled work. Cron (robfig/cron, in the union's time zone)
// only wakes jobs up; what is due is always read from the database, so a restart loses
// nothing. A job that panics is logged and runs again at its next time; a job still running
// when its next time comes is skipped, not stacked.
//
// This first version carries the housekeeping jobs. The reminder engine of the ten-task
// tracker (a lease per job in the database, unique reminder keys, catch-up after downtime)
// is built on it.
package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
)

// Job is one scheduled job.
type Job struct {
	Name string
	Spec string // cron spec with seconds optional, e.g. "@every 1h" or "0 9 * * MON-FRI"
	Run  func(ctx context.Context) error
}

// Scheduler runs jobs on their schedules.
type Scheduler struct {
	cron *cron.Cron
	log  *slog.Logger
	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
	jobs []Job
}

// New returns a scheduler in the time zone loc.
func New(loc *time.Location, log *slog.Logger) *Scheduler {
	ctx, stop := context.WithCancel(context.Background())
	s := &Scheduler{log: log, ctx: ctx, stop: stop}
	s.cron = cron.New(cron.WithLocation(loc), cron.WithParser(cron.NewParser(
		cron.SecondOptional|cron.Minute|cron.Hour|cron.Dom|cron.Month|cron.Dow|cron.Descriptor)),
		cron.WithChain(cron.SkipIfStillRunning(cron.DiscardLogger)))
	return s
}

// Add schedules a job. A spec that does not parse is an error naming the job.
func (s *Scheduler) Add(j Job) error {
	_, err := s.cron.AddFunc(j.Spec, func() { s.run(j) })
	if err != nil {
		return fmt.Errorf("jobs: %s: bad schedule %q: %w", j.Name, j.Spec, err)
	}
	s.jobs = append(s.jobs, j)
	return nil
}

// RunNow runs a job once, now, outside its schedule (at start-up, or by an operator).
func (s *Scheduler) RunNow(name string) error {
	for _, j := range s.jobs {
		if j.Name == name {
			return s.run(j)
		}
	}
	return fmt.Errorf("jobs: no job %q", name)
}

func (s *Scheduler) run(j Job) (err error) {
	s.wg.Add(1)
	defer s.wg.Done()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v", p)
		}
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("job failed", "job", j.Name, "err", err)
		} else {
			s.log.Debug("job done", "job", j.Name, "ms", time.Since(start).Milliseconds())
		}
	}()
	return j.Run(s.ctx)
}

// Start starts the schedule.
func (s *Scheduler) Start() { s.cron.Start() }

// Stop stops scheduling, cancels running jobs' context and waits for them (up to ctx).
func (s *Scheduler) Stop(ctx context.Context) {
	done := s.cron.Stop()
	s.stop()
	select {
	case <-done.Done():
	case <-ctx.Done():
	}
	wait := make(chan struct{})
	go func() { s.wg.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-ctx.Done():
	}
}
