package outbox

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
)

func TestClassify(t *testing.T) {
	reset := func(v string) http.Header { return http.Header{"X-Ogw-Ratelimit-Reset": {v}} }
	tests := []struct {
		name    string
		res     callResult
		verdict verdict
		label   string
		code    int
		wait    time.Duration
		pause   bool
		reason  string // substring
	}{
		{name: "success", res: callResult{status: 200, messageID: "om_1"}, verdict: verdictSent},
		{name: "rate limited", res: callResult{status: 429, code: 99991400, msg: "request trigger frequency limit", header: reset("2")},
			verdict: verdictRetry, label: reasonRateLimited, code: 99991400, wait: 2 * time.Second, pause: true, reason: "99991400: rate limited"},
		{name: "rate limited as 400", res: callResult{status: 400, code: 99991400, header: reset("1")},
			verdict: verdictRetry, label: reasonRateLimited, code: 99991400, wait: time.Second, pause: true},
		{name: "429 without a code", res: callResult{status: 429}, verdict: verdictRetry, label: reasonRateLimited, pause: true, reason: "HTTP 429"},
		{name: "chat limited", res: callResult{status: 400, code: 230020}, verdict: verdictRetry, label: reasonChatLimited, code: 230020},
		{name: "11232", res: callResult{status: 400, code: 11232}, verdict: verdictRetry, label: reasonRateLimited, code: 11232},
		{name: "token", res: callResult{status: 400, code: 99991663}, verdict: verdictRetry, label: reasonServerError, code: 99991663},
		{name: "app token", res: callResult{status: 400, code: 99991664}, verdict: verdictRetry, label: reasonServerError, code: 99991664},
		{name: "500", res: callResult{status: 500, code: 1, msg: "internal error"}, verdict: verdictRetry, label: reasonServerError, code: 1, reason: "(HTTP 500)"},
		{name: "503 without a code", res: callResult{status: 503}, verdict: verdictRetry, label: reasonServerError},
		{name: "not in chat", res: callResult{status: 400, code: 230002, msg: "Bot is NOT the member of the chat"},
			verdict: verdictFail, code: 230002, reason: "230002: the bot is not in the chat; Feishu says: Bot is NOT the member of the chat"},
		{name: "availability", res: callResult{status: 400, code: 230013}, verdict: verdictFail, code: 230013, reason: "230013: the user is outside the app's availability"},
		{name: "blocked", res: callResult{status: 400, code: 230053}, verdict: verdictFail, code: 230053, reason: "blocked the bot"},
		{name: "too large", res: callResult{status: 400, code: 230025}, verdict: verdictFail, code: 230025},
		{name: "bad card", res: callResult{status: 400, code: 230099}, verdict: verdictFail, code: 230099},
		{name: "bad receive_id", res: callResult{status: 400, code: 230034}, verdict: verdictFail, code: 230034},
		{name: "unknown code", res: callResult{status: 400, code: 12345, msg: "odd"}, verdict: verdictFail, code: 12345, reason: "12345: the platform refused"},
		{name: "code 0 with 404", res: callResult{status: 404}, verdict: verdictFail, reason: "HTTP 404 without a platform code"},
		{name: "invalid", res: callResult{invalid: "the file is empty"}, verdict: verdictFail, reason: "the file is empty"},
		{name: "panic", res: callResult{panicked: "nil map"}, verdict: verdictRetry, label: reasonPanic, reason: "nil map"},
		{name: "network", res: callResult{err: errors.New("dial tcp: connection refused")}, verdict: verdictRetry, label: reasonNetwork, reason: "network error"},
		{name: "504", res: callResult{err: &larkcore.ServerTimeoutError{}}, verdict: verdictRetry, label: reasonServerError, reason: "HTTP 504"},
		{name: "html 502", res: callResult{err: errors.New("response content-type not json, response: StatusCode: 502, Header:map[Content-Type:[text/html]], Content-Type: text/html, Body: <html>")},
			verdict: verdictRetry, label: reasonServerError, reason: "HTTP 502 with an answer that is not JSON"},
		{name: "bare 429", res: callResult{err: errors.New("response content-type not json, response: StatusCode: 429, Header:map[X-Ogw-Ratelimit-Reset:[3]], Content-Type: , Body: slow down")},
			verdict: verdictRetry, label: reasonRateLimited, wait: 3 * time.Second, pause: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := classify(tt.res)
			if o.verdict != tt.verdict || o.label != tt.label || o.code != tt.code || o.wait != tt.wait || o.pause != tt.pause {
				t.Errorf("classify = %+v, want verdict %d label %q code %d wait %s pause %v", o, tt.verdict, tt.label, tt.code, tt.wait, tt.pause)
			}
			if !strings.Contains(o.reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", o.reason, tt.reason)
			}
			if o.verdict != verdictSent && o.reason == "" {
				t.Errorf("no reason for a failure")
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	base := time.Second
	for attempt := 1; attempt <= 40; attempt++ {
		ceiling := min(base<<min(attempt-1, 30), maxBackoff)
		for range 50 {
			d := backoff(base, attempt, outcome{label: reasonServerError})
			if d < base/4 || d > ceiling {
				t.Fatalf("attempt %d: backoff %s outside [%s, %s]", attempt, d, base/4, ceiling)
			}
		}
	}
	for range 50 {
		if d := backoff(base, 1, outcome{label: reasonChatLimited}); d < base {
			t.Fatalf("chat limited: %s, want at least %s", d, base)
		}
		d := backoff(base, 1, outcome{label: reasonRateLimited, wait: 3 * time.Second})
		if d < 3*time.Second || d > 4*time.Second {
			t.Fatalf("rate limited with reset 3s: %s, want 3s plus under a second of jitter", d)
		}
	}
}

func TestFileType(t *testing.T) {
	for name, want := range map[string]string{
		"名单.xlsx": "xls", "old.XLS": "xls", "a.pdf": "pdf", "b.docx": "doc", "c.doc": "doc",
		"d.pptx": "ppt", "e.csv": "stream", "noext": "stream", "f.zip": "stream",
	} {
		if got := fileType(name); got != want {
			t.Errorf("fileType(%q) = %q, want %q", name, got, want)
		}
	}
}

func TestClip(t *testing.T) {
	long := strings.Repeat("错", maxReasonLen)
	got := clip(long)
	if len(got) > maxReasonLen+len("…") || !strings.HasSuffix(got, "…") {
		t.Fatalf("clip: %d bytes", len(got))
	}
	if !strings.HasPrefix(long, strings.TrimSuffix(got, "…")) {
		t.Errorf("clip cut inside a character")
	}
}

func TestWindowKeepsNPerPeriod(t *testing.T) {
	// The bookings, asked for in a burst: no window of 200 ms holds more than 3. Checked on
	// the booked times themselves, so that a slow machine cannot blur them.
	w := newWindow(3, 200*time.Millisecond)
	start := time.Now()
	var times []time.Time
	for i := range 7 {
		times = append(times, w.book(start.Add(time.Duration(i)*time.Millisecond)))
	}
	for i := 3; i < len(times); i++ {
		if gap := times[i].Sub(times[i-3]); gap < 200*time.Millisecond {
			t.Errorf("calls %d and %d only %s apart, want a 200ms window to hold 3", i-3, i, gap)
		}
	}
	// wait sleeps until its booking, never earlier: three calls of one per 50 ms take 100 ms
	// at least (a loaded machine only makes it longer).
	w = newWindow(1, 50*time.Millisecond)
	begin := time.Now()
	for range 3 {
		if err := w.wait(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if took := time.Since(begin); took < 100*time.Millisecond {
		t.Errorf("three waits took %s, want at least 100ms", took)
	}
	if newWindow(0, time.Second) != nil || newWindow(-1, time.Second).wait(context.Background()) != nil {
		t.Errorf("a window of 0 should be no limit")
	}
}

func TestReceiverLimitsForgetIdleReceivers(t *testing.T) {
	r := newReceiverLimits(10) // a bucket is full again after 100ms; idle after 200ms
	for _, k := range []string{"a", "b", "c"} {
		r.acquire(k)
	}
	r.release("a")
	r.release("b")
	r.sweep(time.Now().Add(time.Second))
	if n := r.size(); n != 1 {
		t.Fatalf("after the sweep %d buckets remain, want 1 (the one still held)", n)
	}
	r.release("c")
	r.sweep(time.Now())
	if n := r.size(); n != 1 {
		t.Fatalf("a bucket released just now was dropped")
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.Rate != 50 || c.PerReceiver != 5 || c.PerMinute != 1000 || c.MaxAttempts != 12 || c.Workers != 8 ||
		c.PollInterval != 500*time.Millisecond || c.Lease != 2*time.Minute || c.RequestTimeout != 10*time.Second || c.WorkerID == "" {
		t.Fatalf("defaults: %+v", c)
	}
	if c.leaseNeed() >= c.Lease/2 {
		t.Errorf("lease need %s leaves too little of the %s lease", c.leaseNeed(), c.Lease)
	}
	long := Config{WorkerID: strings.Repeat("h", 80) + "-1234", Lease: 6 * time.Second}.withDefaults()
	if len(long.WorkerID) > maxWorkerID || !strings.HasSuffix(long.WorkerID, "-1234") {
		t.Errorf("worker id %q: want at most %d characters, ending with the pid", long.WorkerID, maxWorkerID)
	}
	if long.RequestTimeout != time.Second {
		t.Errorf("request timeout %s with a 6s lease, want 1s", long.RequestTimeout)
	}
}
