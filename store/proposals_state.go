package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

// Proposal states (教代会提案). The one place that says which step may follow which is
// proposalTransitions; ProposalNext reads it.
const (
	ProposalDraft      = "draft"      // 草稿: the proposer edits it
	ProposalCosigning  = "cosigning"  // 征集附议: invitations out, still editable
	ProposalSubmitted  = "submitted"  // 已提交: awaiting the committee's review
	ProposalRegistered = "registered" // 已立案: has a 立案编号, awaits 交办
	ProposalMerged     = "merged"     // 已并案: merged into another proposal (final)
	ProposalSuggestion = "suggestion" // 意见建议: converted or late; still assigned and answered
	ProposalRejected   = "rejected"   // 不予立案 (final, with a reason)
	ProposalReturned   = "returned"   // 退回修改: back with the proposer, editable
	ProposalAssigned   = "assigned"   // 已交办: departments answering (round 1 or 2)
	ProposalReassign   = "reassign"   // 单位退回: back with the committee to be assigned again
	ProposalReviewing  = "reviewing"  // 答复待审核: the 主办 replied, the committee reviews the reply (答复审核)
	ProposalReplied    = "replied"    // 已答复: awaiting the rating
	ProposalClosed     = "closed"     // 已办结 (final)
)

// ProposalStateNames are the states as users read them.
var ProposalStateNames = map[string]string{
	ProposalDraft:      "草稿",
	ProposalCosigning:  "征集附议中",
	ProposalSubmitted:  "已提交，待审查",
	ProposalRegistered: "已立案，待交办",
	ProposalMerged:     "已并案",
	ProposalSuggestion: "意见建议",
	ProposalRejected:   "不予立案",
	ProposalReturned:   "退回修改",
	ProposalAssigned:   "办理中",
	ProposalReassign:   "承办单位退回，待重新交办",
	ProposalReviewing:  "答复待审核",
	ProposalReplied:    "已答复，待评价",
	ProposalClosed:     "已办结",
}

// Proposal steps: what a member (or a job) does to a proposal.
const (
	StepInvite       = "invite"        // open co-signing (附议 invitations)
	StepSubmit       = "submit"        // submit as a proposal (the minimum 附议 reached)
	StepLate         = "late"          // filed after the close: taken as 意见建议
	StepRegister     = "register"      // 立案
	StepMerge        = "merge"         // 并案
	StepToSuggestion = "to_suggestion" // 转为意见建议
	StepReject       = "reject"        // 不予立案
	StepReturn       = "return"        // 退回修改
	StepAssign       = "assign"        // 交办
	StepReply        = "reply"         // 答复 by the 主办
	StepReplyReview  = "reply_review"  // 答复 by the 主办 in a session with 答复审核: to the committee first
	StepApproveReply = "approve_reply" // 答复审核 passed: the proposer gets the reply
	StepRedoReply    = "redo_reply"    // 答复审核 sent the reply back to the 主办 with a reason
	StepRate         = "rate"          // 满意 / 基本满意, or 不满意 in the second round: closed
	StepSecondRound  = "second_round"  // 不满意 in the first round: back to the departments
	StepUnrated      = "unrated"       // no rating within the window: closed as 未评价

	// Steps of the handling that keep the proposal assigned (its version grows, so cards
	// shown before are stale, and each is in the audit trail).
	StepDeptReturn    = "dept_return"    // a department's 退回 of a mis-assigned proposal: back to the committee
	StepAcknowledge   = "acknowledge"    // a department's 签收 of its assignment
	StepExtendRequest = "extend_request" // the 主办 asks for a later reply deadline
	StepExtendGrant   = "extend_grant"   // the committee grants it: the deadline moves
	StepExtendRefuse  = "extend_refuse"  // the committee refuses it
	StepSetDue        = "set_due"        // the committee sets the proposal's reply deadline
)

// proposalTransitions: for each step, the states it may start from and the state it leads to.
var proposalTransitions = map[string]struct {
	From []string
	To   string
}{
	StepInvite:       {[]string{ProposalDraft, ProposalReturned}, ProposalCosigning},
	StepSubmit:       {[]string{ProposalDraft, ProposalCosigning, ProposalReturned}, ProposalSubmitted},
	StepLate:         {[]string{ProposalDraft, ProposalCosigning, ProposalReturned}, ProposalSuggestion},
	StepRegister:     {[]string{ProposalSubmitted}, ProposalRegistered},
	StepMerge:        {[]string{ProposalSubmitted}, ProposalMerged},
	StepToSuggestion: {[]string{ProposalSubmitted}, ProposalSuggestion},
	StepReject:       {[]string{ProposalSubmitted}, ProposalRejected},
	StepReturn:       {[]string{ProposalSubmitted}, ProposalReturned},
	StepAssign:       {[]string{ProposalRegistered, ProposalSuggestion, ProposalReassign}, ProposalAssigned},
	StepReply:        {[]string{ProposalAssigned}, ProposalReplied},
	StepReplyReview:  {[]string{ProposalAssigned}, ProposalReviewing},
	StepApproveReply: {[]string{ProposalReviewing}, ProposalReplied},
	StepRedoReply:    {[]string{ProposalReviewing}, ProposalAssigned},
	StepRate:         {[]string{ProposalReplied}, ProposalClosed},
	StepSecondRound:  {[]string{ProposalReplied}, ProposalAssigned},
	StepUnrated:      {[]string{ProposalReplied}, ProposalClosed},

	StepDeptReturn:    {[]string{ProposalAssigned}, ProposalReassign},
	StepAcknowledge:   {[]string{ProposalAssigned}, ProposalAssigned},
	StepExtendRequest: {[]string{ProposalAssigned}, ProposalAssigned},
	StepExtendGrant:   {[]string{ProposalAssigned}, ProposalAssigned},
	StepExtendRefuse:  {[]string{ProposalAssigned}, ProposalAssigned},
	StepSetDue:        {[]string{ProposalAssigned}, ProposalAssigned},
}

