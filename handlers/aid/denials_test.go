package aid_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestAidHandlerDenials checks that every card action of a case asks store.AidCan, the one
// place that decides: for every viewer (each role, a branch chair of the case's own 分工会 and
// of another, the applicant), every state and every action of a case, a click that
// store.AidCan does not allow is refused through the real router and webhook with nothing
// written: no state or version change, no audit or read-audit row (nothing was shown), no
// message queued. (What it allows is walked by the flow tests; store.TestAidPrivacyMatrix
// checks store.AidCan itself against the rules written out.) In particular a branch chair
// gets nothing of a case of another 分工会, nor of their own 分工会's once their 初审 is done.
func TestAidHandlerDenials(t *testing.T) {
	// On SQLite only: what is checked is the handlers' decisions, the same on both databases
	// (the flow tests and TestAidYear run the allowed cells on both), and 1,200 clicks on
	// MariaDB take most of a minute on this machine.
	func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		ctx := context.Background()
		app := r.member("ou_app", "王芳", "计算机分工会")
		viewers := map[string]*store.Member{
			"ou_app": app,
			"ou_bc":  r.member("ou_bc", "李主席", "计算机分工会", store.RoleBranchChair),
			"ou_xc":  r.member("ou_xc", "赵主席", "外语分工会", store.RoleBranchChair),
			"ou_off": r.member("ou_off", "陈干事", "机关分工会", store.RoleOfficer),
			"ou_wel": r.member("ou_wel", "周委员", "机关分工会", store.RoleWelfare),
			"ou_ch":  r.member("ou_ch", "刘主席", "机关分工会", store.RoleChair),
			"ou_adm": r.member("ou_adm", "管理员", "机关分工会", store.RoleAdmin),
			"ou_lo":  r.member("ou_lo", "法援专员", "机关分工会", store.RoleLegalOfficer, store.RoleLawyer),
			"ou_del": r.member("ou_del", "代表", "计算机分工会", store.RoleDelegate, store.RoleCommittee),
			"ou_mem": r.member("ou_mem", "孙老师", "计算机分工会"),
		}
		// One case in every state, with a stored material.
		cases := map[string]*store.AidCase{}
		materials := map[string]int64{}
		for _, state := range store.AidStates {
			a := &store.AidCase{MemberID: app.ID, BranchID: app.BranchID, Kind: "medical", OpenedBy: app.ID, RequestedFen: 50000}
			if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateAidCase(ctx, a, "test") }); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `UPDATE aid_cases SET state = ?, returned_from = ?, approved_fen = ?, publicity_until = ? WHERE id = ?`,
				state, store.AidUnionReview, map[bool]int64{true: 50000}[store.AidInLedger(state)], map[bool]string{true: "2027-03-17"}[state == store.AidPublicity], a.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO aid_materials (case_id, message_id, file_key, res_type, name, ext, size, data, status, note, created_at)
				VALUES (?, ?, ?, 'image', '', 'png', 10, '', 'stored', '', ?)`, a.ID, fmt.Sprint("om_m", a.ID), fmt.Sprint("img_", a.ID), a.CreatedAt); err != nil {
				t.Fatal(err)
			}
			cases[state] = r.aidCase(a.ID)
			var mid int64
			db.Get(ctx, &mid, `SELECT id FROM aid_materials WHERE case_id = ?`, a.ID)
			materials[state] = mid
		}
		// The action of each button, as store.AidCan names it.
		decide := func(a *store.AidCase) string {
			return map[string]string{store.AidBranchReview: store.AidActBranch, store.AidUnionReview: store.AidActUnion,
				store.AidApproval: store.AidActApprove, store.AidPublicity: store.AidActRevoke}[a.State]
		}
		buttons := []struct {
			action string
			can    func(v store.AidViewer, a *store.AidCase) bool
		}{
			{"aid.show", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActView) }},
			{"aid.material", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActMaterial) }},
			{"aid.form", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActEdit) }},
			{"aid.save", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActEdit) }},
			{"aid.submit", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActEdit) }},
			{"aid.withdraw", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActWithdraw) }},
			{"aid.pass", func(v store.AidViewer, a *store.AidCase) bool {
				return (a.State == store.AidBranchReview || a.State == store.AidUnionReview) && store.AidCan(v, a, decide(a))
			}},
			{"aid.approve", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActApprove) }},
			{"aid.return", func(v store.AidViewer, a *store.AidCase) bool {
				return a.State != store.AidPublicity && decide(a) != "" && store.AidCan(v, a, decide(a))
			}},
			{"aid.reject", func(v store.AidViewer, a *store.AidCase) bool {
				return decide(a) != "" && store.AidCan(v, a, decide(a))
			}},
			{"aid.pay", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActPay) }},
			{"aid.revoke", func(v store.AidViewer, a *store.AidCase) bool { return store.AidCan(v, a, store.AidActRevoke) }},
		}
		footprint := func() string {
			return fmt.Sprint(r.writes(), r.count(`SELECT COUNT(*) FROM read_audit`), r.count(`SELECT COUNT(*) FROM audit_log`),
				r.count(`SELECT COUNT(*) FROM outbox`), r.count(`SELECT COALESCE(SUM(version), 0) FROM aid_cases`),
				r.count(`SELECT COUNT(*) FROM aid_cases WHERE state = 'closed'`))
		}
		form := map[string]any{"note": "意见", "amount": "100", "paid_on": "2027-03-12 +0800", "voucher": "记-1", "text": "改写", "requested": "100"}
		denied, allowed := 0, 0
		for who, m := range viewers {
			roles := []string{}
			db.Select(ctx, &roles, `SELECT role FROM member_roles WHERE member_id = ?`, m.ID)
			v := store.AidViewer{MemberID: m.ID, BranchID: m.BranchID, Roles: roles}
			for _, state := range store.AidStates {
				a := cases[state]
				for _, b := range buttons {
					if b.can(v, a) {
						allowed++
						continue // walked by the flow tests
					}
					denied++
					before := footprint()
					value := map[string]any{"action": b.action, "case_id": a.ID, "version": a.Version, "material_id": materials[state], "kind": "medical"}
					answer := r.Answer(who, value, form)
					if answer.Toast.Type == "success" || footprint() != before {
						t.Errorf("%s (%v) %s on a %s case: %+v, footprint %s → %s", who, roles, b.action, state, answer.Toast, before, footprint())
					}
				}
			}
		}
		// 帮扶审核: the branch chair of the case's 分工会 has its 初审 in the queue; the other's has nothing.
		if q := r.Say("ou_bc", "帮扶审核"); !strings.Contains(q, "王芳") {
			t.Errorf("own branch chair's queue: %s", q)
		}
		if q := r.Say("ou_xc", "帮扶审核"); strings.Contains(q, "王芳") || strings.Contains(q, "医疗补助") {
			t.Errorf("another branch chair's queue: %s", q)
		}
		if denied+allowed != len(viewers)*len(store.AidStates)*len(buttons) || allowed == 0 || denied == 0 {
			t.Errorf("cells: %d denied, %d allowed", denied, allowed)
		}
	}(t, storetest.Open(t, store.SQLite))
}
