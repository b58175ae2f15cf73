package store

import "slices"

// Aid actions: what a viewer asks to do with a case. AidCan decides each, in one place.
const (
	AidActView     = "view"          // see the case card (details, materials listed)
	AidActMaterial = "material"      // receive a material's file 1:1
	AidActEdit     = "edit"          // fill in the form, add materials, submit or resubmit
	AidActWithdraw = "withdraw"      // withdraw the request
	AidActBranch   = "branch_decide" // 分工会初审: pass, return or reject
	AidActUnion    = "union_decide"  // 校工会审核: pass, return or reject
	AidActApprove  = "approve"       // approve with an amount, return or reject
	AidActPay      = "pay"           // record the payment (发放)
	AidActRevoke   = "revoke"        // reject a case during its 公示 (after an objection)
)

// AidActions lists every action (for the privacy matrix test).
var AidActions = []string{AidActView, AidActMaterial, AidActEdit, AidActWithdraw, AidActBranch, AidActUnion, AidActApprove,
	AidActPay, AidActRevoke}

// AidViewer is who asks: their member id, 分工会 and granted roles. Admin is deliberately not
// consulted: the bot's administrators are a technical role and see no aid case unless they
// also hold a role of the chain.
type AidViewer struct {
	MemberID int64
	BranchID int64
	Roles    []string
}

func (v AidViewer) has(role string) bool { return slices.Contains(v.Roles, role) }

// AidCan reports whether v may take action on case a: the one place that decides who sees
// and decides an aid request (PIPL: only the roles of its chain, each only at its step).
//
//   - The applicant sees their case, its materials, edits it while it is with them (draft or
//     returned for more) and withdraws it until it is decided. Nobody decides their own case.
//   - A branch chair (分工会主席) sees and decides only the cases of their own 分工会, and only
//     while the case waits for their 初审.
//   - Officers (工会干事) see every submitted case, decide 校工会审核, record payments and
//     revoke a case in 公示; a draft is seen only by its applicant and the officer who opened it.
//   - The chair (主席) and the welfare committee (福利委员) see every submitted case and approve
//     amounts; the chair also revokes a case in 公示.
func AidCan(v AidViewer, a *AidCase, action string) bool {
	own := v.MemberID == a.MemberID
	opener := v.MemberID == a.OpenedBy && v.has(RoleOfficer)
	withApplicant := a.State == AidDraft || a.State == AidReturned
	switch action {
	case AidActView, AidActMaterial:
		switch {
		case own:
			return true
		case a.State == AidDraft:
			return opener
		case v.has(RoleOfficer), v.has(RoleChair), v.has(RoleWelfare):
			return true
		case v.has(RoleBranchChair):
			return a.State == AidBranchReview && a.BranchID != 0 && a.BranchID == v.BranchID
		}
		return false
	case AidActEdit:
		return withApplicant && (own || opener)
	case AidActWithdraw:
		return own && slices.Contains(aidTransitions[AidStepWithdraw].From, a.State)
	}
	if own {
		return false // nobody decides their own case
	}
	switch action {
	case AidActBranch:
		return v.has(RoleBranchChair) && a.State == AidBranchReview && a.BranchID != 0 && a.BranchID == v.BranchID
	case AidActUnion:
		return (v.has(RoleOfficer) || v.has(RoleChair)) && a.State == AidUnionReview
	case AidActApprove:
		return (v.has(RoleChair) || v.has(RoleWelfare)) && a.State == AidApproval
	case AidActPay:
		return v.has(RoleOfficer) && a.State == AidApproved
	case AidActRevoke:
		return (v.has(RoleOfficer) || v.has(RoleChair)) && a.State == AidPublicity
	}
	return false
}
