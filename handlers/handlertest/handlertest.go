// Package handlertest drives the handlers the way Feishu does, for tests: the real router and
// sender resolver behind the signed, encrypted webhook on an httptest server, against a real
// database. Say sends a 1:1 message and reads the reply from the outbox; Click sends a card
// action and decodes the answer. Clock is a settable clock for store.DB.Now, and NewMember
// creates a member with a profile and roles.
//
// It is test support, like bot/feishutest and store/storetest: production code must not
// import it.
package handlertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
)

// Token is the verification token of every rig's webhook, for tests that build their own
// events (feishutest.CardOpts.Token, MessageOpts.Token).
const Token = "vt_handlertest"

const encryptKey = "ek_handlertest"

// Options shape a rig; the zero value is a rig with no admins, in UTC, on the wall clock.
type Options struct {
	Admins   []string       // open_ids holding the admin role by configuration
	Loc      *time.Location // the union's time zone (handlers.Deps.Loc); default UTC
	Deadline time.Duration  // the router's bound on each handler; default 2 s
	Config   *config.Config // handlers.Deps.Config; nil for the flows' defaults
	Log      *slog.Logger   // default: discarded, or warnings to stderr with UNIONBOT_TEST_LOG set

	// Now, when set, starts a Clock there and installs it as the database's clock (db.Now).
	Now time.Time
	// ClockStep is how far the clock moves on at each reading; default 1 ms.
	ClockStep time.Duration

	// IDPrefix starts the message ids Say sends (default "om_test_"); a number, unique in the
	// process, follows.
	IDPrefix string

	// Register adds routes after handlers.Register, with the same deps (a flow's Register, or
	// a package's own unexported routes).
	Register func(r *bot.Router, d handlers.Deps)
	// Routes, when set, registers every route instead of handlers.Register and Register (the
	// app's whole route list, app.RegisterRoutes).
	Routes func(r *bot.Router, d handlers.Deps)
	// RateLimit is the router's per-member limit (zero: none, unlike serve's default).
	RateLimit bot.RateLimit
}

// Chat is a rig: a router with the handlers behind a webhook, and a client posting to it.
type Chat struct {
	T     testing.TB
	DB    *store.DB
	WH    *feishutest.Webhook // posts to the rig's webhook, encrypted and signed
	Deps  handlers.Deps       // what the handlers were registered with
	Clock *Clock              // the database's clock; nil unless Options.Now was set

	prefix  string
	metrics *bot.Metrics
}

// Outcomes counts the events of both kinds the router handled with outcome ("panic",
// "refused_after_write", "denied", "ok", ...): what a fuzz target checks after each input.
func (c *Chat) Outcomes(outcome string) float64 {
	var n float64
	for _, typ := range []string{"message", "card_action"} {
		n += testutil.ToFloat64(c.metrics.Handled.WithLabelValues(typ, outcome))
	}
	return n
}

// seq numbers the message ids of every rig in the process, so that no two messages share one
// even when two rigs use the same database.
var seq atomic.Int64

// New wires the rig on db and closes it when the test ends. With Options.Now it replaces
// db.Now, before anything runs.
func New(t testing.TB, db *store.DB, o Options) *Chat {
	t.Helper()
	if o.Loc == nil {
		o.Loc = time.UTC
	}
	if o.Deadline <= 0 {
		o.Deadline = 2 * time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		if os.Getenv("UNIONBOT_TEST_LOG") != "" {
			o.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		}
	}
	if o.IDPrefix == "" {
		o.IDPrefix = "om_test_"
	}
	c := &Chat{T: t, DB: db, prefix: o.IDPrefix}
	if !o.Now.IsZero() {
		c.Clock = NewClock(o.Now, o.ClockStep)
		db.Now = c.Clock.Now
	}
	metrics := bot.NewMetrics(prometheus.NewRegistry())
	c.metrics = metrics
	// A handler that refuses after writing is a bug the router rolls back; every rig's test
	// fails on it, so a flow that does it cannot pass its own tests.
	t.Cleanup(func() {
		for _, typ := range []string{"message", "card_action"} {
			if n := testutil.ToFloat64(metrics.Handled.WithLabelValues(typ, "refused_after_write")); n > 0 {
				t.Errorf("handlertest: %v %s event(s) refused after writing (rolled back by the router)", n, typ)
			}
		}
	})
	r := bot.NewRouter(bot.Options{DB: db, Log: o.Log, Metrics: metrics, Deadline: o.Deadline, RateLimit: o.RateLimit,
		Resolver: &handlers.Resolver{DB: db, Admins: o.Admins, Log: o.Log}})
	c.Deps = handlers.Deps{DB: db, Admins: o.Admins, Log: o.Log, Loc: o.Loc, Config: o.Config}
	if o.Config != nil { // as app.OpenDB: sensitive outbox messages are sealed with the data key
		keys, err := o.Config.Security.Keyring()
		if err != nil {
			t.Fatal(err)
		}
		db.SetKeyring(keys)
	}
	if o.Routes != nil {
		o.Routes(r, c.Deps)
	} else {
		handlers.Register(r, c.Deps)
	}
	if o.Register != nil {
		o.Register(r, c.Deps)
	}
	wh := bot.Webhook(r, bot.WebhookOptions{VerificationToken: Token, EncryptKey: encryptKey, Log: o.Log})
	srv := httptest.NewServer(wh)
	t.Cleanup(srv.Close)
	// Room for many concurrent senders (the sign-up rush), and no idle connection left behind.
	tr := &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 128}
	t.Cleanup(tr.CloseIdleConnections)
	c.WH = &feishutest.Webhook{URL: srv.URL, EncryptKey: encryptKey, VerificationToken: Token,
		Client: &http.Client{Transport: tr, Timeout: time.Minute}}
	return c
}

