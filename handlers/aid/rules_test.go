package aid_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// apply consents (once), saves the kind's form and sends one photo; it returns the draft.
func (r *rig) apply(who, kind string, form map[string]any) int64 {
	r.t.Helper()
	r.click(who, consentValue("aid"), nil)
	toast, _ := r.click(who, map[string]any{"action": "aid.save", "kind": kind, "case_id": 0, "version": 0}, form)
	if !strings.Contains(toast, "已保存") {
		r.t.Fatalf("%s %s: %q", who, kind, toast)
	}
	var id int64
	r.DB.Get(context.Background(), &id, `SELECT MAX(id) FROM aid_cases WHERE kind = ?`, kind)
	if form["publicity"] == "yes" {
		v := consentValue("aid_publicity")
		v["case_id"] = id
		if toast, _ := r.click(who, v, nil); !strings.Contains(toast, "单独同意") {
			r.t.Fatalf("publicity consent: %q", toast)
		}
	}
	r.send(who, "image", fmt.Sprintf("img_%s_%d", who, id), "", png)
	return id
}

// step clicks action on case id as who with the form, and returns the toast.
func (r *rig) step(who, action string, id int64, form map[string]any) string {
	r.t.Helper()
	if form == nil {
		form = map[string]any{}
	}
	toast, _ := r.click(who, map[string]any{"action": action, "case_id": id, "version": r.aidCase(id).Version}, form)
	return toast
}

