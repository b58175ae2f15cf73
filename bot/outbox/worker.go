// Package outbox delivers the messages that handlers and jobs queue in the store's outbox:
// through the Feishu SDK, at the platform's rate limits, retrying transient failures with
// backoff, and with the outbox id as the message's uuid so that a resend is never a second
// message.
//
// A Worker claims due messages in small batches (the store's claim is atomic, so replicas
// never hold one message together), queues them in one lane per receiver (a user, chat, or
// the message a reply or patch targets) and delivers the lanes concurrently, each at the
// receiver's pace; a lane waiting for its receiver never holds a worker slot. Order per
// receiver is the store's: the claim takes only the first pending message of each receiver
// (store.DB.ClaimOutbox), so a receiver has one message in flight across every replica, and a
// message waiting for a retry holds back that receiver's later ones until it is sent or fails
// for good. When a message is finished the worker claims again, for the receiver's next one.
package outbox

import (
	"context"
	"log/slog"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/unionbot/unionbot/store"
)

// Worker delivers outbox messages. Create it with New, run it with Run, wake it with Notify
// after a transaction that enqueued commits, and call Drain at shutdown.
type Worker struct {
	db     *store.DB
	client *lark.Client
	cfg    Config
	log    *slog.Logger
	met    *metrics

	wake      chan struct{} // Notify
	active    chan struct{} // held by the running Run or Drain
	slots     chan struct{} // one per concurrent delivery
	app       *rate.Limiter
	minute    *window
	receivers *receiverLimits

	// base is the backoff base (1s); tests shorten it.
	base time.Duration
	// beforeDeliver, when set (by tests), runs before each delivery attempt.
	beforeDeliver func(*store.OutboxMessage)
	// markFault, when set (by tests), fails recording an outcome (what: "sent", "retry", ...)
	// as a database that went away would.
	markFault func(what string) error

	mu sync.Mutex
	// unrecorded are messages Feishu accepted whose sending the store could not record (the
	// database was away): they are recorded as soon as it answers, and never sent again by
	// this process meanwhile.
	unrecorded map[string]unrecordedSend
	pausedTo   time.Time // the platform throttled the app: no call before this
	lastDepth  time.Time
}

// New returns a worker delivering db's outbox through client. Its metrics are registered on
// reg (nil: not registered); a second worker on the same registry shares them.
func New(db *store.DB, client *lark.Client, cfg Config, log *slog.Logger, reg prometheus.Registerer) *Worker {
	cfg = cfg.withDefaults()
	if log == nil {
		log = slog.Default()
	}
	log = log.With("worker", cfg.WorkerID)
	return &Worker{
		db:         db,
		client:     client,
		cfg:        cfg,
		log:        log,
		met:        newMetrics(reg, log),
		wake:       make(chan struct{}, 1),
		active:     make(chan struct{}, 1),
		slots:      make(chan struct{}, cfg.Workers),
		app:        rate.NewLimiter(rate.Limit(cfg.Rate*rateHeadroom), 1),
		minute:     newWindow(int(float64(cfg.PerMinute)*minuteHeadroom), time.Minute),
		receivers:  newReceiverLimits(cfg.PerReceiver * rateHeadroom),
		base:       time.Second,
		unrecorded: map[string]unrecordedSend{},
	}
}

// Config returns the worker's settings with the defaults filled in.
func (w *Worker) Config() Config { return w.cfg }

// Notify wakes the worker to look for due messages now. It never blocks; call it after a
// transaction that enqueued messages commits (store.Tx.AfterCommit).
func (w *Worker) Notify() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Reclaim takes back the messages an earlier process of this worker's instance had claimed
// and not finished (it was killed), so that they go out now rather than when that process's
// lease would have run out (Config.Lease). Call it once at start, only when no other live
// process can have the same instance (app.Main calls it after binding its listen address).
// Without an instance it does nothing.
func (w *Worker) Reclaim(ctx context.Context) (int, error) {
	if w.cfg.Instance == "" {
		return 0, nil
	}
	n, err := w.db.ReclaimOutbox(ctx, w.cfg.Instance+"~", w.cfg.WorkerID)
	if err != nil {
		return 0, err
	}
	if n > 0 {
		w.log.Info("outbox: took back the messages an earlier process of this instance had claimed", "n", n,
			"instance", w.cfg.Instance)
		w.Notify()
	}
	return n, nil
}

