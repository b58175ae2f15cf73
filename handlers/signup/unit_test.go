package signup_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestUnitRoster drives unit-roster mode through the webhook: a 分工会主席 enters the unit's
// people with the person picker and confirms; others are refused; the entries reach the roster.
func TestUnitRoster(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.grant(mhOfficer, store.RoleOfficer)
		h.member("ou_chair", "机关主席", "机关分工会", "M", "")
		h.grant("ou_chair", store.RoleBranchChair)
		h.member("ou_chair2", "体育主席", "体育学院分工会", "F", "")
		h.grant("ou_chair2", store.RoleBranchChair)
		for i, g := range []string{"M", "F", "M", "F"} {
			h.member(fmt.Sprintf("ou_u%d", i+1), fmt.Sprintf("机关%d", i+1), "机关分工会", g, "")
		}
		h.member("ou_v1", "体育1", "体育学院分工会", "M", "")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.EntryMode, a.Capacity = "劳动技能大比武", store.ModeUnit, 2
		})

		// The chair asks for the unit's card: the list is empty, with the person picker.
		cardJSON := h.Say("ou_chair", "分工会报名 劳动技能大比武")
		if !strings.Contains(cardJSON, "机关分工会 的名单") || !strings.Contains(cardJSON, "（尚未报名）") {
			t.Fatalf("unit card: %.600s", cardJSON)
		}
		add := cardValue(t, cardJSON, "signup.unit.add")

		t.Run("refusals before any entry", func(t *testing.T) {
			tests := []struct {
				name  string
				who   string
				value map[string]any
				form  map[string]any
				want  string
			}{
				{"a member, not a chair", "ou_u1", add, map[string]any{"people": []any{"ou_u1"}}, "你没有权限进行此操作（需要：分工会主席"},
				{"the chair of another 分工会", "ou_chair2", add, map[string]any{"people": []any{"ou_u1"}}, "「机关1」不属于你的分工会，不能由你报名"},
				{"an unknown person", "ou_chair", add, map[string]any{"people": []any{"ou_u1", "ou_nobody"}}, "选中的人里有人还没有使用过工会机器人"},
				{"nobody picked", "ou_chair", add, map[string]any{"people": []any{}}, "请选择要报名的人员"},
				{"a member signs up alone", "ou_u1", join(a, 0), nil, "本活动由分工会主席统一报名"},
				{"confirm with nothing entered", "ou_chair", map[string]any{"action": "signup.unit.confirm", "activity_id": a.ID, "personal": true}, nil, "没有待确认的名单"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) { h.refused(t, tc.who, tc.value, tc.form, tc.want) })
			}
			h.refusedSay(t, "ou_u1", "分工会报名 劳动技能大比武", "你没有权限进行此操作")
		})

		// The chair enters three people: they wait for the confirmation, nobody is told yet.
		got := h.Answer("ou_chair", add, map[string]any{"people": []any{"ou_u1", "ou_u2", "ou_u3"}})
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已加入 3 人，确认名单后生效") {
			t.Fatalf("add: %+v", got.Toast)
		}
		if c := string(got.Card); !strings.Contains(c, "机关2：待分工会确认") || !strings.Contains(c, "确认名单（3 人）") {
			t.Errorf("unit card after add: %s", c)
		}
		for _, who := range []string{"ou_u1", "ou_u2", "ou_u3"} {
			if _, st, _ := h.entryOf(a, who); st != store.EntryPendingUnit {
				t.Errorf("%s: %q", who, st)
			}
			if n := h.outboxCount(who); n != 0 {
				t.Errorf("%s told %d times before the confirmation", who, n)
			}
		}
		t.Run("refusals with entries", func(t *testing.T) {
			// Entered twice.
			h.refused(t, "ou_chair", add, map[string]any{"people": []any{"ou_u4", "ou_u2"}}, "机关2已经报名了（待分工会确认）")
			// The other chair's confirmation confirms only their own (empty) list.
			h.refused(t, "ou_chair2", map[string]any{"action": "signup.unit.confirm", "activity_id": a.ID, "personal": true}, nil, "你的分工会在该活动中没有待确认的名单")
			// A member cannot confirm.
			h.refused(t, "ou_u1", map[string]any{"action": "signup.unit.confirm", "activity_id": a.ID, "personal": true}, nil, "你没有权限进行此操作")
		})

		// The chair confirms: two seats, then the waitlist, in the order entered; each is told.
		confirm := cardValue(t, string(got.Card), "signup.unit.confirm")
		got = h.Answer("ou_chair", confirm, nil)
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "名单已确认：2 人获得名额，1 人候补") {
			t.Fatalf("confirm: %+v", got.Toast)
		}
		if c := string(got.Card); !strings.Contains(c, "机关1：已确认") || !strings.Contains(c, "机关3：候补") || strings.Contains(c, "signup.unit.confirm") {
			t.Errorf("unit card after confirm: %.800s", c)
		}
		want := map[string]string{"ou_u1": "confirmed 0", "ou_u2": "confirmed 0", "ou_u3": "waitlisted 1"}
		for who, w := range want {
			if _, st, pos := h.entryOf(a, who); fmt.Sprint(st, " ", pos) != w {
				t.Errorf("%s: %s %d, want %s", who, st, pos, w)
			}
		}
		if s := h.SentTo("你报名的「劳动技能大比武」已经分工会确认，报名成功"); fmt.Sprint(s) != "[ou_u1 ou_u2]" {
			t.Errorf("confirmed told: %v", s)
		}
		if s := h.SentTo("你报名的「劳动技能大比武」已经分工会确认，名额已满，你在候补第 1 位"); fmt.Sprint(s) != "[ou_u3]" {
			t.Errorf("waitlisted told: %v", s)
		}
		// A second confirmation finds nothing left and changes nothing.
		h.refused(t, "ou_chair", confirm, nil, "没有待确认的名单")

		// The entries reach the roster, with the 分工会.
		rows, err := db.Roster(h.ctx, a.ID)
		h.must(err)
		var lines []string
		for _, r := range rows {
			lines = append(lines, r.Name+"/"+r.BranchName+"/"+r.Status)
		}
		if got := strings.Join(lines, " "); got != "机关1/机关分工会/confirmed 机关2/机关分工会/confirmed 机关3/机关分工会/waitlisted" {
			t.Errorf("roster: %s", got)
		}
		if txt := h.Say(mhOfficer, "名单 劳动技能大比武"); !strings.Contains(txt, "1. 机关1（机关分工会） 已确认") || !strings.Contains(txt, "机关3（机关分工会） 候补（1）") {
			t.Errorf("officer roster: %s", txt)
		}
	})
}

