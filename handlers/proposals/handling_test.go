package proposals_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// handlingRig is the rig with a delegate proposer, a committee member, a delegate who is
// neither, and two departments: 教务处 (contact ou_k1) and 后勤处 (contact ou_k2).
func handlingRig(t *testing.T, db *store.DB) (*rig, *store.Member) {
	ctx := context.Background()
	r := newRig(t, db)
	prop := r.member("ou_prop", "张老师", store.RoleDelegate)
	r.member("ou_d1", "李一", store.RoleDelegate)
	r.member("ou_comm", "陈委员", store.RoleCommittee)
	k1 := r.member("ou_k1", "教务联系人")
	k2 := r.member("ou_k2", "后勤联系人")
	err := db.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.SaveDepartment(ctx, &store.Department{Name: "教务处", Contacts: []*store.Member{k1}}, "test"); err != nil {
			return err
		}
		_, err := tx.SaveDepartment(ctx, &store.Department{Name: "后勤处", Contacts: []*store.Member{k2}}, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r, prop
}

// assigned files, registers and assigns a proposal (host 教务处, helper 后勤处) at the
// clock's time, through the committee's clicks, and returns its id.
func (r *rig) assigned(prop *store.Member, title string, form map[string]any) int64 {
	r.t.Helper()
	id := r.submitted(prop, title, r.session)
	r.click("ou_comm", v("proposals.register", id, r.proposal(id).Version), nil)
	if form == nil {
		form = map[string]any{"host": "教务处", "helpers": "后勤处"}
	}
	if toast, _ := r.click("ou_comm", v("proposals.assign", id, r.proposal(id).Version), form); toast != "已交办，已通知提案人。" {
		r.t.Fatalf("assign %s: %s", title, toast)
	}
	return id
}

func (r *rig) at(date string, hour int) {
	d, _ := time.ParseInLocation(time.DateOnly, date, shanghai)
	r.Clock.Set(d.Add(time.Duration(hour) * time.Hour))
}

func (r *rig) handling(id int64) *store.Proposal {
	r.t.Helper()
	p := r.proposal(id)
	if err := r.DB.InTx(context.Background(), func(tx *store.Tx) error { return tx.ProposalHandling(context.Background(), p) }); err != nil {
		r.t.Fatal(err)
	}
	return p
}

// TestDepartmentReturn: a department (主办 or 协办) 签收 its assignment once, and may 退回 a
// mis-assigned proposal with a reason within proposals.return_workdays of 交办: it goes back
// to the committee, who are told and assign it again; the 退回 is recorded per department.
// Every refusal is in Chinese and writes nothing.
func TestDepartmentReturn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r, prop := handlingRig(t, db)
		r.at("2027-03-10", 10) // a Wednesday
		p1 := r.assigned(prop, "一号提案", nil)
		p2 := r.assigned(prop, "二号提案", nil)
		for _, k := range []string{"ou_k1", "ou_k2"} {
			if last := r.last(k); !strings.Contains(last, "签收（") || !strings.Contains(last, "2027-03-19 前退回") {
				t.Errorf("%s's assignment card: %s", k, last)
			}
		}
		ver := func(id int64) int { return r.proposal(id).Version }
		ack := func(id, dept int64) map[string]any {
			return with(v("proposals.acknowledge", id, ver(id)), "department_id", dept)
		}
		jw, hq := r.handling(p1).Departments[0].DepartmentID, r.handling(p1).Departments[1].DepartmentID

		// 签收: by the department's own contact, once.
		r.refused("ou_d1", ack(p1, jw), nil, "你没有权限进行此操作（需要：承办联系人")
		r.refused("ou_k2", ack(p1, jw), nil, "只有交办单位的联系人可以签收该提案。")
		if toast, cd := r.click("ou_k1", ack(p1, jw), nil); !strings.HasPrefix(toast, "已签收（教务处主办）。请于 ") || !strings.Contains(cd, "教务处 · 03-10 10:00 签收（教务联系人）") ||
			!strings.Contains(cd, "后勤处 · 未签收") {
			t.Errorf("签收: %s %s", toast, cd)
		}
		r.refused("ou_k1", ack(p1, jw), nil, "教务处已于 03-10 10:00 签收该提案（教务联系人），无需重复签收。")

		// 退回: by a contact of the proposal's departments, with a reason, within the window.
		ret := func(id, dept int64) map[string]any {
			return with(v("proposals.dept_return", id, ver(id)), "department_id", dept)
		}
		reason := map[string]any{"return_reason": "本提案涉及后勤保障，不属我处职责"}
		r.refused("ou_d1", ret(p1, hq), reason, "你没有权限进行此操作（需要：承办联系人")
		r.refused("ou_k1", ret(p1, hq), reason, "只有该提案承办单位的联系人可以退回。")
		r.refused("ou_k2", ret(p1, hq), map[string]any{"return_reason": " "}, "请填写退回理由。")
		r.refused("ou_k2", ret(p1, hq), map[string]any{"return_reason": strings.Repeat("长", 1001)}, "退回理由太长")
		r.refused("ou_k2", with(ret(p1, hq), "version", ver(p1)-1), reason, "卡片已过期")
		r.at("2027-03-19", 16) // the 7th workday after 交办: still allowed
		toast, cd := r.click("ou_k2", ret(p1, hq), reason)
		if toast != "已退回提案工作委员会重新交办，已通知提案工作委员会。" || !strings.Contains(cd, "承办单位退回，待重新交办") ||
			!strings.Contains(cd, "**退回**：03-19 16:00 后勤处（协办）退回，理由：本提案涉及后勤保障，不属我处职责") ||
			!strings.Contains(cd, "承办单位退回") {
			t.Errorf("退回: %s %s", toast, cd)
		}
		if last := r.last("ou_comm"); !strings.Contains(last, "**后勤处**（协办）退回了此提案，理由：本提案涉及后勤保障，不属我处职责。请重新交办。") ||
			!strings.Contains(last, "proposals.assign") {
			t.Errorf("committee told: %s", last)
		}
		r.refused("ou_k1", ret(p1, jw), reason, "卡片已过期")
		r.refused("ou_k1", ack(p1, jw), nil, "卡片已过期")
		r.at("2027-03-22", 9) // the 8th workday after 交办 (a Monday): too late
		r.refused("ou_k1", ret(p2, jw), reason, "交办已超过 7 个工作日（可退回至 2027-03-19），不能再退回。")
		if q := r.Say("ou_comm", "提案审查"); !strings.Contains(q, "一号提案") || !strings.Contains(q, "承办单位退回，待重新交办") || strings.Contains(q, "二号提案") {
			t.Errorf("queue: %s", q)
		}

		// The committee assigns it again, with its own deadline; the 签收 starts afresh.
		r.refused("ou_comm", v("proposals.assign", p1, ver(p1)), map[string]any{"host": "后勤处", "due": "2027-03-01"}, "答复期限 2027-03-01 早于今天（2027-03-22）。")
		if toast, _ := r.click("ou_comm", v("proposals.assign", p1, ver(p1)), map[string]any{"host": "后勤处", "due": "2027-05-31 +0800"}); toast != "已交办，已通知提案人。" {
			t.Errorf("reassign: %s", toast)
		}
		p := r.handling(p1)
		if p.State != store.ProposalAssigned || p.ReplyDue != "2027-05-31" || len(p.Departments) != 1 || p.Departments[0].Name != "后勤处" ||
			p.Departments[0].AcknowledgedAt != nil || len(p.Returns) != 1 || p.Returns[0].Department != "后勤处" || p.Returns[0].Role != store.DeptHelper {
			t.Errorf("after reassignment: %+v %+v %+v", p, p.Departments, p.Returns)
		}
		if !strings.Contains(r.last("ou_k2"), "2027-05-31") || !strings.Contains(r.last("ou_prop"), "已交后勤处主办，答复期限 2027-05-31") {
			t.Errorf("reassignment told: %s / %s", r.last("ou_k2"), r.last("ou_prop"))
		}
		var returns int
		db.Get(context.Background(), &returns, `SELECT COUNT(*) FROM proposal_returns WHERE department_id = ?`, hq)
		if returns != 1 {
			t.Errorf("退回 of 后勤处: %d", returns)
		}
		// A returned proposal in its second round cannot be returned.
		_, cd = r.click("ou_k2", map[string]any{"action": "proposals.show", "proposal_id": p1}, nil)
		for _, want := range []string{"流转记录", "承办单位退回", "承办单位签收", "答复期限**：2027-05-31", "主办**：后勤处 · 未签收"} {
			if !strings.Contains(cd, want) {
				t.Errorf("card lacks %q: %s", want, cd)
			}
		}
	})
}