// Run delivers due messages until ctx is done, then puts back the messages it claimed but
// did not start and returns once the deliveries under way have finished. It survives
// database errors (logged, then retried with backoff) and panics in a delivery (the message
// is retried later). It returns nil, or ctx's error when ctx ended before it could start
// (another Run or Drain of this worker was running).
func (w *Worker) Run(ctx context.Context) error {
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.releaseActive()
	s := w.newSession(ctx)
	defer s.stop()

	w.log.Info("outbox: worker started", "workers", w.cfg.Workers, "rate", w.cfg.Rate,
		"per_receiver", w.cfg.PerReceiver, "lease", w.cfg.Lease)
	var (
		want       = true // messages may be due
		errDelay   time.Duration
		claimAfter time.Time // after a database error, no claim before this
		nextPoll   = time.Now().Add(w.cfg.PollInterval)
		timer      = time.NewTimer(w.cfg.PollInterval)
	)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			return nil
		}
		if want && !time.Now().Before(claimAfter) && s.shouldClaim() {
			n, full, err := s.fill(ctx)
			switch {
			case err != nil && ctx.Err() != nil:
				return nil
			case err != nil:
				errDelay = min(max(2*errDelay, time.Second), 30*time.Second)
				claimAfter = time.Now().Add(errDelay)
				w.log.Error("outbox: claiming messages failed", "err", err, "retry_in", errDelay)
			default:
				errDelay = 0
				want = full
				if n > 0 {
					w.log.Debug("outbox: claimed", "n", n)
				}
			}
		}
		w.housekeeping(ctx)
		w.flushUnrecorded(ctx)
		if errDelay == 0 && want && s.shouldClaim() {
			continue // a full batch: more is due and there is room
		}

		wait := time.Until(nextPoll)
		if want && errDelay > 0 {
			wait = min(wait, time.Until(claimAfter))
		}
		timer.Reset(max(wait, 0)) // Go 1.23 timers: no stale tick after Reset
		select {
		case <-ctx.Done():
			return nil
		case <-w.wake:
			want = true
		case <-s.idle:
			// Room was freed: claim again when the last batch was full.
		case <-timer.C:
			if time.Now().Before(nextPoll) {
				break // the error backoff ended
			}
			nextPoll = time.Now().Add(w.cfg.PollInterval)
			if want {
				break
			}
			due, in := w.nextDue(ctx)
			want = due
			if !due && in > 0 && in < w.cfg.PollInterval {
				nextPoll = time.Now().Add(in)
			}
		}
	}
}

// Drain delivers every message due now and returns when none is left or ctx ends (then with
// ctx's error, after putting back what it did not start). Messages that fail transiently are
// retried later, not within Drain. It waits for a running Run to return first.
//
// Sends Feishu accepted whose outcome the database missed (it was away) and that are not
// recorded yet are recorded too, retried until ctx ends; what still could not be recorded is
// logged at WARN (the outbox id, never the content), since only this process knows they were
// sent: the next start sends them again, with the same uuid.
func (w *Worker) Drain(ctx context.Context) error {
	if err := w.acquire(ctx); err != nil {
		return err
	}
	defer w.releaseActive()
	defer w.recordUnrecorded(ctx)
	s := w.newSession(ctx)
	defer s.stop()
	for {
		w.flushUnrecorded(ctx)
		n, _, err := s.fill(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			w.log.Error("outbox: claiming messages failed", "err", err)
			if err := sleep(ctx, 500*time.Millisecond); err != nil {
				return err
			}
			continue
		}
		if n == 0 && s.pending() == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-s.idle:
		}
	}
}

