package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

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
	// other events' handlers into shared transactions (store.DB.HandleEvent); a long handler
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
	// counter; "" for none): actions on the same row share transactions, a few at a time
	// (store.Policy.Serial), instead of queueing on the row's lock each in its own.
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
	// RateLimit bounds the events of one member (zero: no limit).
	RateLimit RateLimit
}

// maxMessageRunes is the longest message text the router hands to a handler.
const maxMessageRunes = 8000

// Router routes events to handlers through the middleware chain: panic recovery, logging,
// deduplication, sender resolution, permission checks, a deadline, one transaction.
type Router struct {
	o        Options
	commands []*Command
	byName   map[string]*Command
	actions  map[string]*Action
	fallback HandlerFunc
	limit    *limiter
	attach   *Command // images and files sent 1:1 (Attachments)
}

// Messages shown to users when something goes wrong.
const (
	msgInternal   = "抱歉，系统出了点问题，请稍后再试。如果一直这样，请联系工会管理员。"
	msgTimeout    = "系统繁忙，请稍后再试。"
	msgStaleCard  = "这张卡片已失效，请发送「菜单」重新打开。"
	msgBadCard    = "卡片数据不完整，请发送「菜单」重新打开。"
	msgNoIdentity = "无法识别你的飞书身份，请稍后再试。"
	// msgUnavailable answers a click while the database cannot be written (a message is not
	// answered then: Feishu delivers it again).
	msgUnavailable = "系统暂时不可用，请稍后再试。"
	msgTooLong     = "消息太长（最多 8000 字），请分几次发送。"
)

