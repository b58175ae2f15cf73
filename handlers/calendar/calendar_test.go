package calendar_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/calendar"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const admin = "ou_admin"

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

// harness is the shared webhook rig with the calendar commands, in Asia/Shanghai.
type harness struct{ *handlertest.Chat }

func newHarness(t *testing.T, db *store.DB) *harness {
	return &harness{handlertest.New(t, db, handlertest.Options{Admins: []string{admin}, Loc: shanghai, IDPrefix: "om_c",
		Register: func(r *bot.Router, d handlers.Deps) { calendar.Register(r, d) }})}
}

func (h *harness) overrides() int {
	var n int
	if err := h.DB.Get(context.Background(), &n, `SELECT COUNT(*) FROM holiday_overrides`); err != nil {
		h.T.Fatal(err)
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
			if got := h.Say(tc.who, tc.text); !strings.Contains(got, tc.want) {
				t.Errorf("%s: %q → %q, want %q", tc.who, tc.text, got, tc.want)
			}
			if n := h.overrides(); n != 0 {
				t.Fatalf("%q wrote %d overrides", tc.text, n)
			}
		}
		if got := h.Say(admin, "节假日 2027"); !strings.Contains(got, "2027 年没有节假日数据") {
			t.Errorf("2027 before import: %s", got)
		}
		if got := h.Say(admin, "节假日 2026"); !strings.Contains(got, "2月15日至2月23日 放假（9 天）") || !strings.Contains(got, "2月14日（周六）") {
			t.Errorf("2026: %s", got)
		}
		// A 调休 day inside the holiday's range contradicts it: refused, nothing written.
		got := h.Say(admin, "节假日导入 2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-07 班 春节调休")
		if !strings.Contains(got, "第 3 条：2027-02-07 已在第 2 条出现过") || h.overrides() != 0 {
			t.Errorf("import with a 调休 day inside the range: %s", got)
		}
		got = h.Say(admin, "节假日导入 2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-14 班 春节调休")
		if !strings.Contains(got, "已导入 2027 年的安排：放假 8 天，调休上班 1 天") || !strings.Contains(got, "2月14日（周日） 上班") {
			t.Errorf("import: %s", got)
		}
		if n := h.overrides(); n != 9 {
			t.Errorf("overrides = %d, want 9", n)
		}
		if got := h.Say(admin, "holidays 2027"); !strings.Contains(got, "管理员录入") || !strings.Contains(got, "2月6日至2月12日") {
			t.Errorf("2027 after import: %s", got)
		}
		trail, _ := db.AuditTrail(context.Background(), "holidays", "[2027]")
		if len(trail) != 1 || trail[0].Actor != admin {
			t.Errorf("audit = %+v", trail)
		}
	})
}
