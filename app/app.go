// Package app is the running program, wired from the configuration: store → bot → handlers →
// jobs → transports (app.go), with every scheduled job registered in jobs.go. `unionbot serve`
// runs it; `unionbot jobs` builds its job engine; the end-to-end tests start it in-process.
package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	lark "github.com/larksuite/oapi-sdk-go/v3"
	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/outbox"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/handlers/calendar"
	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/internal/sdnotify"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
)

// Main is the running program: configuration → store → bot → handlers → transports. The
// end-to-end tests start it exactly as `unionbot serve` does.
type Main struct {
	Config   *config.Config
	Log      *slog.Logger
	DB       *store.DB
	Lark     *lark.Client
	Registry *prometheus.Registry
	Router   *bot.Router
	Outbox   *outbox.Worker
	Jobs     *jobs.Engine   // scheduled jobs and reminders (see jobs.go for the registrations)
	WS       *bot.WebSocket // websocket mode
	Now      func() time.Time
	Version  string // logged at start
	// Environ is the process environment, for systemd's NOTIFY_SOCKET and WATCHDOG_USEC
	// (default os.Environ()).
	Environ []string
	// Instance names this replica across restarts (see Instance); empty when it cannot.
	Instance string

	listener net.Listener
	server   *http.Server
}

// NewLogger returns the process logger: JSON (or text) on w at the configured level.
func NewLogger(c *config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(c.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Log.Format == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

// Open connects everything and starts listening, but handles no event until Run.
func (m *Main) Open(ctx context.Context) error {
	c := m.Config
	if m.Log == nil {
		m.Log = NewLogger(c, os.Stderr)
	}
	if m.Now == nil {
		m.Now = time.Now
	}
	db, err := OpenDB(ctx, c, m.Log)
	if err != nil {
		return err
	}
	db.Now = m.Now
	m.DB = db
	m.Lark = NewLarkClient(c, m.Log)
	m.Registry = prometheus.NewRegistry()
	m.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	metrics := bot.NewMetrics(m.Registry)
	m.Registry.MustRegister(
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "unionbot_db_batch_transactions_total",
			Help: "Shared transactions committed for handlers (group commit)."},
			func() float64 { txs, _ := db.BatchStats(); return float64(txs) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "unionbot_db_batch_calls_total",
			Help: "Handler transactions committed through shared transactions; divided by unionbot_db_batch_transactions_total, the mean batch size."},
			func() float64 { _, calls := db.BatchStats(); return float64(calls) }))
	m.Instance = Instance(c)
	m.Outbox = outbox.New(db, m.Lark, outbox.Config{
		Instance:     m.Instance,
		RetryFor:     c.Outbox.RetryFor,
		OnFailed:     m.tellAdminsFailed,
		Rate:         c.Outbox.RatePerSecond,
		PerReceiver:  c.Outbox.PerReceiverPerSecond,
		MaxAttempts:  c.Outbox.MaxAttempts,
		PollInterval: c.Outbox.PollInterval,
		Workers:      c.Outbox.Workers,
	}, m.Log.With("component", "outbox"), m.Registry)
	botOpenID := m.botOpenID(ctx)
	m.Router = bot.NewRouter(bot.Options{
		BotOpenID: botOpenID,
		DB:        db,
		Resolver:  &handlers.Resolver{DB: db, Lark: m.Lark, Admins: c.Admins, Log: m.Log},
		Log:       m.Log.With("component", "router"),
		Metrics:   metrics,
		Deadline:  c.Bot.CardDeadline,
		RateLimit: bot.RateLimit{PerSecond: c.Bot.RatePerSecond, Burst: c.Bot.RateBurst},
		Notify:    m.Outbox.Notify,
	})
	RegisterRoutes(m.Router, m.deps())
	if m.Jobs, err = NewJobs(ctx, m); err != nil {
		db.Close()
		return err
	}

	checks := map[string]bot.Checker{"database": db.Ready}
	var webhook http.Handler
	if c.Feishu.Mode == config.ModeWebhook {
		webhook = bot.Webhook(m.Router, bot.WebhookOptions{VerificationToken: c.Feishu.VerificationToken,
			EncryptKey: c.Feishu.EncryptKey, Now: m.Now, Log: m.Log.With("component", "webhook")})
	} else {
		d := bot.NewDispatcher(m.Router, "", "", m.Log)
		m.WS = bot.NewWebSocket(c.Feishu.AppID, c.Feishu.AppSecret, c.Feishu.BaseURL, d, m.Log.With("component", "websocket"), metrics)
		checks["transport"] = func(context.Context) error { return m.WS.Ready() }
	}
	ln, err := net.Listen("tcp", c.Server.Addr)
	if err != nil {
		db.Close()
		return fmt.Errorf("listen on %s (server.addr): %w", c.Server.Addr, err)
	}
	m.listener = ln
	m.reclaim(ctx)
	m.server = &http.Server{
		Handler:           bot.NewHTTPHandler(bot.HTTPOptions{Webhook: webhook, Gatherer: m.Registry, Checks: checks}),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	return nil
}

// Instance names the replica that c configures, across restarts: a hash of the host name and
// server.addr. No two live processes share it, since they cannot both listen on the same
// address of one host; so a process that has bound its address knows that claims and leases
// of its instance held by another process belong to a predecessor that died (kill -9, a
// crash, the machine's power), and takes them back at once instead of waiting for their
// lease (reclaim). Empty (nothing is taken back) when server.addr has no fixed port.
func Instance(c *config.Config) string {
	_, port, err := net.SplitHostPort(c.Server.Addr)
	if err != nil || port == "" || port == "0" {
		return ""
	}
	host, _ := os.Hostname()
	sum := sha256.Sum256([]byte(host + "\n" + c.Server.Addr))
	return "i" + hex.EncodeToString(sum[:4])
}

// reclaim takes back what an earlier process of this instance held when it died: the outbox
// messages it had claimed and the job leases it held. Called once the listen address is bound.
func (m *Main) reclaim(ctx context.Context) {
	if m.Instance == "" {
		return
	}
	if _, err := m.Outbox.Reclaim(ctx); err != nil {
		m.Log.Warn("could not take back the outbox claims of an earlier process; they wait for their lease", "err", err)
	}
	if m.Jobs != nil {
		names, err := m.DB.ReleaseLeasesOf(ctx, m.Instance+"~", m.Jobs.Holder())
		if err != nil {
			m.Log.Warn("could not release the job leases of an earlier process; they wait for their expiry", "err", err)
		} else if len(names) > 0 {
			m.Log.Info("released the job leases an earlier process of this instance held", "jobs", names)
		}
	}
}

// failedNoticeKey starts the dedup key of the notice that tells admins a message failed for
// good (one per admin per hour).
const failedNoticeKey = "outbox.failed:"

// tellAdminsFailed tells each admin, 1:1, that a message failed for good: at most once an
// hour each (the notice points to the command listing them all). A notice that fails itself
// is not told about.
func (m *Main) tellAdminsFailed(msg *store.OutboxMessage, code int, _ string) {
	if msg.DedupKey != nil && strings.HasPrefix(*msg.DedupKey, failedNoticeKey) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	admins, err := adminOpenIDs(ctx, m)
	if err != nil {
		m.Log.Warn("could not tell the admins about a failed message", "err", err)
		return
	}
	hour := m.DB.Now().UTC().Format("2006-01-02T15")
	text, _ := json.Marshal(map[string]string{"text": fmt.Sprintf(
		"有消息未能送达（飞书错误码 %d），已停止重试。发送「发送失败」查看最近失败的消息及原因。（一小时内不再重复提醒）", code)})
	err = m.DB.InTx(ctx, func(tx *store.Tx) error {
		for _, id := range admins {
			if id == msg.ReceiveID {
				continue // the admin the failed message was for would not get this either
			}
			key := failedNoticeKey + id + ":" + hour
			if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: id,
				MsgType: "text", Content: string(text), DedupKey: &key}); err != nil {
				return err
			}
		}
		tx.AfterCommit(m.Outbox.Notify)
		return nil
	})
	if err != nil {
		m.Log.Warn("could not tell the admins about a failed message", "err", err)
	}
}