// TestBranchConfirmation drives an activity whose entries a 分工会主席 must confirm.
func TestBranchConfirmation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.grant(mhOfficer, store.RoleOfficer)
		h.member("ou_chair", "机关主席", "机关分工会", "M", "")
		h.grant("ou_chair", store.RoleBranchChair)
		h.member("ou_chair2", "体育主席", "体育学院分工会", "F", "")
		h.grant("ou_chair2", store.RoleBranchChair)
		h.member("ou_p1", "机关甲", "机关分工会", "F", "")
		h.member("ou_p2", "机关乙", "机关分工会", "M", "")
		h.member("ou_q1", "体育甲", "体育学院分工会", "M", "")
		a := h.activity(func(a *store.Activity) { a.Title, a.BranchConfirm, a.Capacity = "健康跑", true, 1 })

		for _, who := range []string{"ou_p1", "ou_p2", "ou_q1"} {
			got := h.Answer(who, join(a, 0), nil)
			if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已报名，待所在分工会确认") {
				t.Fatalf("%s joins: %+v", who, got.Toast)
			}
			if _, st, _ := h.entryOf(a, who); st != store.EntryPendingUnit {
				t.Errorf("%s: %q", who, st)
			}
		}
		// Pending entries take no seat.
		var confirmed int
		h.must(db.Get(h.ctx, &confirmed, `SELECT confirmed_count FROM activities WHERE id = ?`, a.ID))
		if confirmed != 0 {
			t.Errorf("pending entries took %d seats", confirmed)
		}

		// Each chair sees their own 分工会's entries only; an officer sees all.
		list := h.Say("ou_chair", "待确认")
		if !strings.Contains(list, "机关甲") || !strings.Contains(list, "机关乙") || strings.Contains(list, "体育甲") {
			t.Errorf("chair's pending list: %.800s", list)
		}
		if list := h.Say(mhOfficer, "待确认"); !strings.Contains(list, "机关甲") || !strings.Contains(list, "体育甲") {
			t.Errorf("officer's pending list: %.800s", list)
		}
		h.refusedSay(t, "ou_p1", "待确认", "你没有权限进行此操作")
		e1, _, _ := h.entryOf(a, "ou_p1")
		e2, _, _ := h.entryOf(a, "ou_p2")
		eq, _, _ := h.entryOf(a, "ou_q1")
		approve1 := cardValue(t, list, "signup.decide") // the first is 机关甲's 通过
		if approve1["entry_id"] != float64(e1) || approve1["approve"] != true {
			t.Fatalf("first button %v, want entry %d", approve1, e1)
		}
		decide := func(e int64, ok int) map[string]any {
			return map[string]any{"action": "signup.decide", "entry_id": e, "approve": ok == 1}
		}

		t.Run("refusals", func(t *testing.T) {
			h.refused(t, "ou_chair2", approve1, nil, "你只能确认本分工会成员的报名")
			h.refused(t, "ou_chair2", decide(e2, 0), nil, "你只能确认本分工会成员的报名")
			h.refused(t, "ou_p2", decide(e2, 1), nil, "你没有权限进行此操作")
			h.refused(t, "ou_chair", decide(99999, 1), nil, "找不到")
		})

		// The chair approves 机关甲 (the one seat) and 机关乙 (the waitlist); each is told 1:1.
		got := h.Answer("ou_chair", approve1, nil)
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已处理：已确认，报名人已收到通知") {
			t.Fatalf("approve: %+v", got.Toast)
		}
		if got := h.Answer("ou_chair", decide(e2, 1), nil); !strings.Contains(got.Toast.Content, "已处理：候补") {
			t.Errorf("approve into the waitlist: %+v", got.Toast)
		}
		// The other chair rejects their member.
		if got := h.Answer("ou_chair2", decide(eq, 0), nil); !strings.Contains(got.Toast.Content, "已处理：未通过") {
			t.Errorf("reject: %+v", got.Toast)
		}
		want := map[string]string{"ou_p1": "confirmed 0", "ou_p2": "waitlisted 1", "ou_q1": ""}
		for who, w := range want {
			if _, st, pos := h.entryOf(a, who); st != "" && fmt.Sprint(st, " ", pos) != w || st == "" && w != "" {
				t.Errorf("%s: %s %d, want %q", who, st, pos, w)
			}
		}
		var rejected string
		h.must(db.Get(h.ctx, &rejected, `SELECT status FROM signup_entries WHERE id = ?`, eq))
		if rejected != store.EntryRejected {
			t.Errorf("rejected entry: %s", rejected)
		}
		told := map[string]string{
			"ou_p1": "你报名的「健康跑」已经分工会确认，报名成功",
			"ou_p2": "你报名的「健康跑」已经分工会确认，名额已满，你在候补第 1 位",
			"ou_q1": "你报名的「健康跑」未获分工会确认",
		}
		for who, text := range told {
			if s := h.SentTo(text); fmt.Sprint(s) != "["+who+"]" {
				t.Errorf("%q went to %v, want %s", text, s, who)
			}
			if n := h.outboxCount(who); n != 1 {
				t.Errorf("%s got %d messages", who, n)
			}
		}
		if n := h.outboxCount("ou_chair") + h.outboxCount("ou_chair2"); n != 0 {
			t.Errorf("the chairs got %d messages", n)
		}
		// Deciding twice is refused with the state.
		h.refused(t, "ou_chair", approve1, nil, "这条报名已处理（已确认）")
		if txt := h.Say("ou_chair", "待确认"); !strings.Contains(txt, "没有待确认的报名") {
			t.Errorf("pending after deciding: %s", txt)
		}
	})
}

