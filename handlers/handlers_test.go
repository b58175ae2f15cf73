package handlers_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const admin = "ou_admin"

// harness is the shared webhook rig with the core handlers, in UTC.
type harness struct{ *handlertest.Chat }

func newHarness(t *testing.T, db *store.DB) *harness {
	return &harness{Chat: handlertest.New(t, db, handlertest.Options{Admins: []string{admin}, IDPrefix: "om_h"})}
}

func (h *harness) member(openID string) *store.Member {
	m, err := h.DB.MemberByOpenID(context.Background(), openID)
	if err != nil {
		h.T.Fatal(err)
	}
	return m
}

func TestRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.Say("ou_z1", "你好")
		h.Say("ou_z2", "你好")
		h.Click("ou_z1", map[string]any{"action": "profile.save"}, map[string]any{"name": "张伟", "employee_no": "1001"})
		h.Click("ou_z2", map[string]any{"action": "profile.save"}, map[string]any{"name": "张伟", "employee_no": "1002"})
		tests := []struct{ who, text, want string }{
			{"ou_z1", "授权 张伟 工会干事", "没有权限"},
			{admin, "授权 张伟 工会干事", "对应多位成员"},
			{admin, "授权 张伟", "用法：授权 <姓名或工号> <角色>"},
			{admin, "授权 1001 教皇", "没有「教皇」这个角色"},
			{admin, "授权 王五 代表", "找不到「王五」"},
			{admin, "授权 1001 officer", "已为 张伟 授予「工会干事」"},
			{admin, "grant 1001 工会干事", "已经是工会干事"},
			{admin, "撤销 1002 工会干事", "并不是工会干事"},
			{admin, "撤销 " + admin + " 管理员", "配置文件中的管理员"},
			{admin, "角色", "张伟"},
		}
		for _, tc := range tests {
			if got := h.Say(tc.who, tc.text); !strings.Contains(got, tc.want) {
				t.Errorf("%s: %q → %q, want %q", tc.who, tc.text, got, tc.want)
			}
		}
		roles, _ := db.MemberRoles(context.Background(), h.member("ou_z1").ID)
		if len(roles) != 1 || roles[0] != store.RoleOfficer {
			t.Errorf("roles = %v", roles)
		}
		// The admin from the configuration cannot be revoked in chat.
		h.Say(admin, "菜单")
		h.Click(admin, map[string]any{"action": "profile.save"}, map[string]any{"name": "管理员", "employee_no": "9000"})
		if got := h.Say(admin, "撤销 9000 管理员"); !strings.Contains(got, "配置文件中的管理员") {
			t.Errorf("revoking the config admin: %q", got)
		}
	})
}

func TestProfile(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newHarness(t, db)
		h.Say("ou_p1", "我的信息")
		if m := h.member("ou_p1"); !m.Placeholder || m.Name != handlers.PlaceholderName {
			t.Fatalf("new member = %+v", m)
		}
		ctx := context.Background()
		db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.EnsureBranch(ctx, "机关分工会"); return err })
		_, card := h.Click("ou_p1", map[string]any{"action": "profile.show"}, nil)
		if !strings.Contains(card, "机关分工会") || !strings.Contains(card, `"name":"employee_no"`) {
			t.Errorf("profile card lacks the branch choice or the 工号 input: %.300s", card)
		}
		bad := []struct {
			form map[string]any
			want string
		}{
			{map[string]any{"name": ""}, "请填写你的真实姓名"},
			{map[string]any{"name": strings.Repeat("长", 33)}, "姓名太长"},
			{map[string]any{"name": "王芳", "employee_no": "12 34"}, "工号只能包含"},
			{map[string]any{"name": "王芳", "branch": "不存在分工会"}, "没有名为「不存在分工会」的分工会"},
			{map[string]any{"name": "王芳", "gender": "X"}, "请选择性别"},
		}
		for _, b := range bad {
			if toast, _ := h.Click("ou_p1", map[string]any{"action": "profile.save"}, b.form); !strings.Contains(toast, b.want) {
				t.Errorf("%v: toast %q, want %q", b.form, toast, b.want)
			}
		}
		if m := h.member("ou_p1"); m.Name != handlers.PlaceholderName {
			t.Errorf("invalid forms changed the member: %+v", m)
		}
		toast, card := h.Click("ou_p1", map[string]any{"action": "profile.save"},
			map[string]any{"name": "王芳", "employee_no": "000321", "branch": "机关分工会", "gender": "F"})
		if toast != "已保存" || !strings.Contains(card, "王芳") {
			t.Errorf("save: %q %.200s", toast, card)
		}
		m := h.member("ou_p1")
		if m.Name != "王芳" || m.EmployeeNo != "000321" || m.BranchName != "机关分工会" || m.Gender != "F" || m.Placeholder {
			t.Errorf("member = %+v", m)
		}
		if toast, _ := h.Click("ou_p1", map[string]any{"action": "profile.save"}, map[string]any{"name": "王芳", "employee_no": "000999"}); !strings.Contains(toast, "工号已登记为 000321") {
			t.Errorf("changing a 工号: %q", toast)
		}
		h.Say("ou_p2", "hi")
		if toast, _ := h.Click("ou_p2", map[string]any{"action": "profile.save"}, map[string]any{"name": "冒名", "employee_no": "000321"}); !strings.Contains(toast, "另一位成员名下") {
			t.Errorf("claiming another's 工号: %q", toast)
		}
		trail, _ := db.AuditTrail(ctx, "member", "1")
		if len(trail) != 2 || trail[1].Action != "profile" || strings.Contains(trail[1].Detail, "王芳") {
			t.Errorf("audit = %+v (details must name fields, not values)", trail)
		}
	})
}

func TestMenuByRoleAndFailedMessages(t *testing.T) {
	h := newHarness(t, storetest.Open(t, store.SQLite))
	member := h.Say("ou_m", "随便说点什么")
	if !strings.Contains(member, "没有听懂") || !strings.Contains(member, "我的信息") || strings.Contains(member, "授权") {
		t.Errorf("member menu: %.400s", member)
	}
	adminMenu := h.Say(admin, "menu")
	for _, want := range []string{"授权", "撤销", "发送失败", "roles.list"} {
		if !strings.Contains(adminMenu, want) {
			t.Errorf("admin menu lacks %s", want)
		}
	}
	if got := h.Say(admin, "发送失败"); !strings.Contains(got, "最近没有发送失败的消息") {
		t.Errorf("no failures: %q", got)
	}
	ctx := context.Background()
	h.DB.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: "ou_m", MsgType: "text", Content: `{"text":"x"}`})
		return err
	})
	msgs, _ := h.DB.ClaimOutbox(ctx, "t", 100, time.Minute)
	for _, m := range msgs {
		if m.ReceiveID == "ou_m" && m.Kind == store.OutboxSend {
			h.DB.MarkFailed(ctx, m, 230013, "230013: the user is outside the app's availability")
		}
	}
	if got := h.Say(admin, "failed"); !strings.Contains(got, "230013") || !strings.Contains(got, handlers.PlaceholderName) {
		t.Errorf("failed list: %.400s", got)
	}
	if toast, _ := h.Click("ou_m", map[string]any{"action": "outbox.failed"}, nil); !strings.Contains(toast, "没有权限") {
		t.Errorf("member sees failed messages: %q", toast)
	}
}
