package bot

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Checker is something /readyz asks: nil means ready.
type Checker func(ctx context.Context) error

// HTTPOptions configure the HTTP endpoints.
type HTTPOptions struct {
	Webhook  http.Handler        // mounted at /webhook/event (webhook mode only)
	Gatherer prometheus.Gatherer // served at /metrics
	Checks   map[string]Checker  // /readyz: e.g. "database", "transport"
}

// NewHTTPHandler serves /healthz (the process is alive), /readyz (every check passes: 200,
// else 503, with each check's state as JSON), /metrics and, in webhook mode, /webhook/event.
func NewHTTPHandler(o HTTPOptions) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, body := http.StatusOK, map[string]string{}
		for name, check := range o.Checks {
			if err := check(ctx); err != nil {
				status, body[name] = http.StatusServiceUnavailable, err.Error()
			} else {
				body[name] = "ok"
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(body)
	})
	if o.Gatherer != nil {
		mux.Handle("GET /metrics", promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{}))
	}
	if o.Webhook != nil {
		mux.Handle("/webhook/event", o.Webhook)
	}
	return mux
}
