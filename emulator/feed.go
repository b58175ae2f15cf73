package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// Entry is one message of a conversation as the page shows it.
type Entry struct {
	Seq      int64  `json:"seq"` // the feed's sequence number of the entry's last change
	ID       string `json:"id"`  // message_id
	Chat     string `json:"chat"`
	From     string `json:"from"` // "bot", or the sender's open_id
	FromName string `json:"from_name"`
	MsgType  string `json:"msg_type"` // text, post, interactive, file, image
	Content  string `json:"content"`  // the content JSON string, as the platform carries it
	ReplyTo  string `json:"reply_to,omitempty"`
	// FileName is the name a file message's file was uploaded under (the message itself
	// carries only its file_key), for the page to show.
	FileName string `json:"file_name,omitempty"`
	At       string `json:"at"`      // emulated time of sending
	Updated  int    `json:"updated"` // how many times the bot changed it (patch, card update, callback answer)
	// Raw is the message as Feishu carries it: the im.message.receive_v1 event of a user's
	// message, the message object of the bot's.
	Raw json.RawMessage `json:"raw"`
}

// Note is one line of the page's log: a call the bot made to the platform and its answer, an
// event the page sent to the bot and the bot's acknowledgement, or a clock change.
type Note struct {
	Seq  int64          `json:"seq"`
	Kind string         `json:"kind"` // call, event, clock
	At   string         `json:"at"`   // emulated time
	Data map[string]any `json:"data"`
}

// feed follows what the bot sends to the fake platform and keeps the conversations.
type feed struct {
	fake  *feishutest.Server
	clock *Clock

	mu      sync.Mutex
	changed chan struct{}
	seq     int64
	entries map[string]*Entry
	order   []string
	notes   []Note
	calls   int               // fake requests already noted
	tokens  map[string]string // callback token -> message id
}

func newFeed(fake *feishutest.Server, clock *Clock) *feed {
	return &feed{fake: fake, clock: clock, changed: make(chan struct{}), entries: map[string]*Entry{}, tokens: map[string]string{}}
}

// bumpLocked gives a change its sequence number and wakes the waiters.
func (f *feed) bumpLocked() int64 {
	f.seq++
	close(f.changed)
	f.changed = make(chan struct{})
	return f.seq
}

func (f *feed) now() string { return f.clock.Now().Format("2006-01-02 15:04:05") }

// add records a new message.
func (f *feed) add(e Entry) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if e.At == "" {
		e.At = f.now()
	}
	e.Seq = f.bumpLocked()
	f.entries[e.ID] = &e
	f.order = append(f.order, e.ID)
}

// update replaces a message's content (a patch, a card update, a callback's card).
func (f *feed) update(id, msgType, content string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return false
	}
	e.MsgType, e.Content = msgType, content
	e.Raw = botRaw(e.ID, e.Chat, msgType, content, e.ReplyTo)
	e.Updated++
	e.Seq = f.bumpLocked()
	return true
}

// note adds a line to the log.
func (f *feed) note(kind string, data map[string]any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noteLocked(kind, data)
}

func (f *feed) noteLocked(kind string, data map[string]any) {
	f.notes = append(f.notes, Note{Seq: f.bumpLocked(), Kind: kind, At: f.now(), Data: data})
}

// remember ties a callback token to the message whose card was clicked.
func (f *feed) remember(token, messageID string) {
	f.mu.Lock()
	f.tokens[token] = messageID
	f.mu.Unlock()
}

// syncCalls notes the platform calls recorded since the last sync.
func (f *feed) syncCalls() {
	reqs := f.fake.Requests()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, r := range reqs[min(f.calls, len(reqs)):] {
		d := map[string]any{"op": r.Op, "method": r.Method, "path": r.Path, "status": r.Status, "code": r.Code, "fault": r.Fault}
		if q := r.Query.Encode(); q != "" {
			d["query"] = q
		}
		if r.Op != feishutest.OpToken && r.Op != feishutest.OpWSEndpoint && len(r.Body) > 0 {
			d["request"] = clipJSON(r.Body)
		}
		if len(r.Answer) > 0 {
			d["answer"] = clipJSON(r.Answer)
		}
		f.noteLocked("call", d)
		// A throttled call is retried by the outbox: the log shows it, the chat does not.
		if r.Code != 0 && r.Code != feishutest.CodeRateLimited && r.Code != feishutest.CodeChatRateLimited {
			f.refusedLocked(r)
		}
	}
	f.calls = len(reqs)
}

