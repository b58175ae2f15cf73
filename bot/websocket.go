package bot

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher"
	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// WebSocket is the long-connection transport: the bot dials Feishu, so no public URL,
// encryption or signature is needed. Its state shows in /readyz and the metrics.
type WebSocket struct {
	client     *larkws.Client
	log        *slog.Logger
	metrics    *Metrics
	connected  atomic.Bool
	everReady  atomic.Bool
	reconnects atomic.Int64
}

// NewWebSocket creates the transport for an app at baseURL (https://open.feishu.cn).
func NewWebSocket(appID, appSecret, baseURL string, d *dispatcher.EventDispatcher, log *slog.Logger, m *Metrics) *WebSocket {
	t := &WebSocket{log: log, metrics: m}
	t.client = larkws.NewClient(appID, appSecret,
		larkws.WithEventHandler(d),
		larkws.WithDomain(baseURL),
		larkws.WithLogger(SDKLogger(log)),
		larkws.WithLogLevel(larkcore.LogLevelWarn),
		larkws.WithAutoReconnect(true),
		larkws.WithOnReady(func() {
			t.connected.Store(true)
			t.everReady.Store(true)
			m.WSConnected.Set(1)
			log.Info("websocket connected")
		}),
		larkws.WithOnReconnecting(func() {
			t.connected.Store(false)
			m.WSConnected.Set(0)
			log.Warn("websocket reconnecting")
		}),
		larkws.WithOnReconnected(func() {
			t.connected.Store(true)
			t.reconnects.Add(1)
			m.WSConnected.Set(1)
			m.WSReconnects.Inc()
			log.Warn("websocket reconnected", "reconnects", t.reconnects.Load())
		}),
		larkws.WithOnDisconnected(func() {
			t.connected.Store(false)
			m.WSConnected.Set(0)
			log.Warn("websocket disconnected")
		}),
		larkws.WithOnError(func(err error) {
			log.Warn("websocket error", "err", err)
		}),
	)
	return t
}

// Run connects and serves events until ctx ends, then waits (up to 10 s) for handlers in
// flight to finish and their acks to go out.
func (t *WebSocket) Run(ctx context.Context) error {
	err := t.client.Start(ctx)
	wait, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	t.client.CloseAndWait(wait)
	t.connected.Store(false)
	t.metrics.WSConnected.Set(0)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Ready reports whether the long connection is up.
func (t *WebSocket) Ready() error {
	if !t.connected.Load() {
		return errors.New("websocket not connected")
	}
	return nil
}

// Reconnects counts reconnections since start.
func (t *WebSocket) Reconnects() int64 { return t.reconnects.Load() }