// NewRouter returns an empty router.
func NewRouter(o Options) *Router {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Deadline <= 0 {
		o.Deadline = 2 * time.Second
	}
	return &Router{o: o, byName: map[string]*Command{}, actions: map[string]*Action{}, limit: newLimiter(o.RateLimit)}
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

// Attachments sets the handler for images and files members send the bot 1:1 (c.Attachment
// says which); without it they get the fallback like any other message. Images and files
// sent in a group are never passed to it.
func (r *Router) Attachments(c Command) { cc := c; r.attach = &cc }

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

// Actions lists the registered card actions, sorted by name.
func (r *Router) Actions() []Action {
	out := make([]Action, 0, len(r.actions))
	for _, a := range r.actions {
		out = append(out, *a)
	}
	slices.SortFunc(out, func(a, b Action) int { return strings.Compare(a.Name, b.Name) })
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
	if ok, tell := r.limit.allow(deref(snd.SenderId.OpenId)); !ok {
		r.o.Metrics.Handled.WithLabelValues(typ, "rate_limited").Inc()
		if !tell {
			return nil // said once already: nothing written, nothing sent
		}
		// Once per cooldown the member is told, with the event recorded with the answer.
		c := &Context{Kind: KindMessage, MessageID: deref(msg.MessageId), ChatID: deref(msg.ChatId), ChatType: chatType}
		bg := context.WithoutCancel(ctx)
		_, err := r.o.DB.HandleEvent(bg, key, typ, store.Policy{Solo: true}, func(tx *store.Tx) error {
			c.Tx, c.Ctx, c.notify = tx, bg, r.o.Notify
			return c.Reply(Text(msgRateLimited))
		})
		return err
	}
	text, _ := messageText(msg)
	cmd, args, rest := splitCommand(text)
	rt, missing := r.matchCommand(cmd, args)
	c := &Context{Kind: KindMessage, MessageID: deref(msg.MessageId), ChatID: deref(msg.ChatId), ChatType: chatType,
		Text: text, Command: cmd, Args: args, ArgText: rest}
	if att := messageAttachment(msg); att != nil && chatType == "p2p" && r.attach != nil {
		c.Attachment = att
		rt = route{name: r.attach.Names[0], roles: r.attach.Roles, handler: r.attach.Handler, solo: r.attach.Solo}
	}
	if ev.EventV2Base != nil && ev.EventV2Base.Header != nil {
		c.EventID = ev.EventV2Base.Header.EventID
	}
	if rt.handler != nil && missing != "" {
		rt = route{name: rt.name, roles: rt.roles, handler: func(*Context) (*Response, error) { return Warn(missing), nil }}
	}
	if utf8.RuneCountInString(text) > maxMessageRunes {
		// Nothing a command takes is this long; answering would only echo it back.
		rt = route{name: "too_long", handler: func(*Context) (*Response, error) { return Warn(msgTooLong), nil }}
	}
	resp, outcome := r.run(ctx, typ, key, identity(snd.SenderId), c, rt)
	defer r.observe(typ, rt.name, outcome, start, c)
	if outcome == outcomeUnavailable {
		// Nothing was recorded and nothing can be: no answer (it would say the command
		// failed, while it has not run), an error for Feishu to deliver the event again.
		return errUnavailable
	}
	if resp == nil || resp.Reply == nil {
		return nil // handled (the reply went out with the handler's transaction), or a duplicate
	}
	// The handler was refused, failed or timed out, and its transaction is gone: record the
	// event and the answer together, so a redelivery neither answers twice nor retries it.
	bg := context.WithoutCancel(ctx)
	_, err := r.o.DB.HandleEvent(bg, key, typ, store.Policy{Solo: true}, func(tx *store.Tx) error {
		c.Tx, c.Ctx, c.notify = tx, bg, r.o.Notify
		return c.Reply(*resp.Reply)
	})
	return err
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
	if ok, _ := r.limit.allow(op.OpenID); !ok {
		r.o.Metrics.Handled.WithLabelValues(typ, "rate_limited").Inc()
		return toastOnly("warning", msgRateLimited), nil // answered in the toast: nothing written
	}
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
			if bp, ok := p.(*store.HandlerPanic); ok { // raised in a shared transaction
				p, stack = bp.Value, bp.Stack
			}
			r.o.Log.Error("handler panic", "type", typ, "route", rt.name, "panic", fmt.Sprint(p), "stack", string(stack))
			resp, outcome = Fail(msgInternal), "panic"
		}
	}()
	sender, e := r.o.Resolver.Resolve(ctx, id)
	if e != nil {
		if store.Unavailable(e) {
			r.o.Log.Warn("database unavailable", "type", typ, "route", rt.name, "err", e)
			return Fail(msgUnavailable), outcomeUnavailable
		}
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
	var refused bool // the handler refused after writing: its writes were rolled back
	dup, err := r.o.DB.HandleEvent(ctx, key, typ, r.policy(c, rt), func(tx *store.Tx) error {
		resp, refused = nil, false // the function runs again when its shared transaction fails
		c.Ctx, c.Tx, c.Now, c.notify = ctx, tx, tx.Now(), r.o.Notify
		var e error
		if resp, e = rt.handler(c); e != nil {
			return e
		}
		if resp.refusal() && tx.Writes() > 0 {
			// A refusal writes nothing: a handler decides before its first write. One that
			// wrote and then refused is rolled back, so that nothing half-done stays.
			refused = true
			return errRefusedAfterWrite
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
	if refused && errors.Is(err, errRefusedAfterWrite) {
		r.o.Log.Error("handler refused after writing; its writes were rolled back", "type", typ, "route", rt.name)
		return resp, "refused_after_write"
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
	case store.Unavailable(err):
		r.o.Log.Warn("database unavailable", "type", typ, "route", rt.name, "err", err)
		return Fail(msgUnavailable), outcomeUnavailable
	default:
		r.o.Log.Error("handler failed", "type", typ, "route", rt.name, "err", err)
		return Fail(msgInternal), "error"
	}
}

// policy is how the route's transaction may be shared (store.Policy).
func (r *Router) policy(c *Context, rt route) store.Policy {
	if rt.solo {
		return store.Policy{Solo: true}
	}
	if rt.serial != nil {
		return store.Policy{Serial: rt.serial(c)}
	}
	return store.Policy{}
}

// outcomeUnavailable: the database could not be used (store.Unavailable); nothing was done.
const outcomeUnavailable = "unavailable"

// errUnavailable fails a message event that could not be recorded (Feishu delivers it again).
var errUnavailable = errors.New("bot: the database is unavailable; the event was not handled")

// errRefusedAfterWrite rolls back a handler that refused after writing.
var errRefusedAfterWrite = errors.New("bot: handler refused after writing")

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

// deniedMessage names the roles that may, admins included.
func deniedMessage(roles []string) string {
	names := make([]string, 0, len(roles)+1)
	for _, r := range roles {
		names = append(names, store.RoleNames[r])
	}
	if !slices.Contains(roles, store.RoleAdmin) { // an admin passes every check
		names = append(names, store.RoleNames[store.RoleAdmin])
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
