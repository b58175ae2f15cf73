package aid

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Card action names. Buttons carry the case ("case_id") and the version the card showed
// ("version"); the kind chooser carries "kind"; material buttons "material_id"; forms send
// their fields by name (text, requested, self_paid, publicity, note, amount, paid_on, voucher,
// employee_no, kind).
const (
	actConsent    = "aid.consent"     // accept the aid consent (purpose, version: privacy.ConsentCard's)
	actPubConsent = "aid.pub_consent" // accept the separate 公示 consent (purpose, version, case_id)
	actForm       = "aid.form"        // the kind's form: new (kind) or the case's (case_id)
	actSave       = "aid.save"        // save the form (kind, case_id: 0 for new, version)
	actShow       = "aid.show"        // a case's card (case_id)
	actMaterial   = "aid.material"    // send a material 1:1 to the clicker (case_id, material_id)
	actSubmit     = "aid.submit"      // submit or resubmit (case_id, version)
	actWithdraw   = "aid.withdraw"    // the applicant withdraws (case_id, version)
	actPass       = "aid.pass"        // 分工会初审 or 校工会审核 passed (case_id, version)
	actApprove    = "aid.approve"     // approve with the form's amount (case_id, version)
	actReturn     = "aid.return"      // 退回补充材料 with the form's note (case_id, version)
	actReject     = "aid.reject"      // 不予通过 with the form's note (case_id, version)
	actPay        = "aid.pay"         // 登记发放: paid_on, voucher (case_id, version)
	actRevoke     = "aid.revoke"      // reject during the 公示 with the form's note (case_id, version)
	actObject     = "aid.object"      // an objection to a 公示 (case_id)
	actEmergent   = "aid.emergent"    // an officer's direct case: employee_no, kind, amount, note
	actLedger     = "aid.ledger"      // the year's ledger as Excel, 1:1 (year)
	actBehalf     = "aid.behalf"      // an officer applies for a member: employee_no, kind (form or value)
)

// Register adds the aid requests' commands, card actions and the attachment handler.
func Register(r *bot.Router, d handlers.Deps) { New(d).Routes(r) }

// Routes adds h's commands, card actions and attachment handler to the router (Register;
// tests keep h to wait for its background fetches).
func (h *Handlers) Routes(r *bot.Router) {
	r.Command(bot.Command{Names: []string{"申请帮扶", "aid"}, Help: "申请困难补助、医疗补助、大病互助、助学、慰问（仅单聊）", Handler: h.apply})
	r.Command(bot.Command{Names: []string{"我的申请", "myaid"}, Help: "我的帮扶申请办到哪一步", Handler: h.mine})
	r.Command(bot.Command{Names: []string{"帮扶审核", "aidreview"}, Roles: store.AidChain,
		Help: "等待我审核的帮扶申请", Handler: h.queue})
	r.Command(bot.Command{Names: []string{"帮扶登记", "aidemergency"}, Roles: store.Officers,
		Help: "直接登记并批准紧急帮扶（送温暖、丧事慰问）", Handler: h.emergencyForm})
	r.Command(bot.Command{Names: []string{"帮扶台账", "aidledger"}, Usage: "帮扶台账 [年份]", Roles: store.AidLedgerReaders,
		Help: "导出某年的帮扶台账（Excel，仅单聊发送）", Handler: h.ledgerCommand, Solo: true})
	r.Command(bot.Command{Names: []string{"代为申请", "aidfor"}, Usage: "代为申请 [工号]", Roles: []string{store.RoleOfficer},
		Help: "代会员申请帮扶（须会员本人同意，仅单聊）", Handler: h.behalfCommand})
	r.Command(bot.Command{Names: []string{"大病互助登记", "aidenrol"}, Usage: "大病互助登记 <工号> [工号...]", MinArgs: 1,
		Roles: store.Officers, Help: "登记本年度加入大病互助的会员", Handler: h.enrol})
	r.Command(bot.Command{Names: []string{"家庭登记", "aidfamily"}, Usage: "家庭登记 <工号> <工号> [工号...]", MinArgs: 2,
		Roles: store.Officers, Help: "登记为同一家庭的会员（帮扶每户限一人申请）", Handler: h.family})
	r.Attachments(bot.Command{Names: []string{"aid.attachment"}, Handler: h.attachment})
	r.Action(bot.Action{Name: actConsent, Handler: h.consent})
	r.Action(bot.Action{Name: actPubConsent, Handler: h.publicityConsent})
	r.Action(bot.Action{Name: actForm, Handler: h.form})
	r.Action(bot.Action{Name: actSave, Handler: h.save})
	r.Action(bot.Action{Name: actShow, Handler: h.show})
	r.Action(bot.Action{Name: actMaterial, Handler: h.material})
	r.Action(bot.Action{Name: actSubmit, Handler: h.submit})
	r.Action(bot.Action{Name: actWithdraw, Handler: h.withdraw})
	r.Action(bot.Action{Name: actPass, Roles: store.AidChain, Handler: h.pass})
	r.Action(bot.Action{Name: actApprove, Roles: store.AidApprovers, Handler: h.approve})
	r.Action(bot.Action{Name: actReturn, Roles: store.AidChain, Handler: h.sendBack})
	r.Action(bot.Action{Name: actReject, Roles: store.AidChain, Handler: h.reject})
	r.Action(bot.Action{Name: actPay, Roles: store.Officers, Handler: h.pay})
	r.Action(bot.Action{Name: actRevoke, Roles: store.Officers, Handler: h.revoke})
	r.Action(bot.Action{Name: actObject, Handler: h.object})
	r.Action(bot.Action{Name: actEmergent, Roles: store.Officers, Handler: h.emergency})
	r.Action(bot.Action{Name: actBehalf, Roles: []string{store.RoleOfficer}, Handler: h.behalf})
	r.Action(bot.Action{Name: actLedger, Roles: store.AidLedgerReaders, Handler: h.ledgerButton, Solo: true})
}

// RegisterJobs adds the job aid.jobs: materials left unfetched (a crash after the message was
// taken) are fetched, and 公示 whose time is up are taken down.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	h := New(d)
	return e.Add(jobs.Job{Name: "aid.jobs", Spec: h.cfg.Schedule, Help: "帮扶：补取未保存的材料，按时结束公示", Run: h.runJobs})
}