// recordUnrecorded tries to record the sends the database missed until none is left or ctx
// ends, then logs each one left at WARN (Drain, at a clean stop).
func (w *Worker) recordUnrecorded(ctx context.Context) {
	for {
		w.flushUnrecorded(ctx)
		if w.unrecordedCount() == 0 || sleep(ctx, 200*time.Millisecond) != nil {
			break
		}
	}
	w.mu.Lock()
	left := make([]unrecordedSend, 0, len(w.unrecorded))
	for _, u := range w.unrecorded {
		left = append(left, u)
	}
	w.mu.Unlock()
	for _, u := range left {
		w.log.Warn("outbox: stopping with a send Feishu accepted that the database has not recorded; "+
			"the next start sends it again with the same uuid, which Feishu drops within the hour",
			"outbox_id", u.m.ID, "kind", u.m.Kind, "message_id", u.messageID)
	}
}

func (w *Worker) unrecordedCount() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.unrecorded)
}

func (w *Worker) acquire(ctx context.Context) error {
	select {
	case w.active <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Worker) releaseActive() { <-w.active }

// now is the store's clock: claims, leases and due times are compared with it.
func (w *Worker) now() time.Time { return w.db.Now() }

// nextDue asks the store whether a message is due now, or in how long the next one is.
func (w *Worker) nextDue(ctx context.Context) (bool, time.Duration) {
	at, ok, err := w.db.NextOutboxDue(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("outbox: reading the next due time failed", "err", err)
		}
		return true, 0 // let the claim find out
	}
	if !ok {
		return false, 0
	}
	in := at.Sub(w.now())
	return in <= 0, in
}

// housekeeping refreshes the depth gauge (at most once a second) and forgets idle receivers.
func (w *Worker) housekeeping(ctx context.Context) {
	now := time.Now()
	w.receivers.sweep(now)
	w.mu.Lock()
	refresh := now.Sub(w.lastDepth) >= time.Second
	if refresh {
		w.lastDepth = now
	}
	w.mu.Unlock()
	if !refresh {
		return
	}
	st, err := w.db.OutboxStats(ctx)
	if err != nil {
		if ctx.Err() == nil {
			w.log.Warn("outbox: reading the outbox depth failed", "err", err)
		}
		return
	}
	w.met.depth.Set(float64(st.Pending))
}

// pause stops every platform call until t (the platform throttled the whole app).
func (w *Worker) pause(t time.Time) {
	w.mu.Lock()
	if t.After(w.pausedTo) {
		w.pausedTo = t
	}
	w.mu.Unlock()
}

// waitPause waits out a pause.
func (w *Worker) waitPause(ctx context.Context) error {
	for {
		w.mu.Lock()
		d := time.Until(w.pausedTo)
		w.mu.Unlock()
		if d <= 0 {
			return ctx.Err()
		}
		if err := sleep(ctx, d); err != nil {
			return err
		}
	}
}

// gate waits until a call of class c may go for a message of lane l: no pause, an app-wide
// token, a place in the minute window, the receiver's token.
func (w *Worker) gate(ctx context.Context, l *lane, c callClass) error {
	if err := w.waitPause(ctx); err != nil {
		return err
	}
	if c == callMessage {
		if err := w.minute.wait(ctx); err != nil {
			return err
		}
	}
	if err := takeToken(ctx, w.app); err != nil {
		return err
	}
	if c != callUpload {
		// The lane waited for this token before taking its slot and nobody else takes
		// from this bucket, so this normally passes at once.
		if err := takeToken(ctx, l.lim); err != nil {
			return err
		}
	}
	return nil
}

