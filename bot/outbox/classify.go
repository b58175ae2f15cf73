package outbox

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

// Platform codes the worker treats specially (FEISHU.md).
const (
	codeRateLimited       = 99991400 // app throttled; HTTP 429 with x-ogw-ratelimit-reset
	codeChatLimited       = 230020   // per-chat or per-user send limit
	codeThrottled         = 11232    // another throttling code
	codeMessageTooOld     = 230031   // a message sent more than 14 days ago cannot be updated
	codeTenantTokenBad    = 99991663 // token hiccups: the SDK retried once already
	codeAppTokenBad       = 99991664
	codeTokenFormatBad    = 99991671
	headerRateLimitReset  = "x-ogw-ratelimit-reset"
	maxBackoff            = 10 * time.Minute
	maxReasonLen          = 1000
	maxRateLimitResetWait = 10 * time.Minute
)

// codeText says in English what a platform code means, for the admin reading a failed message.
var codeText = map[int]string{
	codeRateLimited:    "rate limited by the platform",
	codeChatLimited:    "too many messages to this chat or user",
	codeThrottled:      "throttled by the platform",
	codeTenantTokenBad: "the tenant access token was rejected",
	codeAppTokenBad:    "the app access token was rejected",
	codeTokenFormatBad: "the access token was malformed",
	230001:             "the message content is invalid",
	230002:             "the bot is not in the chat",
	230013:             "the user is outside the app's availability",
	230025:             "the message content is too large",
	codeMessageTooOld:  "the message is too old to be updated (14 days)",
	230034:             "the receive_id is invalid",
	230053:             "the user has blocked the bot",
	230099:             "the card is invalid",
	234006:             "the file is too large",
	99991672:           "the app lacks a permission scope",
	99992402:           "the request failed the platform's field validation",
}

// verdict is what to do with a message after an attempt.
type verdict int

const (
	verdictSent  verdict = iota // MarkSent
	verdictRetry                // MarkRetry after a backoff (or MarkFailed when out of attempts)
	verdictFail                 // MarkFailed at once
)

// callResult is what one delivery attempt got back from the platform.
type callResult struct {
	status    int         // HTTP status, when an answer came
	header    http.Header // answer headers
	code      int         // platform code
	msg       string      // platform msg
	err       error       // a Go error from the SDK: no usable answer
	messageID string      // the created message, on success
	invalid   string      // the message cannot be sent at all (checked before any call)
	panicked  string      // the delivery code panicked with this
}

// outcome is a classified callResult.
type outcome struct {
	verdict   verdict
	messageID string
	code      int           // platform code recorded with the message (0 when there is none)
	reason    string        // English, with the code, for the admin; never message content
	label     string        // retry reason for the metrics
	wait      time.Duration // the platform asked us to wait this long (x-ogw-ratelimit-reset)
	pause     bool          // the whole app is throttled: pause every delivery for wait
}

// classify turns a callResult into an outcome. See FEISHU.md: HTTP 4xx/5xx with a JSON body
// arrive as status and code; only HTTP 504 and failures without a JSON answer are Go errors.
func classify(r callResult) outcome {
	switch {
	case r.panicked != "":
		return outcome{verdict: verdictRetry, label: reasonPanic,
			reason: clip("internal error in the delivery code: " + r.panicked)}
	case r.invalid != "":
		return outcome{verdict: verdictFail, reason: clip(r.invalid)}
	case r.err != nil:
		return classifyError(r.err)
	case r.code == 0 && r.status >= 200 && r.status < 300:
		return outcome{verdict: verdictSent, messageID: r.messageID}
	}
	o := outcome{code: r.code, reason: describe(r.status, r.code, r.msg)}
	switch {
	case r.code == codeChatLimited:
		o.verdict, o.label = verdictRetry, reasonChatLimited
	case r.code == codeRateLimited || r.status == http.StatusTooManyRequests:
		o.verdict, o.label, o.pause = verdictRetry, reasonRateLimited, true
		o.wait = resetWait(r.header.Get(headerRateLimitReset))
	case r.code == codeThrottled:
		o.verdict, o.label = verdictRetry, reasonRateLimited
	case r.code == codeTenantTokenBad || r.code == codeAppTokenBad || r.code == codeTokenFormatBad:
		o.verdict, o.label = verdictRetry, reasonServerError
	case r.status >= 500 || r.status == http.StatusRequestTimeout:
		o.verdict, o.label = verdictRetry, reasonServerError
	default:
		o.verdict = verdictFail
	}
	return o
}

