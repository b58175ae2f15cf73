package outbox

import (
	"errors"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
)

// Retry reasons, the "reason" label of unionbot_outbox_retried_total.
const (
	reasonRateLimited = "rate_limited" // 99991400, 11232 or HTTP 429
	reasonChatLimited = "chat_limited" // 230020
	reasonServerError = "server_error" // HTTP 5xx, token hiccups
	reasonNetwork     = "network"      // a Go error: timeout, refused connection, bad answer
	reasonPanic       = "panic"        // the delivery code panicked
)

// metrics are the worker's Prometheus collectors.
type metrics struct {
	sent     *prometheus.CounterVec
	retried  *prometheus.CounterVec
	failed   *prometheus.CounterVec
	depth    prometheus.Gauge
	duration *prometheus.HistogramVec
}

func newMetrics(reg prometheus.Registerer, log *slog.Logger) *metrics {
	const ns, sub = "unionbot", "outbox"
	m := &metrics{
		sent: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "sent_total",
			Help: "Outbox messages delivered, by kind.",
		}, []string{"kind"}),
		retried: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "retried_total",
			Help: "Outbox deliveries put back for a later attempt, by kind and reason.",
		}, []string{"kind", "reason"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "failed_total",
			Help: "Outbox messages failed for good, by kind and platform code.",
		}, []string{"kind", "code"}),
		depth: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "depth",
			Help: "Pending outbox messages.",
		}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "delivery_seconds",
			Help:    "Time of one delivery attempt (the platform calls, without waiting for the rate limiters).",
			Buckets: []float64{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
	}
	m.sent = register(reg, log, m.sent)
	m.retried = register(reg, log, m.retried)
	m.failed = register(reg, log, m.failed)
	m.depth = register(reg, log, m.depth)
	m.duration = register(reg, log, m.duration)
	return m
}

// register registers c on reg and returns it, or the collector already registered under the
// same name (a second worker on one registry shares the first one's metrics).
func register[C prometheus.Collector](reg prometheus.Registerer, log *slog.Logger, c C) C {
	if reg == nil {
		return c
	}
	err := reg.Register(c)
	if err == nil {
		return c
	}
	var are prometheus.AlreadyRegisteredError
	if errors.As(err, &are) {
		if existing, ok := are.ExistingCollector.(C); ok {
			return existing
		}
	}
	log.Warn("outbox: metric not registered", "err", err)
	return c
}