// unrecordedSend is a message Feishu accepted whose sending is not recorded yet.
type unrecordedSend struct {
	m         *store.OutboxMessage
	messageID string
}

// maxUnrecorded bounds the sends kept in memory for recording; past it the oldest rely on
// Feishu's uuid de-duplication alone.
const maxUnrecorded = 10000

// rememberSent keeps a send the store could not record.
func (w *Worker) rememberSent(m *store.OutboxMessage, messageID string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.unrecorded) >= maxUnrecorded {
		return
	}
	w.unrecorded[m.ID] = unrecordedSend{m: m, messageID: messageID}
}

// sentUnrecorded reports whether id was sent by this process but not recorded yet, and with
// which Feishu message id.
func (w *Worker) sentUnrecorded(id string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	u, ok := w.unrecorded[id]
	return u.messageID, ok
}

// flushUnrecorded records the sends the store could not record before (called by Run's loop).
func (w *Worker) flushUnrecorded(ctx context.Context) {
	w.mu.Lock()
	if len(w.unrecorded) == 0 {
		w.mu.Unlock()
		return
	}
	var todo []unrecordedSend
	for _, u := range w.unrecorded {
		todo = append(todo, u)
	}
	w.mu.Unlock()
	for _, u := range todo {
		err := w.markOnce(ctx, "sent", func(ctx context.Context) error { return w.db.MarkSent(ctx, u.m, u.messageID) })
		if err != nil && store.ErrorCode(err) != store.ECONFLICT {
			return // the database is still away: next time
		}
		w.mu.Lock()
		delete(w.unrecorded, u.m.ID)
		w.mu.Unlock()
		w.log.Info("outbox: recorded a send the database had missed", "outbox_id", u.m.ID)
	}
}

// markOnce runs one store update for an outcome, with the test fault applied.
func (w *Worker) markOnce(ctx context.Context, what string, f func(ctx context.Context) error) error {
	if w.markFault != nil {
		if err := w.markFault(what); err != nil {
			return err
		}
	}
	mctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	return f(mctx)
}

// mark runs a store update for a finished attempt with a few retries on database errors. A
// lost lease (ECONFLICT) means another worker owns the message now: nothing more to do. It
// returns the error that remained (nil once recorded, or on ECONFLICT).
func (w *Worker) mark(ctx context.Context, m *store.OutboxMessage, what string, f func(ctx context.Context) error) error {
	ctx = context.WithoutCancel(ctx)
	delay := 100 * time.Millisecond
	for try := 1; ; try++ {
		err := w.markOnce(ctx, what, f)
		switch {
		case err == nil:
			return nil
		case store.ErrorCode(err) == store.ECONFLICT:
			w.log.Info("outbox: lease lost, another worker has the message", "outbox_id", m.ID, "kind", m.Kind, "op", what)
			return nil
		case try >= 4 && what == "sent":
			w.log.Error("outbox: recording a send failed; it is recorded when the database answers, and not sent again",
				"outbox_id", m.ID, "kind", m.Kind, "err", err)
			return err
		case try >= 4:
			w.log.Error("outbox: recording the outcome failed; the message is retried when its lease ends",
				"outbox_id", m.ID, "kind", m.Kind, "op", what, "err", err)
			return err
		}
		w.log.Warn("outbox: recording the outcome failed, retrying", "outbox_id", m.ID, "op", what, "err", err)
		time.Sleep(delay)
		delay *= 4
	}
}

// putBack returns a claimed message that was not attempted to the queue, due at next. The
// store counted the claim as an attempt; its last code and error are kept.
func (w *Worker) putBack(ctx context.Context, m *store.OutboxMessage, next time.Time, why string) {
	w.log.Debug("outbox: put back", "outbox_id", m.ID, "kind", m.Kind, "why", why, "next_attempt_at", next)
	w.mark(ctx, m, "put back", func(ctx context.Context) error {
		return w.db.ReleaseOutbox(ctx, m, next)
	})
}
