package emulator

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/unionbot/unionbot/jobs"
)

// Clock is the emulated time: it runs at the real pace from the instant it was last set. It
// is kept in a file of the data directory, so a restart goes on from where it was.
type Clock struct {
	path string

	mu   sync.Mutex
	base time.Time // emulated time at real instant at
	at   time.Time
}

func openClock(path string, start time.Time) (*Clock, error) {
	c := &Clock{path: path, base: start, at: time.Now()}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("emulator clock %s: %w", path, err)
		}
		c.base = t
	case errors.Is(err, os.ErrNotExist):
		if err := c.save(); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	return c, nil
}

// Now is the emulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(time.Since(c.at))
}

// Set moves the emulated time to t and returns the time it was.
func (c *Clock) Set(t time.Time) (time.Time, error) {
	c.mu.Lock()
	old := c.base.Add(time.Since(c.at))
	c.base, c.at = t, time.Now()
	c.mu.Unlock()
	return old, c.save()
}

func (c *Clock) save() error {
	c.mu.Lock()
	now := c.base.Add(time.Since(c.at))
	c.mu.Unlock()
	return os.WriteFile(c.path, []byte(now.Format(time.RFC3339)+"\n"), 0o644)
}

// ParseTime reads a time the page or a test gives: "2006-01-02 15:04" (or with seconds, or
// RFC 3339) in loc.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", time.RFC3339} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("时间格式应为 2024-06-25 09:05，收到 %q", s)
}

// JobRun is one job the clock woke.
type JobRun struct {
	Job string `json:"job"`
	Err string `json:"error,omitempty"`
}

// SetClock moves the emulated time to t and, when it moved forward, wakes as cron would every
// job with a scheduled time in between: each runs once for the new time (a job catches up on
// everything due since its previous run). The outbox is woken for the reminders enqueued.
func (e *Emulator) SetClock(ctx context.Context, t time.Time) ([]JobRun, error) {
	e.record(Step{Kind: "clock", To: t.In(e.main.Config.Location()).Format(stepTime)})
	old, err := e.clock.Set(t)
	if err != nil {
		return nil, err
	}
	var runs []JobRun
	if t.After(old) {
		for _, j := range e.main.Jobs.Jobs() {
			next, err := e.main.Jobs.Next(j.Name, old)
			if err != nil || next.After(t) {
				continue
			}
			r := JobRun{Job: j.Name}
			if err := e.runJob(ctx, j.Name); err != nil {
				r.Err = err.Error()
			}
			runs = append(runs, r)
		}
	}
	e.main.Outbox.Notify()
	e.feed.note("clock", map[string]any{"from": old.Format(time.RFC3339), "to": t.Format(time.RFC3339), "jobs": runs})
	return runs, nil
}

// runJob runs a job for the emulated now; a run of it already in progress here (the start's
// catch-up, a cron wake-up) is waited for, so that the jump's run is not lost.
func (e *Emulator) runJob(ctx context.Context, name string) error {
	for {
		err := e.main.Jobs.RunJob(ctx, name, e.clock.Now())
		var busy *jobs.BusyError
		if !errors.As(err, &busy) || busy.Holder != "" {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(50 * time.Millisecond):
		}
	}
}
