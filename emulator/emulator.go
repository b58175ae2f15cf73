// Package emulator runs unionbot in a browser without a Feishu tenant: `unionbot emulator`.
//
// It starts the same program as `unionbot serve` (app.Main: store, router, handlers, jobs,
// outbox, the real SDK client and its long connection) against an in-process fake Open
// Platform (bot/feishutest) on a loopback port, loads demo data through the real imports on
// a fresh start (demo.go), and serves a chat page (web/) whose messages and card clicks reach
// the bot as im.message.receive_v1 and card.action.trigger events over the long connection.
// What the bot sends to the platform comes back to the page (feed.go). The emulator's clock
// moves the store's clock and wakes the job engine (clock.go).
package emulator

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
)

// Group chats the bot is a member of in the emulator.
const (
	ChatUnion    = "oc_emulator_union"    // 工会会员群: activities are published here
	ChatOfficers = "oc_emulator_officers" // 工会干事群
)

// Options configure an Emulator.
type Options struct {
	Dir   string    // data directory (the SQLite file and the clock); default data/emulator
	Reset bool      // delete the directory's data first
	Addr  string    // where the page is served; default 127.0.0.1:8090
	Start time.Time // the emulated time of a fresh start; default DemoStart
	Log   *slog.Logger
}

// DemoStart is the emulated time of a fresh start: a Monday morning in April 2024, while the
// demo activities take sign-ups and the ten tasks are under way.
var DemoStart = time.Date(2024, 4, 8, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

// Emulator is a running bot, its fake platform and the page's state.
type Emulator struct {
	opts  Options
	log   *slog.Logger
	fake  *feishutest.Server
	main  *app.Main
	clock *Clock
	feed  *feed

	personas []Persona

	listener net.Listener
	server   *http.Server
	cancel   context.CancelFunc
	done     chan error
	wg       sync.WaitGroup

	recMu   sync.Mutex // the transcript being recorded (transcript.go)
	steps   []Step
	started time.Time // the emulated time at the start

	faultGen atomic.Int64 // the fault switch's generation: only the latest one's timer clears it

	closeOnce sync.Once
	closeErr  error
}

// New builds the emulator: the fake platform, the bot wired as `serve` wires it, the demo data
// on a fresh start. It listens but serves nothing until Run.
func New(ctx context.Context, o Options) (*Emulator, error) {
	if o.Dir == "" {
		o.Dir = filepath.Join("data", "emulator")
	}
	if o.Addr == "" {
		o.Addr = "127.0.0.1:8090"
	}
	if o.Start.IsZero() {
		o.Start = DemoStart
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if o.Reset {
		if err := reset(o.Dir); err != nil {
			return nil, err
		}
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	clock, err := openClock(filepath.Join(o.Dir, "clock.txt"), o.Start)
	if err != nil {
		return nil, err
	}
	e := &Emulator{opts: o, log: o.Log, clock: clock, done: make(chan error, 1), started: clock.Now()}
	// A fresh app id each time: the SDK caches tenant tokens per app for the whole process.
	// Feishu's rules: the rate limits per app and per chat, the card checks, the availability
	// (the demo directory), and the 14-day update limit by the emulated clock.
	e.fake = feishutest.New(feishutest.WithLimits(50, 5), feishutest.WithMinuteLimit(1000),
		feishutest.WithCardRules(), feishutest.WithAvailability())
	e.fake.SetClock(clock.Now)
	e.feed = newFeed(e.fake, clock)
	c := e.config()
	if err := CheckLocal(c); err != nil {
		e.fake.Close()
		return nil, err
	}
	e.main = &app.Main{Config: c, Log: o.Log, Now: clock.Now, Version: "emulator"}
	if err := e.main.Open(ctx); err != nil {
		e.fake.Close()
		return nil, err
	}
	if err := e.loadDemo(ctx); err != nil {
		e.main.DB.Close()
		e.fake.Close()
		return nil, fmt.Errorf("demo data: %w", err)
	}
	ln, err := net.Listen("tcp", o.Addr)
	if err != nil {
		e.main.DB.Close()
		e.fake.Close()
		return nil, fmt.Errorf("listen on %s: %w", o.Addr, err)
	}
	e.listener = ln
	e.server = &http.Server{Handler: e.handler(), ReadHeaderTimeout: 5 * time.Second}
	return e, nil
}

// config is the configuration of the emulated bot: the defaults, the fake platform, a SQLite
// file in the data directory, the demo admin, activities published to the union group.
func (e *Emulator) config() *config.Config {
	c := config.Default()
	c.Feishu.AppID, c.Feishu.AppSecret, c.Feishu.BaseURL = e.fake.AppID(), e.fake.AppSecret(), e.fake.URL()
	c.Feishu.Mode = config.ModeWebSocket
	c.Server.Addr = "127.0.0.1:0"
	c.Database.Driver = "sqlite"
	c.Database.DSN = filepath.Join(e.opts.Dir, "unionbot.db")
	c.Admins = []string{openIDOf(demoAdmin)}
	c.Signup.DefaultChats = []string{ChatUnion}
	c.Outbox.PollInterval = 200 * time.Millisecond
	// Demo data only: a fixed key seals the demo's sensitive fields (never use it for real data).
	c.Security.DataKey = "ZW11bGF0b3ItZGVtby1rZXktbm90LWZvci1yZWFsLXU="
	c.LegalAid.DutyHours = []string{"TUE 14:00-17:00", "THU 09:00-11:00"}
	c.LegalAid.SchoolNames = []string{"示范大学"}
	c.Aid.PublicityChat = ChatUnion
	return c
}

// CheckLocal refuses a configuration that would reach a real Feishu or a database outside
// the emulator: the Open Platform must be on a loopback address and the database SQLite.
func CheckLocal(c *config.Config) error {
	u, err := url.Parse(c.Feishu.BaseURL)
	if err != nil {
		return fmt.Errorf("emulator: feishu base URL %q: %w", c.Feishu.BaseURL, err)
	}
	ip := net.ParseIP(u.Hostname())
	if u.Scheme != "http" || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("emulator: refusing to run against %s: the emulator talks only to its own fake Open Platform on a loopback address", c.Feishu.BaseURL)
	}
	if c.Database.Driver != "sqlite" {
		return fmt.Errorf("emulator: refusing database driver %q: the emulator keeps its data in its own SQLite file", c.Database.Driver)
	}
	return nil
}

// reset deletes the emulator's files in dir (and only those).
func reset(dir string) error {
	for _, name := range []string{"unionbot.db", "unionbot.db-wal", "unionbot.db-shm", "clock.txt"} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return nil
}

// URL is the page's address.
func (e *Emulator) URL() string { return "http://" + e.listener.Addr().String() }

// Fake is the fake Open Platform.
func (e *Emulator) Fake() *feishutest.Server { return e.fake }

// Main is the running bot.
func (e *Emulator) Main() *app.Main { return e.main }

// Start runs the bot, the feed and the page in the background; they stop when ctx ends or on
// Close. It returns once the bot's long connection is up.
func (e *Emulator) Start(ctx context.Context) error {
	ctx, e.cancel = context.WithCancel(ctx)
	go func() { e.done <- e.main.Run(ctx) }()
	e.wg.Add(2)
	go func() { defer e.wg.Done(); e.feed.follow(ctx) }()
	go func() {
		defer e.wg.Done()
		if err := e.server.Serve(e.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			e.log.Error("emulator page", "err", err)
		}
	}()
	wait, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := e.fake.WaitConnected(wait, 1); err != nil {
		return fmt.Errorf("the bot did not connect to the fake platform: %w", err)
	}
	return nil
}

// Close stops the page, the bot (which closes the database) and the fake platform. It is
// safe to call more than once.
func (e *Emulator) Close() error {
	e.closeOnce.Do(func() { e.closeErr = e.close() })
	return e.closeErr
}

func (e *Emulator) close() error {
	if err := e.clock.save(); err != nil { // the next start goes on from here
		e.log.Warn("emulator clock not saved", "err", err)
	}
	if e.cancel == nil {
		e.listener.Close()
		e.main.DB.Close()
		e.fake.Close()
		return nil
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	e.server.Shutdown(shutdown)
	e.cancel()
	err := <-e.done
	e.wg.Wait()
	e.fake.Close()
	return err
}

// Run starts the emulator and serves until ctx ends.
func (e *Emulator) Run(ctx context.Context) error {
	if err := e.Start(ctx); err != nil {
		e.Close()
		return err
	}
	e.log.Info("emulator ready", "url", e.URL(), "data", e.opts.Dir, "clock", e.clock.Now().Format(time.RFC3339))
	<-ctx.Done()
	return e.Close()
}
