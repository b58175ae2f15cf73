// Package jobs runs unionbot's scheduled work and sends its reminders.
//
// Cron (robfig/cron, in the union's time zone) only wakes jobs up; what is due is always read
// from the database by the job itself, for the window (Since, At] between its previous
// completed run and now, so a restart or downtime loses nothing: at start-up every job runs
// once for "now" and catches up.
//
// A lease in the database (table job_leases) makes exactly one replica run a job at a time;
// its holder renews it while the job runs, and a lease whose holder died expires after
// jobs.lease. Every run is recorded (job_runs) for `unionbot jobs list`.
//
// A job sends reminders with Run.Remind, under a unique key: the reminders row and the outbox
// row are written in one transaction, so a crash in the middle of a run, a restart, two
// replicas or a run by hand never send a reminder twice. A reminder enqueued more than
// jobs.late_after after its moment says it is late; one more than jobs.drop_after late is
// dropped (recorded, not sent). Officer reminders (Reminder.Office) are delivered on the next
// workday at jobs.office_time plus a few minutes' jitter; nothing is delivered in
// jobs.quiet_hours.
//
// A job that panics is logged and runs again at its next time; a job still running when its
// next time comes is skipped, not stacked.
package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"sort"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/unionbot/unionbot/jobs/cronspec"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// Job is one scheduled job.
type Job struct {
	Name string // e.g. "tasks.monthly"
	Spec string // cron spec (config-driven), e.g. "0 9 25 * *"; see package cronspec
	Help string // one line for `unionbot jobs list`
	Run  func(ctx context.Context, r *Run) error
}

// Config holds the engine's settings (the jobs section of the configuration).
type Config struct {
	// Lease is how long a job's lease lasts without renewal: the time a dead replica's job
	// stays blocked. The holder renews it every Lease/3 while the job runs. Default 2m.
	Lease time.Duration
	// LateAfter: a reminder enqueued more than this after its moment is marked as late.
	// Default 30m.
	LateAfter time.Duration
	// DropAfter: a reminder whose moment passed more than this ago is dropped. Default 72h.
	DropAfter time.Duration
	// OfficeTime is when officer reminders go out on a workday, as an offset from midnight.
	// Default 9h.
	OfficeTime time.Duration
	// Jitter is the most added to OfficeTime (deterministically per reminder key, at least
	// one minute, so never on the exact minute). Default 10m.
	Jitter time.Duration
	// QuietFrom and QuietUntil are the night, as offsets from midnight (QuietFrom after
	// QuietUntil: the night spans midnight). Nothing is delivered in it. Both zero: no night.
	// Default 21h to 8h.
	QuietFrom, QuietUntil time.Duration
}

// DefaultConfig is the engine's default configuration.
func DefaultConfig() Config {
	return Config{Lease: 2 * time.Minute, LateAfter: 30 * time.Minute, DropAfter: 72 * time.Hour,
		OfficeTime: 9 * time.Hour, Jitter: 10 * time.Minute, QuietFrom: 21 * time.Hour, QuietUntil: 8 * time.Hour}
}

// Options configure an Engine.
type Options struct {
	DB  *store.DB
	Loc *time.Location    // the union's time zone (schedules, office hours, dates)
	Cal *workday.Calendar // nil: workday.New(Loc, DB)
	Log *slog.Logger
	// Holder names this replica in leases and run records; default host:pid:random.
	Holder string
	// Notify is called after a transaction that enqueued a reminder commits (wakes the outbox
	// worker). Optional.
	Notify func()
	// Now is the clock; default DB.Now.
	Now    func() time.Time
	Config Config
}

// Engine schedules jobs and runs them under their leases.
type Engine struct {
	db     *store.DB
	loc    *time.Location
	cal    *workday.Calendar
	log    *slog.Logger
	holder string
	notify func()
	now    func() time.Time
	cfg    Config

	cron *cron.Cron
	jobs map[string]*entry

	ctx  context.Context
	stop context.CancelFunc
	wg   sync.WaitGroup
}

type entry struct {
	job      Job
	schedule cron.Schedule
	running  sync.Mutex // held while this process runs the job
}

