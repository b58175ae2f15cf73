package store

import (
	"context"
	"fmt"
	"slices"
)

// Aid case states (帮扶申请). The one place that says which step may follow which is
// aidTransitions; AidNext reads it.
const (
	AidNew          = ""              // not yet a case (the emergency path starts here)
	AidDraft        = "draft"         // 草稿: the applicant fills in the form and sends materials
	AidBranchReview = "branch_review" // 待分工会初审
	AidUnionReview  = "union_review"  // 待校工会审核
	AidApproval     = "approval"      // 待审批 (amount), by the chair or the welfare committee
	AidReturned     = "returned"      // 退回补充材料: with the applicant, who adds materials and resubmits
	AidRejected     = "rejected"      // 未通过 (final, with a reason the applicant sees)
	AidPublicity    = "publicity"     // 公示中 (approved, amount in the ledger)
	AidApproved     = "approved"      // 已批准，待发放
	AidClosed       = "closed"        // 已发放 (date and voucher), closed (final)
	AidWithdrawn    = "withdrawn"     // 已撤回 by the applicant (final)
)

// AidStateNames are the states as users read them.
var AidStateNames = map[string]string{
	AidDraft: "草稿", AidBranchReview: "待分工会初审", AidUnionReview: "待校工会审核", AidApproval: "待审批",
	AidReturned: "退回补充材料", AidRejected: "未通过", AidPublicity: "公示中", AidApproved: "已批准，待发放",
	AidClosed: "已发放，已办结", AidWithdrawn: "已撤回",
}

// Aid steps: what a member, a reviewer or a job does to a case.
const (
	AidStepSubmit       = "submit"        // the applicant submits: to 分工会初审
	AidStepSubmitDirect = "submit_direct" // submits when no other branch chair can review: to 校工会审核
	AidStepResubmit     = "resubmit"      // after 补充材料: back to the step that returned it
	AidStepBranchPass   = "branch_pass"   // 分工会初审 passed
	AidStepUnionPass    = "union_pass"    // 校工会审核 passed
	AidStepApprove      = "approve"       // approved with an amount, no 公示
	AidStepPublicize    = "publicize"     // approved with an amount, 公示 posted
	AidStepPublicityEnd = "publicity_end" // the 公示 ended (job)
	AidStepReturn       = "return"        // 退回补充材料
	AidStepReject       = "reject"        // 未通过, with a reason
	AidStepPay          = "pay"           // 发放: date and voucher number; closes the case
	AidStepWithdraw     = "withdraw"      // the applicant withdraws (or withdraws the consent)
	AidStepEmergency    = "emergency"     // an officer opens and approves a case directly
)

var aidTransitions = map[string]struct {
	From []string
	To   string // "" for AidStepResubmit: the state that returned the case
}{
	AidStepSubmit:       {[]string{AidDraft}, AidBranchReview},
	AidStepSubmitDirect: {[]string{AidDraft}, AidUnionReview},
	AidStepResubmit:     {[]string{AidReturned}, ""},
	AidStepBranchPass:   {[]string{AidBranchReview}, AidUnionReview},
	AidStepUnionPass:    {[]string{AidUnionReview}, AidApproval},
	AidStepApprove:      {[]string{AidApproval}, AidApproved},
	AidStepPublicize:    {[]string{AidApproval}, AidPublicity},
	AidStepPublicityEnd: {[]string{AidPublicity}, AidApproved},
	AidStepReturn:       {[]string{AidBranchReview, AidUnionReview, AidApproval}, AidReturned},
	AidStepReject:       {[]string{AidBranchReview, AidUnionReview, AidApproval, AidPublicity}, AidRejected},
	AidStepPay:          {[]string{AidApproved}, AidClosed},
	AidStepWithdraw:     {[]string{AidDraft, AidBranchReview, AidUnionReview, AidApproval, AidReturned}, AidWithdrawn},
	AidStepEmergency:    {[]string{AidNew}, AidApproved},
}

// AidStates lists every state of a case, AidSteps every step (for tests).
var (
	AidStates = []string{AidDraft, AidBranchReview, AidUnionReview, AidApproval, AidReturned, AidRejected, AidPublicity,
		AidApproved, AidClosed, AidWithdrawn}
	AidSteps = []string{AidStepSubmit, AidStepSubmitDirect, AidStepResubmit, AidStepBranchPass, AidStepUnionPass,
		AidStepApprove, AidStepPublicize, AidStepPublicityEnd, AidStepReturn, AidStepReject, AidStepPay, AidStepWithdraw,
		AidStepEmergency}
)

