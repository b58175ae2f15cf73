package outbox

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/unionbot/unionbot/store"
)

// session is one Run or Drain: the lanes holding the messages it claimed.
type session struct {
	w    *Worker
	ctx  context.Context // when done, start no more deliveries
	idle chan struct{}   // room was freed
	wg   sync.WaitGroup  // lane goroutines

	mu    sync.Mutex
	lanes map[string]*lane
}

// lane is the queue of one receiver's claimed messages, in created order. One goroutine
// delivers them one at a time; the head is the message being delivered.
type lane struct {
	key   string
	lim   *rate.Limiter // the receiver's pace
	queue []*store.OutboxMessage
}

func (w *Worker) newSession(ctx context.Context) *session {
	return &session{w: w, ctx: ctx, idle: make(chan struct{}, 1), lanes: map[string]*lane{}}
}

// stop waits for the lanes: they put back what they did not start once ctx is done.
func (s *session) stop() { s.wg.Wait() }

// counts returns the load (claimed messages counting at most laneLoad per receiver) and the
// number of claimed messages not finished yet.
func (s *session) counts() (load, total int) {
	k := s.w.cfg.laneLoad()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range s.lanes {
		load += min(len(l.queue), k)
		total += len(l.queue)
	}
	return load, total
}

// pending is the number of claimed messages not finished yet.
func (s *session) pending() int {
	_, total := s.counts()
	return total
}

// shouldClaim reports whether there is room for a worthwhile claim: half the capacity, or
// nothing in hand at all.
func (s *session) shouldClaim() bool {
	load, total := s.counts()
	c := s.w.cfg.capacity()
	return total == 0 || c-load >= max(1, c/2)
}

// fill claims as many due messages as there is room for and queues them in their lanes. full
// reports that the claim got all it asked for, so more may be due.
func (s *session) fill(ctx context.Context) (n int, full bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("outbox: claim panicked: %v", p)
		}
	}()
	load, _ := s.counts()
	room := s.w.cfg.capacity() - load
	if room <= 0 {
		return 0, true, nil
	}
	msgs, err := s.w.db.ClaimOutbox(ctx, s.w.cfg.WorkerID, room, s.w.cfg.Lease)
	if err != nil {
		return 0, false, err
	}
	for _, m := range msgs {
		s.add(m)
	}
	return len(msgs), len(msgs) == room, nil
}

// add queues a claimed message in its receiver's lane, starting the lane when it is new. (The
// store claims only a receiver's first pending message, so a lane holds one message at a time:
// the next is claimed once this one is finished.)
func (s *session) add(m *store.OutboxMessage) {
	w := s.w
	key := m.Receiver()
	s.mu.Lock()
	l := s.lanes[key]
	if l == nil {
		l = &lane{key: key, lim: w.receivers.acquire(key)}
		s.lanes[key] = l
		s.wg.Add(1)
		go s.run(l)
	}
	l.queue = append(l.queue, m)
	s.mu.Unlock()
}

// step is what a lane does after an attempt on its head.
type step struct {
	kind stepKind
	next time.Time // stepPutBack, stepDeferRest: when the messages are due again
	why  string
}

type stepKind int

const (
	stepDone      stepKind = iota // the head is finished (sent, failed, or retried alone)
	stepPutBack                   // the head was not attempted: put it back with the rest
	stepDeferRest                 // the head will be retried at next: the rest waits too
)

// run delivers a lane's messages one at a time until it is empty.
func (s *session) run(l *lane) {
	w := s.w
	defer s.wg.Done()
	defer w.receivers.release(l.key)
	defer func() {
		if p := recover(); p != nil {
			w.log.Error("outbox: lane panicked", "panic", clip(fmt.Sprint(p)))
			s.abandon(l, w.now().Add(w.base), "the worker panicked")
			s.mu.Lock()
			delete(s.lanes, l.key)
			s.mu.Unlock()
		}
	}()
	for {
		s.mu.Lock()
		if len(l.queue) == 0 {
			delete(s.lanes, l.key)
			s.mu.Unlock()
			s.signalIdle()
			return
		}
		m := l.queue[0]
		s.mu.Unlock()

		st := s.attempt(l, m)
		switch st.kind {
		case stepPutBack:
			s.abandon(l, st.next, st.why)
		case stepDeferRest:
			s.pop(l)
			s.abandon(l, st.next, st.why)
		default:
			s.pop(l)
			// The message is finished: its receiver's next one (if any) may be claimed now.
			w.Notify()
		}
		s.signalIdle()
	}
}

func (s *session) pop(l *lane) {
	s.mu.Lock()
	l.queue[0] = nil
	l.queue = l.queue[1:]
	s.mu.Unlock()
}

// abandon puts back every message queued in the lane, due at next.
func (s *session) abandon(l *lane, next time.Time, why string) {
	w := s.w
	s.mu.Lock()
	rest := l.queue
	l.queue = nil
	s.mu.Unlock()
	for _, m := range rest {
		w.putBack(s.ctx, m, next, why)
	}
}

func (s *session) signalIdle() {
	load, _ := s.counts()
	if load > s.w.cfg.capacity()/2 {
		return
	}
	select {
	case s.idle <- struct{}{}:
	default:
	}
}

