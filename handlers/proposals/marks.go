package proposals

import (
	"fmt"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// keyFirst orders proposals with the 重点提案 first, keeping the order otherwise.
func keyFirst(ps []*store.Proposal) {
	slices.SortStableFunc(ps, func(a, b *store.Proposal) int {
		switch {
		case a.KeyProposal == b.KeyProposal:
			return 0
		case a.KeyProposal:
			return -1
		}
		return 1
	})
}

// withMarks is a list line's marks, with a leading space ("" when unmarked).
func withMarks(p *store.Proposal) string {
	if m := marks(p); m != "" {
		return " " + m
	}
	return ""
}

// markKey is the chair's 列为重点提案 / 取消重点提案 of a registered proposal not yet closed;
// the proposer is told.
func (h *Handlers) markKey(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	on := c.Bool("on")
	switch {
	case p.Number == "":
		return bot.Warn("只有已立案的提案可以列为重点提案。"), nil
	case p.State == store.ProposalClosed:
		return bot.Warn("该提案已办结，不能再更改重点提案标记。"), nil
	}
	if p.KeyProposal == on {
		return bot.Warn(map[bool]string{true: "该提案已是重点提案。", false: "该提案不是重点提案。"}[on]), nil
	}
	if err := c.Tx.MarkProposal(c.Ctx, p, "key_proposal", on, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	text := fmt.Sprintf("你的提案「%s」（%s）已列为重点提案，将重点督办。", p.Title, p.Number)
	toast := "已列为重点提案，已通知提案人。"
	if !on {
		text = fmt.Sprintf("你的提案「%s」（%s）不再列为重点提案，仍照常办理。", p.Title, p.Number)
		toast = "已取消重点提案，已通知提案人。"
	}
	if err := tell(c, p.ProposerOpenID, text); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, toast)
}

// markExcellent is the committee's 评为优秀提案 / 取消优秀提案: chosen among the session's
// registered proposals once every one of them is closed (the handling is over); the proposer
// is told 1:1.
func (h *Handlers) markExcellent(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	on := c.Bool("on")
	if p.Number == "" || p.State != store.ProposalClosed {
		return bot.Warn("只有已立案并已办结的提案可以评为优秀提案。"), nil
	}
	over, open, err := c.Tx.SessionHandlingOver(c.Ctx, p.SessionID)
	if err != nil {
		return nil, err
	}
	if !over {
		return bot.Warn(fmt.Sprintf("%s还有 %d 件立案提案未办结，全部办结后再评选优秀提案。", s.Name, open)), nil
	}
	if p.Excellent == on {
		return bot.Warn(map[bool]string{true: "该提案已是优秀提案。", false: "该提案不是优秀提案。"}[on]), nil
	}
	if err := c.Tx.MarkProposal(c.Ctx, p, "excellent", on, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	toast := "已取消优秀提案。"
	if on {
		toast = "已评为优秀提案，已通知提案人。"
		if err := tell(c, p.ProposerOpenID, fmt.Sprintf("祝贺！你的提案「%s」（%s）被提案工作委员会评为%s优秀提案。", p.Title, p.Number, s.Name)); err != nil {
			return nil, err
		}
	}
	return h.changed(c, p.ID, s, toast)
}

// excellentList answers 优秀提案 [届次]: the session's 优秀提案, for whoever may see its list;
// the committee is told whether the choice is open.
func (h *Handlers) excellentList(c *bot.Context) (*bot.Response, error) {
	s, err := h.session(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !s.PublicAfterRegister && !c.Sender.HasAny(store.ProposalOverseers) && !c.Sender.Has(store.RoleContact) {
		return bot.Warn(fmt.Sprintf("%s的提案不向全体会员公开。", s.Name)), nil
	}
	ps, err := c.Tx.ProposalsBySession(c.Ctx, s.ID, store.ProposalClosed)
	if err != nil {
		return nil, err
	}
	cd := card.New("优秀提案").Subtitle(s.Name).Color(card.Green)
	n := 0
	for _, p := range ps {
		if !p.Excellent {
			continue
		}
		n++
		cd.Add(card.Markdown(fmt.Sprintf("**%s** %s · %s · 提案人 %s", p.Number, md(p.Title), md(p.Category), md(p.ProposerName))),
			card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actShow).With("proposal_id", p.ID)}))
	}
	if n == 0 {
		cd.Add(card.Markdown("本届尚未评出优秀提案。"))
	}
	if c.Sender.HasAny(store.Committee) {
		over, open, err := c.Tx.SessionHandlingOver(c.Ctx, s.ID)
		if err != nil {
			return nil, err
		}
		if over {
			cd.Add(card.Note("本届立案提案已全部办结：在已办结提案的卡片上点「评为优秀提案」（发送「提案列表」查看全部）。"))
		} else {
			cd.Add(card.Note(fmt.Sprintf("本届还有 %d 件立案提案未办结，全部办结后评选优秀提案。", open)))
		}
	}
	return bot.ReplyCard(cd), nil
}

