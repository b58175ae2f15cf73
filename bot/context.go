// Package bot is the Feishu side of unionbot: it receives events over a long connection or a
// signed webhook, routes text commands and card actions to handler functions through one
// middleware chain (recovery, logging, deduplication, sender resolution, permissions), and
// delivers what handlers send through the database outbox. It knows chat, cards and delivery,
// and nothing about unions.
package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/store"
)

// Kind is the kind of an inbound event.
type Kind string

// Event kinds.
const (
	KindMessage    Kind = "message"     // im.message.receive_v1
	KindCardAction Kind = "card_action" // card.action.trigger
)

// Sender is the member behind an event, as the Resolver found them.
type Sender struct {
	OpenID   string
	MemberID int64
	Name     string
	Roles    []string // granted roles; every sender is also a member
	New      bool     // registered by this very event
	// Member is the member row the Resolver read (nil when it did not supply one): handlers
	// may use it instead of reading the member again in their transaction.
	Member *store.Member
}

// Has reports whether the sender holds role. Everyone holds store.RoleMember, and an admin
// passes every check.
func (s *Sender) Has(role string) bool {
	if s == nil {
		return false
	}
	return role == "" || role == store.RoleMember || slices.Contains(s.Roles, role) || slices.Contains(s.Roles, store.RoleAdmin)
}

// HasAny reports whether the sender holds any of roles (or roles is empty).
func (s *Sender) HasAny(roles []string) bool {
	if len(roles) == 0 {
		return true
	}
	for _, r := range roles {
		if s.Has(r) {
			return true
		}
	}
	return false
}

// Identity is how Feishu names the sender of an event.
type Identity struct {
	OpenID, UnionID, UserID string
}

// Resolver turns an event's sender into a Sender, registering a first-time sender. It runs
// before the event's transaction, so it may call Feishu (to learn a new member's name).
type Resolver interface {
	Resolve(ctx context.Context, id Identity) (*Sender, error)
}

// Renderer is a card that renders to card JSON 2.0 (a *card.Card).
type Renderer interface {
	JSON() ([]byte, error)
}

// Content is an outbound message body: a msg_type and its content JSON.
type Content struct {
	MsgType string
	JSON    string
	// Sensitive content (a card marked card.Sensitive) is sealed at rest in the outbox and goes
	// 1:1 only: SendChat refuses it, and so does Patch.
	Sensitive bool
}

// ErrSensitiveToChat is returned when sensitive content is addressed to a chat.
var ErrSensitiveToChat = errors.New("bot: sensitive content goes 1:1 only, not to a chat")

// sensitive reports whether a renderer is marked sensitive (card.Card.Sensitive).
func sensitive(r Renderer) bool {
	s, ok := r.(interface{ IsSensitive() bool })
	return ok && s.IsSensitive()
}

// Text is a plain text message.
func Text(s string) Content {
	b, _ := json.Marshal(map[string]string{"text": s})
	return Content{MsgType: "text", JSON: string(b)}
}

// Card is an interactive card message.
func Card(c Renderer) (Content, error) {
	b, err := c.JSON()
	if err != nil {
		return Content{}, fmt.Errorf("bot: render card: %w", err)
	}
	return Content{MsgType: "interactive", JSON: string(b), Sensitive: sensitive(c)}, nil
}

// Toast is the small pop-up answer to a card click.
type Toast struct {
	Type string // "info", "success", "warning" or "error"
	Text string
}

// Response is a handler's answer. For a card action, Toast pops up and Card (when set)
// replaces the clicked card. For a message, Reply (when set) is sent as a reply.
type Response struct {
	Toast *Toast
	Card  Renderer
	Reply *Content
}

// Info, Success, Warn and Fail are responses with a toast (for card actions) that is also the
// text reply (for messages).
func Info(text string) *Response    { return toastResponse("info", text) }
func Success(text string) *Response { return toastResponse("success", text) }
func Warn(text string) *Response    { return toastResponse("warning", text) }
func Fail(text string) *Response    { return toastResponse("error", text) }

func toastResponse(typ, text string) *Response {
	t := Text(text)
	return &Response{Toast: &Toast{Type: typ, Text: text}, Reply: &t}
}

// refusal reports whether the response refuses what was asked (a warning or error toast).
func (r *Response) refusal() bool {
	return r != nil && r.Toast != nil && (r.Toast.Type == "warning" || r.Toast.Type == "error")
}

// Refusal is how a handler refuses, in one style across flows: decided before the handler's
// first write, it returns the answer saying why with a nil error, so that the event's
// transaction commits nothing and the other handlers sharing it keep theirs (an error would
// roll them all back and rerun them alone). When err carries a message for the user (a
// *store.Error from a check or a read: EINVALID, ENOTFOUND, ECONFLICT, EUNAUTHORIZED), the
// answer is a warning with that message; any other error is a failure and returned as is.
// A store method that refuses after it has written (a unique key hit by a concurrent click
// after a quota was taken) is answered the same way, but through the error, so that the router
// rolls those writes back: a refusal never commits anything.
func (c *Context) Refusal(err error) (*Response, error) {
	msg := store.ErrorMessage(err)
	if msg == "" || (c.Tx != nil && c.Tx.Writes() > 0) {
		return nil, err
	}
	return Warn(msg), nil
}

// ReplyCard is a response that answers a message with a card (and, for a card action,
// replaces the clicked card with it).
func ReplyCard(c Renderer) *Response { return &Response{Card: c} }

// Attachment is an image or file a member sent in a message: the bot fetches it with the
// message-resource API (GET /open-apis/im/v1/messages/:message_id/resources/:key?type=Type).
type Attachment struct {
	Type string // "image" or "file"
	Key  string // image_key or file_key
	Name string // the file's name ("" for an image)
}

