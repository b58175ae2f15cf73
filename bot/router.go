package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"time"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"
	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"

	"github.com/unionbot/unionbot/store"
)

// HandlerFunc handles one routed event inside its transaction.
type HandlerFunc func(c *Context) (*Response, error)

// Command is a text command. The first name is the Chinese one shown in menus; the others
// are aliases (English, synonyms), matched case-insensitively as the first word of a message.
type Command struct {
	Names   []string
	Roles   []string // any of these may use it; empty: every member
	Usage   string   // e.g. "授权 <姓名或工号> <角色>", shown when arguments are missing
	MinArgs int
	Help    string // one line for the menu
	Handler HandlerFunc
	// Solo gives the handler a transaction of its own. Handlers are otherwise grouped with
	// other events' handlers into shared transactions (store.DB.InTxBatch); a long handler
	// (an export, a send to every member) would hold its batch-mates up.
	Solo bool
}

// Action is a card action, routed by the "action" key of a button's callback value.
type Action struct {
	Name    string
	Roles   []string
	Handler HandlerFunc
	Solo    bool // as for Command
	// Serial, when set, names the row the action contends for (e.g. an activity's seat
	// counter; "" for none). On SQLite, which has one writer anyway, actions on the same row
	// share transactions one batch at a time. On MySQL such an action runs in a transaction of
	// its own, at most serialLanes at once: a shared one would hold the row lock for the whole
	// batch, while alone it holds it only from its update to its commit.
	Serial func(c *Context) string
}

// Options configure a Router.
type Options struct {
	DB       *store.DB
	Resolver Resolver
	Log      *slog.Logger
	Metrics  *Metrics
	// Deadline bounds each handler, well under Feishu's 3 s; a handler past it is rolled back
	// and the user is asked to try again.
	Deadline time.Duration
	// BotOpenID, when known, is used to tell whether a group message @-mentions the bot.
	// Without it any mention counts (Feishu only delivers group messages that mention the bot
	// unless the app holds the group-message scope).
	BotOpenID string
	// Notify is called after a transaction that queued outbound messages commits.
	Notify func()
	// BatchLanes is how many shared transactions of ordinary handlers may run at once
	// (default: 1 on SQLite, which has one writer; 4 on MySQL).
	BatchLanes int
}

// Router routes events to handlers through the middleware chain: panic recovery, logging,
// deduplication, sender resolution, permission checks, a deadline, one transaction.
type Router struct {
	o        Options
	commands []*Command
	byName   map[string]*Command
	actions  map[string]*Action
	fallback HandlerFunc
}

// Messages shown to users when something goes wrong.
const (
	msgInternal   = "抱歉，系统出了点问题，请稍后再试。如果一直这样，请联系工会管理员。"
	msgTimeout    = "系统繁忙，请稍后再试。"
	msgStaleCard  = "这张卡片已失效，请发送「菜单」重新打开。"
	msgBadCard    = "卡片数据不完整，请发送「菜单」重新打开。"
	msgNoIdentity = "无法识别你的飞书身份，请稍后再试。"
)

// NewRouter returns an empty router.
func NewRouter(o Options) *Router {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Deadline <= 0 {
		o.Deadline = 2 * time.Second
	}
	if o.BatchLanes <= 0 {
		o.BatchLanes = 1
		if o.DB != nil && o.DB.Dialect == store.MySQL {
			o.BatchLanes = 4
		}
	}
	return &Router{o: o, byName: map[string]*Command{}, actions: map[string]*Action{}}
}

// Command registers a text command. A name registered twice panics: it is a programming error.
func (r *Router) Command(c Command) {
	cc := c
	for _, n := range c.Names {
		n = strings.ToLower(n)
		if _, dup := r.byName[n]; dup {
			panic("bot: command registered twice: " + n)
		}
		r.byName[n] = &cc
	}
	r.commands = append(r.commands, &cc)
}

// Action registers a card action. A name registered twice panics.
func (r *Router) Action(a Action) {
	if _, dup := r.actions[a.Name]; dup {
		panic("bot: action registered twice: " + a.Name)
	}
	aa := a
	r.actions[a.Name] = &aa
}

// Fallback sets the handler for messages no command matches (the menu).
func (r *Router) Fallback(h HandlerFunc) { r.fallback = h }

// Commands lists the registered commands in registration order.
func (r *Router) Commands() []Command {
	out := make([]Command, len(r.commands))
	for i, c := range r.commands {
		out[i] = *c
	}
	return out
}

