package feishutest

import (
	"encoding/json"
	"strconv"
	"time"
)

// Mention is one @-mention in a received message.
type Mention struct {
	Key     string // placeholder in the text, e.g. "@_user_1"
	OpenID  string
	UnionID string
	UserID  string
	Name    string
}

// MessageOpts describes an im.message.receive_v1 event. Empty ids are
// filled with fresh unique values.
type MessageOpts struct {
	EventID       string
	MessageID     string // "om_..."
	RootID        string
	ParentID      string
	ThreadID      string
	ChatID        string // "oc_..."
	ChatType      string // "p2p" (default) or "group"
	SenderOpenID  string
	SenderUnionID string
	SenderUserID  string // empty: omitted, as when the app lacks the user-id scope
	// Text is the message text; the content JSON {"text":...} is built from
	// it unless Content is set.
	Text string
	// Content is the raw content JSON string, for non-text messages (e.g.
	// `{"file_key":"file_v3_...","file_name":"a.xlsx"}`).
	Content     string
	MessageType string // default "text"
	Mentions    []Mention
	Token       string // verification token (header.token); the long connection sends ""
	AppID       string // default "cli_fake"
	TenantKey   string
	CreateTime  time.Time // default now
	UserAgent   string    // message.user_agent, omitted when empty
}

type eventHeader struct {
	EventID    string `json:"event_id"`
	EventType  string `json:"event_type"`
	CreateTime string `json:"create_time"`
	Token      string `json:"token"`
	AppID      string `json:"app_id"`
	TenantKey  string `json:"tenant_key"`
}

type userIDs struct {
	UnionID string `json:"union_id,omitempty"`
	UserID  string `json:"user_id,omitempty"`
	OpenID  string `json:"open_id,omitempty"`
}

type eventMention struct {
	Key       string  `json:"key"`
	ID        userIDs `json:"id"`
	Name      string  `json:"name"`
	TenantKey string  `json:"tenant_key"`
}

type eventMessage struct {
	MessageID   string         `json:"message_id"`
	RootID      string         `json:"root_id,omitempty"`
	ParentID    string         `json:"parent_id,omitempty"`
	CreateTime  string         `json:"create_time"`
	UpdateTime  string         `json:"update_time"`
	ChatID      string         `json:"chat_id"`
	ThreadID    string         `json:"thread_id,omitempty"`
	ChatType    string         `json:"chat_type"`
	MessageType string         `json:"message_type"`
	Content     string         `json:"content"`
	Mentions    []eventMention `json:"mentions,omitempty"`
	UserAgent   string         `json:"user_agent,omitempty"`
}

type messageEvent struct {
	Schema string      `json:"schema"`
	Header eventHeader `json:"header"`
	Event  struct {
		Sender struct {
			SenderID   userIDs `json:"sender_id"`
			SenderType string  `json:"sender_type"`
			TenantKey  string  `json:"tenant_key"`
		} `json:"sender"`
		Message eventMessage `json:"message"`
	} `json:"event"`
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic("feishutest: " + err.Error())
	}
	return b
}

// MessageEvent builds an im.message.receive_v1 schema-2.0 payload in the
// shape of Feishu's documented sample (group @-mention) or of a p2p message.
func MessageEvent(o MessageOpts) []byte {
	at := o.CreateTime
	if at.IsZero() {
		at = time.Now()
	}
	tenant := or(o.TenantKey, fakeTenantKey)
	msgType := or(o.MessageType, "text")
	content := o.Content
	if content == "" {
		content = string(mustJSON(map[string]string{"text": o.Text}))
	}
	var e messageEvent
	e.Schema = "2.0"
	e.Header = eventHeader{
		EventID:    or(o.EventID, randHex(16)),
		EventType:  "im.message.receive_v1",
		CreateTime: millis(at),
		Token:      o.Token,
		AppID:      or(o.AppID, "cli_fake"),
		TenantKey:  tenant,
	}
	e.Event.Sender.SenderID = userIDs{
		UnionID: or(o.SenderUnionID, "on_"+randHex(16)),
		UserID:  o.SenderUserID,
		OpenID:  or(o.SenderOpenID, "ou_"+randHex(16)),
	}
	e.Event.Sender.SenderType = "user"
	e.Event.Sender.TenantKey = tenant
	e.Event.Message = eventMessage{
		MessageID:   or(o.MessageID, "om_"+randHex(16)),
		RootID:      o.RootID,
		ParentID:    o.ParentID,
		CreateTime:  millis(at),
		UpdateTime:  millis(at),
		ChatID:      or(o.ChatID, "oc_"+randHex(16)),
		ThreadID:    o.ThreadID,
		ChatType:    or(o.ChatType, "p2p"),
		MessageType: msgType,
		Content:     content,
		UserAgent:   o.UserAgent,
	}
	for _, m := range o.Mentions {
		e.Event.Message.Mentions = append(e.Event.Message.Mentions, eventMention{
			Key:       m.Key,
			ID:        userIDs{UnionID: m.UnionID, UserID: m.UserID, OpenID: m.OpenID},
			Name:      m.Name,
			TenantKey: tenant,
		})
	}
	return mustJSON(e)
}

