package aid_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// aidSection is the 帮扶申请 section of the newest 我的数据 JSON file sent to openID.
func (r *rig) aidSection(openID string) []map[string]string {
	r.t.Helper()
	files, err := r.DB.OpenedOutbox(context.Background(), `kind = 'file' AND receive_id = ? AND receive_id_type = 'open_id'`, openID)
	if err != nil || len(files) == 0 {
		r.t.Fatal(files, err)
	}
	data := files[len(files)-1].FileData
	var doc struct {
		Sections []struct {
			Name string
			Rows []map[string]string
		}
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		r.t.Fatal(err)
	}
	for _, s := range doc.Sections {
		if s.Name == "帮扶申请" {
			return s.Rows
		}
	}
	r.t.Fatalf("no 帮扶申请 section in %s", data)
	return nil
}

// TestAidMyData: 我的数据 shows the member their own aid requests as their own cards show them
// (PIPL Art. 45: the form's text, amounts, the reason of a return or rejection, the materials'
// names, the course with its dates, the number of objections to a 公示 but not who objected),
// downloads them 1:1 (read-audited), offers 更正帮扶申请 for drafts and returned requests only (the
// form then saves the correction; a decided request cannot be corrected), withdrawing the aid
// consent stops the pending requests, and 申请删除 deletes drafts at once, withdraws requests
// under review and erases their materials and texts at once (their bare record kept for the
// archive period), and keeps decided ones, saying until when.
func TestAidMyData(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.member("ou_a", "王芳", "外语分工会")
		r.member("ou_b", "李雷", "外语分工会")
		r.member("ou_c", "刘主席", "机关分工会", store.RoleChair)
		r.member("ou_o", "陈干事", "机关分工会", store.RoleOfficer)
		r.member("ou_m", "钱老师", "体育分工会")

		// ou_a: a draft, a request returned for more, a 公示 revoked after an objection.
		draft := r.apply("ou_a", "medical", map[string]any{"text": "腰椎间盘突出，需手术", "requested": "1500"})
		ret := r.apply("ou_a", "visit_hospital", map[string]any{"text": "住院两周", "requested": "800"})
		r.step("ou_a", "aid.submit", ret, nil)
		r.step("ou_o", "aid.return", ret, map[string]any{"note": "请补充出院小结"})
		pub := r.apply("ou_a", "hardship", map[string]any{"text": "配偶失业，子女就学", "requested": "3000", "publicity": "yes"})
		r.step("ou_a", "aid.submit", pub, nil)
		r.step("ou_o", "aid.pass", pub, nil)
		r.step("ou_c", "aid.approve", pub, map[string]any{"amount": "3000"})
		r.click("ou_m", map[string]any{"action": "aid.object", "case_id": pub}, nil)
		r.step("ou_o", "aid.revoke", pub, map[string]any{"note": "经核实另有收入"})

		// 我的数据: the section with the member's own texts and the correction buttons of the
		// draft and the returned request only; the view is read-audited.
		reads := r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'member_data'`)
		cd := r.Say("ou_a", "我的数据")
		for _, want := range []string{"**帮扶申请**（3 条）", "腰椎间盘突出", "请补充出院小结", "经核实另有收入", "医疗补助",
			fmt.Sprintf("更正帮扶申请 %d", draft), fmt.Sprintf("更正帮扶申请 %d", ret)} {
			must(t, strings.Contains(cd, want), "我的数据 lacks %q: %s", want, cd)
		}
		must(t, !strings.Contains(cd, fmt.Sprintf("更正帮扶申请 %d", pub)) && !strings.Contains(cd, "钱老师"), "我的数据: %s", cd)
		must(t, r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'member_data'`) == reads+1, "the view is not read-audited")

		// The download: every request, with what the member's cards show; the objector is not named.
		toast, _ := r.click("ou_a", map[string]any{"action": "privacy.export", "format": "json"}, nil)
		must(t, strings.Contains(toast, "文件已私信发给你"), "export: %q", toast)
		rows := r.aidSection("ou_a")
		must(t, len(rows) == 3, "rows %v", rows)
		d, rt, p := rows[0], rows[1], rows[2]
		must(t, d["编号"] == fmt.Sprint(draft) && d["类别"] == "医疗补助" && d["状态"] == "草稿" && d["情况说明"] == "腰椎间盘突出，需手术" &&
			d["申请金额（元）"] == "1500.00" && strings.Contains(d["材料"], "字节") && strings.Contains(d["办理经过"], "2027-03-10 创建"), "draft row %v", d)
		must(t, rt["状态"] == "退回补充材料" && rt["退回或未通过原因"] == "请补充出院小结" &&
			strings.Contains(rt["办理经过"], "提交") && strings.Contains(rt["办理经过"], "退回补充材料"), "returned row %v", rt)
		must(t, p["状态"] == "未通过" && p["批准金额（元）"] == "" && strings.HasSuffix(p["办理经过"], "审批并公示；2027-03-10 不予通过") && p["同意公示"] == "是" && p["公示异议"] == "1" &&
			p["退回或未通过原因"] == "经核实另有收入" && p["办结时间"] != "", "publicity row %v", p)
		raw := r.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'file' AND file_data LIKE '%钱老师%'`)
		must(t, raw == 0, "the objector is named in the download")
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'file' AND receive_id_type <> 'open_id'`) == 0, "a download went to a chat")
		must(t, r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'member_data' AND what = 'export'`) == 1, "the download is not read-audited")

		// Correction: the draft's form saves the new text; a decided request refuses, nothing written.
		_, form := r.click("ou_a", map[string]any{"action": "aid.form", "case_id": draft}, nil)
		must(t, strings.Contains(form, "腰椎间盘突出"), "the draft's form: %s", form)
		toast, _ = r.click("ou_a", map[string]any{"action": "aid.save", "kind": "medical", "case_id": draft, "version": r.aidCase(draft).Version},
			map[string]any{"text": "腰椎间盘突出，已手术", "requested": "1200"})
		must(t, strings.Contains(toast, "已保存") && r.aidCase(draft).RequestedFen == 120000, "correction: %q", toast)
		before := r.writes()
		toast, _ = r.click("ou_a", map[string]any{"action": "aid.form", "case_id": pub}, nil)
		must(t, strings.Contains(toast, "不能修改") && r.writes() == before, "correcting a decided request: %q", toast)
		toast, _ = r.click("ou_b", map[string]any{"action": "aid.form", "case_id": draft}, nil)
		must(t, strings.Contains(toast, "不能修改") && r.writes() == before, "correcting another's request: %q", toast)
		r.click("ou_a", map[string]any{"action": "privacy.export", "format": "json"}, nil)
		must(t, r.aidSection("ou_a")[0]["情况说明"] == "腰椎间盘突出，已手术", "the correction is not in 我的数据")

		// Withdrawing the aid consent stops the pending requests (the draft and the returned one).
		toast, _ = r.click("ou_a", map[string]any{"action": "privacy.withdraw", "purpose": "aid"}, nil)
		must(t, strings.Contains(toast, "2 件办理中的申请已终止"), "withdraw: %q", toast)
		must(t, r.aidCase(draft).State == store.AidWithdrawn && r.aidCase(ret).State == store.AidWithdrawn && r.aidCase(pub).State == store.AidRejected,
			"after the withdrawal: %s %s %s", r.aidCase(draft).State, r.aidCase(ret).State, r.aidCase(pub).State)
		toast, _ = r.click("ou_a", map[string]any{"action": "aid.submit", "case_id": ret, "version": r.aidCase(ret).Version}, nil)
		must(t, r.aidCase(ret).State == store.AidWithdrawn, "resubmitted after the withdrawal: %q", toast)

		// 申请删除 (ou_b): a draft, a request under review, one paid at T, one approved and unpaid.
		bDraft := r.apply("ou_b", "visit_birth", map[string]any{"text": "孩子出生", "requested": "600"})
		bReview := r.apply("ou_b", "medical", map[string]any{"text": "心脏支架", "requested": "2000"})
		r.step("ou_b", "aid.submit", bReview, nil)
		bPaid := r.apply("ou_b", "visit_hospital", map[string]any{"text": "肺炎住院", "requested": "1000"})
		r.step("ou_b", "aid.submit", bPaid, nil)
		r.step("ou_o", "aid.pass", bPaid, nil)
		r.step("ou_c", "aid.approve", bPaid, map[string]any{"amount": "1000"})
		T := time.Date(2027, 3, 15, 10, 0, 0, 0, shanghai)
		r.Clock.Set(T)
		r.step("ou_o", "aid.pay", bPaid, map[string]any{"paid_on": "2027-03-15 +0800", "voucher": "记-0315"})
		bOpen := r.apply("ou_b", "education", map[string]any{"text": "子女大学学费", "requested": "2000", "publicity": "no"})
		r.step("ou_b", "aid.submit", bOpen, nil)
		r.step("ou_o", "aid.pass", bOpen, nil)
		r.step("ou_c", "aid.approve", bOpen, map[string]any{"amount": "2000"})
		must(t, r.aidCase(bOpen).State == store.AidApproved, "bOpen %s", r.aidCase(bOpen).State)

		toast, cd = r.click("ou_b", map[string]any{"action": "privacy.erase"}, nil)
		until := T.AddDate(0, 0, 3650).Format(time.DateOnly)
		must(t, strings.Contains(toast, "已处理") && strings.Contains(cd, "**帮扶申请**：已删除 2 项；保留 3 项，最迟于 "+until+" 删除") &&
			strings.Contains(cd, "办结 365 天后删除") && strings.Contains(cd, "1 件已批准、尚未发放"), "erase: %q %s", toast, cd)
		must(t, r.count(`SELECT COUNT(*) FROM aid_cases WHERE id = ?`, bDraft) == 0 &&
			r.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, bDraft) == 0 &&
			r.count(`SELECT COUNT(*) FROM aid_family_claims WHERE case_id = ?`, bDraft) == 0, "the draft is kept")
		rv := r.aidCase(bReview)
		must(t, rv.State == store.AidWithdrawn && rv.Details == "" && rv.MaterialsPurgedAt != nil &&
			r.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, bReview) == 0, "the request under review: %+v", rv)
		for _, id := range []int64{bPaid, bOpen} {
			a := r.aidCase(id)
			must(t, a.Details != "" && a.MaterialsPurgedAt == nil && r.count(`SELECT COUNT(*) FROM aid_materials WHERE case_id = ?`, id) == 1,
				"decided request %d erased: %+v", id, a)
		}
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE entity = 'aid_case' AND action = 'erase'`) == 2, "the erasures are not in the audit trail")
		must(t, r.count(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%心脏%' OR detail LIKE '%孩子%'`) == 0, "the audit trail holds case text")
	})
}