// Context is everything a handler gets: the event, the sender, the open transaction (every
// write, including outbound messages, goes through it), and helpers to send messages.
type Context struct {
	Ctx    context.Context // carries the handler's deadline
	Tx     *store.Tx
	Kind   Kind
	Sender *Sender
	Now    time.Time

	EventID   string
	MessageID string // the message received, or the message holding the clicked card
	ChatID    string
	ChatType  string // "p2p" or "group"

	// Messages.
	Text    string   // the text, mentions removed
	Command string   // the command word that matched
	Args    []string // the words after the command
	ArgText string   // the text after the command
	// Attachment is the image or file a member sent (Router.Attachments), nil otherwise.
	Attachment *Attachment

	// Card actions.
	Action        string         // value["action"]
	Value         map[string]any // the button's callback value
	FormValue     map[string]any // a submitted form's values by component name
	Option        string         // a standalone select's choice
	CallbackToken string         // for a delayed card update

	notify func()
}

// Arg returns the i-th argument or "".
func (c *Context) Arg(i int) string {
	if i < len(c.Args) {
		return c.Args[i]
	}
	return ""
}

// String returns a string field of the callback value ("" when missing or not a string).
func (c *Context) String(key string) string {
	s, _ := c.Value[key].(string)
	return s
}

// Int returns an integer field of the callback value, 0 when it is missing or not an integer.
func (c *Context) Int(key string) int64 {
	n, _ := c.IntOK(key)
	return n
}

// IntOK returns an integer field of the callback value and whether it held one. JSON numbers
// arrive as float64 (or json.Number from a decoder that keeps them), tests pass int or int64,
// and older cards carry numeric strings.
func (c *Context) IntOK(key string) (int64, bool) {
	switch x := c.Value[key].(type) {
	case float64:
		n := int64(x)
		return n, float64(n) == x
	case int:
		return int64(x), true
	case int64:
		return x, true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(x), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// Bool returns a boolean field of the callback value: true, or the number 1 (false when
// missing).
func (c *Context) Bool(key string) bool {
	if b, ok := c.Value[key].(bool); ok {
		return b
	}
	n, ok := c.IntOK(key)
	return ok && n == 1
}

// FormString returns a string field of the submitted form ("" when missing).
func (c *Context) FormString(key string) string {
	switch v := c.FormValue[key].(type) {
	case string:
		return printable(v)
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// FormStrings returns a multi-valued form field (a multi-select or a person picker).
func (c *Context) FormStrings(key string) []string {
	switch v := c.FormValue[key].(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			if s, ok := x.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case string:
		if v == "" {
			return nil
		}
		return []string{v}
	}
	return nil
}

// Notifier is the function that wakes the outbox worker (nil when there is none), for work
// that queues messages outside the handler's transaction.
func (c *Context) Notifier() func() { return c.notify }

func (c *Context) enqueue(m *store.OutboxMessage) error {
	if _, err := c.Tx.Enqueue(c.Ctx, m); err != nil {
		return err
	}
	if c.notify != nil {
		c.Tx.AfterCommit(c.notify)
	}
	return nil
}

// SendTo queues a 1:1 message to a member by open_id.
func (c *Context) SendTo(openID string, msg Content) error {
	return c.enqueue(&store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: openID,
		MsgType: msg.MsgType, Content: msg.JSON, Sealed: msg.Sensitive})
}

// SendChat queues a message to a chat by chat_id.
func (c *Context) SendChat(chatID string, msg Content) error {
	if msg.Sensitive {
		return ErrSensitiveToChat
	}
	return c.enqueue(&store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "chat_id", ReceiveID: chatID,
		MsgType: msg.MsgType, Content: msg.JSON})
}

// Reply queues a reply to the event's message (the received message, or the card clicked).
func (c *Context) Reply(msg Content) error {
	if c.MessageID == "" {
		return c.SendTo(c.Sender.OpenID, msg)
	}
	if msg.Sensitive && c.ChatType != "p2p" && !(c.Kind == KindCardAction && c.ChatType == "") {
		return ErrSensitiveToChat
	}
	return c.enqueue(&store.OutboxMessage{Kind: store.OutboxReply, TargetMessageID: c.MessageID,
		MsgType: msg.MsgType, Content: msg.JSON, Sealed: msg.Sensitive})
}

// Patch queues a replacement of the card in message messageID, coalesced with a patch of it
// still waiting in the outbox (store.Tx.EnqueuePatch).
func (c *Context) Patch(messageID string, card Renderer) error {
	if sensitive(card) {
		return ErrSensitiveToChat // a card patch may reach a chat; sensitive cards are sent anew, 1:1
	}
	b, err := card.JSON()
	if err != nil {
		return err
	}
	if _, err := c.Tx.EnqueuePatch(c.Ctx, messageID, string(b)); err != nil {
		return err
	}
	if c.notify != nil {
		c.Tx.AfterCommit(c.notify)
	}
	return nil
}

// SendFile queues a file (uploaded, then sent) to a member 1:1.
func (c *Context) SendFile(openID, name string, data []byte) error {
	return c.enqueue(&store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: openID,
		MsgType: "file", FileName: name, FileData: data})
}

// SendSensitiveFile is SendFile for a file of sensitive data (a member's data, an aid
// ledger): sealed at rest in the outbox until sent, refused when no data key is configured.
func (c *Context) SendSensitiveFile(openID, name string, data []byte) error {
	return c.enqueue(&store.OutboxMessage{Kind: store.OutboxFile, ReceiveIDType: "open_id", ReceiveID: openID,
		MsgType: "file", FileName: name, FileData: data, Sealed: true})
}
