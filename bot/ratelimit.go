package bot

import (
	"sync"
	"time"
)

// RateLimit bounds the events one member may send (messages and card clicks together): a
// bucket of Burst events, refilled at PerSecond. An event over the limit is answered
// 操作太频繁，请稍后再试 and handled not at all: nothing is written for it, and a member who
// keeps sending gets that answer to a message once per cooldown, not once per message. The
// zero value imposes no limit. The limit is per replica (in memory): with several replicas a
// member gets at most that many times the rate.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// msgRateLimited is the answer to an event over the member's limit.
const msgRateLimited = "操作太频繁，请稍后再试。"

// limiter holds one token bucket per sender.
type limiter struct {
	rate, burst float64
	now         func() time.Time
	mu          sync.Mutex
	buckets     map[string]*bucket
	swept       time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	told   time.Time // when the member was last answered msgRateLimited to a message
}

func newLimiter(l RateLimit) *limiter {
	if l.PerSecond <= 0 || l.Burst <= 0 {
		return nil
	}
	return &limiter{rate: l.PerSecond, burst: float64(l.Burst), now: time.Now, buckets: map[string]*bucket{}}
}

// allow takes a token from key's bucket. When there is none, tell says whether this is the
// first refusal in a cooldown (the time the bucket takes to fill), for a message to answer.
func (l *limiter) allow(key string) (ok, tell bool) {
	if l == nil || key == "" {
		return true, false
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	full := time.Duration(l.burst / l.rate * float64(time.Second))
	if len(l.buckets) > 10000 && now.Sub(l.swept) > full {
		// Bounded memory: a bucket idle long enough to be full again is the same as none.
		for k, b := range l.buckets {
			if now.Sub(b.last) > full && now.Sub(b.told) > full {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	b.tokens = min(l.burst, b.tokens+now.Sub(b.last).Seconds()*l.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return true, false
	}
	if now.Sub(b.told) < full {
		return false, false
	}
	b.told = now
	return false, true
}
