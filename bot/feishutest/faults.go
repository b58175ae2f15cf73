package feishutest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Match selects requests for fault injection. Every non-empty field must
// match; the zero Match matches every Open Platform call except the token
// call and the long-connection endpoint, which are matched only when Op names
// them (OpToken, OpWSEndpoint).
type Match struct {
	Op     string // one of the Op* constants
	Method string // HTTP method
	Path   string // URL path prefix, e.g. "/open-apis/im/v1/messages" (also matches replies)
	// ReceiveID matches the receive_id of a send and the message id of a
	// reply or a patch.
	ReceiveID string
}

// Fault is what a matched request gets instead of the normal answer.
type Fault struct {
	HTTPStatus int               // default 400 when Code != 0, else 200
	Code       int               // "code" of the JSON answer
	Msg        string            // "msg" of the JSON answer
	Header     map[string]string // extra response headers
	// Delay is waited before answering. A Fault with only a Delay (no
	// HTTPStatus, Code or Body) delays the request and then serves it
	// normally: use it to simulate one slow call.
	Delay time.Duration
	// Body, when set, is sent as-is instead of the JSON answer (e.g. an HTML
	// error page from a proxy), with Content-Type text/html unless Header
	// sets one.
	Body []byte
	// Drop closes the connection without an answer (after Delay), as a
	// network or a proxy dropping it would; nothing is delivered.
	Drop bool
}

// Dropped is a connection closed without an answer.
func Dropped() Fault { return Fault{Drop: true} }

// RateLimited is the platform's rate-limit answer: HTTP 429, code 99991400
// and header x-ogw-ratelimit-reset (seconds until the window resets).
func RateLimited(resetSeconds int) Fault {
	return Fault{
		HTTPStatus: http.StatusTooManyRequests,
		Code:       CodeRateLimited,
		Msg:        "request trigger frequency limit",
		Header:     map[string]string{"x-ogw-ratelimit-reset": strconv.Itoa(resetSeconds)},
	}
}

// ChatLimited is the per-chat (per-user) send limit: HTTP 400, code 230020.
func ChatLimited() Fault {
	return Fault{
		HTTPStatus: http.StatusBadRequest,
		Code:       CodeChatRateLimited,
		Msg:        "The message sending frequency of this chat or user exceeds the limit",
	}
}

// ServerError is HTTP 500 with code 1. The SDK does not turn it into a Go
// error: it surfaces as resp.Code 1 and resp.StatusCode 500.
func ServerError() Fault {
	return Fault{HTTPStatus: http.StatusInternalServerError, Code: CodeInternal, Msg: "internal error"}
}

// Unavailable is HTTP 503 with code 1 (also not a Go error in the SDK).
func Unavailable() Fault {
	return Fault{HTTPStatus: http.StatusServiceUnavailable, Code: CodeInternal, Msg: "service unavailable"}
}

// GatewayTimeout is HTTP 504, the only status the SDK turns into a Go error
// (*larkcore.ServerTimeoutError); resp is nil then.
func GatewayTimeout() Fault {
	return Fault{HTTPStatus: http.StatusGatewayTimeout, Code: CodeInternal, Msg: "gateway timeout"}
}

var permanentMsgs = map[int]string{
	CodeBotNotInChat:     "Bot is NOT the member of the chat",
	CodeUserUnavailable:  "Bot has NO availability to this user",
	CodeContentTooLarge:  "The message content is too large",
	CodeInvalidReceiveID: "invalid receive_id",
	CodeBlockedByUser:    "The user has stopped the bot from sending messages",
	CodeBadCard:          "Failed to create card content, ext=ErrCode: 200621; ErrMsg: parse card json err",
	CodeInvalidContent:   "invalid message content",
}

// Permanent is a non-retryable send failure with the given code (e.g.
// 230002, 230013, 230053, 230099) answered with HTTP 400.
func Permanent(code int) Fault {
	msg, ok := permanentMsgs[code]
	if !ok {
		msg = "request failed with code " + strconv.Itoa(code)
	}
	return Fault{HTTPStatus: http.StatusBadRequest, Code: code, Msg: msg}
}

func (f Fault) passThrough() bool {
	return f.HTTPStatus == 0 && f.Code == 0 && f.Body == nil && !f.Drop
}

func (f Fault) reply() reply {
	status := f.HTTPStatus
	if status == 0 {
		status = http.StatusOK
		if f.Code != 0 {
			status = http.StatusBadRequest
		}
	}
	var rep reply
	if f.Body != nil {
		rep = reply{status: status, code: f.Code, body: append([]byte(nil), f.Body...), contentType: "text/html; charset=utf-8"}
	} else {
		rep = errReply(status, f.Code, f.Msg)
		rep.status = status
	}
	if len(f.Header) > 0 {
		rep.header = make(map[string]string, len(f.Header))
		for k, v := range f.Header {
			rep.header[k] = v
		}
	}
	return rep
}

type faultRule struct {
	match Match
	left  int // < 0: forever
	fault Fault
}

func (m Match) matches(op, method, path, tgt string) bool {
	if (op == OpToken || op == OpWSEndpoint || op == OpWSConnect) && m.Op != op {
		return false
	}
	if m.Op != "" && m.Op != op {
		return false
	}
	if m.Method != "" && !strings.EqualFold(m.Method, method) {
		return false
	}
	if m.Path != "" && !strings.HasPrefix(path, m.Path) {
		return false
	}
	if m.ReceiveID != "" && m.ReceiveID != tgt {
		return false
	}
	return true
}

// FailNext makes the next n requests matching m get fault f instead of the
// normal answer; n < 0 means every matching request until Reset or
// ClearFaults. Rules are tried in the order they were added, and a request
// consumes at most one rule. Faulted requests are recorded (Request.Fault)
// but deliver nothing.
func (s *Server) FailNext(m Match, n int, f Fault) {
	if n == 0 {
		return
	}
	s.mu.Lock()
	s.faults = append(s.faults, &faultRule{match: m, left: n, fault: f})
	s.mu.Unlock()
}

// FailReceiver is FailNext for the sends to receiveID (and the replies to or
// patches of a message with that id).
func (s *Server) FailReceiver(receiveID string, n int, f Fault) {
	s.FailNext(Match{ReceiveID: receiveID}, n, f)
}

// ClearFaults drops every pending fault rule.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	s.faults = nil
	s.mu.Unlock()
}

// takeFaultLocked finds and consumes the first matching rule. s.mu must be held.
func (s *Server) takeFaultLocked(op, method, path, tgt string) (Fault, bool) {
	for i, r := range s.faults {
		if !r.match.matches(op, method, path, tgt) {
			continue
		}
		if r.left > 0 {
			r.left--
			if r.left == 0 {
				s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			}
		}
		return r.fault, true
	}
	return Fault{}, false
}