// TestBranchConfirmationLottery: in a lottery activity that needs a 分工会主席's confirmation,
// an entry waits for the chair before it takes part in the draw.
func TestBranchConfirmationLottery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.grant(mhOfficer, store.RoleOfficer)
		h.member("ou_chair", "机关主席", "机关分工会", "M", "")
		h.grant("ou_chair", store.RoleBranchChair)
		h.member("ou_p1", "机关甲", "机关分工会", "F", "")
		h.member("ou_p2", "机关乙", "机关分工会", "M", "")
		h.member("ou_p3", "机关丙", "机关分工会", "F", "")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.BranchConfirm, a.Allocation, a.Capacity = "女教职工关爱活动", true, store.AllocLottery, 1
		})
		for _, who := range []string{"ou_p1", "ou_p2", "ou_p3"} {
			got := h.Answer(who, join(a, 0), nil)
			if !strings.Contains(got.Toast.Content, "待所在分工会确认") {
				t.Errorf("%s joins: %+v", who, got.Toast)
			}
			if _, st, _ := h.entryOf(a, who); st != store.EntryPendingUnit {
				t.Fatalf("%s: %s, want pending_unit_approval", who, st)
			}
		}
		e1, _, _ := h.entryOf(a, "ou_p1")
		e2, _, _ := h.entryOf(a, "ou_p2")
		// Approved: the entry enters the draw; rejected: it does not.
		if got := h.Answer("ou_chair", map[string]any{"action": "signup.decide", "entry_id": e1, "approve": true}, nil); !strings.Contains(got.Toast.Content, "已处理：待抽签") {
			t.Errorf("approve: %+v", got.Toast)
		}
		if got := h.Answer("ou_chair", map[string]any{"action": "signup.decide", "entry_id": e2, "approve": false}, nil); !strings.Contains(got.Toast.Content, "已处理：未通过") {
			t.Errorf("reject: %+v", got.Toast)
		}
		if s := h.SentTo("你报名的「女教职工关爱活动」已经分工会确认，将在报名截止后抽签"); fmt.Sprint(s) != "[ou_p1]" {
			t.Errorf("approval told %v", s)
		}
		h.setNow(a.SignupClosesAt.Add(time.Minute))
		if txt := h.Say(mhOfficer, "抽签 女教职工关爱活动"); !strings.Contains(txt, "1 人报名，1 人中签，0 人候补") {
			t.Errorf("draw: %q", txt)
		}
		if _, st, _ := h.entryOf(a, "ou_p1"); st != store.EntryConfirmed {
			t.Errorf("approved entry after the draw: %s", st)
		}
		// An entry the chair approves only after the draw takes the next place: here the waitlist.
		e3, st, _ := h.entryOf(a, "ou_p3")
		if st != store.EntryPendingUnit {
			t.Fatalf("entry left pending at the draw: %s", st)
		}
		if got := h.Answer("ou_chair", map[string]any{"action": "signup.decide", "entry_id": e3, "approve": true}, nil); !strings.Contains(got.Toast.Content, "已处理：候补") {
			t.Errorf("approve after the draw: %+v", got.Toast)
		}
		if _, st, pos := h.entryOf(a, "ou_p3"); st != store.EntryWaitlisted || pos != 1 {
			t.Errorf("approved after the draw: %s %d", st, pos)
		}
		if s := h.SentTo("你报名的「女教职工关爱活动」已经分工会确认，名额已满，你在候补第 1 位"); fmt.Sprint(s) != "[ou_p3]" {
			t.Errorf("late approval told %v", s)
		}
	})
}
