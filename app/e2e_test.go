package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	e2eToken = "vt_e2e"
	e2eKey   = "ek_e2e_key"
	admin    = "ou_admin_e2e"
)

// instance is one running unionbot (the real serve wiring) and its fake Feishu.
type instance struct {
	t      testing.TB
	fake   *feishutest.Server
	cfg    *config.Config
	m      *Main
	cancel context.CancelFunc
	done   chan error
}

func e2eConfig(t testing.TB, fake *feishutest.Server, mode, dialect string) *config.Config {
	c := config.Default()
	c.Feishu.AppID, c.Feishu.AppSecret, c.Feishu.BaseURL, c.Feishu.Mode = fake.AppID(), fake.AppSecret(), fake.URL(), mode
	if mode == config.ModeWebhook {
		c.Feishu.VerificationToken, c.Feishu.EncryptKey = e2eToken, e2eKey
	}
	c.Server.Addr = "127.0.0.1:0"
	c.Database.Driver = dialect
	if dialect == store.MySQL {
		c.Database.DSN = storetest.CreateMySQLDatabase(t)
	} else {
		c.Database.DSN = filepath.Join(t.TempDir(), "unionbot.db")
	}
	c.Admins = []string{admin}
	c.Outbox.PollInterval = 50 * time.Millisecond
	if err := c.ValidateServe(); err != nil {
		t.Fatal(err)
	}
	return c
}

// start runs Main on cfg until the test ends (or stop).
func start(t testing.TB, fake *feishutest.Server, cfg *config.Config) *instance {
	t.Helper()
	return startLogged(t, fake, cfg, nil)
}

// startLogged is start that also copies the log to also (when not nil).
func startLogged(t testing.TB, fake *feishutest.Server, cfg *config.Config, also io.Writer) *instance {
	t.Helper()
	var w io.Writer = testWriter{t}
	if also != nil {
		w = io.MultiWriter(w, also)
	}
	return startWriting(t, fake, cfg, w)
}

