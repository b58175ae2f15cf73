package emulator

import (
	"context"
	"crypto/rand"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
)

//go:embed web
var webFiles embed.FS

// Chat is a conversation the page shows.
type Chat struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Group bool   `json:"group"`
}

// groups are the group chats with the bot as a member; every persona is in them.
var groups = []Chat{
	{ID: ChatUnion, Name: "工会会员群", Group: true},
	{ID: ChatOfficers, Name: "工会干事群", Group: true},
}

// SendRequest is a message a persona sends (POST /api/send).
type SendRequest struct {
	As   string `json:"as"`   // the persona's open_id
	Chat string `json:"chat"` // the persona's 1:1 chat or a group chat id
	Text string `json:"text"` // in a group, the bot is @-mentioned before it
	// File, instead of Text, sends a photo or a file: an image or file message whose resource
	// the fake platform serves to the bot's message-resource call.
	File *Attachment `json:"file,omitempty"`
}

// Attachment is a photo (Type "image") or a file (Type "file") a persona sends; Data is
// base64 in JSON.
type Attachment struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Data []byte `json:"data"`
}

// maxAttachment is the largest photo or file the page sends (the bot's own limit,
// aid.material_max_mb, is at most 50 MB; the page's is 20 MB).
const maxAttachment = 20 << 20

// ActionRequest is a click or a form submit on a card (POST /api/action): the fields of the
// callback's action object.
type ActionRequest struct {
	As         string         `json:"as"`
	MessageID  string         `json:"message_id"`
	Tag        string         `json:"tag"`
	Name       string         `json:"name,omitempty"`
	Value      any            `json:"value,omitempty"`
	FormValue  map[string]any `json:"form_value,omitempty"`
	Option     string         `json:"option,omitempty"`
	Options    []string       `json:"options,omitempty"`
	InputValue string         `json:"input_value,omitempty"`
	Checked    *bool          `json:"checked,omitempty"`
}

// ActionAnswer is the bot's answer to a callback: its toast and whether it replaced the card.
type ActionAnswer struct {
	Toast    json.RawMessage `json:"toast,omitempty"`
	Replaced bool            `json:"replaced"`
	Raw      json.RawMessage `json:"raw"` // the callback answer as the bot gave it
}

// Send delivers a persona's message to the bot as an im.message.receive_v1 event over the
// long connection and returns its message_id once the bot acknowledged it.
func (e *Emulator) Send(ctx context.Context, r SendRequest) (string, error) {
	p, ok := e.persona(r.As)
	if !ok {
		return "", fmt.Errorf("no persona %q", r.As)
	}
	text := strings.TrimSpace(r.Text)
	if text == "" && r.File == nil {
		return "", errors.New("empty message")
	}
	o := feishutest.MessageOpts{MessageID: "om_emu_" + randID(), ChatID: r.Chat, SenderOpenID: p.OpenID,
		SenderUnionID: "on_demo_" + p.EmployeeNo, Text: text, AppID: e.fake.AppID(), CreateTime: e.clock.Now()}
	if f := r.File; f != nil {
		if len(f.Data) == 0 || len(f.Data) > maxAttachment {
			return "", fmt.Errorf("the file is empty or over %d MB", maxAttachment>>20)
		}
		key := "file_emu_" + randID()
		o.MessageType, o.Content = "file", string(mustJSON(map[string]string{"file_key": key, "file_name": f.Name}))
		if f.Type == "image" {
			key = "img_emu_" + randID()
			o.MessageType, o.Content = "image", string(mustJSON(map[string]string{"image_key": key}))
		}
		e.fake.AddNamedResource(o.MessageID, key, f.Name, f.Data)
	}
	switch {
	case r.Chat == p.Chat:
		o.ChatType = "p2p"
	case isGroup(r.Chat) && r.File != nil:
		o.ChatType = "group"
	case isGroup(r.Chat):
		o.ChatType = "group"
		o.Text = "@_user_1 " + text
		o.Mentions = []feishutest.Mention{{Key: "@_user_1", OpenID: e.fake.BotOpenID(), Name: "工会助手"}}
	default:
		return "", fmt.Errorf("%s is not in chat %q", p.Name, r.Chat)
	}
	payload := feishutest.MessageEvent(o)
	e.record(Step{Kind: "send", As: p.EmployeeNo, Chat: e.chatLabel(p, r.Chat), Text: text, File: r.File})
	e.fake.NoteMessage(o.MessageID, r.Chat)
	entry := Entry{ID: o.MessageID, Chat: r.Chat, From: p.OpenID, FromName: p.Name, MsgType: "text",
		Content: string(mustJSON(map[string]string{"text": o.Text})), Raw: payload}
	if r.File != nil {
		entry.MsgType, entry.Content = o.MessageType, o.Content
	}
	e.feed.add(entry)
	ack, err := e.fake.PushEvent(ctx, payload)
	e.noteEvent("im.message.receive_v1", payload, ack, err)
	if err != nil {
		return o.MessageID, err
	}
	return o.MessageID, nil
}