// record answers 履职记录 [姓名或工号] [届次]: a delegate's proposals, co-signatures and
// ratings in a session (the current one unless named), as a card 1:1. Anyone may ask for their
// own; the committee, officers and the chair for a named member.
func (h *Handlers) record(c *bot.Context) (*bot.Response, error) {
	var s *store.ProposalSession
	who, named := c.Sender.MemberID, false
	for _, a := range strings.Fields(c.ArgText) {
		if s == nil {
			if x, err := c.Tx.ProposalSessionByName(c.Ctx, a); err == nil {
				s = x
				continue
			} else if store.ErrorCode(err) != store.ENOTFOUND {
				return nil, err
			}
		}
		if named {
			return bot.Warn("用法：履职记录 [姓名或工号] [届次]"), nil
		}
		named = true
		m, err := findMember(c, a)
		if err != nil {
			return c.Refusal(err)
		}
		if m.ID != c.Sender.MemberID && !c.Sender.HasAny(store.ProposalOverseers) {
			return bot.Warn("只有提案工作委员会、工会干事和主席可以查看其他代表的履职记录；发送「履职记录」查看你自己的。"), nil
		}
		who = m.ID
	}
	if s == nil {
		var err error
		if s, err = c.Tx.CurrentProposalSession(c.Ctx, c.Now); err != nil {
			return c.Refusal(err)
		}
	}
	m, err := c.Tx.MemberByID(c.Ctx, who)
	if err != nil {
		return nil, err
	}
	rec, err := c.Tx.DelegateRecordOf(c.Ctx, who, s.ID)
	if err != nil {
		return nil, err
	}
	cd := RecordCard(m.Name, s, rec)
	if c.ChatType == "group" {
		if err := sendCard(c, c.Sender.OpenID, cd); err != nil {
			return nil, err
		}
		return bot.Info("履职记录已私信发给你。"), nil
	}
	return bot.ReplyCard(cd), nil
}

// findMember finds exactly one member by 工号 or name, or says why not.
func findMember(c *bot.Context, q string) (*store.Member, error) {
	found, err := c.Tx.FindMembers(c.Ctx, q, 6)
	if err != nil {
		return nil, err
	}
	var exact []*store.Member
	for _, m := range found {
		if m.EmployeeNo == q || m.Name == q {
			exact = append(exact, m)
		}
	}
	switch {
	case len(exact) == 1:
		return exact[0], nil
	case len(exact) == 0 && len(found) == 1:
		return found[0], nil
	case len(found) == 0:
		return nil, store.Errorf(store.ENOTFOUND, "找不到「%s」，请使用工号或完整姓名。", q)
	}
	return nil, store.Errorf(store.EINVALID, "「%s」对应多位成员，请改用工号。", q)
}

// RecordCard is a delegate's 履职记录 in a session.
func RecordCard(name string, s *store.ProposalSession, r *store.DelegateRecord) *card.Card {
	registered, marked := 0, 0
	for _, p := range r.Proposed {
		if p.Number != "" {
			registered++
		}
		if p.KeyProposal || p.Excellent {
			marked++
		}
	}
	f := func(label string, n int) card.Field {
		return card.Field{Label: card.T(label), Value: card.T(fmt.Sprint(n))}
	}
	cd := card.New("履职记录：" + name).Subtitle(s.Name).Color(card.Indigo).Add(
		card.Fields(f("提出提案", len(r.Proposed)), f("其中立案", registered), f("附议", len(r.Cosigned)), f("评价答复", len(r.Ratings))))
	line := func(p *store.Proposal) string {
		num := p.Number
		if num == "" {
			num = "未立案"
		}
		return fmt.Sprintf("%s %s · %s%s%s", num, md(p.Title), store.ProposalStateNames[p.State], roundNote(p), withMarks(p))
	}
	section := func(title string, ps []*store.Proposal, none string) {
		lines := []string{"**" + title + "**"}
		for _, p := range ps {
			lines = append(lines, line(p))
		}
		if len(lines) == 1 {
			lines = append(lines, none)
		}
		cd.Add(card.Markdown(strings.Join(lines, "\n")))
	}
	section("提出的提案", r.Proposed, "无")
	section("附议的提案", r.Cosigned, "无")
	lines := []string{"**对答复的评价**"}
	for _, x := range r.Ratings {
		l := fmt.Sprintf("%s %s · 第 %d 轮：%s", orNone(x.Number), md(x.Title), x.Round, ratingNames[x.Rating])
		if x.Comment != "" {
			l += "（" + md(x.Comment) + "）"
		}
		lines = append(lines, l)
	}
	if len(r.Ratings) == 0 {
		lines = append(lines, "无")
	}
	cd.Add(card.Markdown(strings.Join(lines, "\n")))
	if marked > 0 {
		cd.Add(card.Note("⭐ 重点提案　🏅 优秀提案"))
	}
	return cd
}

func orNone(number string) string {
	if number == "" {
		return "未立案"
	}
	return number
}
