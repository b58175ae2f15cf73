package aid_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestApplyOnBehalf: an officer opens a regular request for a member (代为申请). Every refusal
// (not an officer, an admin, a kind officers may not open, an unknown 工号, oneself, the
// command in a group, saving before the member consented) is a clear Chinese answer that
// writes nothing; the member's consent card names the officer and the kind and nothing is
// stored until they accept; then the officer fills in the form, sends a material and
// submits, and the chain runs as for the member's own request: 初审 by the chair of the
// member's 分工会, not the officer's.
func TestApplyOnBehalf(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		r.cfg.Aid.Kinds = append(r.cfg.Aid.Kinds, config.AidKind{Code: "selfonly", Name: "本人申请类", Applicants: []string{config.AidBySelf}})
		app := r.member("ou_app", "王芳", "计算机分工会")
		off := r.member("ou_off", "陈干事", "机关分工会", store.RoleOfficer)
		r.member("ou_off2", "刘干事", "机关分工会", store.RoleOfficer)
		r.member("ou_bc", "李主席", "计算机分工会", store.RoleBranchChair)
		r.member("ou_xc", "赵主席", "机关分工会", store.RoleBranchChair)
		r.member("ou_wel", "周委员", "机关分工会", store.RoleWelfare)
		r.member("ou_adm", "管理员", "机关分工会", store.RoleAdmin)
		r.member("ou_out", "孙老师", "计算机分工会")
		behalf := func(no, kind string) map[string]any {
			return map[string]any{"employee_no": no, "kind": kind}
		}
		next := map[string]any{"action": "aid.behalf"}

		// Refusals: each a Chinese answer, nothing written.
		before := r.writes()
		for _, c := range []struct{ who, no, kind, want string }{
			{"ou_out", app.EmployeeNo, "medical", "没有权限"},
			{"ou_adm", app.EmployeeNo, "medical", "只有工会干事可以代会员申请"},
			{"ou_off", app.EmployeeNo, "selfonly", "不接受工会干事代为申请"},
			{"ou_off", "9999999", "medical", "找不到工号为 9999999 的会员"},
			{"ou_off", off.EmployeeNo, "medical", "不能为自己代为申请"},
			{"ou_off", app.EmployeeNo, "critical", "王芳尚未登记参加"},
		} {
			toast, _ := r.click(c.who, next, behalf(c.no, c.kind))
			must(t, strings.Contains(toast, c.want), "%s %s %s: %q", c.who, c.no, c.kind, toast)
		}
		must(t, r.writes() == before && len(r.Sent("ou_app")) == 0, "a refusal wrote %s → %s", before, r.writes())
		must(t, strings.Contains(r.Say("ou_out", "代为申请"), "没有权限"), "代为申请 by a member")

		// The command in a group: answered 1:1, the group sees nothing.
		status, _, err := r.WH.Send(ctx, feishutest.MessageEvent(feishutest.MessageOpts{MessageID: "om_grp_for", ChatID: "oc_group",
			ChatType: "group", SenderOpenID: "ou_off", Text: "@_user_1 代为申请 " + app.EmployeeNo, Token: handlertest.Token,
			Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
		must(t, err == nil && status == 200, "group message: %d %v", status, err)
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE target_message_id = 'om_grp_for' OR receive_id = 'oc_group'`) == 0, "the group got an answer")
		must(t, strings.Contains(r.last("ou_off"), "只在与我的单聊中办理"), "officer told 1:1: %s", r.last("ou_off"))
		must(t, r.writes() == before, "the group command wrote")

		// 1:1: the officer's card lists the kinds officers may open (送温暖 too), not the self-only one.
		cd := r.Say("ou_off", "代为申请 "+app.EmployeeNo)
		must(t, strings.Contains(cd, "代为申请帮扶") && strings.Contains(cd, "送温暖") && !strings.Contains(cd, "本人申请类") &&
			strings.Contains(cd, app.EmployeeNo), "officer's card: %s", cd)

		// The member has not consented: the consent card goes to them, naming the officer and
		// the kind; nothing of the request is stored.
		toast, cd := r.click("ou_off", next, behalf(app.EmployeeNo, "medical"))
		must(t, strings.Contains(toast, "已请会员本人同意") && strings.Contains(cd, "王芳"), "ask consent: %q %s", toast, cd)
		card := r.last("ou_app")
		must(t, strings.Contains(card, "工会干事 陈干事 拟代你申请「医疗补助」") && strings.Contains(card, "同意并继续") &&
			strings.Contains(card, `"enable_forward":false`), "member's consent card: %s", card)
		must(t, r.writes() == before, "asking for consent stored something: %s → %s", before, r.writes())

		// Saving with a forged button before the consent: refused, nothing written.
		toast, _ = r.click("ou_off", map[string]any{"action": "aid.save", "kind": "medical", "case_id": 0, "version": 0, "for": app.ID},
			map[string]any{"text": "住院", "requested": "1000"})
		must(t, strings.Contains(toast, "尚未同意") && r.writes() == before, "save before consent: %q", toast)

		// The member accepts: the consent is theirs; the officer is told neutrally, with 继续.
		v := consentValue("aid")
		v["officer"], v["kind"] = off.ID, "medical"
		toast, cd = r.click("ou_app", v, nil)
		must(t, strings.Contains(toast, "已通知工会干事") && strings.Contains(cd, "陈干事"), "member accepts: %q %s", toast, cd)
		must(t, r.count(`SELECT COUNT(*) FROM consents WHERE purpose = 'aid' AND member_id = ?`, app.ID) == 1, "consent not recorded")
		must(t, r.count(`SELECT COUNT(*) FROM consents WHERE member_id = ?`, off.ID) == 0, "the officer's consent recorded")
		notice := r.last("ou_off")
		must(t, strings.Contains(notice, "会员已同意") && !strings.Contains(notice, "王芳") && !strings.Contains(notice, "医疗"), "officer's notice: %s", notice)
		must(t, r.count(`SELECT COUNT(*) FROM aid_cases`) == 0, "a case before the officer filled it in")

		// 继续 (the notice's button: employee_no and kind in its value): the form for the member.
		toast, cd = r.click("ou_off", map[string]any{"action": "aid.behalf", "employee_no": app.EmployeeNo, "kind": "medical"}, nil)
		must(t, strings.Contains(cd, "代为申请：医疗补助") && strings.Contains(cd, "王芳（计算机分工会）") && strings.Contains(cd, `"for":`),
			"form: %q %s", toast, cd)

		// Saved: a draft of the member's, in their 分工会, opened by the officer; the member is told.
		toast, cd = r.click("ou_off", map[string]any{"action": "aid.save", "kind": "medical", "case_id": 0, "version": 0, "for": app.ID},
			map[string]any{"text": "王老师住院手术，家庭困难，由工会干事代为申请", "requested": "1500"})
		must(t, strings.Contains(toast, "已保存") && strings.Contains(cd, "陈干事 代为申请"), "save: %q %s", toast, cd)
		var id int64
		db.Get(ctx, &id, `SELECT id FROM aid_cases WHERE member_id = ?`, app.ID)
		a := r.aidCase(id)
		must(t, a.State == store.AidDraft && a.OpenedBy == off.ID && a.BranchID == app.BranchID && a.RequestedFen == 150000, "draft %+v", a)
		must(t, strings.Contains(r.last("ou_app"), "你的帮扶申请有新进展"), "member told: %s", r.last("ou_app"))
		_, cd = r.click("ou_app", map[string]any{"action": "aid.show", "case_id": id}, nil)
		must(t, strings.Contains(cd, "工会干事代为申请") || strings.Contains(cd, "陈干事 代为申请"), "member's card: %s", cd)
		must(t, strings.Contains(r.Say("ou_app", "我的申请"), "草稿"), "我的申请 lists it")
		// Another officer does not see the draft; the officer's 帮扶审核 lists it.
		toast, _ = r.click("ou_off2", map[string]any{"action": "aid.show", "case_id": id}, nil)
		must(t, strings.Contains(toast, "不能查看"), "another officer sees the draft: %q", toast)
		must(t, strings.Contains(r.Say("ou_off", "帮扶审核"), "王芳"), "the officer's queue lacks the draft")

		// A material sent by the officer lands on the member's draft; both are told.
		reply := r.send("ou_off", "image", "img_behalf", "", png)
		must(t, strings.Contains(reply, "收到材料"), "officer's material: %s", reply)
		must(t, r.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ? AND status = 'stored'`, id) == 1, "material not stored")
		must(t, strings.Contains(r.last("ou_off"), "已加密保存材料") && strings.Contains(r.last("ou_app"), "已加密保存材料"), "material notices")

		// Submitted by the officer: to the chair of the member's 分工会, not of the officer's.
		a = r.aidCase(id)
		toast, _ = r.click("ou_off", map[string]any{"action": "aid.submit", "case_id": id, "version": a.Version}, nil)
		a = r.aidCase(id)
		must(t, a.State == store.AidBranchReview, "submit: %q %s", toast, a.State)
		must(t, strings.Contains(r.last("ou_bc"), msgPendingText) && len(r.Sent("ou_xc")) == 0, "branch chairs told: %v", r.Sent("ou_xc"))

		// The chain as usual: 初审, 审核 by another officer, approval, payment.
		r.click("ou_bc", map[string]any{"action": "aid.pass", "case_id": id, "version": a.Version}, map[string]any{})
		a = r.aidCase(id)
		must(t, a.State == store.AidUnionReview && strings.Contains(r.last("ou_off"), msgPendingText), "officers not told: %s", r.last("ou_off"))
		r.click("ou_off2", map[string]any{"action": "aid.pass", "case_id": id, "version": a.Version}, map[string]any{})
		a = r.aidCase(id)
		r.click("ou_wel", map[string]any{"action": "aid.approve", "case_id": id, "version": a.Version}, map[string]any{"amount": "1500"})
		a = r.aidCase(id)
		must(t, a.State == store.AidApproved && a.ApprovedFen == 150000, "approved: %+v", a)
		r.click("ou_off2", map[string]any{"action": "aid.pay", "case_id": id, "version": a.Version},
			map[string]any{"paid_on": "2027-03-15 +0800", "voucher": "记-099"})
		a = r.aidCase(id)
		must(t, a.State == store.AidClosed && a.Voucher == "记-099", "paid: %+v", a)
		// The officer who opened it follows it (neutrally), as the member does.
		must(t, strings.Contains(r.last("ou_off"), "你的帮扶申请有新进展") && strings.Contains(r.last("ou_app"), "你的帮扶申请有新进展"),
			"the opener not told: %s", r.last("ou_off"))
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE content LIKE '%住院手术%'`) == 0, "the text left the cards")
	})
}

const msgPendingText = "你有一条帮扶申请待审核"