// TestFamilyFormulaPublicityLedger: one applicant per declared family (and the emergency path
// under the same rule), the 大病互助 formula across two claims in a year, the 公示 (name,
// 分工会 and kind only, an objection reaching the officers privately, taken down on time) and
// the ledger's totals, each exact.
func TestFamilyFormulaPublicityLedger(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		r.member("ou_a", "王芳", "外语分工会")
		r.member("ou_d", "王强", "外语分工会")
		r.member("ou_c", "刘主席", "机关分工会", store.RoleChair)
		r.member("ou_o", "陈干事", "机关分工会", store.RoleOfficer)
		r.member("ou_m", "钱老师", "体育分工会")

		must(t, strings.Contains(r.Say("ou_o", "家庭登记 0a 0d"), "已登记为同一家庭"), "family")
		must(t, strings.Contains(r.Say("ou_o", "家庭登记 0a 0zz"), "找不到这些工号：0zz"), "unknown 工号")
		must(t, strings.Contains(r.Say("ou_o", "大病互助登记 0a"), "新登记 1 人"), "enrol")
		must(t, strings.Contains(r.Say("ou_o", "大病互助登记 0a"), "此前已登记"), "enrol twice")

		// 困难补助 with consent to 公示; straight to 校工会审核 (外语分工会 has no chair).
		id := r.apply("ou_a", "hardship", map[string]any{"text": "家中变故，收入骤减", "requested": "3000", "publicity": "yes"})
		r.step("ou_a", "aid.submit", id, nil)
		must(t, r.aidCase(id).State == store.AidUnionReview, "submit: %s", r.aidCase(id).State)

		// The second member of the family: refused at the form and at saving, nothing written.
		r.click("ou_d", consentValue("aid"), nil)
		before := r.writes()
		toast, _ := r.click("ou_d", map[string]any{"action": "aid.form", "kind": "hardship"}, nil)
		must(t, strings.Contains(toast, "每户每年限一人") && r.writes() == before, "family form: %q", toast)
		toast, _ = r.click("ou_d", map[string]any{"action": "aid.save", "kind": "hardship", "case_id": 0, "version": 0},
			map[string]any{"text": "同一困难"})
		must(t, strings.Contains(toast, "每户每年限一人") && r.writes() == before, "family save: %q", toast)

		r.step("ou_o", "aid.pass", id, nil)
		toast = r.step("ou_c", "aid.approve", id, map[string]any{"amount": "3000"})
		a := r.aidCase(id)
		must(t, a.State == store.AidPublicity && a.PublicityUntil == "2027-03-17", "publicity: %q %+v", toast, a)
		var pub string
		db.Get(ctx, &pub, `SELECT content FROM outbox WHERE receive_id = 'oc_publicity'`)
		must(t, strings.Contains(pub, "王芳") && strings.Contains(pub, "外语分工会") && strings.Contains(pub, "困难补助") &&
			!strings.Contains(pub, "3000") && !strings.Contains(pub, "收入骤减"), "publicity card: %s", pub)

		// An objection reaches the officers 1:1, once.
		toast, _ = r.click("ou_m", map[string]any{"action": "aid.object", "case_id": id}, nil)
		must(t, strings.Contains(toast, "已收到你的实名异议"), "objection: %q", toast)
		must(t, strings.Contains(r.last("ou_o"), "钱老师（体育分工会）") && strings.Contains(r.last("ou_o"), "提出异议"), "officer told: %s", r.last("ou_o"))
		toast, _ = r.click("ou_m", map[string]any{"action": "aid.object", "case_id": id}, nil)
		must(t, strings.Contains(toast, "已提出过异议"), "second objection: %q", toast)
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE receive_id = 'oc_publicity'`) == 1, "the objection showed in the group")

		// Delivered (the live card learns its message id from the outbox row).
		if _, err := db.SQL().ExecContext(ctx, `UPDATE outbox SET status = 'sent', message_id = 'om_pubcard', sent_at = ? WHERE receive_id = 'oc_publicity'`,
			time.Date(2027, 3, 10, 3, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		// Taken down on time: still up on its last day, ended the day after.
		must(t, r.h.Tick(ctx, time.Date(2027, 3, 17, 20, 0, 0, 0, shanghai)) == nil && r.aidCase(id).State == store.AidPublicity, "ended early")
		must(t, r.h.Tick(ctx, time.Date(2027, 3, 18, 8, 0, 0, 0, shanghai)) == nil && r.aidCase(id).State == store.AidApproved, "not ended")
		var patched string
		db.Get(ctx, &patched, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_pubcard'`)
		must(t, strings.Contains(patched, "公示结束") && !strings.Contains(patched, "aid.object"), "taken down: %s", patched)
		toast, _ = r.click("ou_m", map[string]any{"action": "aid.object", "case_id": id}, nil)
		must(t, strings.Contains(toast, "公示已结束"), "objection after the end: %q", toast)

		// 大病互助: 60 % of the year's self-paid costs above 5,000 元.
		c1 := r.apply("ou_a", "critical", map[string]any{"text": "肿瘤治疗", "self_paid": "20000"})
		r.step("ou_a", "aid.submit", c1, nil)
		r.step("ou_o", "aid.pass", c1, nil)
		before = r.writes()
		toast = r.step("ou_c", "aid.approve", c1, map[string]any{"amount": "9000.01"})
		must(t, strings.Contains(toast, "本次最多可批 9000 元") && r.writes() == before, "formula: %q", toast)
		r.step("ou_c", "aid.approve", c1, map[string]any{"amount": "9000"})
		c2 := r.apply("ou_a", "critical", map[string]any{"text": "复查", "self_paid": "10000"})
		r.step("ou_a", "aid.submit", c2, nil)
		r.step("ou_o", "aid.pass", c2, nil)
		toast = r.step("ou_c", "aid.approve", c2, map[string]any{"amount": "6001"})
		must(t, strings.Contains(toast, "本次最多可批 6000 元") && strings.Contains(toast, "本年自付合计 30000 元"), "formula 2: %q", toast)
		r.step("ou_c", "aid.approve", c2, map[string]any{"amount": "6000"})
		must(t, r.aidCase(c2).ApprovedFen == 600000, "c2 %+v", r.aidCase(c2))

		// The emergency path: recorded and approved at once, under the family rule too.
		r.Say("ou_o", "帮扶登记")
		toast, _ = r.click("ou_o", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0d", "kind": "warmth", "amount": "800", "note": "春节慰问"})
		must(t, strings.Contains(toast, "已登记并批准 800 元"), "emergency: %q", toast)
		before = r.writes()
		toast, _ = r.click("ou_o", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0a", "kind": "warmth", "amount": "500", "note": "春节慰问"})
		must(t, strings.Contains(toast, "每户每年限一人") && r.writes() == before, "emergency family: %q", toast)
		toast, _ = r.click("ou_o", map[string]any{"action": "aid.emergent"}, map[string]any{"employee_no": "0m", "kind": "warmth", "amount": "1000.01", "note": "x"})
		must(t, strings.Contains(toast, "超过上限") && r.writes() == before, "emergency ceiling: %q", toast)

		// The ledger: 3000 + 9000 + 6000 + 800.
		name, data, err := aid.LedgerFile(ctx, db, r.cfg.Aid.Kinds, 2027)
		must(t, err == nil && name == "帮扶台账_2027.xlsx", "ledger: %v", err)
		f, err := excelize.OpenReader(bytes.NewReader(data))
		must(t, err == nil, "open: %v", err)
		rows, _ := f.GetRows("按类别")
		must(t, fmt.Sprint(rows) == "[[类别 笔数 金额（元）] [困难补助 1 3,000.00] [大病互助 2 15,000.00] [送温暖 1 800.00] [合计 4 18,800.00]]", "by kind %v", rows)
		rows, _ = f.GetRows("按分工会")
		must(t, fmt.Sprint(rows) == "[[分工会 笔数 金额（元）] [外语分工会 4 18,800.00] [合计 4 18,800.00]]", "by branch %v", rows)
		rows, _ = f.GetRows("明细")
		must(t, len(rows) == 5 && rows[1][4] == "0a", "detail %v", rows)
		must(t, strings.Contains(r.Say("ou_o", "帮扶台账 2027"), "已单独发送"), "ledger command")
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'file' AND receive_id = 'ou_o'`) == 1, "ledger file not sent 1:1")
		must(t, strings.Contains(r.Say("ou_m", "帮扶台账"), "没有权限"), "ledger for a member")
		// A ledger button with a year no one keeps (a forged card, found by FuzzPrivateForms):
		// refused like the command, nothing sent or audited.
		reads := r.count(`SELECT COUNT(*) FROM read_audit`)
		for _, year := range []any{-99999999999, 1e300, 1999, "2101"} {
			toast, _ := r.click("ou_o", map[string]any{"action": "aid.ledger", "year": year}, nil)
			must(t, strings.Contains(toast, "卡片数据有误"), "ledger button for %v: %q", year, toast)
		}
		must(t, r.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'file' AND receive_id = 'ou_o'`) == 1 &&
			r.count(`SELECT COUNT(*) FROM read_audit`) == reads, "a forged ledger year was sent or audited")
	})
}
