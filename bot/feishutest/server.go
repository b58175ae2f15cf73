// Package feishutest is a fake Feishu (Lark) Open Platform for tests.
//
// A Server runs on an httptest server and is driven through the real SDK:
//
//	fake := feishutest.NewT(t)
//	client := lark.NewClient(fake.AppID(), fake.AppSecret(), lark.WithOpenBaseUrl(fake.URL()))
//	wsClient := larkws.NewClient(fake.AppID(), fake.AppSecret(), larkws.WithDomain(fake.URL()), ...)
//
// It serves the Open Platform endpoints the bot uses (tenant token, message
// send/reply/patch, file and image upload, resource download, contact
// look-ups, batch send, delayed card update), records every request and every
// delivered message, injects faults and rate limits, and plays the long
// connection (WebSocket) gateway so that events and card callbacks can be
// pushed to a larkws client. Webhook mode is covered by Webhook, which signs
// and encrypts payloads exactly like Feishu.
//
// The SDK's tenant token cache is process-global and keyed by app id and
// secret, so every Server gets a unique app id unless WithApp is given.
//
// All methods are safe for concurrent use.
package feishutest

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"
)

// Error codes answered by the fake. The values are the real platform's unless
// noted otherwise.
const (
	CodeOK                 = 0        // success
	CodeInternal           = 1        // generic server error
	CodeAppSecretInvalid   = 10014    // wrong app_id / app_secret on the token call
	CodeInvalidAccessToken = 99991663 // missing, unknown or revoked tenant access token
	CodeRateLimited        = 99991400 // request trigger frequency limit
	CodeNoScope            = 99991672 // the app lacks the scope (contact endpoints)
	CodeFieldValidation    = 99992402 // field validation failed
	CodeNoSuchUser         = 41050    // user unknown or outside the app's visibility
	CodeInvalidContent     = 230001   // content is not valid JSON for msg_type
	CodeBotNotInChat       = 230002
	CodeUserUnavailable    = 230013 // user outside the app's availability
	CodeChatRateLimited    = 230020 // per-chat / per-user send frequency limit; also a message's updates (5/s)
	CodeContentTooLarge    = 230025
	CodeInvalidReceiveID   = 230034
	CodeBlockedByUser      = 230053
	CodeBadCard            = 230099
	CodeMessageTooOld      = 230031 // the message was sent more than 14 days ago: it cannot be updated
	CodeResourceNotFound   = 234003 // resource not in the message (approximation)
	CodeFileTooLarge       = 234006
	CodeCardTokenExhausted = 10002 // fake's choice: card/update token used more than twice or unknown
	CodeNotFound           = 1     // unknown endpoint (answered with HTTP 404)
)

// Platform limits the fake enforces.
const (
	maxUploadBytes          = 30 << 20
	maxTextContentBytes     = 150 << 10
	maxCardContentBytes     = 30 << 10
	maxBatchGetID           = 50
	maxBatchSendIDs         = 200
	maxUUIDLen              = 50
	cardTokenUses           = 2
	patchesPerMessage       = 5                   // updates of one message in any sliding second
	messageEditable         = 14 * 24 * time.Hour // a message can be updated this long after it was sent
	defaultMaxWSConnections = 50
)

// Operation names, as used in Request.Op and Match.Op.
const (
	OpToken       = "token"        // tenant or app access token
	OpSend        = "send"         // POST /open-apis/im/v1/messages
	OpReply       = "reply"        // POST /open-apis/im/v1/messages/:id/reply
	OpPatch       = "patch"        // PATCH /open-apis/im/v1/messages/:id
	OpFileUpload  = "file_upload"  // POST /open-apis/im/v1/files
	OpImageUpload = "image_upload" // POST /open-apis/im/v1/images
	OpResource    = "resource"     // GET /open-apis/im/v1/messages/:id/resources/:key
	OpBatchGetID  = "batch_get_id" // POST /open-apis/contact/v3/users/batch_get_id
	OpUserGet     = "user_get"     // GET /open-apis/contact/v3/users/:id
	OpBatchSend   = "batch_send"   // POST /open-apis/message/v4/batch_send/
	OpCardUpdate  = "card_update"  // POST /open-apis/interactive/v1/card/update
	OpBotInfo     = "bot_info"     // GET /open-apis/bot/v3/info
	OpWSEndpoint  = "ws_endpoint"  // POST /callback/ws/endpoint
	OpWSConnect   = "ws_connect"   // GET /ws (WebSocket upgrade)
	OpUnknown     = "unknown"      // anything else (404)
)

