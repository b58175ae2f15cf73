package outbox

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"os"
	"time"

	"github.com/unionbot/unionbot/store"
)

// Config tunes the delivery worker. The zero value of every field means its default.
type Config struct {
	// WorkerID identifies this process in claims (default hostname-pid, or with an Instance
	// INSTANCE~hostname-pid-random). It is cut to 48 characters: the store appends a random
	// suffix and keeps 64.
	WorkerID string
	// Instance names this replica across restarts (app.Instance: its host and listen address).
	// When set, Reclaim takes back the claims an earlier process of the same instance left
	// behind (killed before it could put them back), instead of waiting for their lease.
	Instance string
	// Rate is the app-wide number of API calls per second (default 50, the platform's limit).
	// The worker paces at 80% of it, one call at a time (no burst), so that network jitter and
	// a busy machine cannot push a one-second window over the platform's limit.
	Rate float64
	// PerReceiver is the number of messages per second to one receiver (user, chat, or the
	// message a reply or patch targets) (default 5, the platform's limit), also paced at 80%.
	PerReceiver float64
	// PerMinute is the app-wide number of sends and replies per minute (default 1000, the
	// platform's limit); the worker keeps 95% of it in any sliding minute. Negative turns the
	// minute limit off.
	PerMinute int
	// RetryFor is how long a message failing transiently (429, 5xx, timeouts, refused or
	// dropped connections) is retried before it fails for good, counted from its first failure
	// (default 24h). A permanent refusal fails it at once.
	RetryFor time.Duration
	// MaxAttempts is the least number of attempts a message failing transiently gets before it
	// fails for good (default 12): it fails only when both RetryFor has passed and it had this
	// many attempts.
	MaxAttempts int
	// OnFailed, when set, is called after a message was marked failed for good (not for a card
	// update of a message too old to edit, which is posted afresh instead).
	OnFailed func(m *store.OutboxMessage, code int, reason string)
	// PollInterval is how often the worker looks for due messages when not notified
	// (default 500ms).
	PollInterval time.Duration
	// Workers is the number of concurrent deliveries (default 8).
	Workers int
	// Lease is how long a claim holds a message (default 2m). The worker claims only what it
	// can send within a fraction of it, and puts back a message whose lease runs short before
	// it is sent.
	Lease time.Duration
	// RequestTimeout bounds each API call (default 10s, at most Lease/6).
	RequestTimeout time.Duration
}

// Defaults.
const (
	DefaultRate           = 50
	DefaultPerReceiver    = 5
	DefaultPerMinute      = 1000
	DefaultMaxAttempts    = 12
	DefaultRetryFor       = 24 * time.Hour
	DefaultPollInterval   = 500 * time.Millisecond
	DefaultWorkers        = 8
	DefaultLease          = 2 * time.Minute
	DefaultRequestTimeout = 10 * time.Second
)

const (
	rateHeadroom   = 0.9  // fraction of Rate and PerReceiver the worker paces at
	minuteHeadroom = 0.95 // fraction of PerMinute kept in any sliding minute
	maxWorkerID    = 48   // claimed_by is VARCHAR(64); the store adds ":" and 12 hex digits
)

// withDefaults fills in the defaults and keeps the settings consistent with each other.
func (c Config) withDefaults() Config {
	if c.WorkerID == "" {
		host, err := os.Hostname()
		if err != nil || host == "" {
			host = "unionbot"
		}
		c.WorkerID = fmt.Sprintf("%s-%d", host, os.Getpid())
		if c.Instance != "" {
			// The random part tells this process from an earlier one with the same pid (a
			// container's pid 1).
			b := make([]byte, 3)
			rand.Read(b)
			if len(host) > 16 {
				host = host[:16]
			}
			c.WorkerID = fmt.Sprintf("%s~%s-%d-%s", c.Instance, host, os.Getpid(), hex.EncodeToString(b))
		}
	}
	if len(c.WorkerID) > maxWorkerID && c.Instance == "" {
		c.WorkerID = c.WorkerID[len(c.WorkerID)-maxWorkerID:] // the end keeps the pid
	}
	if c.Rate <= 0 {
		c.Rate = DefaultRate
	}
	if c.PerReceiver <= 0 {
		c.PerReceiver = DefaultPerReceiver
	}
	if c.PerMinute == 0 {
		c.PerMinute = DefaultPerMinute
	}
	if c.RetryFor <= 0 {
		c.RetryFor = DefaultRetryFor
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = DefaultMaxAttempts
	}
	if c.PollInterval <= 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.Lease <= 0 {
		c.Lease = DefaultLease
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.RequestTimeout > c.Lease/6 {
		c.RequestTimeout = c.Lease / 6
	}
	return c
}

// capacity is how many claimed messages may wait for delivery at once, counting at most
// laneLoad per receiver: what the app-wide rate delivers in about two seconds, at least one
// per worker and at most four per worker.
func (c Config) capacity() int {
	n := int(math.Ceil(c.Rate * rateHeadroom * 2))
	n = min(n, 4*c.Workers)
	return max(n, c.Workers)
}

// laneLoad is how many messages of one receiver count against the capacity: what that
// receiver can take in a second. (A lane holds one message at a time since the claim takes
// only a receiver's first pending message; the bound stays as a guard.)
func (c Config) laneLoad() int {
	return max(1, int(math.Ceil(c.PerReceiver*rateHeadroom)))
}

// leaseNeed is the lease a message must still have before its delivery starts: two calls
// (a file is uploaded, then sent) and time to record the outcome.
func (c Config) leaseNeed() time.Duration {
	return 2*c.RequestTimeout + c.Lease/12
}
