package proposals

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// cardFor renders p for v, with what only the transaction knows: the proposals merged into
// it, whether the sender answers for its 主办, and the masked phone.
func (h *Handlers) cardFor(c *bot.Context, p *store.Proposal, s *store.ProposalSession, v Viewer) (*card.Card, error) {
	return h.cardIn(c.Ctx, c.Tx, c.Now, p, s, v)
}

// cardIn is cardFor in a transaction at now (a job's).
func (h *Handlers) cardIn(ctx context.Context, tx *store.Tx, now time.Time, p *store.Proposal, s *store.ProposalSession, v Viewer) (*card.Card, error) {
	merged, err := tx.ProposalsMergedInto(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	if p.State == store.ProposalAssigned || p.State == store.ProposalReviewing {
		host, helper, err := h.answersFor(ctx, tx, p, v.MemberID)
		if err != nil {
			return nil, err
		}
		v.Contact, v.Helper = host, helper != nil
	}
	if err := tx.ProposalOpinions(ctx, p); err != nil {
		return nil, err
	}
	if v.Committee && p.State == store.ProposalClosed && p.Number != "" {
		over, _, err := tx.SessionHandlingOver(ctx, p.SessionID)
		if err != nil {
			return nil, err
		}
		v.Choosing = over
	}
	if v.MemberID == p.ProposerID || v.Overseer {
		v.Phone = h.maskedPhone(p)
	}
	if err := tx.ProposalTrail(ctx, p); err != nil {
		return nil, err
	}
	if err := tx.ProposalHandling(ctx, p); err != nil {
		return nil, err
	}
	if p.State == store.ProposalAssigned {
		mine, err := tx.ContactDepartments(ctx, v.MemberID)
		if err != nil {
			return nil, err
		}
		for _, d := range p.Departments {
			if slices.Contains(mine, d.DepartmentID) {
				v.Departments = append(v.Departments, d.DepartmentID)
				v.Contact = v.Contact || d.Role == store.DeptHost
			}
		}
		v.Today = h.localDate(now)
		if until, err := h.returnUntil(ctx, p); err != nil {
			return nil, err
		} else if until >= v.Today {
			v.ReturnUntil = until
		}
	}
	v.Loc = h.Loc
	return ProposalCard(p, s, merged, v), nil
}

// newDraft answers 新建提案: the form, 1:1 (asked in a group, it is sent 1:1).
func (h *Handlers) newDraft(c *bot.Context) (*bot.Response, error) {
	s, err := c.Tx.CurrentProposalSession(c.Ctx, c.Now)
	if err != nil {
		return c.Refusal(err)
	}
	late := s.Closed(c.Now)
	if late && !s.LateAsSuggestion {
		return bot.Warn(fmt.Sprintf("%s提案征集已于 %s 截止，不再接收提案。", s.Name, s.ClosesAt.In(h.Loc).Format("2006-01-02 15:04"))), nil
	}
	form := FormCard(s, nil, late)
	if c.ChatType == "group" {
		if err := sendCard(c, c.Sender.OpenID, form); err != nil {
			return nil, err
		}
		return bot.Info("提案表单已私信发给你，请在与我的单聊中填写。"), nil
	}
	return bot.ReplyCard(form), nil
}

// form is the draft form of a new proposal (no proposal_id) or of the sender's own one.
func (h *Handlers) form(c *bot.Context) (*bot.Response, error) {
	if c.Int("proposal_id") == 0 {
		return h.newDraft(c)
	}
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.ProposerID != c.Sender.MemberID {
		return bot.Warn("只有提案人可以修改提案。"), nil
	}
	if !store.ProposalEditable(p.State) {
		return h.stale(c, p, s)
	}
	return bot.ReplyCard(FormCard(s, p, s.Closed(c.Now))), nil
}

// save creates a draft or saves the proposer's edit from the form.
func (h *Handlers) save(c *bot.Context) (*bot.Response, error) {
	var p *store.Proposal
	var s *store.ProposalSession
	var err error
	if c.Int("proposal_id") == 0 {
		if s, err = c.Tx.CurrentProposalSession(c.Ctx, c.Now); err != nil {
			return c.Refusal(err)
		}
		if s.Closed(c.Now) && !s.LateAsSuggestion {
			return bot.Warn(fmt.Sprintf("%s提案征集已截止，不再接收提案。", s.Name)), nil
		}
		p = &store.Proposal{SessionID: s.ID, ProposerID: c.Sender.MemberID}
	} else {
		if p, s, err = h.load(c); err != nil {
			return c.Refusal(err)
		}
		if p.ProposerID != c.Sender.MemberID {
			return bot.Warn("只有提案人可以修改提案。"), nil
		}
		if !store.ProposalEditable(p.State) || !fresh(c, p) {
			return h.stale(c, p, s)
		}
	}
	version := p.Version
	before := p.Title + "\x00" + p.Reason + "\x00" + p.Suggestion
	p.Title, p.Category = c.FormString("title"), c.FormString("category")
	p.Reason, p.Suggestion = c.FormString("reason"), c.FormString("suggestion")
	p.SuggestedDepartments = c.FormString("departments")
	if err := store.ValidateProposal(p, s); err != nil {
		return c.Refusal(err)
	}
	phone := strings.TrimSpace(c.FormString("phone"))
	if phone != "" {
		if !store.ValidProposalPhone(phone) {
			return bot.Warn("联系电话格式不对（7 到 20 位数字，可含 + 和 -），可以不填。"), nil
		}
		if h.box == nil {
			return bot.Warn("系统未配置数据密钥，暂不能保存联系电话，请留空后再保存。"), nil
		}
	}
	if p.ID == 0 {
		err = c.Tx.CreateProposal(c.Ctx, p, c.Sender.OpenID)
	} else {
		err = c.Tx.UpdateProposalText(c.Ctx, p, version, c.Sender.OpenID)
	}
	if err != nil {
		return c.Refusal(err)
	}
	if phone != "" { // sealed into the row, whose id is part of the seal
		if err := c.Tx.SealInto(c.Ctx, h.box, store.SealedProposalPhone, p.ID, phone); err != nil {
			return nil, err
		}
	}
	toast := "草稿已保存。邀请代表附议，达到人数后提交。"
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	if changed := p.Title+"\x00"+p.Reason+"\x00"+p.Suggestion != before; changed && p.Agreed() > 0 {
		n, err := h.askAgain(c, p, s)
		if err != nil {
			return nil, err
		}
		toast = fmt.Sprintf("已保存。案由、理由或建议有改动，已请 %d 位附议人重新确认附议。", n)
		if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
			return nil, err
		}
	}
	r, err := h.card(c, p, s)
	if err != nil {
		return nil, err
	}
	filed, err := c.Tx.FiledProposals(c.Ctx, 1000)
	if err != nil {
		return nil, err
	}
	if sim := similarTo(p, filed); len(sim) > 0 {
		r.Card.(*card.Card).Prepend(similarPanel(sim)...)
	}
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// askAgain puts a proposal whose text changed back to co-signing (a returned one) and asks its
// agreed co-signers again: their 附议 was for the old text. It reports how many were asked.
func (h *Handlers) askAgain(c *bot.Context, p *store.Proposal, s *store.ProposalSession) (int, error) {
	if p.State == store.ProposalReturned {
		if err := c.Tx.StepProposal(c.Ctx, p, store.StepInvite, c.Sender.OpenID, store.ProposalChange{Detail: "案由、理由或建议有改动，重新征集附议"}); err != nil {
			return 0, err
		}
	}
	var asked []*store.Cosigner
	for _, cs := range p.Cosigners {
		if cs.Status != store.CosignAgreed {
			continue
		}
		if _, err := c.Tx.AnswerCosign(c.Ctx, p.ID, cs.MemberID, store.CosignAgreed, store.CosignInvited, c.Sender.OpenID); err != nil {
			return 0, err
		}
		asked = append(asked, cs)
	}
	q, err := c.Tx.ProposalByID(c.Ctx, p.ID)
	if err != nil {
		return 0, err
	}
	for _, cs := range asked {
		cd, err := h.cardFor(c, q, s, Viewer{MemberID: cs.MemberID, Delegate: true})
		if err != nil {
			return 0, err
		}
		cd.Prepend(card.Markdown(fmt.Sprintf("%s 修改了你附议过的提案（案由、理由或建议有改动），请重新确认是否附议。", md(q.ProposerName))))
		if err := sendCard(c, cs.OpenID, cd); err != nil {
			return 0, err
		}
	}
	return len(asked), nil
}

func (h *Handlers) show(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !h.maySee(c, p, s) {
		return bot.Warn("你没有查看该提案的权限。"), nil
	}
	return h.card(c, p, s)
}

// maySee: the proposer and co-signers, the overseers, the contacts of the departments it is
// assigned to, and every member once it is registered in a public session. Drafts only the
// proposer, invitees and the overseers.
func (h *Handlers) maySee(c *bot.Context, p *store.Proposal, s *store.ProposalSession) bool {
	if p.ProposerID == c.Sender.MemberID || p.Cosigner(c.Sender.MemberID) != nil || c.Sender.HasAny(store.ProposalOverseers) {
		return true
	}
	if p.State == store.ProposalDraft || p.State == store.ProposalCosigning || p.State == store.ProposalReturned {
		return false
	}
	if public(p, s) {
		return true
	}
	if !c.Sender.Has(store.RoleContact) {
		return false
	}
	mine, err := c.Tx.ContactDepartments(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return false
	}
	ds, err := c.Tx.ProposalDepartments(c.Ctx, p.ID)
	if err != nil {
		return false
	}
	for _, d := range ds {
		if slices.Contains(mine, d.DepartmentID) {
			return true
		}
	}
	return false
}

// invite sends the picked delegates the proposal's card with 同意附议 / 不同意.
func (h *Handlers) invite(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.ProposerID != c.Sender.MemberID {
		return bot.Warn("只有提案人可以邀请附议。"), nil
	}
	if !store.ProposalEditable(p.State) || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	ids := c.FormStrings("invitees")
	if len(ids) == 0 {
		return bot.Warn("请选择要邀请附议的代表。"), nil
	}
	var invitees []*store.Member
	for _, id := range ids {
		m, err := c.Tx.MemberByOpenID(c.Ctx, id)
		if err != nil {
			return bot.Warn("所选人员中有人不在工会名册中，不能邀请附议。"), nil
		}
		if m.ID == p.ProposerID {
			return bot.Warn("不能邀请自己附议自己的提案。"), nil
		}
		roles, err := c.Tx.Roles(c.Ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(roles, store.RoleDelegate) {
			return bot.Warn(fmt.Sprintf("%s 不是教代会代表，不能附议。", m.Name)), nil
		}
		invitees = append(invitees, m)
	}
	if p.State != store.ProposalCosigning {
		if err := c.Tx.StepProposal(c.Ctx, p, store.StepInvite, c.Sender.OpenID, store.ProposalChange{}); err != nil {
			return c.Refusal(err)
		}
	}
	n := 0
	for _, m := range invitees {
		added, err := c.Tx.InviteCosigner(c.Ctx, p.ID, m.ID, store.CosignInvited, c.Sender.OpenID)
		if err != nil {
			return c.Refusal(err)
		}
		if added {
			n++
		}
	}
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	for _, m := range invitees {
		cd, err := h.cardFor(c, p, s, Viewer{MemberID: m.ID, Delegate: true})
		if err != nil {
			return nil, err
		}
		if err := sendCard(c, m.OpenID, cd.Prepend(card.Markdown(fmt.Sprintf("%s 邀请你附议这件提案，请点击「同意附议」或「不同意」。", md(p.ProposerName))))); err != nil {
			return nil, err
		}
	}
	return h.cardWith(c, p, s, fmt.Sprintf("已邀请 %d 位代表附议。", n))
}

// cosign is 同意附议: an invitee's agreement, or a delegate's own 附议 from the card.
func (h *Handlers) cosign(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.ProposerID == c.Sender.MemberID {
		return bot.Warn("不能附议自己的提案。"), nil
	}
	cs := p.Cosigner(c.Sender.MemberID)
	if cs != nil && cs.Status == store.CosignAgreed {
		return bot.Warn("你已附议该提案。"), nil
	}
	if p.State != store.ProposalCosigning {
		return h.stale(c, p, s)
	}
	var changed bool
	if cs == nil {
		changed, err = c.Tx.InviteCosigner(c.Ctx, p.ID, c.Sender.MemberID, store.CosignAgreed, c.Sender.OpenID)
	} else {
		changed, err = c.Tx.AnswerCosign(c.Ctx, p.ID, c.Sender.MemberID, cs.Status, store.CosignAgreed, c.Sender.OpenID)
	}
	if err != nil {
		return c.Refusal(err)
	}
	if !changed { // a second click that raced the first: nothing new to tell the proposer
		return h.changed(c, p.ID, s, "你已附议该提案。")
	}
	return h.answered(c, p.ID, s, fmt.Sprintf("%s 同意附议你的提案「%s」", c.Sender.Name, p.Title), "已附议，谢谢！")
}

// answered re-reads p after a co-signer's answer, tells the proposer and shows the card.
func (h *Handlers) answered(c *bot.Context, id int64, s *store.ProposalSession, note, toast string) (*bot.Response, error) {
	p, err := c.Tx.ProposalByID(c.Ctx, id)
	if err != nil {
		return nil, err
	}
	if err := tell(c, p.ProposerOpenID, fmt.Sprintf("%s（已有 %d 人同意，至少需要 %d 人）。", note, p.Agreed(), s.MinCosigners)); err != nil {
		return nil, err
	}
	return h.cardWith(c, p, s, toast)
}

// decline is an invitee's 不同意.
func (h *Handlers) decline(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	cs := p.Cosigner(c.Sender.MemberID)
	switch {
	case cs == nil:
		return bot.Warn("你没有收到该提案的附议邀请。"), nil
	case cs.Status == store.CosignDeclined:
		return bot.Warn("你已表示不同意附议。"), nil
	case cs.Status == store.CosignAgreed:
		return bot.Warn("你已附议该提案；如需撤回，请点击「撤回附议」。"), nil
	case p.State != store.ProposalCosigning:
		return h.stale(c, p, s)
	}
	if _, err := c.Tx.AnswerCosign(c.Ctx, p.ID, c.Sender.MemberID, cs.Status, store.CosignDeclined, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	return h.answered(c, p.ID, s, fmt.Sprintf("%s 不同意附议你的提案「%s」", c.Sender.Name, p.Title), "已记录：不同意附议。")
}

// withdraw takes back one's 附议 before the proposal is submitted.
func (h *Handlers) withdraw(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	cs := p.Cosigner(c.Sender.MemberID)
	if cs == nil || cs.Status != store.CosignAgreed {
		return bot.Warn("你没有附议该提案。"), nil
	}
	if p.State != store.ProposalCosigning {
		return bot.Warn("提案已提交，不能再撤回附议。"), nil
	}
	if _, err := c.Tx.AnswerCosign(c.Ctx, p.ID, c.Sender.MemberID, store.CosignAgreed, store.CosignWithdrawn, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	return h.answered(c, p.ID, s, fmt.Sprintf("%s 撤回了对你的提案「%s」的附议", c.Sender.Name, p.Title), "已撤回附议。")
}

// submit submits the proposal once the minimum 附议 is reached; after the close it is taken
// as 意见建议 when the session says so.
func (h *Handlers) submit(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if p.ProposerID != c.Sender.MemberID {
		return bot.Warn("只有提案人可以提交提案。"), nil
	}
	if !store.ProposalEditable(p.State) || !fresh(c, p) {
		return h.stale(c, p, s)
	}
	step, toast := store.StepSubmit, "提案已提交，等待提案工作委员会审查。"
	set := map[string]any{"submitted_at": c.Tx.Now()}
	if s.Closed(c.Now) {
		if !s.LateAsSuggestion {
			return bot.Warn(fmt.Sprintf("%s提案征集已于 %s 截止，不能再提交。", s.Name, s.ClosesAt.In(h.Loc).Format("2006-01-02 15:04"))), nil
		}
		step, toast = store.StepLate, "提案征集已截止，本件已作为意见建议提交。"
		set["late"], set["kind"] = true, store.KindSuggestion
	} else if p.Agreed() < s.MinCosigners {
		return bot.Warn(fmt.Sprintf("附议人数不足：已有 %d 人同意，至少需要 %d 人。", p.Agreed(), s.MinCosigners)), nil
	}
	if err := c.Tx.StepProposal(c.Ctx, p, step, c.Sender.OpenID, store.ProposalChange{Set: set}); err != nil {
		return c.Refusal(err)
	}
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	return h.cardWith(c, p, s, toast)
}