// Message kinds, as used in Message.Kind.
const (
	KindSend       = "send"
	KindReply      = "reply"
	KindPatch      = "patch"
	KindBatch      = "batch"
	KindCardUpdate = "card_update"
)

// Request is one recorded HTTP request and the fake's answer.
type Request struct {
	Op     string // one of the Op* constants
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
	At     time.Time // arrival time

	Status int  // HTTP status answered; 0 when the caller gave up during a delay
	Code   int  // "code" of the JSON answer (0 for a successful download)
	Fault  bool // answered (or abandoned) by an injected Fault
	// Answer is the JSON body answered (nil for a download or an abandoned request).
	Answer []byte
}

// Message is one delivered (or updated) message.
type Message struct {
	Kind          string // one of the Kind* constants
	ReceiveIDType string // send: the receive_id_type query; batch: "open_id" or "user_id"
	// ReceiveID is the receive_id for a send, the replied or patched message
	// id for a reply or patch, the open_id for a batch message and the
	// callback token for a card update.
	ReceiveID     string
	MsgType       string
	Content       string // raw content string (card JSON for card updates and batch cards)
	UUID          string
	MessageID     string // id of the created message (patch: the patched one; batch: "bm-...")
	ChatID        string // chat of a created message, when known
	ReplyInThread bool
	At            time.Time
}

// Upload is one uploaded file or image.
type Upload struct {
	Key       string // file_key ("file_v3_...") or image_key ("img_v3_...")
	Image     bool
	FileType  string // file_type form field (files) or image_type (images)
	FileName  string
	Duration  string
	Data      []byte
	At        time.Time
	FieldName string // multipart field that held the bytes
}

// User is a directory entry served by the contact endpoints.
type User struct {
	OpenID        string
	UnionID       string
	UserID        string
	Name          string
	EnName        string
	EmployeeNo    string
	Email         string
	Mobile        string
	DepartmentIDs []string
}

// Option configures a Server.
type Option func(*config)

type config struct {
	appID, appSecret string
	appLimit         int
	receiverLimit    int
	minuteLimit      int
	cardRules        bool
	availability     bool
	ws               larkws.ClientConfig
	maxWSConns       int
}

// WithApp sets the credentials the fake accepts. Without it a unique app id
// ("cli_fake_<n>...") and a random secret are generated.
func WithApp(appID, appSecret string) Option {
	return func(c *config) { c.appID, c.appSecret = appID, appSecret }
}

// WithLimits turns on rate-limit enforcement for send and reply: beyond
// appPerSecond requests in any sliding second the app gets HTTP 429 with
// code 99991400 and an x-ogw-ratelimit-reset header; beyond
// perReceiverPerSecond for one receive_id (or the chat of a replied message)
// the request gets HTTP 400 with code 230020. Zero disables a limit. The
// real limits are 50 and 5. Throttled requests are counted by Throttled.
func WithLimits(appPerSecond, perReceiverPerSecond int) Option {
	return func(c *config) { c.appLimit, c.receiverLimit = appPerSecond, perReceiverPerSecond }
}

// WithMinuteLimit adds Feishu's per-app minute limit for send and reply
// (1000 in any sliding minute on the real platform): beyond perMinute the
// app gets HTTP 429 with code 99991400, counted by Throttled.
func WithMinuteLimit(perMinute int) Option {
	return func(c *config) { c.minuteLimit = perMinute }
}

// WithWSConfig sets the ClientConfig handed to long-connection clients by the
// endpoint call and in every pong. Intervals are whole seconds (the protocol
// has no finer unit). ReconnectCount 0 means "never reconnect" (use -1 for
// forever); ReconnectNonce 0 makes the first reconnect attempt immediate; a
// PingInterval below 1 is raised to 1 because the SDK would otherwise ping in
// a busy loop. The default is {ReconnectCount: -1, ReconnectInterval: 1,
// ReconnectNonce: 0, PingInterval: 10}.
func WithWSConfig(cfg larkws.ClientConfig) Option {
	return func(c *config) { c.ws = cfg }
}