// attempt waits for the limiters and a worker slot, delivers m and records the outcome.
func (s *session) attempt(l *lane, m *store.OutboxMessage) step {
	w, ctx := s.w, s.ctx
	stopping := step{kind: stepPutBack, why: "the worker is stopping"}
	if ctx.Err() != nil {
		stopping.next = w.now()
		return stopping
	}
	// Wait for the receiver's pace without holding a slot, so other receivers go meanwhile.
	if err := w.waitPause(ctx); err != nil {
		stopping.next = w.now()
		return stopping
	}
	if err := waitToken(ctx, l.lim); err != nil {
		stopping.next = w.now()
		return stopping
	}
	select {
	case w.slots <- struct{}{}:
	case <-ctx.Done():
		stopping.next = w.now()
		return stopping
	}
	defer func() { <-w.slots }()
	if err := w.gate(ctx, l, firstCall(m.Kind)); err != nil {
		stopping.next = w.now()
		return stopping
	}
	if m.ClaimedUntil != nil && m.ClaimedUntil.Sub(w.now()) < w.cfg.leaseNeed() {
		return step{kind: stepPutBack, next: w.now(), why: "the claim's lease is running short"}
	}

	if mid, ok := w.sentUnrecorded(m.ID); ok {
		// Feishu took it already; only the store missed it: record it, do not send it again.
		if err := w.mark(ctx, m, "sent", func(ctx context.Context) error { return w.db.MarkSent(ctx, m, mid) }); err == nil {
			w.mu.Lock()
			delete(w.unrecorded, m.ID)
			w.mu.Unlock()
		}
		return step{kind: stepDone}
	}
	start := time.Now()
	dctx := context.WithoutCancel(ctx) // a delivery under way finishes
	res := w.deliver(dctx, m, func(ctx context.Context, c callClass) error {
		ctx, cancel := context.WithTimeout(ctx, w.cfg.RequestTimeout)
		defer cancel()
		return w.gate(ctx, l, c)
	})
	took := time.Since(start)
	w.met.duration.WithLabelValues(m.Kind).Observe(took.Seconds())
	return s.record(m, classify(res), took)
}

// record stores the outcome of an attempt, counts it and logs it (never the content).
func (s *session) record(m *store.OutboxMessage, o outcome, took time.Duration) step {
	w, ctx := s.w, s.ctx
	switch o.verdict {
	case verdictSent:
		// Counted before the row is marked, so that whoever sees the row sent sees it counted.
		w.met.sent.WithLabelValues(m.Kind).Inc()
		if err := w.mark(ctx, m, "sent", func(ctx context.Context) error { return w.db.MarkSent(ctx, m, o.messageID) }); err != nil {
			w.rememberSent(m, o.messageID)
		}
		w.log.Debug("outbox: sent", "outbox_id", m.ID, "kind", m.Kind, "attempt", m.Attempts,
			"message_id", o.messageID, "took", took.Round(time.Millisecond))
		return step{kind: stepDone}
	case verdictFail:
		if m.Kind == store.OutboxPatch && o.code == codeMessageTooOld {
			s.tooOld(m, o.code, o.reason)
			return step{kind: stepDone}
		}
		s.fail(m, o.code, o.reason)
		return step{kind: stepDone}
	}
	// Retried for a time, not a count: a message fails for good once it has been failing for
	// RetryFor and had at least MaxAttempts attempts.
	now := w.now()
	failing := time.Duration(0)
	if m.FailingSince != nil {
		failing = now.Sub(*m.FailingSince)
	}
	if m.Attempts >= w.cfg.MaxAttempts && failing >= w.cfg.RetryFor {
		s.fail(m, o.code, clip(fmt.Sprintf("gave up after %d attempts in %s; last: %s", m.Attempts,
			failing.Round(time.Second), o.reason)))
		return step{kind: stepDone}
	}
	d := backoff(w.base, m.Attempts, o)
	next := now.Add(d)
	if o.pause {
		w.pause(time.Now().Add(max(o.wait, w.base)))
	}
	w.mark(ctx, m, "retry", func(ctx context.Context) error { return w.db.MarkRetry(ctx, m, next, o.code, o.reason) })
	w.met.retried.WithLabelValues(m.Kind, o.label).Inc()
	w.log.Info("outbox: delivery failed, will retry", "outbox_id", m.ID, "kind", m.Kind, "attempt", m.Attempts,
		"code", o.code, "retry_reason", o.label, "reason", o.reason, "retry_in", d.Round(time.Millisecond))
	return step{kind: stepDeferRest, next: next, why: "an earlier message to the receiver waits for a retry"}
}

func (s *session) fail(m *store.OutboxMessage, code int, reason string) {
	w := s.w
	w.met.failed.WithLabelValues(m.Kind, strconv.Itoa(code)).Inc() // before the row: see record
	w.mark(s.ctx, m, "failed", func(ctx context.Context) error { return w.db.MarkFailed(ctx, m, code, reason) })
	w.log.Warn("outbox: delivery failed for good", "outbox_id", m.ID, "kind", m.Kind, "attempt", m.Attempts,
		"code", code, "reason", reason)
	if w.cfg.OnFailed != nil {
		w.cfg.OnFailed(m, code, reason)
	}
}

// tooOld ends a patch of a message Feishu no longer lets be edited: the live card showing it is
// posted afresh to its chat (store.DB.MarkCardTooOld), and the worker wakes to send it.
func (s *session) tooOld(m *store.OutboxMessage, code int, reason string) {
	w := s.w
	w.met.failed.WithLabelValues(m.Kind, strconv.Itoa(code)).Inc() // before the row: see record
	w.mark(s.ctx, m, "failed", func(ctx context.Context) error { return w.db.MarkCardTooOld(ctx, m, code, reason) })
	w.log.Info("outbox: the message is too old to update; its card is posted afresh", "outbox_id", m.ID,
		"message_id", m.TargetMessageID)
	w.Notify()
}