// ProposalStates lists every state, ProposalSteps every step (for tests and menus).
var (
	ProposalStates = []string{ProposalDraft, ProposalCosigning, ProposalSubmitted, ProposalRegistered, ProposalMerged,
		ProposalSuggestion, ProposalRejected, ProposalReturned, ProposalAssigned, ProposalReassign, ProposalReviewing, ProposalReplied, ProposalClosed}
	ProposalSteps = []string{StepInvite, StepSubmit, StepLate, StepRegister, StepMerge, StepToSuggestion, StepReject,
		StepReturn, StepAssign, StepReply, StepReplyReview, StepApproveReply, StepRedoReply, StepRate, StepSecondRound, StepUnrated,
		StepDeptReturn, StepAcknowledge, StepExtendRequest, StepExtendGrant, StepExtendRefuse, StepSetDue}
)

// ProposalNext returns the state step leads to from state, or an ECONFLICT error saying in
// Chinese that the proposal, in its state, cannot take that step (a stale card, a second
// click, a step out of order).
func ProposalNext(state, step string) (string, error) {
	t, ok := proposalTransitions[step]
	if !ok {
		return "", &Error{Code: EINTERNAL, Op: "store.ProposalNext", Message: "unknown step " + step}
	}
	for _, f := range t.From {
		if f == state {
			return t.To, nil
		}
	}
	return "", Errorf(ECONFLICT, "该提案当前状态为「%s」，不能%s。", ProposalStateNames[state], stepNames[step])
}

// Editable reports whether a proposal in state may still be edited by its proposer.
func ProposalEditable(state string) bool {
	return state == ProposalDraft || state == ProposalCosigning || state == ProposalReturned
}

var stepNames = map[string]string{
	StepInvite: "邀请附议", StepSubmit: "提交", StepLate: "作为意见建议提交", StepRegister: "立案", StepMerge: "并案",
	StepToSuggestion: "转为意见建议", StepReject: "不予立案", StepReturn: "退回修改", StepAssign: "交办",
	StepReply: "答复", StepReplyReview: "答复", StepApproveReply: "通过答复审核", StepRedoReply: "退回答复", StepRate: "评价", StepSecondRound: "进入第二轮办理", StepUnrated: "记为未评价",
	StepDeptReturn: "退回", StepAcknowledge: "签收", StepExtendRequest: "申请延期", StepExtendGrant: "同意延期",
	StepExtendRefuse: "不同意延期", StepSetDue: "修改答复期限",
}

// ProposalChange is what a step changes besides the state: the columns set with it.
type ProposalChange struct {
	Set    map[string]any // column → value, set in the same UPDATE
	Detail string         // for the audit trail (no phone numbers)
}

// StepProposal moves p by step to the state the machine says, if p is still in the state (and
// version) it was read in, with the change's columns; it records the transition in the audit
// trail as actor and updates p. A proposal that moved meanwhile, or a step the machine forbids
// from p's state: ECONFLICT, nothing written.
func (tx *Tx) StepProposal(ctx context.Context, p *Proposal, step, actor string, ch ProposalChange) error {
	const op = "store.StepProposal"
	to, err := ProposalNext(p.State, step)
	if err != nil {
		return err
	}
	set := "state = ?, version = version + 1, updated_at = ?"
	args := []any{to, tx.now}
	for _, col := range sortedKeys(ch.Set) {
		set += ", " + col + " = ?"
		args = append(args, ch.Set[col])
	}
	args = append(args, p.ID, p.State, p.Version)
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET `+set+` WHERE id = ? AND state = ? AND version = ?`, args...)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案刚刚被其他人更新，请刷新后重试。"}
	}
	detail := fmt.Sprintf("%s → %s", p.State, to)
	if ch.Detail != "" {
		detail += "：" + ch.Detail
	}
	p.State, p.Version, p.UpdatedAt = to, p.Version+1, tx.now
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), step, detail)
}

func sortedKeys(m map[string]any) []string { return slices.Sorted(maps.Keys(m)) }
