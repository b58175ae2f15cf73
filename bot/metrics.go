package bot

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the bot's Prometheus metrics. The outbox worker registers its own.
type Metrics struct {
	Received     *prometheus.CounterVec   // events received, by type
	Deduplicated *prometheus.CounterVec   // redeliveries dropped, by type
	Handled      *prometheus.CounterVec   // events handled, by type and outcome
	Latency      *prometheus.HistogramVec // handler latency, by type
	WSConnected  prometheus.Gauge         // 1 while the long connection is up
	WSReconnects prometheus.Counter       // long-connection reconnects
}

// NewMetrics creates the metrics and registers them on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Received: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "unionbot", Subsystem: "events",
			Name: "received_total", Help: "Events received from Feishu, by type."}, []string{"type"}),
		Deduplicated: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "unionbot", Subsystem: "events",
			Name: "deduplicated_total", Help: "Redelivered events dropped without effect, by type."}, []string{"type"}),
		Handled: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "unionbot", Subsystem: "events",
			Name: "handled_total", Help: "Events handled, by type and outcome (ok, user_error, denied, error, panic, timeout, unavailable, ignored, refused_after_write)."},
			[]string{"type", "outcome"}),
		Latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "unionbot", Subsystem: "events",
			Name: "handler_seconds", Help: "Time from receipt to answer, by type.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2, 3}}, []string{"type"}),
		WSConnected: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "unionbot", Subsystem: "websocket",
			Name: "connected", Help: "1 while the long connection to Feishu is up."}),
		WSReconnects: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "unionbot", Subsystem: "websocket",
			Name: "reconnects_total", Help: "Reconnections of the long connection."}),
	}
	reg.MustRegister(m.Received, m.Deduplicated, m.Handled, m.Latency, m.WSConnected, m.WSReconnects)
	return m
}