// Act delivers a click or a form submit as a card.action.trigger callback over the long
// connection, and applies the bot's answer: a card in the answer replaces the clicked one.
func (e *Emulator) Act(ctx context.Context, r ActionRequest) (*ActionAnswer, error) {
	p, ok := e.persona(r.As)
	if !ok {
		return nil, fmt.Errorf("no persona %q", r.As)
	}
	msg, ok := e.feed.entry(r.MessageID)
	if !ok {
		return nil, fmt.Errorf("no message %q", r.MessageID)
	}
	step := r
	step.As, step.MessageID = "", ""
	e.record(Step{Kind: "action", As: p.EmployeeNo, Chat: e.chatLabel(p, msg.Chat), Card: cardKey(r.Value), Action: &step})
	token := "c-" + randID()
	e.feed.remember(token, msg.ID)
	payload := feishutest.CardActionEvent(feishutest.CardOpts{AppID: e.fake.AppID(), OperatorOpenID: p.OpenID,
		OperatorUnionID: "on_demo_" + p.EmployeeNo, OperatorUserID: "u" + p.EmployeeNo, Value: r.Value, FormValue: r.FormValue,
		Tag: r.Tag, Name: r.Name, Option: r.Option, Options: r.Options, InputValue: r.InputValue, Checked: r.Checked,
		Timezone: "Asia/Shanghai", OpenMessageID: messageIDForCallback(msg.ID), OpenChatID: msg.Chat, CallbackToken: token,
		CreateTime: e.clock.Now()})
	ack, err := e.fake.PushEvent(ctx, payload)
	e.noteEvent("card.action.trigger", payload, ack, err)
	if err != nil {
		return nil, err
	}
	ans := &ActionAnswer{Raw: ack.Data}
	var resp struct {
		Toast json.RawMessage `json:"toast"`
		Card  *struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"card"`
	}
	if len(ack.Data) > 0 {
		if err := json.Unmarshal(ack.Data, &resp); err != nil {
			return ans, fmt.Errorf("the bot's callback answer is not JSON: %w", err)
		}
	}
	ans.Toast = resp.Toast
	if resp.Card != nil && resp.Card.Type == "raw" && len(resp.Card.Data) > 0 {
		ans.Replaced = e.feed.update(msg.ID, "interactive", string(resp.Card.Data))
	}
	return ans, nil
}

// messageIDForCallback is the open_message_id a click carries: a batch message's own id.
func messageIDForCallback(id string) string {
	if i := strings.IndexByte(id, '/'); i > 0 {
		return id[:i]
	}
	return id
}

func (e *Emulator) noteEvent(typ string, payload []byte, ack *feishutest.Ack, err error) {
	d := map[string]any{"type": typ, "payload": string(payload)}
	if ack != nil {
		d["ack_code"] = ack.Code
		if len(ack.Data) > 0 {
			d["answer"] = string(ack.Data)
		}
	}
	if err != nil {
		d["error"] = err.Error()
	}
	e.feed.note("event", d)
}

func isGroup(chat string) bool {
	for _, g := range groups {
		if g.ID == chat {
			return true
		}
	}
	return false
}

// Messages returns the messages of a chat, oldest first.
func (e *Emulator) Messages(chat string) []Entry { return e.feed.messages(chat) }

// WaitMessage waits until a message of chat satisfies ok (checked at every change).
func (e *Emulator) WaitMessage(ctx context.Context, chat string, ok func(Entry) bool) (Entry, error) {
	var seq int64
	for {
		for _, m := range e.feed.messages(chat) {
			if ok(m) {
				return m, nil
			}
		}
		_, _, seq = e.feed.since(seq)
		e.feed.wait(ctx, seq)
		if ctx.Err() != nil {
			return Entry{}, ctx.Err()
		}
	}
}

// handler serves the page and its API.
func (e *Emulator) handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(webFiles, "web")
	mux.Handle("GET /", http.FileServerFS(static))
	mux.HandleFunc("GET /api/state", e.apiState)
	mux.HandleFunc("GET /api/feed", e.apiFeed)
	mux.HandleFunc("POST /api/send", e.apiSend)
	mux.HandleFunc("POST /api/action", e.apiAction)
	mux.HandleFunc("POST /api/clock", e.apiClock)
	mux.HandleFunc("GET /api/file/{key}", e.apiFile)
	mux.HandleFunc("POST /api/faults", e.apiFaults)
	mux.HandleFunc("GET /api/transcript", e.apiTranscript)
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, err error) {
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	return dec.Decode(v)
}

func (e *Emulator) apiState(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"personas": e.personas,
		"groups":   groups,
		"bot":      map[string]string{"open_id": e.fake.BotOpenID(), "name": "工会助手"},
		"clock":    e.clock.Now().Format(time.RFC3339),
		"platform": e.fake.URL(),
	})
}

// apiFeed answers the messages and log lines changed after ?since=, waiting up to ?wait=
// seconds for a change when there is none.
func (e *Emulator) apiFeed(w http.ResponseWriter, r *http.Request) {
	since, _ := strconv.ParseInt(r.URL.Query().Get("since"), 10, 64)
	if wait, _ := strconv.Atoi(r.URL.Query().Get("wait")); wait > 0 {
		ctx, cancel := context.WithTimeout(r.Context(), time.Duration(min(wait, 25))*time.Second)
		e.feed.wait(ctx, since)
		cancel()
	}
	es, ns, seq := e.feed.since(since)
	if es == nil {
		es = []Entry{}
	}
	if ns == nil {
		ns = []Note{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"seq": seq, "clock": e.clock.Now().Format(time.RFC3339), "messages": es, "log": ns})
}

func (e *Emulator) apiSend(w http.ResponseWriter, r *http.Request) {
	var req SendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxAttachment*4/3+1<<20)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	id, err := e.Send(r.Context(), req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"message_id": id})
}

func (e *Emulator) apiAction(w http.ResponseWriter, r *http.Request) {
	var req ActionRequest
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	ans, err := e.Act(r.Context(), req)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, ans)
}

func (e *Emulator) apiClock(w http.ResponseWriter, r *http.Request) {
	var req struct {
		To string `json:"to"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	t, err := ParseTime(req.To, e.main.Config.Location())
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	runs, err := e.SetClock(r.Context(), t)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	if runs == nil {
		runs = []JobRun{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"clock": e.clock.Now().Format(time.RFC3339), "jobs": runs})
}

// apiFile serves a file the bot uploaded, as a download under its name.
func (e *Emulator) apiFile(w http.ResponseWriter, r *http.Request) {
	key := r.PathValue("key")
	for _, u := range e.fake.Uploads() {
		if u.Key == key {
			name := u.FileName
			if name == "" {
				name = key
			}
			w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(name))
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(u.Data)
			return
		}
	}
	http.NotFound(w, r)
}

