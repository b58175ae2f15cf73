package proposals

import (
	"context"
	"fmt"
	"slices"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// answersFor says whether a member answers for p's 主办 (host), or for one of its 协办
// departments (helper: that department; the first when several).
func (h *Handlers) answersFor(ctx context.Context, tx *store.Tx, p *store.Proposal, memberID int64) (host bool, helper *store.ProposalDepartment, err error) {
	mine, err := tx.ContactDepartments(ctx, memberID)
	if err != nil || len(mine) == 0 {
		return false, nil, err
	}
	ds, err := tx.ProposalDepartments(ctx, p.ID)
	if err != nil {
		return false, nil, err
	}
	for i, d := range ds {
		if !slices.Contains(mine, d.DepartmentID) {
			continue
		}
		if d.Role == store.DeptHost {
			host = true
		} else if helper == nil {
			helper = &ds[i]
		}
	}
	return host, helper, nil
}

// opinion records a 协办 department's opinion on a proposal awaiting its reply and tells the
// 主办's contacts, who see it on their card and on the reply form.
func (h *Handlers) opinion(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	_, helper, err := h.answersFor(c.Ctx, c.Tx, p, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	if helper == nil {
		return bot.Warn("只有协办单位的联系人可以发送协办意见。"), nil
	}
	if p.State != store.ProposalAssigned {
		return h.stale(c, p, s)
	}
	text := c.FormString("opinion")
	if err := c.Tx.SaveProposalOpinion(c.Ctx, p, helper.DepartmentID, c.Sender.MemberID, text, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.ProposalOpinions(c.Ctx, p); err != nil {
		return nil, err
	}
	var sent string
	for _, o := range p.Opinions {
		if o.DepartmentID == helper.DepartmentID {
			sent = o.Text
		}
	}
	err = h.toHost(c, p, s, func(d *store.Department, m *store.Member) error {
		return tell(c, m.OpenID, fmt.Sprintf("协办单位%s对提案「%s」（%s）的协办意见：%s\n答复时请参考（提案卡片和答复表单上也可看到）。",
			helper.Name, p.Title, p.Number, sent))
	})
	if err != nil {
		return nil, err
	}
	if err := h.showLive(c, p.ID); err != nil {
		return nil, err
	}
	return h.cardWith(c, p, s, "协办意见已发送给主办单位。")
}

// toCommittee sends every 提案委员 the proposal's card (with the review buttons) under a note.
func (h *Handlers) toCommittee(c *bot.Context, p *store.Proposal, s *store.ProposalSession, note string) error {
	ms, err := c.Tx.MembersWithRole(c.Ctx, store.RoleCommittee)
	if err != nil {
		return err
	}
	for _, m := range ms {
		cd, err := h.cardFor(c, p, s, Viewer{MemberID: m.ID, Committee: true, Overseer: true})
		if err != nil {
			return err
		}
		if err := sendCard(c, m.OpenID, cd.Prepend(card.Markdown(note))); err != nil {
			return err
		}
	}
	return nil
}

// approveReply is 答复审核 passed: the proposer (and the raters) get the reply with the rating
// form; the 主办's contacts are told.
func (h *Handlers) approveReply(c *bot.Context) (*bot.Response, error) {
	p, r, err := h.loadReviewing(c)
	if p == nil || err != nil {
		return r, err
	}
	sess, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
	if err != nil {
		return nil, err
	}
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepApproveReply, c.Sender.OpenID, store.ProposalChange{
		Set: map[string]any{"replied_at": c.Tx.Now()}}); err != nil {
		return c.Refusal(err)
	}
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	if err := h.sendRating(c, p, sess); err != nil {
		return nil, err
	}
	err = h.toHost(c, p, sess, func(d *store.Department, m *store.Member) error {
		return tell(c, m.OpenID, fmt.Sprintf("你单位对提案「%s」（%s）的答复已通过审核，已送提案人评价。", p.Title, p.Number))
	})
	if err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, sess, "答复已审核通过，已送提案人评价。")
}

// redoReply sends the reply back to the 主办 with the reason; its contacts get the card with
// the reply button again.
func (h *Handlers) redoReply(c *bot.Context) (*bot.Response, error) {
	p, r, err := h.loadReviewing(c)
	if p == nil || err != nil {
		return r, err
	}
	n, err := note(c, "退回答复须写明理由，请在「审核意见」中填写。")
	if err != nil {
		return c.Refusal(err)
	}
	sess, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
	if err != nil {
		return nil, err
	}
	if err := c.Tx.StepProposal(c.Ctx, p, store.StepRedoReply, c.Sender.OpenID, store.ProposalChange{
		Set: map[string]any{"reply_review_note": n}, Detail: n}); err != nil {
		return c.Refusal(err)
	}
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	err = h.toHost(c, p, sess, func(d *store.Department, m *store.Member) error {
		cd, err := h.cardFor(c, p, sess, Viewer{MemberID: m.ID})
		if err != nil {
			return err
		}
		return sendCard(c, m.OpenID, cd.Prepend(card.Markdown(fmt.Sprintf("提案工作委员会退回了%s的答复：%s\n请修改后重新答复，答复期限 **%s**。",
			md(d.Name), md(n), p.ReplyDue))))
	})
	if err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, sess, "答复已退回主办单位重新答复。")
}

// loadReviewing reads the proposal of a 答复审核 click: one whose reply awaits review, as the
// card showed it. A refusal or the stale answer comes back as the response (second value)
// with a nil proposal.
func (h *Handlers) loadReviewing(c *bot.Context) (*store.Proposal, *bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		r, err := c.Refusal(err)
		return nil, r, err
	}
	if p.State != store.ProposalReviewing || !fresh(c, p) {
		r, err := h.stale(c, p, s)
		return nil, r, err
	}
	return p, nil, nil
}