// aidLedgered are the states whose approved amount counts in the ledger.
var aidLedgered = []string{AidPublicity, AidApproved, AidClosed}

// AidInLedger reports whether a case in state counts in the ledger.
func AidInLedger(state string) bool { return slices.Contains(aidLedgered, state) }

// returnable are the states a case may be returned from, and so resubmitted to.
var returnable = aidTransitions[AidStepReturn].From

var aidStepNames = map[string]string{
	AidStepSubmit: "提交", AidStepSubmitDirect: "提交", AidStepResubmit: "重新提交", AidStepBranchPass: "通过分工会初审",
	AidStepUnionPass: "通过校工会审核", AidStepApprove: "审批", AidStepPublicize: "审批并公示", AidStepPublicityEnd: "结束公示",
	AidStepReturn: "退回补充材料", AidStepReject: "不予通过", AidStepPay: "登记发放", AidStepWithdraw: "撤回",
	AidStepEmergency: "直接审批",
}

// AidNext returns the state step leads to from state (returnedFrom: the state that returned
// a case, for AidStepResubmit), or ECONFLICT saying in Chinese that a case in its state cannot
// take that step (a stale card, a second click, a step out of order).
func AidNext(state, returnedFrom, step string) (string, error) {
	t, ok := aidTransitions[step]
	if !ok {
		return "", &Error{Code: EINTERNAL, Op: "store.AidNext", Message: "unknown step " + step}
	}
	if !slices.Contains(t.From, state) {
		return "", Errorf(ECONFLICT, "该申请当前状态为「%s」，不能%s。", AidStateNames[state], aidStepNames[step])
	}
	if t.To == "" {
		if !slices.Contains(returnable, returnedFrom) {
			return "", &Error{Code: EINTERNAL, Op: "store.AidNext", Message: "returned from " + returnedFrom}
		}
		return returnedFrom, nil
	}
	return t.To, nil
}

// AidChange is what a step changes besides the state: the columns set with it.
type AidChange struct {
	Set    map[string]any // column → value, set in the same UPDATE
	Detail string         // for the audit trail: never sensitive text (no reasons, no diagnoses)
}

// StepAid moves case a by step to the state the machine says, if a is still in the state (and
// version) it was read in, with the change's columns; it records the transition in the audit
// trail as actor and updates a. A case that moved meanwhile, or a step the machine forbids
// from a's state: ECONFLICT, nothing written.
func (tx *Tx) StepAid(ctx context.Context, a *AidCase, step, actor string, ch AidChange) error {
	const op = "store.StepAid"
	to, err := AidNext(a.State, a.ReturnedFrom, step)
	if err != nil {
		return err
	}
	if ch.Set == nil {
		ch.Set = map[string]any{}
	}
	if step == AidStepReturn {
		ch.Set["returned_from"] = a.State
	}
	if to == AidClosed || to == AidRejected || to == AidWithdrawn {
		ch.Set["closed_at"] = tx.now
	}
	set := "state = ?, version = version + 1, updated_at = ?"
	args := []any{to, tx.now}
	for _, col := range sortedKeys(ch.Set) {
		set += ", " + col + " = ?"
		args = append(args, ch.Set[col])
	}
	args = append(args, a.ID, a.State, a.Version)
	res, err := tx.ExecContext(ctx, `UPDATE aid_cases SET `+set+` WHERE id = ? AND state = ? AND version = ?`, args...)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "该申请刚刚被其他人处理，请刷新后重试。"}
	}
	if to == AidRejected || to == AidWithdrawn {
		// The year's one-per-family claim is freed for another application.
		if _, err := tx.ExecContext(ctx, `DELETE FROM aid_family_claims WHERE case_id = ?`, a.ID); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	detail := fmt.Sprintf("%s → %s", a.State, to)
	if ch.Detail != "" {
		detail += "：" + ch.Detail
	}
	if step == AidStepReturn {
		a.ReturnedFrom = a.State
	}
	a.State, a.Version, a.UpdatedAt = to, a.Version+1, tx.now
	return tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), step, detail)
}
