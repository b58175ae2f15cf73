package proposals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// The handling of an assigned proposal: a department's 签收 and 退回, the 主办's extension
// request, the committee's decision on it and its own change of the reply deadline. Each is a
// step of the state machine (store.ProposalNext), checked before anything is written.

// loadHandling reads the clicked proposal with its departments, 退回 and extensions.
func (h *Handlers) loadHandling(c *bot.Context) (*store.Proposal, *store.ProposalSession, error) {
	p, s, err := h.load(c)
	if err != nil {
		return nil, nil, err
	}
	return p, s, c.Tx.ProposalHandling(c.Ctx, p)
}

// returnUntil is the last day a department may 退回 p: proposals.return_workdays workdays
// after its 交办 (in the union's zone).
func (h *Handlers) returnUntil(ctx context.Context, p *store.Proposal) (string, error) {
	if p.AssignedAt == nil {
		return "", nil
	}
	if err := h.cal.Reload(ctx); err != nil {
		return "", err
	}
	return h.cal.AddWorkdays(p.AssignedAt.In(h.Loc), h.Config.Proposals.ReturnWorkdays).Format(time.DateOnly), nil
}

// contactOf returns p's assignment to the clicked department_id when the sender is one of its
// contacts, or nil.
func (h *Handlers) contactOf(c *bot.Context, p *store.Proposal, deptID int64) (*store.ProposalDepartment, error) {
	d := p.Department(deptID)
	if d == nil {
		return nil, nil
	}
	mine, err := c.Tx.ContactDepartments(c.Ctx, c.Sender.MemberID)
	if err != nil || !slices.Contains(mine, deptID) {
		return nil, err
	}
	return d, nil
}

// text reads a required form field within the limit; missing or too long: a refusal naming it.
func text(c *bot.Context, name, what string) (string, error) {
	s := strings.TrimSpace(c.FormString(name))
	if s == "" {
		return "", store.Errorf(store.EINVALID, "请填写%s。", what)
	}
	if n := utf8.RuneCountInString(s); n > store.MaxProposalText {
		return "", store.Errorf(store.EINVALID, "%s太长（最多 %d 字，现有 %d 字）。", what, store.MaxProposalText, n)
	}
	return s, nil
}

// acknowledge is a department's 签收 of its assignment.
func (h *Handlers) acknowledge(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.loadHandling(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.State != store.ProposalAssigned {
		return h.stale(c, p, s)
	}
	d, err := h.contactOf(c, p, c.Int("department_id"))
	if err != nil {
		return nil, err
	}
	if d == nil {
		return bot.Warn("只有交办单位的联系人可以签收该提案。"), nil
	}
	if d.AcknowledgedAt != nil {
		return bot.Warn(fmt.Sprintf("%s已于 %s 签收该提案（%s），无需重复签收。", d.Name, d.AcknowledgedAt.In(h.Loc).Format("01-02 15:04"), d.AckName)), nil
	}
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepAcknowledge, c.Sender.OpenID, store.ProposalChange{Detail: d.Name}); err != nil {
		return c.Refusal(err)
	}
	if ok, err := c.Tx.AcknowledgeAssignment(c.Ctx, p.ID, d.DepartmentID, c.Sender.MemberID); err != nil {
		return nil, err
	} else if !ok {
		return c.Refusal(store.Errorf(store.ECONFLICT, "%s已签收该提案，无需重复签收。", d.Name))
	}
	toast := fmt.Sprintf("已签收（%s%s）。", d.Name, roleNames[d.Role])
	if d.Role == store.DeptHost {
		toast += "请于 " + p.ReplyDue + " 前答复。"
	}
	return h.changed(c, p.ID, s, toast)
}