// RegisterRoutes adds every flow's commands and card actions to the router: the one list of
// flows, which the authorization matrix (authz_test.go) reads back from the router.
func RegisterRoutes(r *bot.Router, deps handlers.Deps) {
	handlers.Register(r, deps)
	calendar.Register(r, deps)
	tasks.Register(r, deps)
	proposals.Register(r, deps)
	privacy.Register(r, deps)
	legalaid.Register(r, deps)
	signup.Register(r, deps)
	aid.Register(r, deps)
}

// Deps are what every flow gets (for tools that seed a flow's data, like the emulator's demo).
func (m *Main) Deps() handlers.Deps { return m.deps() }

// deps are what every flow gets, in Register and RegisterJobs alike.
func (m *Main) deps() handlers.Deps {
	c := m.Config
	return handlers.Deps{DB: m.DB, Admins: c.Admins, Log: m.Log, Loc: c.Location(), Config: c, Resources: bot.NewResources(m.Lark)}
}

// Addr is the HTTP listener's address (useful with server.addr port 0).
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Run serves until ctx ends, then shuts down cleanly: it stops taking events, lets handlers in
// flight finish, gives the outbox a few seconds to deliver what is due (the rest stays queued
// in the database for the next start) and closes the database.
func (m *Main) Run(ctx context.Context) error {
	m.Log.Info("unionbot started", "version", m.Version, "mode", m.Config.Feishu.Mode, "addr", m.Addr(),
		"database", m.Config.Database.Driver)
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	var wg sync.WaitGroup
	errc := make(chan error, 3)
	wg.Add(1)
	go func() { defer wg.Done(); errc <- m.Outbox.Run(workerCtx) }()
	go func() {
		if err := m.server.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errc <- fmt.Errorf("http server: %w", err)
		}
	}()
	wsDone := make(chan struct{})
	if m.WS != nil {
		go func() {
			defer close(wsDone)
			if err := m.WS.Run(ctx); err != nil {
				errc <- fmt.Errorf("websocket: %w", err)
			}
		}()
	} else {
		close(wsDone)
	}
	m.Jobs.Start() // runs every job once (catch-up after downtime), then on its schedule

	// Under systemd (Type=notify): ready once serving, and a watchdog ping only while the
	// database answers, so that a bot that lost its database is restarted (sdnotify).
	if m.Environ == nil {
		m.Environ = os.Environ()
	}
	notifier, watchdog := sdnotify.FromEnv(m.Environ, os.Getpid())
	if err := notifier.Notify("READY=1\nSTATUS=serving"); err != nil {
		m.Log.Warn("sd_notify", "err", err)
	}
	go notifier.Watchdog(workerCtx, watchdog, m.DB.Ping, m.Log.With("component", "watchdog"))

	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errc:
		m.Log.Error("stopping after failure", "err", runErr)
	}
	m.Log.Info("shutting down")
	notifier.Notify("STOPPING=1")
	shutdown, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	t0 := time.Now()
	m.server.Shutdown(shutdown) // stops taking webhook events; waits for requests in flight
	<-wsDone                    // the long connection closed after its handlers finished
	m.Log.Info("transports stopped", "ms", time.Since(t0).Milliseconds())
	m.Jobs.Stop(shutdown)
	stopWorker() // the worker loop finishes the deliveries it has in hand
	wg.Wait()
	drain, cancelDrain := context.WithTimeout(shutdown, 5*time.Second)
	if err := m.Outbox.Drain(drain); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		m.Log.Warn("outbox drain", "err", err)
	}
	cancelDrain()
	m.Log.Info("outbox drained", "ms", time.Since(t0).Milliseconds())
	if st, err := m.DB.OutboxStats(shutdown); err == nil && st.Pending > 0 {
		m.Log.Info("messages left queued for the next start", "pending", st.Pending)
	}
	m.DB.Close()
	m.Log.Info("stopped")
	return runErr
}

