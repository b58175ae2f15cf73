package proposals

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Card action names. Buttons carry the proposal ("proposal_id") and the version the card
// showed ("version"); forms send their fields by name (title, category, reason, suggestion,
// departments, phone, invitees, target, note, host, helpers, class, reply, rating, comment).
const (
	actForm           = "proposals.form"            // the draft form: a new one, or the proposal's (proposal_id)
	actSave           = "proposals.save"            // save the draft form (proposal_id: 0 for new, version)
	actShow           = "proposals.show"            // a proposal's card (proposal_id)
	actInvite         = "proposals.invite"          // invite co-signers from the picker (proposal_id, version)
	actCosign         = "proposals.cosign"          // 同意附议 (proposal_id)
	actDecline        = "proposals.decline"         // 不同意 (proposal_id)
	actWithdraw       = "proposals.withdraw"        // withdraw one's 附议 (proposal_id)
	actSubmit         = "proposals.submit"          // submit (proposal_id, version)
	actRegister       = "proposals.register"        // 立案 (proposal_id, version)
	actMerge          = "proposals.merge"           // 并案 into the form's target (proposal_id, version)
	actToSuggestion   = "proposals.to_suggestion"   // 转为意见建议 (proposal_id, version)
	actReject         = "proposals.reject"          // 不予立案 with the form's note (proposal_id, version)
	actReturn         = "proposals.return"          // 退回修改 with the form's note (proposal_id, version)
	actAssign         = "proposals.assign"          // 交办 to the form's host and helpers (proposal_id, version)
	actReplyForm      = "proposals.reply_form"      // the 主办's reply form (proposal_id)
	actReply          = "proposals.reply"           // submit the reply and its class (proposal_id, version)
	actRate           = "proposals.rate"            // the rating and comment (proposal_id, round)
	actReclassify     = "proposals.reclassify"      // the committee's new category from the form (proposal_id, version)
	actOpinion        = "proposals.opinion"         // a 协办 department's opinion to the 主办 from the form (proposal_id)
	actApproveReply   = "proposals.approve_reply"   // 答复审核: the reply goes to the proposer (proposal_id, version)
	actRedoReply      = "proposals.redo_reply"      // 答复审核: the reply back to the 主办 with the form's note (proposal_id, version)
	actMarkKey        = "proposals.mark_key"        // the chair marks or unmarks 重点提案 (proposal_id, on)
	actMarkExcellent  = "proposals.mark_excellent"  // the committee marks or unmarks 优秀提案 (proposal_id, on)
	actSessionShow    = "proposals.session"         // a session's card (session_id)
	actSessionForm    = "proposals.session_form"    // the session form: new (session_id 0) or a session's
	actSessionSave    = "proposals.session_save"    // save the session form (session_id: 0 for new)
	actDepartmentForm = "proposals.department_form" // the department form: new (department_id 0) or a department's
	actDepartmentSave = "proposals.department_save" // save the department form (department_id: 0 for new)
	actExport         = "proposals.export"          // the statistics workbook, 1:1 to the clicker (session_id)
	actAcknowledge    = "proposals.acknowledge"     // a department's 签收 (proposal_id, version, department_id)
	actDeptReturn     = "proposals.dept_return"     // a department's 退回 with the form's return_reason (proposal_id, version, department_id)
	actExtend         = "proposals.extend"          // the 主办's extension request: extend_due, extend_reason (proposal_id, version)
	actExtendGrant    = "proposals.extend_grant"    // the committee grants it, extension_note (proposal_id, version, extension_id)
	actExtendRefuse   = "proposals.extend_refuse"   // the committee refuses it, extension_note (proposal_id, version, extension_id)
	actSetDue         = "proposals.set_due"         // the committee's reply deadline new_due (proposal_id, version)
)

// recordRoles may ask for a 履职记录: delegates (their own) and the overseers (anyone's).
var recordRoles = append([]string{store.RoleDelegate}, store.ProposalOverseers...)