// route is what one event resolved to.
type route struct {
	name    string
	roles   []string
	handler HandlerFunc
	solo    bool
	serial  func(*Context) string
}

// OnMessage handles im.message.receive_v1. It returns an error only when the event could not
// be recorded at all (the database is down): Feishu then redelivers it.
func (r *Router) OnMessage(ctx context.Context, ev *larkim.P2MessageReceiveV1) error {
	start := time.Now()
	const typ = "message"
	r.o.Metrics.Received.WithLabelValues(typ).Inc()
	if ev == nil || ev.Event == nil || ev.Event.Message == nil || ev.Event.Sender == nil || ev.Event.Sender.SenderId == nil {
		r.o.Log.Warn("malformed message event")
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
	msg, snd := ev.Event.Message, ev.Event.Sender
	if deref(snd.SenderType) != "user" { // other bots, the system
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
	key := deref(msg.MessageId)
	if key == "" && ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		key = ev.EventV2Base.Header.EventID
	}
	chatType := deref(msg.ChatType)
	if chatType == "group" && !r.mentionsBot(msg) {
		r.o.Metrics.Handled.WithLabelValues(typ, "ignored").Inc()
		return nil
	}
	text, _ := messageText(msg)
	cmd, args, rest := splitCommand(text)
	rt, missing := r.matchCommand(cmd, args)
	c := &Context{Kind: KindMessage, MessageID: deref(msg.MessageId), ChatID: deref(msg.ChatId), ChatType: chatType,
		Text: text, Command: cmd, Args: args, ArgText: rest}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		c.EventID = ev.EventV2Base.Header.EventID
	}
	if rt.handler != nil && missing != "" {
		rt = route{name: rt.name, roles: rt.roles, handler: func(*Context) (*Response, error) { return Warn(missing), nil }}
	}
	resp, outcome := r.run(ctx, typ, key, identity(snd.SenderId), c, rt)
	defer r.observe(typ, rt.name, outcome, start, c)
	if resp == nil || resp.Reply == nil {
		return nil // handled (the reply went out with the handler's transaction), or a duplicate
	}
	// The handler was refused, failed or timed out, and its transaction is gone: record the
	// event and the answer together, so a redelivery neither answers twice nor retries it.
	bg := context.WithoutCancel(ctx)
	return r.o.DB.InTx(bg, func(tx *store.Tx) error {
		if ok, e := tx.MarkProcessed(bg, key, typ); e != nil || !ok {
			return e
		}
		c.Tx, c.Ctx, c.notify = tx, bg, r.o.Notify
		return c.Reply(*resp.Reply)
	})
}

// OnCardAction handles card.action.trigger and answers within the deadline with a toast and/or
// a replacement card. It never returns a nil response (Feishu rejects "null").
func (r *Router) OnCardAction(ctx context.Context, ev *callback.CardActionTriggerEvent) (*callback.CardActionTriggerResponse, error) {
	start := time.Now()
	const typ = "card_action"
	r.o.Metrics.Received.WithLabelValues(typ).Inc()
	if ev == nil || ev.Event == nil || ev.Event.Action == nil || ev.Event.Operator == nil || ev.Event.Operator.OpenID == "" {
		r.o.Log.Warn("malformed card action")
		r.o.Metrics.Handled.WithLabelValues(typ, "bad_input").Inc()
		return toastOnly("error", msgBadCard), nil
	}
	a := ev.Event.Action
	c := &Context{Kind: KindCardAction, Value: a.Value, FormValue: a.FormValue, Option: a.Option,
		CallbackToken: ev.Event.Token}
	if ev.Event.Context != nil {
		c.MessageID, c.ChatID = ev.Event.Context.OpenMessageID, ev.Event.Context.OpenChatID
	}
	key := ""
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		key = ev.EventV2Base.Header.EventID
		c.EventID = key
	}
	if key == "" {
		r.o.Log.Warn("card action without event id")
		r.o.Metrics.Handled.WithLabelValues(typ, "bad_input").Inc()
		return toastOnly("error", msgBadCard), nil
	}
	name, _ := a.Value["action"].(string)
	c.Action = name
	act := r.actions[name]
	if act == nil {
		r.o.Log.Warn("card action with missing or unknown action", "action", logSafe(name))
		r.o.Metrics.Handled.WithLabelValues(typ, "bad_input").Inc()
		return toastOnly("error", msgStaleCard), nil
	}
	op := ev.Event.Operator
	id := Identity{OpenID: op.OpenID, UserID: deref(op.UserID)}
	resp, outcome := r.run(ctx, typ, key, id, c, route{name: act.Name, roles: act.Roles, handler: act.Handler,
		solo: act.Solo, serial: act.Serial})
	defer r.observe(typ, act.Name, outcome, start, c)
	out := &callback.CardActionTriggerResponse{}
	if resp == nil {
		return out, nil
	}
	if resp.Toast != nil {
		out.Toast = &callback.Toast{Type: resp.Toast.Type, Content: resp.Toast.Text}
	}
	if resp.Card != nil {
		b, err := resp.Card.JSON()
		if err != nil {
			r.o.Log.Error("render callback card", "action", act.Name, "err", err)
			return toastOnly("error", msgInternal), nil
		}
		out.Card = &callback.Card{Type: "raw", Data: json.RawMessage(b)}
	}
	return out, nil
}