// refusedLocked shows in its chat a message the platform refused to deliver or update, with
// the platform's code and message. f.mu must be held.
func (f *feed) refusedLocked(r feishutest.Request) {
	var chat string
	switch r.Op {
	case feishutest.OpSend:
		var b struct {
			ReceiveID string `json:"receive_id"`
		}
		json.Unmarshal(r.Body, &b)
		chat = b.ReceiveID
		if r.Query.Get("receive_id_type") == "open_id" {
			chat = feishutest.P2PChatID(b.ReceiveID)
		}
	case feishutest.OpReply, feishutest.OpPatch:
		parts := strings.Split(r.Path, "/")
		if e, ok := f.entries[parts[min(5, len(parts)-1)]]; ok {
			chat = e.Chat
		}
	case feishutest.OpCardUpdate:
		var b struct {
			Token string `json:"token"`
		}
		json.Unmarshal(r.Body, &b)
		if e, ok := f.entries[f.tokens[b.Token]]; ok {
			chat = e.Chat
		}
	}
	if chat == "" {
		return
	}
	var ans struct {
		Code int    `json:"code"`
		Msg  string `json:"msg"`
	}
	json.Unmarshal(r.Answer, &ans)
	content, _ := json.Marshal(map[string]any{"code": r.Code, "status": r.Status, "msg": ans.Msg, "op": r.Op,
		"call": r.Method + " " + r.Path, "fault": r.Fault})
	id := fmt.Sprintf("refused-%d", f.seq+1)
	e := Entry{ID: id, Chat: chat, From: "platform", FromName: "开放平台", MsgType: "refused", Content: string(content),
		At: f.now(), Raw: r.Answer}
	e.Seq = f.bumpLocked()
	f.entries[id] = &e
	f.order = append(f.order, id)
}

func clipJSON(b []byte) string {
	const most = 16 << 10
	if len(b) > most {
		return string(b[:most]) + "…"
	}
	return string(b)
}

// since returns the entries and notes changed after seq, and the current seq.
func (f *feed) since(seq int64) ([]Entry, []Note, int64) {
	f.syncCalls()
	f.mu.Lock()
	defer f.mu.Unlock()
	var es []Entry
	for _, id := range f.order {
		if e := f.entries[id]; e.Seq > seq {
			es = append(es, *e)
		}
	}
	var ns []Note
	for _, n := range f.notes {
		if n.Seq > seq {
			ns = append(ns, n)
		}
	}
	return es, ns, f.seq
}

// wait blocks until something changes after seq, or ctx ends.
func (f *feed) wait(ctx context.Context, seq int64) {
	f.mu.Lock()
	ch := f.changed
	newer := f.seq > seq
	f.mu.Unlock()
	if newer {
		return
	}
	select {
	case <-ch:
	case <-ctx.Done():
	}
}

// entry returns a copy of a message.
func (f *feed) entry(id string) (Entry, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.entries[id]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Messages returns every message of a chat, oldest first.
func (f *feed) messages(chat string) []Entry {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []Entry
	for _, id := range f.order {
		if e := f.entries[id]; e.Chat == chat {
			out = append(out, *e)
		}
	}
	return out
}

// follow turns what the bot delivers to the fake platform into conversation changes, until
// ctx ends.
func (f *feed) follow(ctx context.Context) {
	go func() { // the calls, for the log and the refusals, as they happen
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				f.syncCalls()
			}
		}
	}()
	n := 0
	for {
		msgs, err := f.fake.WaitMessages(ctx, n+1)
		if err != nil {
			return
		}
		for _, m := range msgs[n:] {
			f.deliver(m)
		}
		n = len(msgs)
	}
}

func (f *feed) deliver(m feishutest.Message) {
	switch m.Kind {
	case feishutest.KindSend, feishutest.KindReply:
		chat := m.ChatID
		replyTo := ""
		if m.Kind == feishutest.KindReply {
			replyTo = m.ReceiveID
			if p, ok := f.entry(m.ReceiveID); ok && chat == "" {
				chat = p.Chat
			}
		}
		f.add(Entry{ID: m.MessageID, Chat: chat, From: "bot", FromName: "工会助手", MsgType: m.MsgType, Content: m.Content,
			ReplyTo: replyTo, FileName: f.fileName(m), Raw: botRaw(m.MessageID, chat, m.MsgType, m.Content, replyTo)})
	case feishutest.KindBatch:
		id := m.MessageID + "/" + m.ReceiveID
		chat := feishutest.P2PChatID(m.ReceiveID)
		f.add(Entry{ID: id, Chat: chat, From: "bot", FromName: "工会助手", MsgType: m.MsgType, Content: m.Content,
			Raw: botRaw(id, chat, m.MsgType, m.Content, "")})
	case feishutest.KindPatch:
		f.update(m.MessageID, "interactive", m.Content)
	case feishutest.KindCardUpdate:
		f.mu.Lock()
		id := f.tokens[m.ReceiveID]
		f.mu.Unlock()
		f.update(id, "interactive", m.Content)
	}
}

// botRaw is a message of the bot as the platform's message object carries it.
func botRaw(id, chat, msgType, content, parent string) json.RawMessage {
	now := strconv.FormatInt(time.Now().UnixMilli(), 10)
	m := map[string]any{"message_id": id, "chat_id": chat, "msg_type": msgType, "create_time": now, "update_time": now,
		"sender": map[string]any{"id": "cli_emulator", "id_type": "app_id", "sender_type": "app"},
		"body":   map[string]any{"content": content}}
	if parent != "" {
		m["parent_id"], m["root_id"] = parent, parent
	}
	b, _ := json.Marshal(m)
	return b
}

// fileName is the uploaded name of a file message's file ("" for other messages).
func (f *feed) fileName(m feishutest.Message) string {
	if m.MsgType != "file" {
		return ""
	}
	var c struct {
		FileKey string `json:"file_key"`
	}
	if json.Unmarshal([]byte(m.Content), &c) != nil || c.FileKey == "" {
		return ""
	}
	for _, u := range f.fake.Uploads() {
		if u.Key == c.FileKey {
			return u.FileName
		}
	}
	return ""
}
