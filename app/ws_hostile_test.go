package app

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	larkws "github.com/larksuite/oapi-sdk-go/v3/ws"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// wsRig is a running unionbot on the long connection (SQLite) with one event handled, for
// feeding it malformed frames.
type wsRig struct {
	in    *instance
	fake  *feishutest.Server
	probe []byte // an event already handled: pushed again, it is a duplicate that writes nothing
	n     int
}

func newWSRig(t testing.TB, log io.Writer) *wsRig {
	fake := feishutest.NewT(t)
	in := startWriting(t, fake, e2eConfig(t, fake, config.ModeWebSocket, store.SQLite), log)
	r := &wsRig{in: in, fake: fake,
		probe: feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_ws_probe", SenderOpenID: admin, Text: "菜单"})}
	in.deliver(r.probe)
	waitFor(t, fake, "the probe's reply", replyTo("om_ws_probe"))
	return r
}

// written counts the rows an event could write: handled events, queued messages (not the
// reminders jobs queue, such as the catch-up run at start), audit lines.
func (r *wsRig) written(t testing.TB) string {
	t.Helper()
	var ev, ob, au int
	db := r.in.m.DB
	ctx := context.Background()
	if err := db.Get(ctx, &ev, `SELECT COUNT(*) FROM processed_events`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(ctx, &ob, `SELECT COUNT(*) FROM outbox WHERE id NOT IN
		(SELECT outbox_id FROM reminders WHERE outbox_id IS NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(ctx, &au, `SELECT COUNT(*) FROM audit_log`); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("events %d, outbox %d, audit %d", ev, ob, au)
}

// alive pushes the probe again and wants its ack: the connection survived whatever came
// before it, and the SDK still hands events to the bot.
func (r *wsRig) alive(t testing.TB, after string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	ack, err := r.fake.PushEvent(ctx, r.probe)
	if err != nil || ack.Code != 200 {
		t.Fatalf("after %s, the probe got %+v, %v: the long connection did not survive", after, ack, err)
	}
}

// panics is the number of handler panics the router counted.
func (r *wsRig) panics(t testing.TB) int {
	_, metrics := r.in.get("/metrics")
	n := 0
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "unionbot_handled_total{") && strings.Contains(line, `outcome="panic"`) {
			var v float64
			fmt.Sscanf(line[strings.LastIndex(line, " ")+1:], "%g", &v)
			n += int(v)
		}
	}
	return n
}

func eventHeaders(id string, extra ...string) map[string]string {
	h := map[string]string{larkws.HeaderType: string(larkws.MessageTypeEvent), larkws.HeaderMessageID: id,
		larkws.HeaderSum: "1", larkws.HeaderSeq: "0", larkws.HeaderTraceID: "t" + id}
	for i := 0; i+1 < len(extra); i += 2 {
		if extra[i+1] == "" {
			delete(h, extra[i])
		} else {
			h[extra[i]] = extra[i+1]
		}
	}
	return h
}

// TestLongConnectionMalformedFrames feeds the bot's long connection (the real SDK client,
// through the fake gateway) frames no honest gateway sends: bytes that are no frame, text
// messages, unknown frame methods, missing or absurd headers (a part number beyond the
// parts, a part count that is no number), parts that never complete, a control frame with a
// broken configuration, and event payloads that are not JSON, are JSON of the wrong shape,
// hold 1e400 or a 200 KB string, or name an event type no one handles. After each, the
// connection is still up and answers the next event; nothing panics in a handler, the process
// keeps running, and nothing is written (no handled event, message or audit line). The
// well-formed frames with a broken payload are acknowledged (200, or 500 where the SDK's
// dispatcher cannot decode the event at all).
func TestLongConnectionMalformedFrames(t *testing.T) {
	r := newWSRig(t, testWriter{t})
	before := r.written(t)
	valid := feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_ws_never", SenderOpenID: admin, Text: "菜单"})
	data := int32(larkws.FrameTypeData)
	raw := []struct {
		name string
		data []byte
		text bool
	}{
		{"bytes that are no frame", []byte("\xff\xfe not a protobuf frame \x00"), false},
		{"an empty message", nil, false},
		{"a text message", []byte(`{"type":"event"}`), true},
		{"an unknown frame method", feishutest.Frame(7, eventHeaders("m1"), valid), false},
		{"a data frame without headers", feishutest.Frame(data, nil, valid), false},
		{"a data frame of an unknown type", feishutest.Frame(data, eventHeaders("m2", larkws.HeaderType, "surprise"), valid), false},
		{"a part beyond the parts", feishutest.Frame(data, eventHeaders("m3", larkws.HeaderSum, "2", larkws.HeaderSeq, "5"), valid), false},
		{"a negative part", feishutest.Frame(data, eventHeaders("m4", larkws.HeaderSum, "2", larkws.HeaderSeq, "-1"), valid), false},
		{"a part count that is no number", feishutest.Frame(data, eventHeaders("m5", larkws.HeaderSum, "many", larkws.HeaderSeq, "x"), []byte(`{`)), false},
		{"parts that never complete", feishutest.Frame(data, eventHeaders("m6", larkws.HeaderSum, "3", larkws.HeaderSeq, "0"), valid[:10]), false},
		{"a control frame with a broken configuration", feishutest.Frame(int32(larkws.FrameTypeControl),
			map[string]string{larkws.HeaderType: string(larkws.MessageTypePong)}, []byte(`{"PingInterval": "soon"`)), false},
		{"a control frame of an unknown type", feishutest.Frame(int32(larkws.FrameTypeControl),
			map[string]string{larkws.HeaderType: "reboot"}, nil), false},
	}
	ctx := context.Background()
	for _, c := range raw {
		if err := r.fake.PushRaw(ctx, c.data, c.text); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		r.alive(t, c.name)
	}
	payloads := []struct{ name, payload string }{
		{"not JSON", `not json at all`},
		{"null", `null`},
		{"an empty object", `{}`},
		{"an array", `[1, 2, 3]`},
		{"a header that is a string", `{"schema": "2.0", "header": "x", "event": {}}`},
		{"a message without a message", `{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "event_id": "ws_e1"}, "event": {}}`},
		{"a message whose content is a number", `{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "event_id": "ws_e2"},
			"event": {"sender": {"sender_id": {"open_id": "ou_admin_e2e"}}, "message": {"message_id": "om_ws_e2", "message_type": "text", "content": 5}}}`},
		{"a number beyond float64", `{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "event_id": "ws_e3", "create_time": 1e400}, "event": {}}`},
		{"a card callback whose form is a string", `{"schema": "2.0", "header": {"event_type": "card.action.trigger", "event_id": "ws_e4"},
			"event": {"operator": {"open_id": "ou_admin_e2e"}, "action": {"value": {"action": "menu.show"}, "form_value": "x"}}}`},
		{"a card callback whose value is null", `{"schema": "2.0", "header": {"event_type": "card.action.trigger", "event_id": "ws_e5"},
			"event": {"operator": {"open_id": "ou_admin_e2e"}, "action": {"value": null}}}`},
		{"an event type no one handles", `{"schema": "2.0", "header": {"event_type": "im.nothing.happened_v9", "event_id": "ws_e6"}, "event": {"x": 1}}`},
		{"an old-schema event", `{"uuid": "u1", "type": "event_callback", "event": {"type": "message"}}`},
		{"a 200 KB string", `{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "event_id": "ws_e7"}, "event": {"message": {"content": "` +
			strings.Repeat("x", 200<<10) + `"}}}`},
	}
	codes := map[int]int{}
	for _, c := range payloads {
		pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		ack, err := r.fake.PushEvent(pctx, []byte(c.payload))
		cancel()
		if err != nil {
			t.Fatalf("%s: no ack: %v", c.name, err)
		}
		if ack.Code != 200 && ack.Code != 500 {
			t.Errorf("%s: ack %d", c.name, ack.Code)
		}
		codes[ack.Code]++
		t.Logf("%s: ack %d", c.name, ack.Code)
		r.alive(t, c.name)
	}
	if n := r.panics(t); n != 0 {
		t.Errorf("%d handler panics", n)
	}
	if after := r.written(t); after != before {
		t.Errorf("written: %s before the frames, %s after", before, after)
	}
	if status, body := r.in.get("/readyz"); status != 200 {
		t.Errorf("/readyz %d after the frames: %s", status, body)
	}
	t.Logf("%d raw frames and %d payloads; acks %v", len(raw), len(payloads), codes)
}

// maxParts bounds the part count (header sum) of a fuzzed frame: the SDK allocates a slot per
// announced part before it has any (ws.Client.combine), so a frame announcing a billion parts
// would exhaust memory. Only Feishu's own gateway can send the bot frames (the bot dials it
// over TLS), so this is no attack from outside; see RELIABILITY.md.
const maxParts = 64

// FuzzLongConnection pushes any frame over the bot's long connection, as the fake gateway
// would: a frame of any method with any type, part headers and payload, or any bytes at all.
// No handler panics, and the connection answers the next event (the process and the SDK's
// reader survived). What an arbitrary frame may write is not checked here (over the long
// connection a well-formed event needs no signature): TestLongConnectionMalformedFrames checks
// that malformed ones write nothing.
func FuzzLongConnection(f *testing.F) {
	valid := feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_fz_seed", SenderOpenID: admin, Text: "菜单"})
	data, control := uint8(larkws.FrameTypeData), uint8(larkws.FrameTypeControl)
	f.Add(data, "event", "1", "0", valid, false)
	f.Add(data, "event", "2", "5", valid, false)
	f.Add(data, "event", "3", "0", valid[:10], false)
	f.Add(data, "", "", "", valid, false)
	f.Add(uint8(7), "event", "1", "0", valid, false)
	f.Add(control, "pong", "", "", []byte(`{"PingInterval": "soon"`), false)
	f.Add(data, "event", "1", "0", []byte(`not json`), false)
	f.Add(data, "event", "1", "0", []byte(`{"schema": "2.0", "header": {"event_type": "card.action.trigger", "event_id": "fz1"}, "event": {"action": {"form_value": "x"}}}`), false)
	f.Add(data, "event", "1", "0", []byte(`{"schema": "2.0", "header": {"event_type": "im.message.receive_v1", "event_id": "fz2"}, "event": {"message": {"content": 1e400}}}`), false)
	f.Add(uint8(0), "", "", "", []byte("\xff\xfe not a frame"), true)
	r := newWSRig(f, io.Discard)
	var n int
	f.Fuzz(func(t *testing.T, method uint8, typ, sum, seq string, payload []byte, raw bool) {
		var frame []byte
		if raw {
			var fr larkws.Frame
			if fr.Unmarshal(payload) == nil && larkws.Headers(fr.Headers).GetInt(larkws.HeaderSum) > maxParts {
				t.Skip("announces more parts than the SDK can hold")
			}
			frame = payload
		} else {
			if tooManyParts(sum) {
				t.Skip("announces more parts than the SDK can hold")
			}
			n++
			frame = feishutest.Frame(int32(method), map[string]string{larkws.HeaderType: typ, larkws.HeaderSum: sum,
				larkws.HeaderSeq: seq, larkws.HeaderMessageID: fmt.Sprintf("fz%d", n), larkws.HeaderTraceID: "fz"}, payload)
		}
		if err := r.fake.PushRaw(context.Background(), frame, false); err != nil {
			t.Fatal(err)
		}
		r.alive(t, "the frame")
		if p := r.panics(t); p != 0 {
			t.Fatalf("%d handler panics", p)
		}
	})
}

// tooManyParts reports whether a part count header announces more than maxParts parts (the
// SDK reads a header that is no number as 0).
func tooManyParts(sum string) bool {
	v, err := strconv.Atoi(sum)
	return err == nil && v > maxParts
}