// WithMaxWSConnections sets how many simultaneous long connections the
// gateway accepts (the real limit, and the default, is 50). Beyond it the
// upgrade is refused the way the real gateway does, which the SDK treats as
// a terminal error.
func WithMaxWSConnections(n int) Option {
	return func(c *config) { c.maxWSConns = n }
}

var serverSeq atomic.Int64

// Server is a fake Feishu Open Platform plus long-connection gateway on an
// httptest server. Create it with New or NewT and stop it with Close.
type Server struct {
	srv       *httptest.Server
	appID     string
	appSecret string
	done      chan struct{}
	closeOnce sync.Once

	mu       sync.Mutex
	changed  chan struct{} // closed and replaced whenever messages or connections change
	requests []Request
	messages []Message
	tokens   map[string]bool
	uuids    map[string]json.RawMessage // uuid -> answered message object
	dupUUIDs int
	created  map[string]string    // message_id -> chat_id for messages created here
	sentAt   map[string]time.Time // message_id -> when it was created here (the fake's clock)
	patches  map[string][]time.Time
	uploads  []Upload
	byKey    map[string]int // upload key -> index in uploads
	res      map[string]resource
	users    []User
	deny     bool
	faults   []*faultRule
	latency  time.Duration
	cardUses map[string]int

	appLimit, receiverLimit int
	minuteLimit             int
	cardRules, availability bool // see rules.go
	appWindow               []time.Time
	minuteWindow            []time.Time
	receiverWindow          map[string][]time.Time
	throttled               int
	now                     func() time.Time

	gw gateway
}

type resource struct {
	data []byte
	name string
}

// New starts a fake Feishu on a fresh httptest server. Call Close when done.
func New(opts ...Option) *Server {
	n := serverSeq.Add(1)
	cfg := config{
		appID:      fmt.Sprintf("cli_fake_%d_%s", n, randHex(4)),
		appSecret:  "secret_" + randHex(12),
		ws:         larkws.ClientConfig{ReconnectCount: -1, ReconnectInterval: 1, PingInterval: 10},
		maxWSConns: defaultMaxWSConnections,
	}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.ws.PingInterval < 1 {
		cfg.ws.PingInterval = 1
	}
	s := &Server{
		appID:          cfg.appID,
		appSecret:      cfg.appSecret,
		done:           make(chan struct{}),
		changed:        make(chan struct{}),
		tokens:         map[string]bool{},
		uuids:          map[string]json.RawMessage{},
		created:        map[string]string{},
		sentAt:         map[string]time.Time{},
		patches:        map[string][]time.Time{},
		byKey:          map[string]int{},
		res:            map[string]resource{},
		cardUses:       map[string]int{},
		appLimit:       cfg.appLimit,
		receiverLimit:  cfg.receiverLimit,
		minuteLimit:    cfg.minuteLimit,
		cardRules:      cfg.cardRules,
		availability:   cfg.availability,
		receiverWindow: map[string][]time.Time{},
		now:            time.Now,
	}
	s.gw.init(cfg.ws, cfg.maxWSConns)
	// Assigned before the server starts, so that its handlers (which read s.srv) see it even
	// when the first request comes from another process.
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.serveHTTP))
	s.srv.Start()
	return s
}

// NewT is New plus tb.Cleanup(s.Close).
func NewT(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := New(opts...)
	tb.Cleanup(s.Close)
	return s
}

// SetClock replaces the fake's clock (time.Now by default): the time it stamps on messages and
// requests' rate windows, and compares with a message's creation for the 14-day update rule.
func (s *Server) SetClock(now func() time.Time) {
	s.mu.Lock()
	s.now = now
	s.mu.Unlock()
}

// URL is the base URL for lark.WithOpenBaseUrl and larkws.WithDomain.
func (s *Server) URL() string { return s.srv.URL }

// AppID is the app id the fake accepts.
func (s *Server) AppID() string { return s.appID }

// BotOpenID is the bot's own open_id, as GET /open-apis/bot/v3/info reports it. Tests
// @-mention the bot in groups with it.
func (s *Server) BotOpenID() string { return "ou_bot_" + s.appID }

// AppSecret is the app secret the fake accepts.
func (s *Server) AppSecret() string { return s.appSecret }

// Close closes every long connection, releases delayed answers and stops the
// server. It is safe to call more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.done)
		s.closeWS()
		s.srv.Close()
		s.gw.wg.Wait()
	})
}