// deptReturn is a department's 退回 of a mis-assigned proposal, with a reason, within
// proposals.return_workdays of 交办: the proposal goes back to the committee, who are told.
func (h *Handlers) deptReturn(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.loadHandling(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.State != store.ProposalAssigned || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	d, err := h.contactOf(c, p, c.Int("department_id"))
	if err != nil {
		return nil, err
	}
	if d == nil {
		return bot.Warn("只有该提案承办单位的联系人可以退回。"), nil
	}
	if p.Round > 1 {
		return bot.Warn("第二轮办理的提案不能退回，请再次答复。"), nil
	}
	until, err := h.returnUntil(c.Ctx, p)
	if err != nil {
		return nil, err
	}
	if h.localDate(c.Now) > until {
		return bot.Warn(fmt.Sprintf("交办已超过 %d 个工作日（可退回至 %s），不能再退回。如确属交办有误，请与提案工作委员会联系。",
			h.Config.Proposals.ReturnWorkdays, until)), nil
	}
	reason, err := text(c, "return_reason", "退回理由")
	if err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepDeptReturn, c.Sender.OpenID, store.ProposalChange{Detail: d.Name + "：" + reason}); err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.AddProposalReturn(c.Ctx, &store.ProposalReturn{ProposalID: p.ID, DepartmentID: d.DepartmentID, Role: d.Role,
		Round: p.Round, MemberID: c.Sender.MemberID, Reason: reason, AssignedAt: d.AssignedAt}); err != nil {
		return nil, err
	}
	if err := h.toCommitteeFresh(c, p.ID, s, fmt.Sprintf("**%s**（%s）退回了此提案，理由：%s。请重新交办。", md(d.Name), roleNames[d.Role], md(reason))); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "已退回提案工作委员会重新交办，已通知提案工作委员会。")
}

// extend is the 主办's request for a later reply deadline, before the deadline has passed;
// the committee is asked.
func (h *Handlers) extend(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.loadHandling(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.State != store.ProposalAssigned || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	host, err := c.Tx.ProposalHost(c.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	d, err := h.contactOf(c, p, host)
	if err != nil {
		return nil, err
	}
	if d == nil {
		return bot.Warn("只有主办单位的联系人可以申请延期。"), nil
	}
	if e := p.PendingExtension(); e != nil {
		return bot.Warn(fmt.Sprintf("已有延期申请（延至 %s）等待提案工作委员会决定。", e.RequestedDue)), nil
	}
	if today := h.localDate(c.Now); today > p.ReplyDue {
		return bot.Warn(fmt.Sprintf("答复期限 %s 已过，不能再申请延期，请尽快答复。", p.ReplyDue)), nil
	}
	due, ok := store.ParseDate(c.FormString("extend_due"))
	if !ok {
		return bot.Warn("请选择新的答复期限。"), nil
	}
	if due <= p.ReplyDue {
		return bot.Warn(fmt.Sprintf("新的答复期限须晚于现在的期限 %s。", p.ReplyDue)), nil
	}
	reason, err := text(c, "extend_reason", "延期理由")
	if err != nil {
		return c.Refusal(err)
	}
	old := p.ReplyDue
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepExtendRequest, c.Sender.OpenID, store.ProposalChange{
		Detail: fmt.Sprintf("%s → %s：%s", old, due, reason)}); err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.AddProposalExtension(c.Ctx, &store.ProposalExtension{ProposalID: p.ID, DepartmentID: d.DepartmentID, Round: p.Round,
		RequestedBy: c.Sender.MemberID, OldDue: old, RequestedDue: due, Reason: reason}); err != nil {
		return nil, err
	}
	if err := h.toCommitteeFresh(c, p.ID, s, fmt.Sprintf("**%s**申请将答复期限由 %s 延至 **%s**，理由：%s。请决定。", md(d.Name), old, due, md(reason))); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "延期申请已提交，等待提案工作委员会决定。")
}

func (h *Handlers) extendGrant(c *bot.Context) (*bot.Response, error) {
	return h.decideExtension(c, true)
}
func (h *Handlers) extendRefuse(c *bot.Context) (*bot.Response, error) {
	return h.decideExtension(c, false)
}

