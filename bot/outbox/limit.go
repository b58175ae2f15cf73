package outbox

import (
	"context"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// receiverLimits holds one token bucket (burst 1) per receiver. A bucket that has been idle
// long enough to be full again is no different from a new one, so sweep drops it: the map
// holds only the receivers of the last moments.
type receiverLimits struct {
	limit rate.Limit
	idle  time.Duration // after this a bucket is full again

	mu sync.Mutex
	m  map[string]*receiverLimit
}

type receiverLimit struct {
	lim      *rate.Limiter
	users    int // lanes holding it
	lastUsed time.Time
}

func newReceiverLimits(perSecond float64) *receiverLimits {
	return &receiverLimits{
		limit: rate.Limit(perSecond),
		idle:  2 * time.Duration(float64(time.Second)/perSecond),
		m:     map[string]*receiverLimit{},
	}
}

// acquire returns the bucket of key; release it when done.
func (r *receiverLimits) acquire(key string) *rate.Limiter {
	r.mu.Lock()
	defer r.mu.Unlock()
	e := r.m[key]
	if e == nil {
		e = &receiverLimit{lim: rate.NewLimiter(r.limit, 1)}
		r.m[key] = e
	}
	e.users++
	return e.lim
}

// release gives back a bucket taken by acquire.
func (r *receiverLimits) release(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e := r.m[key]; e != nil {
		e.users--
		e.lastUsed = time.Now()
	}
}

// sweep drops the buckets nobody holds that are full again.
func (r *receiverLimits) sweep(now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, e := range r.m {
		if e.users <= 0 && now.Sub(e.lastUsed) > r.idle {
			delete(r.m, k)
		}
	}
}

// size is the number of buckets held.
func (r *receiverLimits) size() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.m)
}

// waitToken waits, without taking it, until lim has a token: a lane waits here before it
// takes a worker slot, so a receiver's pace never holds back other receivers.
func waitToken(ctx context.Context, lim *rate.Limiter) error {
	for {
		tok := lim.Tokens()
		if tok >= 1 {
			return nil
		}
		d := time.Duration((1 - tok) / float64(lim.Limit()) * float64(time.Second))
		if err := sleep(ctx, max(d, time.Millisecond)); err != nil {
			return err
		}
	}
}

// takeToken takes a token from lim at the moment it is available, waiting as needed. Unlike
// lim.Wait it never reserves a future slot: a goroutine that wakes late (a busy machine, a GC
// pause) takes its token late, so late wake-ups can never bunch into a burst. The tokens are
// taken at the real moments of the calls, and with a burst of 1 no second holds more than
// rate+1 calls.
func takeToken(ctx context.Context, lim *rate.Limiter) error {
	for !lim.Allow() {
		if err := waitToken(ctx, lim); err != nil {
			return err
		}
	}
	return nil
}

// window keeps at most n calls in any sliding period: the platform's per-minute limit, which
// a token bucket at the per-second pace would overrun.
type window struct {
	n   int
	per time.Duration

	mu    sync.Mutex
	times []time.Time // ring of the last n bookings, in increasing order
	next  int
}

// newWindow returns a window of n calls per period, or nil (no limit) when n <= 0.
func newWindow(n int, per time.Duration) *window {
	if n <= 0 {
		return nil
	}
	return &window{n: n, per: per}
}

// wait books the next call and sleeps until it may start.
func (w *window) wait(ctx context.Context) error {
	if w == nil {
		return nil
	}
	return sleep(ctx, time.Until(w.book(time.Now())))
}

// book books the next call asked for at now and returns when it may start: at the earliest
// one period after the call n bookings before it.
func (w *window) book(now time.Time) time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	at := now
	if len(w.times) < w.n {
		w.times = append(w.times, at)
		return at
	}
	if t := w.times[w.next].Add(w.per); t.After(at) {
		at = t
	}
	w.times[w.next] = at
	w.next = (w.next + 1) % w.n
	return at
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