// SetLatency delays every Open Platform answer (not WebSocket frames) by d.
func (s *Server) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// DenyContact makes the contact endpoints answer HTTP 400 with code 99991672,
// as when the app lacks the contact scopes.
func (s *Server) DenyContact(deny bool) {
	s.mu.Lock()
	s.deny = deny
	s.mu.Unlock()
}

// AddUser adds (or replaces, by OpenID) a user in the fake directory.
func (s *Server) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.users {
		if s.users[i].OpenID == u.OpenID {
			s.users[i] = u
			return
		}
	}
	s.users = append(s.users, u)
}

// AddResource registers the bytes served for a resource (file, image) of a
// message the bot received, for GET .../messages/:message_id/resources/:file_key.
func (s *Server) AddResource(messageID, fileKey string, data []byte) {
	s.AddNamedResource(messageID, fileKey, "", data)
}

// AddNamedResource is AddResource with a file name sent in Content-Disposition.
func (s *Server) AddNamedResource(messageID, fileKey, fileName string, data []byte) {
	s.mu.Lock()
	s.res[messageID+"\x00"+fileKey] = resource{data: bytes.Clone(data), name: fileName}
	s.mu.Unlock()
}

// RevokeTokens forgets every tenant access token issued so far: later calls
// with them get code 99991663. (The SDK retries such a call once with the
// same cached token, then gives up; it does not fetch a new token.)
func (s *Server) RevokeTokens() {
	s.mu.Lock()
	s.tokens = map[string]bool{}
	s.mu.Unlock()
}

// Requests returns a copy of every recorded request, in completion order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// RequestsFor returns the recorded requests of one operation (Op* constant).
func (s *Server) RequestsFor(op string) []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Request
	for _, r := range s.requests {
		if r.Op == op {
			out = append(out, r)
		}
	}
	return out
}

// Messages returns a copy of every delivered message, in delivery order.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.messages))
	copy(out, s.messages)
	return out
}

// MessagesTo returns the delivered messages whose ReceiveID is receiveID.
func (s *Server) MessagesTo(receiveID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ReceiveID == receiveID {
			out = append(out, m)
		}
	}
	return out
}

// WaitMessages blocks until at least n messages have been delivered (since
// the last Reset) and returns them all, or returns ctx's error together with
// the messages delivered so far.
func (s *Server) WaitMessages(ctx context.Context, n int) ([]Message, error) {
	for {
		s.mu.Lock()
		if len(s.messages) >= n {
			out := make([]Message, len(s.messages))
			copy(out, s.messages)
			s.mu.Unlock()
			return out, nil
		}
		ch := s.changed
		got := make([]Message, len(s.messages))
		copy(got, s.messages)
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("feishutest: waiting for %d messages, have %d: %w", n, len(got), ctx.Err())
		case <-s.done:
			return got, fmt.Errorf("feishutest: server closed while waiting for %d messages, have %d", n, len(got))
		}
	}
}

// DuplicateUUIDs counts send and reply requests answered from the uuid
// de-duplication record instead of being delivered again.
func (s *Server) DuplicateUUIDs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dupUUIDs
}

// Throttled counts requests refused by the WithLimits enforcement and by the per-message
// update limit (5 a second, always on).
func (s *Server) Throttled() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.throttled
}

// Uploads returns a copy of every uploaded file and image.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Upload, len(s.uploads))
	copy(out, s.uploads)
	return out
}

// File returns the bytes uploaded under a file_key or image_key, or nil.
func (s *Server) File(key string) []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.byKey[key]
	if !ok {
		return nil
	}
	return bytes.Clone(s.uploads[i].Data)
}

// Reset clears the recordings (requests, messages, uploads, the uuid record,
// the duplicate, throttle and card-token counters, rate windows) and pending
// faults. Users, resources, issued tokens, settings and connections stay.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
	s.messages = nil
	s.uuids = map[string]json.RawMessage{}
	s.dupUUIDs = 0
	s.created = map[string]string{}
	s.sentAt = map[string]time.Time{}
	s.patches = map[string][]time.Time{}
	s.uploads = nil
	s.byKey = map[string]int{}
	s.faults = nil
	s.cardUses = map[string]int{}
	s.appWindow = nil
	s.minuteWindow = nil
	s.receiverWindow = map[string][]time.Time{}
	s.throttled = 0
	s.notifyLocked()
}

// notifyLocked wakes every waiter. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// reply is what a handler answers.
type reply struct {
	status      int
	code        int
	header      map[string]string
	body        []byte
	contentType string
}

