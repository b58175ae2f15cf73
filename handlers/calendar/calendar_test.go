package calendar_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/calendar"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	token = "vt_c"
	key   = "ek_c"
	admin = "ou_admin"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

type harness struct {
	t  *testing.T
	db *store.DB
	wh *feishutest.Webhook
	n  int
}

func newHarness(t *testing.T, db *store.DB) *harness {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := bot.NewRouter(bot.Options{DB: db, Log: log, Metrics: bot.NewMetrics(prometheus.NewRegistry()), Deadline: 2 * time.Second,
		Resolver: &handlers.Resolver{DB: db, Admins: []string{admin}, Log: log}})
	d := handlers.Deps{DB: db, Admins: []string{admin}, Log: log, Loc: shanghai}
	handlers.Register(r, d)
	calendar.Register(r, d)
	srv := httptest.NewServer(bot.Webhook(r, bot.WebhookOptions{VerificationToken: token, EncryptKey: key, Log: log}))
	t.Cleanup(srv.Close)
	return &harness{t: t, db: db, wh: &feishutest.Webhook{URL: srv.URL, EncryptKey: key, VerificationToken: token}}
}

// say sends a message and returns the text (or card JSON) of the bot's reply.
func (h *harness) say(sender, text string) string {
	h.t.Helper()
	h.n++
	id := "om_c" + strings.Repeat("x", h.n)
	status, _, err := h.wh.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender, Text: text, Token: token}))
	if err != nil || status != 200 {
		h.t.Fatalf("send: %d %v", status, err)
	}
	var content string
	if err := h.db.Get(context.Background(), &content, `SELECT content FROM outbox WHERE target_message_id = ?`, id); err != nil {
		h.t.Fatalf("no reply to %q: %v", text, err)
	}
	var v struct{ Text string }
	if json.Unmarshal([]byte(content), &v) == nil && v.Text != "" {
		return v.Text
	}
	return content
}

func (h *harness) overrides() int {
	var n int
	if err := h.db.Get(context.Background(), &n, `SELECT COUNT(*) FROM holiday_overrides`); err != nil {
		h.t.Fatal(err)
	}
	return n
}

func TestHolidayCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		bad := []struct{ who, text, want string }{
			{"ou_member", "节假日 2026", "没有权限"},
			{"ou_member", "节假日导入 2027-01-01 休 元旦", "没有权限"},
			{admin, "节假日 明年", "不是年份"},
			{admin, "节假日导入", "用法：节假日导入"},
			{admin, "节假日导入 2027/01/01 休 元旦", "第 1 条「2027/01/01 休 元旦」：日期「2027/01/01」无法识别"},
			{admin, "节假日导入 2027-01-01 休 元旦\n2027-13-01 休 假的", "「2027-13-01」无法识别"},
			{admin, "节假日导入 2027-01-01 放 元旦", "应为「休」或「班」"},
			{admin, "节假日导入 2027-01-01 休 元旦\n2027-01-01 班 又是元旦", "已在第 1 条出现过"},
			{admin, "节假日导入 2027-02-17..2027-02-10 休 春节", "早于开始日期"},
			{admin, "节假日导入 2027-01-01..2027-03-01 休 太长", "最多 31 天"},
			{admin, "节假日导入 # 只有注释", "没有找到任何日期"},
			{admin, "节假日导入 元旦 2027-01-01 休", "每条应以日期开头"},
			{admin, "节假日导入 2027-01-01", "格式不对"},
		}
		for _, tc := range bad {
			if got := h.say(tc.who, tc.text); !strings.Contains(got, tc.want) {
				t.Errorf("%s: %q → %q, want %q", tc.who, tc.text, got, tc.want)
			}
			if n := h.overrides(); n != 0 {
				t.Fatalf("%q wrote %d overrides", tc.text, n)
			}
		}
		if got := h.say(admin, "节假日 2027"); !strings.Contains(got, "2027 年没有节假日数据") {
			t.Errorf("2027 before import: %s", got)
		}
		if got := h.say(admin, "节假日 2026"); !strings.Contains(got, "2月15日至2月23日 放假（9 天）") || !strings.Contains(got, "2月14日（周六）") {
			t.Errorf("2026: %s", got)
		}
		// A 调休 day inside the holiday's range contradicts it: refused, nothing written.
		got := h.say(admin, "节假日导入 2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-07 班 春节调休")
		if !strings.Contains(got, "第 3 条：2027-02-07 已在第 2 条出现过") || h.overrides() != 0 {
			t.Errorf("import with a 调休 day inside the range: %s", got)
		}
		got = h.say(admin, "节假日导入 2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-14 班 春节调休")
		if !strings.Contains(got, "已导入 2027 年的安排：放假 8 天，调休上班 1 天") || !strings.Contains(got, "2月14日（周日） 上班") {
			t.Errorf("import: %s", got)
		}
		if n := h.overrides(); n != 9 {
			t.Errorf("overrides = %d, want 9", n)
		}
		if got := h.say(admin, "holidays 2027"); !strings.Contains(got, "管理员录入") || !strings.Contains(got, "2月6日至2月12日") {
			t.Errorf("2027 after import: %s", got)
		}
		trail, _ := db.AuditTrail(context.Background(), "holidays", "[2027]")
		if len(trail) != 1 || trail[0].Actor != admin {
			t.Errorf("audit = %+v", trail)
		}
	})
}