// Register adds the proposals' commands and card actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	h := New(d)
	r.Command(bot.Command{Names: []string{"新建提案", "newproposal"}, Roles: store.Delegates,
		Help: "起草一件教代会提案（代表）", Handler: h.newDraft})
	r.Command(bot.Command{Names: []string{"我的提案", "myproposals"},
		Help: "我提出和附议的提案：状态、轮次、等待什么", Handler: h.mine})
	r.Command(bot.Command{Names: []string{"提案", "proposal"}, Usage: "提案 <立案编号或关键词>", MinArgs: 1,
		Help: "查看一件提案", Handler: h.find})
	r.Command(bot.Command{Names: []string{"提案列表", "proposals"}, Usage: "提案列表 [届次]",
		Help: "本届已立案的提案及其办理状态", Handler: h.list})
	r.Command(bot.Command{Names: []string{"提案审查", "review"}, Roles: store.Committee,
		Help: "待审查的提案（提案委员）", Handler: h.queue})
	r.Command(bot.Command{Names: []string{"提案统计", "proposalstats"}, Usage: "提案统计 [届次]", Roles: store.ProposalOverseers,
		Help: "提案征集、立案、办复和满意率统计", Handler: h.stats})
	r.Command(bot.Command{Names: []string{"履职记录", "record"}, Usage: "履职记录 [姓名或工号] [届次]", Roles: recordRoles,
		Help: "代表在一届中的提案、附议和评价", Handler: h.record})
	r.Command(bot.Command{Names: []string{"优秀提案", "excellent"}, Usage: "优秀提案 [届次]",
		Help: "本届优秀提案；提案委员在办理结束后评选", Handler: h.excellentList})
	r.Command(bot.Command{Names: []string{"新建届次", "newsession"}, Roles: store.Officers,
		Help: "新建一届教代会提案征集（届次）", Handler: h.newSession})
	r.Command(bot.Command{Names: []string{"届次", "sessions"}, Usage: "届次 [名称或代码]", Roles: store.Officers,
		Help: "届次列表，查看和修改届次的日期和规则", Handler: h.sessions})
	r.Command(bot.Command{Names: []string{"承办单位", "departments"}, Roles: store.Officers,
		Help: "承办单位及其联系人、分管校领导：新增和修改", Handler: h.departments})
	r.Action(bot.Action{Name: actSessionShow, Roles: store.Officers, Handler: h.sessionShow})
	r.Action(bot.Action{Name: actSessionForm, Roles: store.Officers, Handler: h.sessionForm})
	r.Action(bot.Action{Name: actSessionSave, Roles: store.Officers, Handler: h.sessionSave})
	r.Action(bot.Action{Name: actDepartmentForm, Roles: store.Officers, Handler: h.departmentForm})
	r.Action(bot.Action{Name: actDepartmentSave, Roles: store.Officers, Handler: h.departmentSave})
	r.Action(bot.Action{Name: actForm, Roles: store.Delegates, Handler: h.form})
	r.Action(bot.Action{Name: actSave, Roles: store.Delegates, Handler: h.save})
	r.Action(bot.Action{Name: actShow, Handler: h.show})
	r.Action(bot.Action{Name: actInvite, Roles: store.Delegates, Handler: h.invite})
	// 附议 answers on one proposal contend for its row (its version grows with each): they take
	// it in shared transactions, a few at a time, as 报名 clicks take an activity's seats.
	r.Action(bot.Action{Name: actCosign, Roles: store.Delegates, Handler: h.cosign, Serial: onProposal})
	r.Action(bot.Action{Name: actDecline, Roles: store.Delegates, Handler: h.decline, Serial: onProposal})
	r.Action(bot.Action{Name: actWithdraw, Roles: store.Delegates, Handler: h.withdraw, Serial: onProposal})
	r.Action(bot.Action{Name: actSubmit, Roles: store.Delegates, Handler: h.submit})
	r.Action(bot.Action{Name: actRegister, Roles: store.Committee, Handler: h.register})
	r.Action(bot.Action{Name: actMerge, Roles: store.Committee, Handler: h.merge})
	r.Action(bot.Action{Name: actToSuggestion, Roles: store.Committee, Handler: h.toSuggestion})
	r.Action(bot.Action{Name: actReject, Roles: store.Committee, Handler: h.reject})
	r.Action(bot.Action{Name: actReturn, Roles: store.Committee, Handler: h.sendBack})
	r.Action(bot.Action{Name: actAssign, Roles: store.Committee, Handler: h.assign})
	r.Action(bot.Action{Name: actReclassify, Roles: store.Committee, Handler: h.reclassify})
	r.Action(bot.Action{Name: actReplyForm, Roles: store.Contacts, Handler: h.replyForm})
	r.Action(bot.Action{Name: actReply, Roles: store.Contacts, Handler: h.reply})
	r.Action(bot.Action{Name: actRate, Handler: h.rate})
	r.Action(bot.Action{Name: actOpinion, Roles: store.Contacts, Handler: h.opinion})
	r.Action(bot.Action{Name: actApproveReply, Roles: store.Committee, Handler: h.approveReply})
	r.Action(bot.Action{Name: actRedoReply, Roles: store.Committee, Handler: h.redoReply})
	r.Action(bot.Action{Name: actMarkKey, Roles: store.ChairOnly, Handler: h.markKey})
	r.Action(bot.Action{Name: actMarkExcellent, Roles: store.Committee, Handler: h.markExcellent})
	r.Action(bot.Action{Name: actExport, Roles: store.ProposalOverseers, Handler: h.exportAction, Solo: true})
	r.Action(bot.Action{Name: actAcknowledge, Roles: store.Contacts, Handler: h.acknowledge})
	r.Action(bot.Action{Name: actDeptReturn, Roles: store.Contacts, Handler: h.deptReturn})
	r.Action(bot.Action{Name: actExtend, Roles: store.Contacts, Handler: h.extend})
	r.Action(bot.Action{Name: actExtendGrant, Roles: store.Committee, Handler: h.extendGrant})
	r.Action(bot.Action{Name: actExtendRefuse, Roles: store.Committee, Handler: h.extendRefuse})
	r.Action(bot.Action{Name: actSetDue, Roles: store.Committee, Handler: h.setDue})
}

// onProposal is the row a 附议 answer contends for: its proposal (bot.Action.Serial).
func onProposal(c *bot.Context) string {
	if id := c.Int("proposal_id"); id != 0 {
		return fmt.Sprint("proposal:", id)
	}
	return ""
}

// RegisterJobs adds the proposals' reminder jobs (jobs.go) to the engine.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	c, err := NewCadence(d)
	if err != nil {
		return err
	}
	for _, j := range c.Jobs() {
		if err := e.Add(j); err != nil {
			return err
		}
	}
	return nil
}