func jsonReply(status, code int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return reply{status: status, code: code, body: b, contentType: "application/json; charset=utf-8"}
}

// okData answers {"code":0,"msg":"success","data":data}.
func okData(data any) reply {
	if data == nil {
		data = struct{}{}
	}
	return jsonReply(http.StatusOK, 0, map[string]any{"code": 0, "msg": "success", "data": data})
}

// errReply answers {"code":code,"msg":msg} with an HTTP status.
func errReply(status, code int, msg string) reply {
	return jsonReply(status, code, map[string]any{"code": code, "msg": msg, "error": map[string]any{"log_id": randHex(12)}})
}

type route struct {
	op     string
	params []string
}

func routeOf(method, path string) route {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case method == http.MethodPost && (path == "/open-apis/auth/v3/tenant_access_token/internal" || path == "/open-apis/auth/v3/app_access_token/internal"):
		return route{op: OpToken}
	case method == http.MethodPost && path == "/open-apis/im/v1/messages":
		return route{op: OpSend}
	case method == http.MethodPost && len(seg) == 6 && strings.HasPrefix(path, "/open-apis/im/v1/messages/") && seg[5] == "reply":
		return route{op: OpReply, params: []string{seg[4]}}
	case method == http.MethodPatch && len(seg) == 5 && strings.HasPrefix(path, "/open-apis/im/v1/messages/"):
		return route{op: OpPatch, params: []string{seg[4]}}
	case method == http.MethodGet && len(seg) == 7 && strings.HasPrefix(path, "/open-apis/im/v1/messages/") && seg[5] == "resources":
		return route{op: OpResource, params: []string{seg[4], seg[6]}}
	case method == http.MethodPost && path == "/open-apis/im/v1/files":
		return route{op: OpFileUpload}
	case method == http.MethodPost && path == "/open-apis/im/v1/images":
		return route{op: OpImageUpload}
	case method == http.MethodPost && path == "/open-apis/contact/v3/users/batch_get_id":
		return route{op: OpBatchGetID}
	case method == http.MethodGet && len(seg) == 5 && strings.HasPrefix(path, "/open-apis/contact/v3/users/"):
		return route{op: OpUserGet, params: []string{seg[4]}}
	case method == http.MethodPost && (path == "/open-apis/message/v4/batch_send/" || path == "/open-apis/message/v4/batch_send"):
		return route{op: OpBatchSend}
	case method == http.MethodPost && path == "/open-apis/interactive/v1/card/update":
		return route{op: OpCardUpdate}
	case method == http.MethodGet && path == "/open-apis/bot/v3/info":
		return route{op: OpBotInfo}
	case method == http.MethodPost && path == larkws.GenEndpointUri:
		return route{op: OpWSEndpoint}
	case method == http.MethodGet && path == wsPath:
		return route{op: OpWSConnect}
	}
	return route{op: OpUnknown}
}

// target is what Match.ReceiveID is compared with: the receive_id of a send
// and the message id of a reply or patch.
func target(rt route, body []byte) string {
	switch rt.op {
	case OpSend:
		var b struct {
			ReceiveID string `json:"receive_id"`
		}
		_ = json.Unmarshal(body, &b)
		return b.ReceiveID
	case OpReply, OpPatch:
		return rt.params[0]
	}
	return ""
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	at := time.Now()
	rt := routeOf(r.Method, r.URL.Path)
	if rt.op == OpWSConnect {
		s.serveWS(w, r, Request{Op: rt.op, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), At: at})
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req := Request{Op: rt.op, Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body, At: at}

	var rep reply
	s.mu.Lock()
	latency := s.latency
	f, faulted := s.takeFaultLocked(rt.op, r.Method, r.URL.Path, target(rt, body))
	s.mu.Unlock()
	if !s.sleep(r.Context(), latency) {
		s.record(req) // abandoned by the client or the server closed: Status 0
		return
	}
	if faulted {
		if !s.sleep(r.Context(), f.Delay) {
			req.Fault = true
			s.record(req)
			return
		}
		if f.Drop {
			req.Fault = true
			s.record(req)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler) // closes the connection without an answer
		}
		if !f.passThrough() {
			rep = f.reply()
			req.Fault = true
		}
	}
	if !req.Fault {
		rep = s.handle(rt, r, body)
	}
	req.Status, req.Code = rep.status, rep.code
	if strings.HasPrefix(rep.contentType, "application/json") {
		req.Answer = rep.body
	}
	s.record(req)
	s.write(w, rep)
}