// NewEngine returns an engine. Zero Config fields take DefaultConfig's values.
func NewEngine(o Options) (*Engine, error) {
	if o.DB == nil {
		return nil, errors.New("jobs: no database")
	}
	if o.Loc == nil {
		o.Loc = time.Local
	}
	if o.Cal == nil {
		o.Cal = workday.New(o.Loc, o.DB)
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Holder == "" {
		o.Holder = DefaultHolder()
	}
	if o.Now == nil {
		db := o.DB
		o.Now = func() time.Time { return db.Now() }
	}
	d := DefaultConfig()
	c := &o.Config
	if c.Lease <= 0 {
		c.Lease = d.Lease
	}
	if c.LateAfter <= 0 {
		c.LateAfter = d.LateAfter
	}
	if c.DropAfter <= 0 {
		c.DropAfter = d.DropAfter
	}
	if c.OfficeTime <= 0 {
		c.OfficeTime = d.OfficeTime
	}
	if c.Jitter <= 0 {
		c.Jitter = d.Jitter
	}
	ctx, stop := context.WithCancel(context.Background())
	e := &Engine{db: o.DB, loc: o.Loc, cal: o.Cal, log: o.Log, holder: o.Holder, notify: o.Notify, now: o.Now,
		cfg: o.Config, jobs: map[string]*entry{}, ctx: ctx, stop: stop}
	e.cron = cron.New(cron.WithLocation(o.Loc), cron.WithParser(cronspec.Parser),
		cron.WithChain(cron.Recover(cronLogger{o.Log}), cron.SkipIfStillRunning(cronLogger{o.Log})))
	return e, nil
}

// DefaultHolder is a replica name unique to this process: host:pid:random.
func DefaultHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 3)
	rand.Read(b)
	return fmt.Sprintf("%s:%d:%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Holder is this engine's replica name.
func (e *Engine) Holder() string { return e.holder }

// Calendar is the engine's workday calendar.
func (e *Engine) Calendar() *workday.Calendar { return e.cal }

// Loc is the engine's time zone.
func (e *Engine) Loc() *time.Location { return e.loc }

// Config is the engine's configuration, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

// Add registers a job. A spec that does not parse, a missing name or Run, or a name used twice
// is an error naming the job.
func (e *Engine) Add(j Job) error {
	if j.Name == "" || j.Run == nil {
		return fmt.Errorf("jobs: a job needs a name and a Run func (got %q)", j.Name)
	}
	if _, dup := e.jobs[j.Name]; dup {
		return fmt.Errorf("jobs: %s: added twice", j.Name)
	}
	s, err := cronspec.Parse(j.Spec)
	if err != nil {
		return fmt.Errorf("jobs: %s: bad schedule %q: %w", j.Name, j.Spec, err)
	}
	en := &entry{job: j, schedule: s}
	if _, err := e.cron.AddFunc(j.Spec, func() { e.wake(en, true) }); err != nil {
		return fmt.Errorf("jobs: %s: bad schedule %q: %w", j.Name, j.Spec, err)
	}
	e.jobs[j.Name] = en
	return nil
}

// Jobs returns the registered jobs by name.
func (e *Engine) Jobs() []Job {
	out := make([]Job, 0, len(e.jobs))
	for _, en := range e.jobs {
		out = append(out, en.job)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Next is the job's next scheduled wake-up after t.
func (e *Engine) Next(name string, t time.Time) (time.Time, error) {
	en, ok := e.jobs[name]
	if !ok {
		return time.Time{}, fmt.Errorf("jobs: no job %q", name)
	}
	return en.schedule.Next(t.In(e.loc)), nil
}

// BusyError is returned by RunJob when the job is running elsewhere (another replica holds
// its lease) or already in this process.
type BusyError struct {
	Job    string
	Holder string
	Until  time.Time
}

func (b *BusyError) Error() string {
	if b.Holder == "" {
		return fmt.Sprintf("jobs: %s is already running in this process", b.Job)
	}
	return fmt.Sprintf("jobs: %s is running on %s (lease until %s)", b.Job, b.Holder, b.Until.Format(time.RFC3339))
}

// ErrLeaseLost is the cause of a run's cancelled context when its lease could not be renewed.
var ErrLeaseLost = errors.New("jobs: lease lost")

// RunJob runs the job once for the instant at, as if it were that time (now, at a wake-up;
// any instant, by hand): it takes the job's lease (a *BusyError when another holder has it),
// sets Since to the At of the job's previous completed run before at, runs it and records the
// run. The unique reminder keys make a repeated run harmless.
func (e *Engine) RunJob(ctx context.Context, name string, at time.Time) error {
	en, ok := e.jobs[name]
	if !ok {
		return fmt.Errorf("jobs: no job %q", name)
	}
	return e.run(ctx, en, at, true, false)
}

// wake is the cron entry of a job: run it for now, once per tick of its schedule across the
// replicas; a job busy elsewhere is skipped. tick is false for the run at start-up, which
// catches up whatever another replica did.
func (e *Engine) wake(en *entry, tick bool) {
	e.wg.Add(1)
	defer e.wg.Done()
	if e.ctx.Err() != nil {
		return
	}
	err := e.run(e.ctx, en, e.now(), false, tick)
	var busy *BusyError
	if errors.As(err, &busy) {
		e.log.Debug("job skipped: running elsewhere", "job", en.job.Name, "holder", busy.Holder)
	}
}

// prevTick is the latest instant of the job's schedule at or before t (t when there is none
// within two years).
func (e *Engine) prevTick(en *entry, t time.Time) time.Time {
	t = t.In(e.loc)
	for d := time.Second; d <= 2*366*24*time.Hour; d *= 2 {
		p := en.schedule.Next(t.Add(-d))
		if p.After(t) || p.IsZero() {
			continue
		}
		for n := en.schedule.Next(p); !n.IsZero() && !n.After(t); n = en.schedule.Next(n) {
			p = n
		}
		return p
	}
	return t
}

func (e *Engine) run(ctx context.Context, en *entry, at time.Time, manual, tick bool) (err error) {
	name := en.job.Name
	if !en.running.TryLock() {
		return &BusyError{Job: name}
	}
	defer en.running.Unlock()

	lease, ok, err := e.db.AcquireLease(ctx, name, e.holder, e.cfg.Lease)
	if err != nil {
		e.log.Error("job lease", "job", name, "err", err)
		return err
	}
	if !ok {
		return &BusyError{Job: name, Holder: lease.Holder, Until: lease.ExpiresAt}
	}
	bg := context.WithoutCancel(ctx)
	defer e.release(bg, lease)
	if tick {
		// Every replica wakes at each tick; the lease keeps them from running at once, and
		// this keeps the one that got the lease after the first had finished from running the
		// tick again.
		from := e.prevTick(en, at)
		ran, err := e.db.JobRanSince(ctx, name, from)
		if err != nil {
			e.log.Error("job runs", "job", name, "err", err)
			return err
		}
		if ran {
			e.log.Debug("job skipped: this tick ran on another replica", "job", name, "tick", from.Format(time.RFC3339))
			return nil
		}
	}
	runCtx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	renewed := make(chan struct{})
	go func() {
		defer close(renewed)
		t := time.NewTicker(e.cfg.Lease / 3)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				ok, err := e.db.RenewLease(bg, lease, e.cfg.Lease)
				if err != nil {
					e.log.Warn("job lease renewal", "job", name, "err", err)
					continue
				}
				if !ok {
					e.log.Error("job lease lost; stopping the run", "job", name)
					cancel(ErrLeaseLost)
					return
				}
			}
		}
	}()
	defer func() { cancel(nil); <-renewed }()

	if err := e.cal.Reload(ctx); err != nil {
		e.log.Warn("calendar reload", "err", err)
	}
	since, err := e.db.LastCompletedRun(ctx, name, at)
	if err != nil {
		return err
	}
	rec := &store.JobRun{Job: name, At: at, Holder: e.holder, Manual: manual}
	if !since.IsZero() {
		rec.Since = &since
	}
	if err := e.db.StartJobRun(ctx, rec); err != nil {
		return err
	}
	r := &Run{Job: name, At: at.In(e.loc), Loc: e.loc, Cal: e.cal, DB: e.db,
		Log: e.log.With("job", name), e: e}
	if !since.IsZero() {
		r.Since = since.In(e.loc)
	}
	start := time.Now()
	err = call(runCtx, en.job.Run, r)
	if errors.Is(context.Cause(runCtx), ErrLeaseLost) {
		if err == nil || errors.Is(err, context.Canceled) {
			err = ErrLeaseLost
		} else {
			err = fmt.Errorf("%w: %w", ErrLeaseLost, err)
		}
	}
	rec.Outcome, rec.Error = store.RunOK, ""
	if err != nil {
		rec.Outcome, rec.Error = store.RunError, clip(err.Error(), 2000)
	}
	rec.Sent, rec.Late, rec.Dropped = r.Counts()
	if ferr := e.db.FinishJobRun(bg, rec); ferr != nil {
		e.log.Error("job run record", "job", name, "err", ferr)
	}
	attrs := []any{"job", name, "at", r.At.Format(time.RFC3339), "manual", manual, "sent", rec.Sent, "late", rec.Late,
		"dropped", rec.Dropped, "ms", time.Since(start).Milliseconds()}
	switch {
	case err != nil:
		e.log.Error("job failed", append(attrs, "err", err)...)
	case rec.Dropped > 0:
		e.log.Warn("job dropped reminders whose moment passed long ago", attrs...)
	default:
		e.log.Info("job done", attrs...)
	}
	return err
}

// release gives the lease back when a run ends, whatever its outcome, so that the next run
// (by hand, or another replica's wake-up) is not refused for jobs.lease. A failing database is
// tried again for a few seconds; after that the lease expires by itself.
func (e *Engine) release(ctx context.Context, l *store.Lease) {
	delay := 50 * time.Millisecond
	for try := 1; ; try++ {
		err := e.db.ReleaseLease(ctx, l)
		if err == nil {
			return
		}
		if try == 6 {
			e.log.Error("job lease release failed; the lease expires by itself", "job", l.Name, "err", err,
				"expires_at", l.ExpiresAt)
			return
		}
		e.log.Warn("job lease release failed, retrying", "job", l.Name, "err", err)
		time.Sleep(delay)
		delay *= 2
	}
}

// call runs a job, turning a panic into an error (with the stack in the log line).
func call(ctx context.Context, f func(context.Context, *Run) error, r *Run) (err error) {
	defer func() {
		if p := recover(); p != nil {
			r.Log.Error("job panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", p)
		}
	}()
	return f(ctx, r)
}

// Start runs every job once for now (catching up on what came due while the bot was down),
// then starts the schedule. It returns at once.
func (e *Engine) Start() {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for _, j := range e.Jobs() {
			if e.ctx.Err() != nil {
				return
			}
			e.wake(e.jobs[j.Name], false)
		}
	}()
	e.cron.Start()
}

