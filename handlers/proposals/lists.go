package proposals

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// awaited says what a proposal waits for, as its proposer reads it.
func awaited(p *store.Proposal, s *store.ProposalSession) string {
	switch p.State {
	case store.ProposalDraft:
		return "等你邀请附议并提交"
	case store.ProposalCosigning:
		if p.Agreed() >= s.MinCosigners {
			return "附议人数已够，可以提交"
		}
		return fmt.Sprintf("等待附议（%d/%d）", p.Agreed(), s.MinCosigners)
	case store.ProposalSubmitted:
		return "等待提案工作委员会审查"
	case store.ProposalReturned:
		return "等你修改后重新提交"
	case store.ProposalRegistered, store.ProposalSuggestion:
		return "等待交办"
	case store.ProposalAssigned:
		return "等待承办单位答复，期限 " + p.ReplyDue
	case store.ProposalReviewing:
		return "承办单位已答复，待提案工作委员会审核"
	case store.ProposalReplied:
		return "等你评价答复"
	}
	return ""
}

// mine answers 我的提案: the member's proposals with state, round and what is awaited, and
// the proposals they co-signed.
func (h *Handlers) mine(c *bot.Context) (*bot.Response, error) {
	ps, err := c.Tx.ProposalsByMember(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	keyFirst(ps)
	cd := card.New("我的提案").Color(card.Blue)
	if len(ps) == 0 {
		cd.Add(card.Markdown("你还没有提案。代表可发送「新建提案」起草。"))
	}
	sessions := map[int64]*store.ProposalSession{}
	for _, p := range ps {
		s := sessions[p.SessionID]
		if s == nil {
			if s, err = c.Tx.ProposalSessionByID(c.Ctx, p.SessionID); err != nil {
				return nil, err
			}
			sessions[p.SessionID] = s
		}
		line := fmt.Sprintf("**%s** %s · %s%s%s", md(p.Title), p.Number, store.ProposalStateNames[p.State], roundNote(p), withMarks(p))
		if w := awaited(p, s); w != "" {
			line += " · " + w
		}
		cd.Add(card.Markdown(line), card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actShow).With("proposal_id", p.ID)}))
	}
	return bot.ReplyCard(cd), nil
}

// find answers 提案 <立案编号或关键词>: the card of the proposal with that number, or the
// proposals the sender may see whose 案由 contains the words.
func (h *Handlers) find(c *bot.Context) (*bot.Response, error) {
	q := strings.TrimSpace(c.ArgText)
	if p, err := c.Tx.ProposalByNumber(c.Ctx, q); err == nil {
		s, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
		if err != nil {
			return nil, err
		}
		if !h.maySee(c, p, s) {
			return bot.Warn("你没有查看该提案的权限。"), nil
		}
		if c.ChatType == "group" && c.ChatID != "" {
			if public(p, s) {
				return h.postLive(c, p, s)
			}
			cd, err := h.cardFor(c, p, s, h.viewer(c))
			if err != nil {
				return nil, err
			}
			if err := sendCard(c, c.Sender.OpenID, cd); err != nil {
				return nil, err
			}
			return bot.Info("该提案不公开，已私信发给你。"), nil
		}
		return h.card(c, p, s)
	} else if store.ErrorCode(err) != store.ENOTFOUND {
		return nil, err
	}
	ps, err := c.Tx.SearchProposals(c.Ctx, q, 50)
	if err != nil {
		return nil, err
	}
	cd := card.New("提案：" + q).Color(card.Blue)
	n := 0
	for _, p := range ps {
		s, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
		if err != nil {
			return nil, err
		}
		if !h.maySee(c, p, s) || n == 10 {
			continue
		}
		n++
		cd.Add(card.Markdown(fmt.Sprintf("**%s** %s · %s · %s", md(p.Title), p.Number, md(p.SessionName), store.ProposalStateNames[p.State])),
			card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actShow).With("proposal_id", p.ID)}))
	}
	if n == 0 {
		return bot.Info(fmt.Sprintf("没有找到与「%s」有关、你可以查看的提案。", q)), nil
	}
	return bot.ReplyCard(cd), nil
}

// session is the session named by the first argument, or the current one.
func (h *Handlers) session(c *bot.Context) (*store.ProposalSession, error) {
	if a := strings.TrimSpace(c.ArgText); a != "" {
		return c.Tx.ProposalSessionByName(c.Ctx, a)
	}
	return c.Tx.CurrentProposalSession(c.Ctx, c.Now)
}

// list answers 提案列表 [届次]: the session's registered proposals with their state, for the
// overseers and contacts always, for every member when the session makes them public.
// Drafts and phone numbers are never listed.
func (h *Handlers) list(c *bot.Context) (*bot.Response, error) {
	s, err := h.session(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !s.PublicAfterRegister && !c.Sender.HasAny(store.ProposalOverseers) && !c.Sender.Has(store.RoleContact) {
		return bot.Warn(fmt.Sprintf("%s的提案不向全体会员公开；请发送「我的提案」查看你自己的提案。", s.Name)), nil
	}
	ps, err := c.Tx.ProposalsBySession(c.Ctx, s.ID)
	if err != nil {
		return nil, err
	}
	keyFirst(ps)
	cd := card.New("提案列表").Subtitle(s.Name).Color(card.Indigo)
	n := 0
	for _, p := range ps {
		if p.Number == "" {
			continue
		}
		n++
		cd.Add(card.Markdown(fmt.Sprintf("**%s** %s · %s · %s%s%s", p.Number, md(p.Title), md(p.Category), store.ProposalStateNames[p.State], roundNote(p), withMarks(p))))
	}
	if n == 0 {
		cd.Add(card.Markdown("本届还没有立案的提案。"))
	}
	return bot.ReplyCard(cd), nil
}