// decideExtension is the committee's decision on the pending extension request: granted, the
// reply deadline moves to the requested date; refused (with a reason), it stays. The 主办's
// contacts are told.
func (h *Handlers) decideExtension(c *bot.Context, grant bool) (*bot.Response, error) {
	p, s, err := h.loadHandling(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.State != store.ProposalAssigned || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	e := p.PendingExtension()
	if e == nil || e.ID != c.Int("extension_id") {
		return bot.Warn("该延期申请已处理。"), nil
	}
	note := strings.TrimSpace(c.FormString("extension_note"))
	if utf8.RuneCountInString(note) > store.MaxProposalText {
		return bot.Warn(fmt.Sprintf("意见太长（最多 %d 字）。", store.MaxProposalText)), nil
	}
	step, status, told := store.StepExtendGrant, store.ExtensionApproved, ""
	ch := store.ProposalChange{Detail: fmt.Sprintf("%s → %s", e.OldDue, e.RequestedDue)}
	if grant {
		if e.RequestedDue < h.localDate(c.Now) {
			return bot.Warn(fmt.Sprintf("申请延至的 %s 已过，不能同意；请直接修改答复期限。", e.RequestedDue)), nil
		}
		ch.Set = map[string]any{"reply_due": e.RequestedDue}
		told = fmt.Sprintf("提案「%s」的延期申请已同意，答复期限改为 %s。%s", p.Title, e.RequestedDue, withNote(note))
	} else {
		if note == "" {
			return bot.Warn("不同意延期须写明理由，请在「意见」中填写。"), nil
		}
		step, status = store.StepExtendRefuse, store.ExtensionRefused
		ch.Detail += "：" + note
		told = fmt.Sprintf("提案「%s」的延期申请未获同意（%s），答复期限仍为 %s，请按期答复。", p.Title, note, p.ReplyDue)
	}
	if err := c.Tx.StepProposal(c.Ctx, p, step, c.Sender.OpenID, ch); err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.DecideProposalExtension(c.Ctx, e.ID, status, c.Sender.MemberID, note); err != nil {
		return c.Refusal(err)
	}
	if err := h.toHost(c, p, s, func(_ *store.Department, m *store.Member) error { return tell(c, m.OpenID, told) }); err != nil {
		return nil, err
	}
	if grant {
		return h.changed(c, p.ID, s, "已同意延期，答复期限改为 "+e.RequestedDue+"，已通知主办单位。")
	}
	return h.changed(c, p.ID, s, "已不同意延期，已通知主办单位。")
}

// setDue is the committee's change of an assigned proposal's reply deadline; the 主办's
// contacts are told.
func (h *Handlers) setDue(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.State != store.ProposalAssigned || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	due, err := h.dueFromForm(c, "new_due")
	if err != nil || due == "" {
		if err == nil {
			err = store.Errorf(store.EINVALID, "请选择答复期限。")
		}
		return c.Refusal(err)
	}
	if due == p.ReplyDue {
		return bot.Warn("答复期限没有变化。"), nil
	}
	old := p.ReplyDue
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepSetDue, c.Sender.OpenID, store.ProposalChange{
		Set: map[string]any{"reply_due": due}, Detail: old + " → " + due}); err != nil {
		return c.Refusal(err)
	}
	told := fmt.Sprintf("提案工作委员会将提案「%s」的答复期限由 %s 改为 %s。", p.Title, old, due)
	if err := h.toHost(c, p, s, func(_ *store.Department, m *store.Member) error { return tell(c, m.OpenID, told) }); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "答复期限已改为 "+due+"，已通知主办单位。")
}

// dueFromForm reads a reply deadline picked on a form: "" when none was picked, a refusal
// when it is not a date or is before today.
func (h *Handlers) dueFromForm(c *bot.Context, name string) (string, error) {
	raw := strings.TrimSpace(c.FormString(name))
	if raw == "" {
		return "", nil
	}
	due, ok := store.ParseDate(raw)
	if !ok {
		return "", store.Errorf(store.EINVALID, "答复期限「%s」不是日期。", raw)
	}
	if today := h.localDate(c.Now); due < today {
		return "", store.Errorf(store.EINVALID, "答复期限 %s 早于今天（%s）。", due, today)
	}
	return due, nil
}

// toCommitteeFresh is toCommittee for proposal id read again after the step.
func (h *Handlers) toCommitteeFresh(c *bot.Context, id int64, s *store.ProposalSession, note string) error {
	p, err := c.Tx.ProposalByID(c.Ctx, id)
	if err != nil {
		return err
	}
	return h.toCommittee(c, p, s, note)
}

// committeeMembers lists the active members holding the committee role (提案委员), each once.
func committeeMembers(ctx context.Context, db *store.DB) ([]store.Member, error) {
	holders, err := db.RoleHolders(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.Member
	seen := map[int64]bool{}
	for _, h := range holders {
		if h.Role == store.RoleCommittee && h.Active && h.OpenID != "" && !seen[h.ID] {
			seen[h.ID] = true
			out = append(out, h.Member)
		}
	}
	return out, nil
}