// CardOpts describes a card.action.trigger callback (callback v2). Empty ids
// are filled with fresh unique values.
type CardOpts struct {
	EventID         string
	Token           string // verification token (header.token)
	AppID           string // default "cli_fake"
	TenantKey       string
	OperatorOpenID  string
	OperatorUserID  string
	OperatorUnionID string
	// Value is action.value. Normally a map[string]any; any JSON value may
	// be given (a string, json.RawMessage) to test bad input. nil omits it.
	Value      any
	FormValue  map[string]any // action.form_value (form submits)
	Tag        string         // action.tag, default "button"
	Name       string         // action.name
	Option     string         // action.option (select_static etc.)
	Options    []string       // action.options (multi-select)
	InputValue string         // action.input_value (standalone input)
	Checked    *bool          // action.checked (checker)
	Timezone   string         // action.timezone
	Host       string         // default "im_message"
	// OpenMessageID and OpenChatID fill context; fresh ids by default.
	OpenMessageID string
	OpenChatID    string
	CallbackToken string    // event.token for a delayed update, default "c-..."
	CreateTime    time.Time // default now
}

// CardActionEvent builds a card.action.trigger payload in the shape of the
// documented callback (form submit in an IM message).
func CardActionEvent(o CardOpts) []byte {
	at := o.CreateTime
	if at.IsZero() {
		at = time.Now()
	}
	tenant := or(o.TenantKey, fakeTenantKey)
	operator := map[string]any{
		"tenant_key": tenant,
		"open_id":    or(o.OperatorOpenID, "ou_"+randHex(16)),
		"union_id":   or(o.OperatorUnionID, "on_"+randHex(16)),
	}
	if o.OperatorUserID != "" {
		operator["user_id"] = o.OperatorUserID
	}
	action := map[string]any{"tag": or(o.Tag, "button")}
	if o.Value != nil {
		action["value"] = o.Value
	}
	if o.FormValue != nil {
		action["form_value"] = o.FormValue
	}
	if o.Name != "" {
		action["name"] = o.Name
	}
	if o.Option != "" {
		action["option"] = o.Option
	}
	if o.Options != nil {
		action["options"] = o.Options
	}
	if o.InputValue != "" {
		action["input_value"] = o.InputValue
	}
	if o.Checked != nil {
		action["checked"] = *o.Checked
	}
	if o.Timezone != "" {
		action["timezone"] = o.Timezone
	}
	payload := map[string]any{
		"schema": "2.0",
		"header": eventHeader{
			EventID:    or(o.EventID, randHex(16)),
			EventType:  "card.action.trigger",
			CreateTime: strconv.FormatInt(at.UnixMicro(), 10),
			Token:      o.Token,
			AppID:      or(o.AppID, "cli_fake"),
			TenantKey:  tenant,
		},
		"event": map[string]any{
			"operator": operator,
			"token":    or(o.CallbackToken, "c-"+randHex(20)),
			"action":   action,
			"host":     or(o.Host, "im_message"),
			"context": map[string]any{
				"open_message_id": or(o.OpenMessageID, "om_"+randHex(16)),
				"open_chat_id":    or(o.OpenChatID, "oc_"+randHex(16)),
			},
		},
	}
	return mustJSON(payload)
}

// URLVerification builds the url_verification challenge Feishu sends when a
// webhook URL is configured.
func URLVerification(token, challenge string) []byte {
	return mustJSON(map[string]string{"challenge": challenge, "token": token, "type": "url_verification"})
}

// Event builds a schema-2.0 event of any type with the given event body (for the event types
// without their own builder: a reaction, a chat member change). token is the verification
// token (header.token; the long connection sends "").
func Event(eventType, token string, event any) []byte {
	return mustJSON(map[string]any{
		"schema": "2.0",
		"header": eventHeader{EventID: randHex(16), EventType: eventType, CreateTime: millis(time.Now()), Token: token,
			AppID: "cli_fake", TenantKey: fakeTenantKey},
		"event": event,
	})
}

// BotAddedEvent is im.chat.member.bot.added_v1: the bot was added to the group chatID (named
// name) by operatorOpenID.
func BotAddedEvent(chatID, name, operatorOpenID, token string) []byte {
	return Event("im.chat.member.bot.added_v1", token, map[string]any{
		"chat_id": chatID, "name": name, "external": false, "operator_tenant_key": fakeTenantKey,
		"operator_id": userIDs{OpenID: operatorOpenID, UnionID: "on_" + randHex(16)},
	})
}

// BotDeletedEvent is im.chat.member.bot.deleted_v1: the bot was removed from the group chatID.
func BotDeletedEvent(chatID, operatorOpenID, token string) []byte {
	return Event("im.chat.member.bot.deleted_v1", token, map[string]any{
		"chat_id": chatID, "name": "", "external": false, "operator_tenant_key": fakeTenantKey,
		"operator_id": userIDs{OpenID: operatorOpenID, UnionID: "on_" + randHex(16)},
	})
}