var (
	statusInError = regexp.MustCompile(`StatusCode: (\d{3})`)
	resetInError  = regexp.MustCompile(`(?i)X-Ogw-Ratelimit-Reset:\[([0-9.]+)\]`)
)

// classifyError classifies a Go error from the SDK: always transient. A typed call that got an
// answer without a JSON body (a proxy's HTML page, a bare 429) fails with an error that quotes
// the answer; its status and rate-limit header are read from there.
func classifyError(err error) outcome {
	var timeout *larkcore.ServerTimeoutError
	if errors.As(err, &timeout) {
		return outcome{verdict: verdictRetry, label: reasonServerError, reason: "HTTP 504: the platform timed out"}
	}
	text := err.Error()
	if strings.HasPrefix(text, "response content-type not json") {
		if m := statusInError.FindStringSubmatch(text); m != nil {
			status, _ := strconv.Atoi(m[1])
			o := outcome{verdict: verdictRetry, label: reasonNetwork,
				reason: fmt.Sprintf("HTTP %d with an answer that is not JSON", status)}
			switch {
			case status == http.StatusTooManyRequests:
				o.label, o.pause = reasonRateLimited, true
				if r := resetInError.FindStringSubmatch(text); r != nil {
					o.wait = resetWait(r[1])
				}
			case status >= 500:
				o.label = reasonServerError
			}
			return o
		}
	}
	return outcome{verdict: verdictRetry, label: reasonNetwork, reason: clip("network error: " + text)}
}

// describe writes a failure for the admin: the code and its meaning, then the platform's msg.
func describe(status, code int, msg string) string {
	var b strings.Builder
	if code != 0 {
		b.WriteString(strconv.Itoa(code))
		b.WriteString(": ")
		if t, ok := codeText[code]; ok {
			b.WriteString(t)
		} else {
			b.WriteString("the platform refused the request")
		}
		if status >= 500 || status == http.StatusTooManyRequests {
			fmt.Fprintf(&b, " (HTTP %d)", status)
		}
	} else {
		fmt.Fprintf(&b, "HTTP %d without a platform code", status)
	}
	if msg != "" {
		b.WriteString("; Feishu says: ")
		b.WriteString(msg)
	}
	return clip(b.String())
}

// resetWait parses x-ogw-ratelimit-reset (seconds), 0 when absent or unusable.
func resetWait(v string) time.Duration {
	s, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || s <= 0 {
		return 0
	}
	return min(time.Duration(s*float64(time.Second)), maxRateLimitResetWait)
}

// backoff is how long to wait before attempt+1 after a transient failure of attempt (1-based):
// exponential with full jitter, base×2^(attempt−1) capped at 10 minutes, but never less than
// what the platform asked for (plus up to a second of jitter, so that messages throttled
// together do not come back together) and never less than base for a per-chat limit, whose
// window is a second.
func backoff(base time.Duration, attempt int, o outcome) time.Duration {
	ceiling := maxBackoff
	if attempt < 1 {
		attempt = 1
	}
	if shift := attempt - 1; shift < 30 && base<<shift < maxBackoff {
		ceiling = base << shift
	}
	d := rand.N(ceiling) + 1
	floor := base / 4
	if o.label == reasonChatLimited || (o.label == reasonRateLimited && o.wait == 0) {
		floor = base
	}
	if o.wait > 0 {
		floor = o.wait + rand.N(time.Second)
	}
	return max(d, floor)
}

// clip keeps reasons to a size an admin can read and a TEXT column holds.
func clip(s string) string {
	if len(s) <= maxReasonLen {
		return s
	}
	cut := maxReasonLen
	for cut > 0 && !utf8Start(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