// startWriting is start with the log written to w only.
func startWriting(t testing.TB, fake *feishutest.Server, cfg *config.Config, w io.Writer) *instance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{t: t, fake: fake, cfg: cfg, cancel: cancel, done: make(chan error, 1),
		m: &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(w, nil))}}
	if err := in.m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	go func() { in.done <- in.m.Run(ctx) }()
	t.Cleanup(func() { in.stop() })
	deadline := time.Now().Add(10 * time.Second)
	for {
		if status, _ := in.get("/readyz"); status == 200 {
			return in
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (in *instance) stop() {
	if in.cancel == nil {
		return
	}
	in.cancel()
	in.cancel = nil
	select {
	case err := <-in.done:
		if err != nil {
			in.t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		in.t.Errorf("Run did not return within 20 s of the signal; goroutines:\n%s", buf)
	}
}

func (in *instance) get(path string) (int, string) {
	resp, err := http.Get("http://" + in.m.Addr() + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// deliver sends an event through the instance's transport and returns the callback answer
// (for card actions) as JSON.
func (in *instance) deliver(payload []byte) map[string]any {
	in.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var body []byte
	if in.cfg.Feishu.Mode == config.ModeWebhook {
		wh := &feishutest.Webhook{URL: "http://" + in.m.Addr() + "/webhook/event", EncryptKey: e2eKey, VerificationToken: e2eToken}
		status, b, err := wh.Send(ctx, payload)
		if err != nil || status != 200 {
			in.t.Fatalf("webhook: %d %s %v", status, b, err)
		}
		body = b
	} else {
		ack, err := in.fake.PushEvent(ctx, payload)
		if err != nil || ack.Code != 200 {
			in.t.Fatalf("push: %+v %v", ack, err)
		}
		body = ack.Data
	}
	var out map[string]any
	json.Unmarshal(body, &out)
	return out
}

func (in *instance) message(id, sender, text string) {
	tok := ""
	if in.cfg.Feishu.Mode == config.ModeWebhook {
		tok = e2eToken
	}
	in.deliver(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender, Text: text, Token: tok}))
}

func (in *instance) click(sender string, value, form map[string]any) map[string]any {
	tok := ""
	if in.cfg.Feishu.Mode == config.ModeWebhook {
		tok = e2eToken
	}
	return in.deliver(feishutest.CardActionEvent(feishutest.CardOpts{OperatorOpenID: sender, Value: value, FormValue: form, Token: tok}))
}

// waitFor waits until the fake holds a delivered message matching f.
func waitFor(t testing.TB, fake *feishutest.Server, what string, f func(feishutest.Message) bool) feishutest.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range fake.Messages() {
			if f(m) {
				return m
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no delivered message: %s", what)
	return feishutest.Message{}
}

func replyTo(id string) func(feishutest.Message) bool {
	return func(m feishutest.Message) bool { return m.Kind == feishutest.KindReply && m.ReceiveID == id }
}

func countReplies(fake *feishutest.Server, id string) int {
	n := 0
	for _, m := range fake.Messages() {
		if replyTo(id)(m) {
			n++
		}
	}
	return n
}

func toastOf(resp map[string]any) string {
	m, _ := resp["toast"].(map[string]any)
	s, _ := m["content"].(string)
	return s
}

func TestEndToEnd(t *testing.T) {
	for _, mode := range []string{config.ModeWebSocket, config.ModeWebhook} {
		for _, dialect := range storetest.Dialects() {
			t.Run(mode+"/"+dialect, func(t *testing.T) { testEndToEnd(t, mode, dialect) })
		}
	}
}

func testEndToEnd(t *testing.T, mode, dialect string) {
	fake := feishutest.NewT(t)
	fake.AddUser(feishutest.User{OpenID: "ou_li", Name: "李四", Email: "lisi@example.edu.cn"})
	cfg := e2eConfig(t, fake, mode, dialect)
	in := start(t, fake, cfg)
	ctx := context.Background()

	// A first-time sender gets the menu and is registered with the directory's name.
	in.message("om_hello", "ou_li", "你好")
	menu := waitFor(t, fake, "menu reply", replyTo("om_hello"))
	if menu.MsgType != "interactive" || !strings.Contains(menu.Content, "工会助手") || !strings.Contains(menu.Content, `"schema":"2.0"`) {
		t.Errorf("menu reply = %s %.200s", menu.MsgType, menu.Content)
	}
	if strings.Contains(menu.Content, "授权") {
		t.Error("a member's menu shows admin commands")
	}
	m, err := in.m.DB.MemberByOpenID(ctx, "ou_li")
	if err != nil || m.Name != "李四" || m.Placeholder {
		t.Fatalf("member = %+v, %v", m, err)
	}

	// The admin's menu shows the admin commands; the admin grants a role in chat.
	in.message("om_admin_menu", admin, "help")
	if c := waitFor(t, fake, "admin menu", replyTo("om_admin_menu")).Content; !strings.Contains(c, "授权") {
		t.Error("the admin's menu lacks 授权")
	}
	in.message("om_grant", admin, "授权 李四 工会干事")
	if c := waitFor(t, fake, "grant reply", replyTo("om_grant")).Content; !strings.Contains(c, "已为 李四 授予「工会干事」") {
		t.Errorf("grant reply = %s", c)
	}
	notice := waitFor(t, fake, "role notice", func(m feishutest.Message) bool { return m.Kind == feishutest.KindSend && m.ReceiveID == "ou_li" })
	if !strings.Contains(notice.Content, "工会干事") || notice.UUID == "" {
		t.Errorf("notice = %+v", notice)
	}
	trail, _ := in.m.DB.AuditTrail(ctx, "role", fmt.Sprint(m.ID))
	if len(trail) != 1 || trail[0].Actor != admin || trail[0].Detail != store.RoleOfficer {
		t.Errorf("audit = %+v", trail)
	}
	// A member without the role is refused in Chinese.
	in.message("om_denied", "ou_li", "授权 李四 主席")
	if c := waitFor(t, fake, "denied reply", replyTo("om_denied")).Content; !strings.Contains(c, "没有权限") {
		t.Errorf("denied reply = %s", c)
	}

	// Card actions answer synchronously: the profile card, then a form submit.
	resp := in.click("ou_li", map[string]any{"action": "profile.show"}, nil)
	card, _ := resp["card"].(map[string]any)
	if card["type"] != "raw" || !strings.Contains(fmt.Sprint(card["data"]), "我的信息") {
		t.Fatalf("profile.show answer = %v", resp)
	}
	resp = in.click("ou_li", map[string]any{"action": "profile.save"}, map[string]any{"name": "李四", "employee_no": "000777", "gender": "F"})
	if toastOf(resp) != "已保存" {
		t.Errorf("profile.save toast = %q (%v)", toastOf(resp), resp)
	}
	if m, _ := in.m.DB.MemberByOpenID(ctx, "ou_li"); m.EmployeeNo != "000777" || m.Gender != "F" {
		t.Errorf("member after save = %+v", m)
	}
	resp = in.click("ou_li", map[string]any{"action": "profile.save"}, map[string]any{"name": "", "employee_no": "000777"})
	if !strings.Contains(toastOf(resp), "请填写你的真实姓名") {
		t.Errorf("invalid form toast = %q", toastOf(resp))
	}
	resp = in.click("ou_li", map[string]any{"nothing": true}, nil)
	if !strings.Contains(toastOf(resp), "卡片已失效") {
		t.Errorf("action-less click toast = %q", toastOf(resp))
	}

	// In a group the bot answers only when it is the one @-mentioned.
	tok := ""
	if mode == config.ModeWebhook {
		tok = e2eToken
	}
	group := func(id string, mention feishutest.Mention) {
		in.deliver(feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, ChatType: "group", ChatID: "oc_g",
			SenderOpenID: "ou_li", Text: mention.Key + " 菜单", Token: tok, Mentions: []feishutest.Mention{mention}}))
	}
	group("om_g_other", feishutest.Mention{Key: "@_user_1", OpenID: "ou_someone", Name: "王五"})
	group("om_g_bot", feishutest.Mention{Key: "@_user_1", OpenID: fake.BotOpenID(), Name: "工会助手"})
	waitFor(t, fake, "group reply", replyTo("om_g_bot"))
	if countReplies(fake, "om_g_other") != 0 {
		t.Error("answered a group message that mentioned someone else")
	}

	// Health, readiness and metrics.
	if status, body := in.get("/healthz"); status != 200 || body != "ok\n" {
		t.Errorf("/healthz = %d %q", status, body)
	}
	if status, body := in.get("/readyz"); status != 200 || !strings.Contains(body, `"database":"ok"`) {
		t.Errorf("/readyz = %d %s", status, body)
	}
	_, metrics := in.get("/metrics")
	for _, want := range []string{`unionbot_events_received_total{type="message"}`, `unionbot_events_handled_total{outcome="ok",type="card_action"}`,
		"unionbot_outbox_sent_total", "unionbot_events_handler_seconds_bucket", "unionbot_db_batch_calls_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// A redelivery after a restart has no second effect, and messages queued while the
	// platform was failing survive the restart and go out once.
	in.stop()
	fake.FailNext(feishutest.Match{Op: feishutest.OpSend}, -1, feishutest.ServerError())
	in2 := start(t, fake, cfg)
	in2.message("om_hello", "ou_li", "你好") // redelivered
	in2.message("om_grant2", admin, "授权 000777 代表")
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var st store.OutboxMessage
		if in2.m.DB.Get(ctx, &st.Attempts, `SELECT attempts FROM outbox WHERE kind = 'send' AND receive_id = 'ou_li' ORDER BY created_at DESC LIMIT 1`) == nil && st.Attempts >= 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	in2.stop()
	fake.ClearFaults()
	in3 := start(t, fake, cfg)
	waitFor(t, fake, "delegate notice after restart", func(m feishutest.Message) bool {
		return m.Kind == feishutest.KindSend && m.ReceiveID == "ou_li" && strings.Contains(m.Content, "代表")
	})
	waitFor(t, fake, "grant2 reply", replyTo("om_grant2"))
	if n := countReplies(fake, "om_hello"); n != 1 {
		t.Errorf("%d replies to om_hello after a redelivery across a restart, want 1", n)
	}
	if fake.DuplicateUUIDs() != 0 {
		t.Errorf("%d duplicate uuids", fake.DuplicateUUIDs())
	}
	in3.stop()
}

func TestWebSocketReconnectShowsInReadiness(t *testing.T) {
	fake := feishutest.NewT(t)
	in := start(t, fake, e2eConfig(t, fake, config.ModeWebSocket, store.SQLite))
	fake.RefuseBootstrap(true)
	fake.DropConnections()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if status, body := in.get("/readyz"); status == 503 && strings.Contains(body, "transport") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("/readyz stayed ready with the connection down")
		}
		time.Sleep(20 * time.Millisecond)
	}
	fake.RefuseBootstrap(false)
	deadline = time.Now().Add(15 * time.Second)
	for {
		if status, _ := in.get("/readyz"); status == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("not ready again after reconnecting")
		}
		time.Sleep(50 * time.Millisecond)
	}
	_, metrics := in.get("/metrics")
	if !strings.Contains(metrics, "unionbot_websocket_reconnects_total 1") || !strings.Contains(metrics, "unionbot_websocket_connected 1") {
		t.Errorf("metrics lack the reconnect:\n%s", grep(metrics, "websocket"))
	}
	in.message("om_after", "ou_x", "菜单")
	waitFor(t, fake, "reply after reconnect", replyTo("om_after"))
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// testWriter sends log lines to the test log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// lockedBuffer is a log sink safe for concurrent writes.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