// botOpenID asks Feishu for the bot's own open_id, so that a group message counts as
// addressed to the bot only when it @-mentions the bot. Without it (Feishu unreachable at
// start) any @-mention counts, which is what Feishu delivers by default anyway.
func (m *Main) botOpenID(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := m.Lark.Get(ctx, "/open-apis/bot/v3/info", nil, larkcore.AccessTokenTypeTenant)
	if err != nil {
		m.Log.Warn("could not read the bot's info; any @-mention in a group will count", "err", err)
		return ""
	}
	var info struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
		Bot  struct {
			OpenID string `json:"open_id"`
		} `json:"bot"`
	}
	if err := json.Unmarshal(resp.RawBody, &info); err != nil || info.Code != 0 || info.Bot.OpenID == "" {
		m.Log.Warn("could not read the bot's info; any @-mention in a group will count", "code", info.Code, "msg", info.Msg)
		return ""
	}
	return info.Bot.OpenID
}

// newLarkClient is the SDK client for the Open Platform at feishu.base_url, logging into slog
// at Warn and above only.
func NewLarkClient(c *config.Config, log *slog.Logger) *lark.Client {
	return lark.NewClient(c.Feishu.AppID, c.Feishu.AppSecret,
		lark.WithOpenBaseUrl(c.Feishu.BaseURL),
		lark.WithReqTimeout(15*time.Second),
		lark.WithLogger(bot.SDKLogger(log)),
		lark.WithLogLevel(larkcore.LogLevelWarn))
}

// openDB opens the configured database and applies the migrations.
func OpenDB(ctx context.Context, c *config.Config, log *slog.Logger) (*store.DB, error) {
	db, err := store.Open(ctx, c.Database.Driver, c.Database.DSN)
	if err != nil {
		return nil, fmt.Errorf("database (database.driver=%s, database.dsn=%s): %w", c.Database.Driver, config.MaskDSN(c.Database.DSN), err)
	}
	res, err := schema.Migrate(ctx, db.SQL(), c.Database.Driver)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, r := range res {
		log.Info("migration applied", "version", r.Version, "name", r.Name)
	}
	keys, err := c.Security.Keyring()
	if err != nil {
		db.Close()
		return nil, err
	}
	db.SetKeyring(keys) // sensitive outbox messages are sealed with the data key
	return db, nil
}