func (s *Server) record(req Request) {
	s.mu.Lock()
	s.requests = append(s.requests, req)
	s.mu.Unlock()
}

func (s *Server) write(w http.ResponseWriter, rep reply) {
	h := w.Header()
	h.Set("X-Tt-Logid", randHex(16))
	if rep.contentType != "" {
		h.Set("Content-Type", rep.contentType)
	}
	for k, v := range rep.header {
		h.Set(k, v)
	}
	w.WriteHeader(rep.status)
	_, _ = w.Write(rep.body)
}

// sleep waits d; false when the request or the server went away first.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	}
}

func (s *Server) handle(rt route, r *http.Request, body []byte) reply {
	switch rt.op {
	case OpToken:
		return s.handleToken(r.URL.Path, body)
	case OpWSEndpoint:
		return s.handleWSEndpoint(body)
	case OpUnknown:
		return errReply(http.StatusNotFound, CodeNotFound, fmt.Sprintf("404 page not found: %s %s", r.Method, r.URL.Path))
	}
	if rep, ok := s.checkAuth(r); !ok {
		return rep
	}
	q := r.URL.Query()
	switch rt.op {
	case OpSend:
		return s.handleSend(q, body)
	case OpReply:
		return s.handleReply(rt.params[0], body)
	case OpPatch:
		return s.handlePatch(rt.params[0], body)
	case OpFileUpload:
		return s.handleUpload(r, body, false)
	case OpImageUpload:
		return s.handleUpload(r, body, true)
	case OpResource:
		return s.handleResource(rt.params[0], rt.params[1], q)
	case OpBatchGetID:
		return s.handleBatchGetID(q, body)
	case OpUserGet:
		return s.handleUserGet(rt.params[0], q)
	case OpBatchSend:
		return s.handleBatchSend(body)
	case OpCardUpdate:
		return s.handleCardUpdate(body)
	case OpBotInfo:
		// Like the token call, the bot's info is top level, not under "data".
		return jsonReply(http.StatusOK, 0, map[string]any{"code": 0, "msg": "ok",
			"bot": map[string]any{"activate_status": 2, "app_name": "工会助手", "open_id": s.BotOpenID()}})
	}
	return errReply(http.StatusNotFound, CodeNotFound, "404 page not found")
}

func (s *Server) checkAuth(r *http.Request) (reply, bool) {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	valid := ok && s.tokens[tok]
	s.mu.Unlock()
	if !valid {
		return errReply(http.StatusBadRequest, CodeInvalidAccessToken,
			"Invalid access token for authorization. Please make a request with token attached."), false
	}
	return reply{}, true
}

func (s *Server) handleToken(path string, body []byte) reply {
	var b struct {
		AppID     string `json:"app_id"`
		AppSecret string `json:"app_secret"`
	}
	if err := json.Unmarshal(body, &b); err != nil {
		return errReply(http.StatusBadRequest, CodeFieldValidation, "field validation failed: bad JSON")
	}
	if b.AppID != s.appID || b.AppSecret != s.appSecret {
		return jsonReply(http.StatusBadRequest, CodeAppSecretInvalid, map[string]any{"code": CodeAppSecretInvalid, "msg": "app secret invalid"})
	}
	tok := "t-" + randHex(20)
	s.mu.Lock()
	s.tokens[tok] = true
	s.mu.Unlock()
	out := map[string]any{"code": 0, "msg": "ok", "tenant_access_token": tok, "expire": 7200}
	if strings.Contains(path, "app_access_token") {
		out["app_access_token"] = tok
	}
	return jsonReply(http.StatusOK, 0, out)
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

func millis(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

// P2PChatID is the chat id of the one-to-one chat between the bot and the user with openID:
// the chat_id of the bot's messages sent to that open_id, and the one to put in that user's
// message events.
func P2PChatID(openID string) string { return p2pChatID("open_id:" + openID) }

// NoteMessage records that a message (one a user sent, pushed as an event) is in chatID, so
// that the bot's replies to it are delivered into that chat.
func (s *Server) NoteMessage(messageID, chatID string) {
	s.mu.Lock()
	s.created[messageID] = chatID
	s.mu.Unlock()
}