// Say sends a 1:1 message from sender and returns the bot's reply: its text, or the card JSON
// when the reply is a card. It fails the test when the webhook refuses the message or nothing
// answers it.
func (c *Chat) Say(sender, text string) string {
	c.T.Helper()
	ctx := context.Background()
	id := fmt.Sprint(c.prefix, seq.Add(1))
	status, _, err := c.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender, Text: text, Token: Token}))
	if err != nil || status != 200 {
		c.T.Fatalf("send: %d %v", status, err)
	}
	msgs, err := c.DB.OpenedOutbox(ctx, `target_message_id = ?`, id)
	if err != nil || len(msgs) == 0 {
		c.T.Fatalf("no reply to %q: %v", text, err)
	}
	content := msgs[0].Content
	var v struct{ Text string }
	if json.Unmarshal([]byte(content), &v) == nil && v.Text != "" {
		return v.Text
	}
	return content
}

// Answer is the webhook's answer to a card action.
type Answer struct {
	Toast struct {
		Type    string
		Content string
	}
	Card json.RawMessage // {"type":"raw","data":{...}}, or empty when the card stays
}

// Data is the replacement card itself (the card's data), or "" when there is none.
func (a Answer) Data() string {
	var c struct{ Data json.RawMessage }
	json.Unmarshal(a.Card, &c)
	return string(c.Data)
}

// Answer sends a card action by sender with the button's value and the form's values (either
// may be nil) and returns the answer. It fails the test when the webhook refuses the action or
// the answer is not JSON.
func (c *Chat) Answer(sender string, value, form map[string]any) Answer {
	c.T.Helper()
	status, body, err := c.WH.Send(context.Background(), feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: sender, Value: value, FormValue: form, Token: Token}))
	if err != nil || status != 200 {
		c.T.Fatalf("click: %d %v", status, err)
	}
	var a Answer
	if err := json.Unmarshal(body, &a); err != nil {
		c.T.Fatalf("click answer %s: %v", body, err)
	}
	return a
}

// Click is Answer as the toast's text and the replacement card's JSON (with its envelope).
func (c *Chat) Click(sender string, value, form map[string]any) (toast, card string) {
	c.T.Helper()
	a := c.Answer(sender, value, form)
	return a.Toast.Content, string(a.Card)
}

// Sent lists the contents (text or card JSON) of the 1:1 messages queued to openID, oldest
// first; replies to the events the rig sent are not among them.
func (c *Chat) Sent(openID string) []string {
	c.T.Helper()
	msgs, err := c.DB.OpenedOutbox(context.Background(), `kind = 'send' AND receive_id = ?`, openID)
	if err != nil {
		c.T.Fatal(err)
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		out = append(out, m.Content)
	}
	return out
}

// SentTo lists the open_ids that 1:1 messages containing s were queued to, once a message,
// ordered by open_id.
func (c *Chat) SentTo(s string) []string {
	c.T.Helper()
	msgs, err := c.DB.OpenedOutbox(context.Background(), `kind = 'send' AND receive_id_type = 'open_id'`)
	if err != nil {
		c.T.Fatal(err)
	}
	var out []string
	for _, m := range msgs {
		if strings.Contains(m.Content, s) {
			out = append(out, m.ReceiveID)
		}
	}
	slices.Sort(out)
	return out
}

// Person is a member for NewMember to create.
type Person struct {
	OpenID     string
	Name       string
	EmployeeNo string
	Branch     string // the 分工会's name, created when new; "" for none
	Gender     string // "M", "F" or ""
	Birth      string // 2006-01-02; "" for unknown
	Roles      []string
}

// NewMember creates an active member with p's profile and roles, in one transaction, and
// returns it (with its ID and BranchID). It fails the test on an error.
func NewMember(t testing.TB, db *store.DB, p Person) *store.Member {
	t.Helper()
	ctx := context.Background()
	m := &store.Member{OpenID: p.OpenID, Name: p.Name, EmployeeNo: p.EmployeeNo, Gender: p.Gender, Active: true}
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if p.Branch != "" {
			id, err := tx.EnsureBranch(ctx, p.Branch)
			if err != nil {
				return err
			}
			m.BranchID = id
		}
		if err := tx.CreateMember(ctx, m); err != nil {
			return err
		}
		if p.Birth != "" {
			if err := tx.SetBirthDate(ctx, m.ID, p.Birth); err != nil {
				return err
			}
		}
		for _, r := range p.Roles {
			if _, err := tx.GrantRole(ctx, m.ID, r, "test"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Member is NewMember on the rig's database.
func (c *Chat) Member(p Person) *store.Member {
	c.T.Helper()
	return NewMember(c.T, c.DB, p)
}

// Clock is a settable clock for store.DB.Now. Each reading moves it on by its step: the store
// wants strictly increasing times.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	step time.Duration
}

// NewClock is a clock at start that moves on by step at each reading (1 ms when step <= 0).
func NewClock(start time.Time, step time.Duration) *Clock {
	if step <= 0 {
		step = time.Millisecond
	}
	return &Clock{t: start, step: step}
}

// Now moves the clock on by its step and returns the new time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(c.step)
	return c.t
}

// Set puts the clock at t; the next reading is t plus the step.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}