// run is the middleware chain around one handler. It returns the handler's response (or the
// answer to a refusal or failure) and the outcome label. Failures are answered, not
// redelivered: the user already has the answer.
func (r *Router) run(parent context.Context, typ, key string, id Identity, c *Context, rt route) (resp *Response, outcome string) {
	ctx, cancel := context.WithTimeout(parent, r.o.Deadline)
	defer cancel()
	defer func() {
		if p := recover(); p != nil {
			stack := debug.Stack()
			if bp, ok := p.(*store.BatchPanic); ok { // raised in a shared transaction
				p, stack = bp.Value, bp.Stack
			}
			r.o.Log.Error("handler panic", "type", typ, "route", rt.name, "panic", fmt.Sprint(p), "stack", string(stack))
			resp, outcome = Fail(msgInternal), "panic"
		}
	}()
	sender, e := r.o.Resolver.Resolve(ctx, id)
	if e != nil {
		r.o.Log.Error("resolve sender", "type", typ, "err", e)
		if ctx.Err() != nil {
			return Fail(msgTimeout), "timeout"
		}
		return Fail(msgNoIdentity), "error"
	}
	c.Sender = sender
	if rt.handler == nil {
		rt.handler, rt.name = r.fallback, "fallback"
	}
	if rt.handler == nil {
		return nil, "ignored"
	}
	if !sender.HasAny(rt.roles) {
		return Fail(deniedMessage(rt.roles)), "denied"
	}
	dup := false
	b, own := r.batch(c, rt)
	var claim *store.Claim
	err := r.inTx(ctx, b, func(tx *store.Tx) error {
		dup, resp, claim = false, nil, nil // the function runs again when its shared transaction fails
		if own {
			// In a transaction of its own the key goes out with the handler's first statement
			// (store.Claim): one round trip less on MySQL. A redelivery is found after the
			// handler ran, and its writes are rolled back.
			var e error
			if claim, e = tx.ClaimEvent(ctx, key, typ); e != nil {
				return e
			}
			if d, known := claim.Outcome(); known && d { // SQLite writes the key at once
				dup = true
				return nil
			}
		} else {
			ok, e := tx.MarkProcessed(ctx, key, typ)
			if e != nil {
				return e
			}
			if !ok {
				dup = true
				return nil
			}
		}
		c.Ctx, c.Tx, c.Now, c.notify = ctx, tx, tx.Now(), r.o.Notify
		var e error
		resp, e = rt.handler(c)
		if claim != nil {
			d, known, serr := tx.Settle(ctx, claim)
			if serr == nil && known && d {
				dup = true
				return store.ErrDuplicateEvent // roll the redelivery's writes back
			}
			if e == nil {
				e = serr
			}
		}
		if e != nil {
			return e
		}
		if resp != nil && c.Kind == KindMessage {
			if resp.Reply != nil {
				return c.Reply(*resp.Reply)
			} else if resp.Card != nil {
				cc, e := Card(resp.Card)
				if e != nil {
					return e
				}
				return c.Reply(cc)
			}
		}
		return nil
	})
	switch _, known := claim.Outcome(); {
	case errors.Is(err, store.ErrDuplicateEvent): // found after the handler, or by the COMMIT
		dup = true
	case err != nil && claim != nil && !known:
		// The statement that carried the claim failed (or none did): this transaction rolled
		// back, so a key recorded now can only be another delivery's.
		if p, perr := r.o.DB.IsProcessed(ctx, key); perr == nil && p {
			dup = true
		}
	}
	switch {
	case dup:
		r.o.Metrics.Deduplicated.WithLabelValues(typ).Inc()
		return nil, "duplicate"
	case err == nil:
		if c.Kind == KindMessage {
			return nil, "ok" // the reply went out with the handler's transaction
		}
		return resp, "ok"
	case ctx.Err() != nil && errors.Is(err, ctx.Err()) || errors.Is(err, context.DeadlineExceeded):
		r.o.Log.Warn("handler deadline exceeded", "type", typ, "route", rt.name)
		return Fail(msgTimeout), "timeout"
	case store.ErrorMessage(err) != "":
		return Fail(store.ErrorMessage(err)), "user_error"
	default:
		r.o.Log.Error("handler failed", "type", typ, "route", rt.name, "err", err)
		return Fail(msgInternal), "error"
	}
}

