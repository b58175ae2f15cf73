package proposals

import (
	"fmt"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

var roleNames = map[string]string{store.DeptHost: "主办", store.DeptHelper: "协办"}

var extensionNames = map[string]string{store.ExtensionPending: "待决定", store.ExtensionApproved: "已同意", store.ExtensionRefused: "未同意"}

// handlingPanel is what the card says about the handling: the reply deadline, the departments
// with their 签收, the extension requests and the 退回 history.
func handlingPanel(p *store.Proposal, v Viewer) []card.Element {
	var lines []string
	if p.ReplyDue != "" && p.State != store.ProposalReassign {
		due := "**答复期限**：" + p.ReplyDue
		if n := approvedExtensions(p); n > 0 {
			due += fmt.Sprintf("（已延期 %d 次）", n)
		}
		lines = append(lines, due)
	}
	if p.State != store.ProposalReassign {
		for _, d := range p.Departments {
			ack := "未签收"
			if d.AcknowledgedAt != nil {
				ack = fmt.Sprintf("%s 签收（%s）", d.AcknowledgedAt.In(v.zone()).Format("01-02 15:04"), md(d.AckName))
			}
			lines = append(lines, fmt.Sprintf("**%s**：%s · %s", roleNames[d.Role], md(d.Name), ack))
		}
	}
	for _, e := range p.Extensions {
		line := fmt.Sprintf("**延期申请**：%s 申请由 %s 延至 %s（%s）· %s", md(e.Department), e.OldDue, e.RequestedDue, md(e.Reason), extensionNames[e.Status])
		if e.DecisionNote != "" {
			line += "，" + md(e.DecisionNote)
		}
		lines = append(lines, line)
	}
	for _, r := range p.Returns {
		lines = append(lines, fmt.Sprintf("**退回**：%s %s（%s）退回，理由：%s", r.ReturnedAt.In(v.zone()).Format("01-02 15:04"),
			md(r.Department), roleNames[r.Role], md(r.Reason)))
	}
	if len(lines) == 0 {
		return nil
	}
	return []card.Element{card.Markdown(strings.Join(lines, "\n"))}
}

func approvedExtensions(p *store.Proposal) int {
	n := 0
	for _, e := range p.Extensions {
		if e.Status == store.ExtensionApproved {
			n++
		}
	}
	return n
}

// handlingButtons are a department contact's 签收, 退回 and 申请延期, and the committee's
// 修改答复期限 and decision on a pending extension, on an assigned proposal.
func handlingButtons(p *store.Proposal, v Viewer, val func(string) card.Value) []card.Element {
	if p.State != store.ProposalAssigned {
		return nil
	}
	var els []card.Element
	var mine []store.ProposalDepartment
	for _, d := range p.Departments {
		if slices.Contains(v.Departments, d.DepartmentID) {
			mine = append(mine, d)
		}
	}
	for _, d := range mine {
		if d.AcknowledgedAt == nil {
			els = append(els, card.Buttons(card.Button{Text: card.T(fmt.Sprintf("签收（%s%s）", d.Name, roleNames[d.Role])), Type: card.Primary,
				Name: fmt.Sprint("ack_", d.DepartmentID), Value: val(actAcknowledge).With("department_id", d.DepartmentID)}))
		}
	}
	// One 退回 form: a contact of two of the proposal's departments returns it for the first.
	if len(mine) > 0 && v.ReturnUntil != "" && p.Round == 1 {
		d := mine[0]
		els = append(els, card.Form("dept_return",
			card.Input{Name: "return_reason", Label: card.T(fmt.Sprintf("交办有误？%s可在 %s 前退回，请写明理由", d.Name, v.ReturnUntil)),
				Multiline: true, MaxLength: store.MaxProposalText},
			card.Buttons(card.Button{Text: card.T("退回提案工作委员会"), Type: card.Danger, Name: "dept_return_submit", Form: card.Submit,
				Value:   val(actDeptReturn).With("department_id", d.DepartmentID),
				Confirm: &card.Confirm{Title: card.T("确认退回？"), Text: card.T("提案将退回提案工作委员会重新交办。")}})))
	}
	if v.Contact && p.PendingExtension() == nil && (v.Today == "" || v.Today <= p.ReplyDue) {
		els = append(els, card.Form("extend",
			card.DatePicker{Name: "extend_due", Label: card.T("申请延期：新的答复期限"), Required: true},
			card.Input{Name: "extend_reason", Label: card.T("延期理由"), Required: true, Multiline: true, MaxLength: store.MaxProposalText},
			card.Buttons(card.Button{Text: card.T("申请延期"), Name: "extend_submit", Form: card.Submit, Value: val(actExtend)})))
	}
	if v.Committee {
		if e := p.PendingExtension(); e != nil {
			ev := func(act string) card.Value { return val(act).With("extension_id", e.ID) }
			els = append(els, card.Divider(), card.Form("extension",
				card.Markdown(fmt.Sprintf("**%s申请延期至 %s**：%s", md(e.Department), e.RequestedDue, md(e.Reason))),
				card.Input{Name: "extension_note", Label: card.T("意见（不同意须写明理由）"), Multiline: true, MaxLength: store.MaxProposalText},
				card.Buttons(
					card.Button{Text: card.T("同意延期"), Type: card.Primary, Name: "extend_grant", Form: card.Submit, Value: ev(actExtendGrant)},
					card.Button{Text: card.T("不同意"), Name: "extend_refuse", Form: card.Submit, Value: ev(actExtendRefuse)})))
		}
		els = append(els, card.Form("set_due",
			card.DatePicker{Name: "new_due", Label: card.T("修改答复期限"), Required: true, Initial: p.ReplyDue},
			card.Buttons(card.Button{Text: card.T("改为此期限"), Name: "set_due_submit", Form: card.Submit, Value: val(actSetDue)})))
	}
	return els
}