// Stop stops scheduling, cancels running jobs' context and waits for them (up to ctx). A job
// cut short gives its lease back; what it did not do is done by the next run.
func (e *Engine) Stop(ctx context.Context) {
	done := e.cron.Stop()
	e.stop()
	select {
	case <-done.Done():
	case <-ctx.Done():
	}
	wait := make(chan struct{})
	go func() { e.wg.Wait(); close(wait) }()
	select {
	case <-wait:
	case <-ctx.Done():
	}
}

// Status is what `unionbot jobs list` shows of a job.
type Status struct {
	Job   Job
	Last  *store.JobRun // nil: never ran
	Lease *store.Lease  // nil: never ran
	Next  time.Time
}

// Statuses returns every job's status, by name, with its next wake-up after now.
func (e *Engine) Statuses(ctx context.Context, now time.Time) ([]Status, error) {
	var out []Status
	for _, j := range e.Jobs() {
		last, err := e.db.LastJobRun(ctx, j.Name)
		if err != nil {
			return nil, err
		}
		l, err := e.db.LeaseOf(ctx, j.Name)
		if err != nil {
			return nil, err
		}
		next, _ := e.Next(j.Name, now)
		out = append(out, Status{Job: j, Last: last, Lease: l, Next: next})
	}
	return out, nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// cronLogger adapts slog to cron's logger (panics recovered by cron itself, skipped runs).
type cronLogger struct{ log *slog.Logger }

func (l cronLogger) Info(msg string, kv ...any) { l.log.Debug("cron: "+msg, kv...) }
func (l cronLogger) Error(err error, msg string, kv ...any) {
	l.log.Error("cron: "+msg, append(kv, "err", err)...)
}