// TestDeadlines: the reply deadline from 交办, changed by the committee; the 主办's extension
// request (new date and reason) granted or refused by the committee and recorded; every bad
// input refused in Chinese with nothing written.
func TestDeadlines(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r, prop := handlingRig(t, db)
		r.at("2027-03-10", 10)
		id := r.assigned(prop, "一号提案", nil)
		ver := func() int { return r.proposal(id).Version }
		due := r.proposal(id).ReplyDue
		if due != "2027-04-21" { // 30 workdays after Wednesday 2027-03-10 (no 2027 holidays known)
			t.Errorf("reply due %s", due)
		}
		ext := func(date, reason string) (map[string]any, map[string]any) {
			return v("proposals.extend", id, ver()), map[string]any{"extend_due": date, "extend_reason": reason}
		}
		val, form := ext("2027-05-10", "需要校务会研究")
		r.refused("ou_d1", val, form, "你没有权限进行此操作（需要：承办联系人")
		r.refused("ou_k2", val, form, "只有主办单位的联系人可以申请延期。")
		r.refused("ou_k1", with(val, "version", ver()-1), form, "卡片已过期")
		val, form = ext("2027-04-21", "需要校务会研究")
		r.refused("ou_k1", val, form, "新的答复期限须晚于现在的期限 2027-04-21。")
		val, form = ext("2027-05-10", "")
		r.refused("ou_k1", val, form, "请填写延期理由。")
		val, form = ext("2027-05-10", "需要校务会研究")
		r.at("2027-04-01", 10)
		if toast, cd := r.click("ou_k1", val, form); toast != "延期申请已提交，等待提案工作委员会决定。" ||
			!strings.Contains(cd, "**延期申请**：教务处 申请由 2027-04-21 延至 2027-05-10（需要校务会研究）· 待决定") {
			t.Errorf("extension request: %s %s", toast, cd)
		}
		if last := r.last("ou_comm"); !strings.Contains(last, "**教务处**申请将答复期限由 2027-04-21 延至 **2027-05-10**") || !strings.Contains(last, "proposals.extend_grant") {
			t.Errorf("committee asked: %s", last)
		}
		if q := r.Say("ou_comm", "提案审查"); !strings.Contains(q, "一号提案") || !strings.Contains(q, "延期申请待决定") {
			t.Errorf("queue: %s", q)
		}
		val, form = ext("2027-05-20", "再延")
		r.refused("ou_k1", val, form, "已有延期申请（延至 2027-05-10）等待提案工作委员会决定。")

		// The committee's decision.
		e := r.handling(id).PendingExtension()
		decide := func(act string, note string) (map[string]any, map[string]any) {
			return with(v(act, id, ver()), "extension_id", e.ID), map[string]any{"extension_note": note}
		}
		dv, df := decide("proposals.extend_grant", "")
		r.refused("ou_k1", dv, df, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_comm", with(dv, "version", ver()-1), df, "卡片已过期")
		rv, rf := decide("proposals.extend_refuse", " ")
		r.refused("ou_comm", rv, rf, "不同意延期须写明理由")
		if toast, cd := r.click("ou_comm", dv, df); toast != "已同意延期，答复期限改为 2027-05-10，已通知主办单位。" ||
			!strings.Contains(cd, "答复期限**：2027-05-10（已延期 1 次）") || !strings.Contains(cd, "· 已同意") {
			t.Errorf("grant: %s %s", toast, cd)
		}
		if !strings.Contains(r.last("ou_k1"), "延期申请已同意，答复期限改为 2027-05-10") {
			t.Errorf("host told: %s", r.last("ou_k1"))
		}
		r.refused("ou_comm", dv, df, "卡片已过期")

		// A second request, refused with a reason.
		val, form = ext("2027-06-30", "仍需调研")
		r.click("ou_k1", val, form)
		e = r.handling(id).PendingExtension()
		rv, rf = decide("proposals.extend_refuse", "已延期一次，请按期答复")
		if toast, _ := r.click("ou_comm", rv, rf); toast != "已不同意延期，已通知主办单位。" {
			t.Errorf("refuse: %s", toast)
		}
		if p := r.proposal(id); p.ReplyDue != "2027-05-10" || !strings.Contains(r.last("ou_k1"), "未获同意（已延期一次，请按期答复），答复期限仍为 2027-05-10") {
			t.Errorf("after refusal: %s %s", p.ReplyDue, r.last("ou_k1"))
		}
		var counts struct {
			Approved int `db:"a"`
			Refused  int `db:"r"`
		}
		db.Get(context.Background(), &counts, `SELECT SUM(CASE WHEN status = 'approved' THEN 1 ELSE 0 END) AS a,
			SUM(CASE WHEN status = 'refused' THEN 1 ELSE 0 END) AS r FROM proposal_extensions WHERE proposal_id = ?`, id)
		if counts.Approved != 1 || counts.Refused != 1 {
			t.Errorf("extensions recorded: %+v", counts)
		}

		// The committee's own deadline.
		set := func(date string) (map[string]any, map[string]any) {
			return v("proposals.set_due", id, ver()), map[string]any{"new_due": date}
		}
		sv, sf := set("2027-05-20")
		r.refused("ou_k1", sv, sf, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_d1", sv, sf, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_comm", with(sv, "version", ver()-1), sf, "卡片已过期")
		r.refused("ou_comm", sv, map[string]any{"new_due": "2027-03-31"}, "答复期限 2027-03-31 早于今天（2027-04-01）。")
		r.refused("ou_comm", sv, map[string]any{"new_due": "2027-05-10"}, "答复期限没有变化。")
		if toast, _ := r.click("ou_comm", sv, sf); toast != "答复期限已改为 2027-05-20，已通知主办单位。" ||
			!strings.Contains(r.last("ou_k1"), "答复期限由 2027-05-10 改为 2027-05-20") {
			t.Errorf("set due: %s %s", toast, r.last("ou_k1"))
		}

		// After the deadline passed no extension is asked.
		r.at("2027-05-21", 9)
		val, form = ext("2027-06-30", "来不及")
		r.refused("ou_k1", val, form, "答复期限 2027-05-20 已过，不能再申请延期，请尽快答复。")
		_, cd := r.click("ou_k1", map[string]any{"action": "proposals.show", "proposal_id": id}, nil)
		if strings.Contains(cd, "proposals.extend\"") || !strings.Contains(cd, "修改答复期限") || !strings.Contains(cd, "不同意延期") {
			t.Errorf("card after the deadline: %s", cd)
		}
	})
}