// serialLanes is how many transactions of one Serial key run at once on MySQL.
const serialLanes = 4

// batch is the route's transaction: own reports whether it is the call's alone (Command.Solo,
// and Action.Serial on MySQL) rather than shared with other events' (store.DB.InTxBatch).
func (r *Router) batch(c *Context, rt route) (b store.Batch, own bool) {
	if rt.solo {
		return store.Batch{}, true
	}
	if rt.serial != nil {
		if k := rt.serial(c); k != "" {
			if r.o.DB.Dialect == store.MySQL {
				// Each in a transaction of its own, at most serialLanes at once: more only queue
				// on the row lock inside the database, where every waiter costs a thread and its
				// wake-ups; fewer leave the lock idle while the next click reads and inserts. (The
				// sign-up rush, alternating runs: 1 lane ~780 clicks/s, 2 ~1,040, 3 ~1,060,
				// 4 ~1,040-1,080, 8 ~980-1,010; BENCHMARKS.md.)
				return store.Batch{Key: "serial:" + k, Lanes: serialLanes, Max: 1}, true
			}
			return store.Batch{Key: "serial:" + k, Lanes: 1}, false
		}
	}
	return store.Batch{Key: "router", Lanes: r.o.BatchLanes}, false
}

// inTx runs fn in the transaction batch describes: one of its own when b has no key.
func (r *Router) inTx(ctx context.Context, b store.Batch, fn func(*store.Tx) error) error {
	if b.Key == "" {
		return r.o.DB.InTx(ctx, fn)
	}
	return r.o.DB.InTxBatch(ctx, b, fn)
}

// matchCommand finds the command for a first word. missing is the usage message when the
// command needs more arguments than it got.
func (r *Router) matchCommand(cmd string, args []string) (route, string) {
	c := r.byName[cmd]
	if c == nil {
		return route{}, ""
	}
	rt := route{name: c.Names[0], roles: c.Roles, handler: c.Handler, solo: c.Solo}
	if len(args) < c.MinArgs {
		return rt, "用法：" + c.Usage
	}
	return rt, ""
}

func (r *Router) mentionsBot(msg *larkim.EventMessage) bool {
	for _, m := range msg.Mentions {
		if m == nil {
			continue
		}
		if r.o.BotOpenID == "" {
			return true
		}
		if m.Id != nil && deref(m.Id.OpenId) == r.o.BotOpenID {
			return true
		}
	}
	return false
}

func (r *Router) observe(typ, route, outcome string, start time.Time, c *Context) {
	d := time.Since(start)
	if outcome == "duplicate" {
		r.o.Log.Info("event deduplicated", "type", typ, "event", c.EventID)
		return
	}
	r.o.Metrics.Handled.WithLabelValues(typ, outcome).Inc()
	r.o.Metrics.Latency.WithLabelValues(typ).Observe(d.Seconds())
	var member int64
	if c.Sender != nil {
		member = c.Sender.MemberID
	}
	// No message text, no names: the route, the member's internal id and the outcome.
	r.o.Log.Info("event handled", "type", typ, "route", route, "outcome", outcome, "member", member,
		"chat_type", c.ChatType, "ms", d.Milliseconds())
}

func deniedMessage(roles []string) string {
	names := make([]string, 0, len(roles))
	for _, r := range roles {
		names = append(names, store.RoleNames[r])
	}
	return "你没有权限进行此操作（需要：" + strings.Join(names, "、") + "）。如需开通，请联系工会管理员。"
}

func toastOnly(typ, text string) *callback.CardActionTriggerResponse {
	return &callback.CardActionTriggerResponse{Toast: &callback.Toast{Type: typ, Content: text}}
}

func identity(id *larkim.UserId) Identity {
	return Identity{OpenID: deref(id.OpenId), UnionID: deref(id.UnionId), UserID: deref(id.UserId)}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// logSafe bounds an untrusted string for a log line.
func logSafe(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