func randID() string {
	b := make([]byte, 12)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// Fault modes of the page's fault switch.
const (
	FaultOff  = "off"
	Fault429  = "429"  // every call answered HTTP 429, code 99991400
	Fault5xx  = "5xx"  // every call answered HTTP 500, code 1
	FaultSlow = "slow" // every answer delayed 3 s
)

// SetFault turns a fault of the platform on for a while (or off): the bot's calls fail or
// slow down as they would when Feishu throttles or breaks, and the outbox's retries show.
func (e *Emulator) SetFault(mode string, d time.Duration) error {
	e.fake.ClearFaults()
	e.fake.SetLatency(0)
	e.record(Step{Kind: "fault", Mode: mode})
	switch mode {
	case FaultOff:
		e.feed.note("fault", map[string]any{"mode": mode})
		return nil
	case Fault429:
		e.fake.FailNext(feishutest.Match{}, 1<<30, feishutest.RateLimited(1))
	case Fault5xx:
		e.fake.FailNext(feishutest.Match{}, 1<<30, feishutest.ServerError())
	case FaultSlow:
		e.fake.SetLatency(3 * time.Second)
	default:
		return fmt.Errorf("unknown fault %q (off, 429, 5xx, slow)", mode)
	}
	e.feed.note("fault", map[string]any{"mode": mode, "seconds": d.Seconds()})
	e.faultGen.Add(1)
	gen := e.faultGen.Load()
	time.AfterFunc(d, func() {
		if e.faultGen.Load() == gen {
			e.fake.ClearFaults()
			e.fake.SetLatency(0)
			e.feed.note("fault", map[string]any{"mode": FaultOff})
		}
	})
	return nil
}

func (e *Emulator) apiFaults(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Mode    string `json:"mode"`
		Seconds int    `json:"seconds"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	if req.Seconds <= 0 {
		req.Seconds = 30
	}
	if err := e.SetFault(req.Mode, time.Duration(min(req.Seconds, 600))*time.Second); err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"mode": req.Mode})
}
