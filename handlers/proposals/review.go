package proposals

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// queue answers 提案审查: the current session's proposals awaiting review or 交办, and the
// replies awaiting review (答复审核).
func (h *Handlers) queue(c *bot.Context) (*bot.Response, error) {
	s, err := c.Tx.CurrentProposalSession(c.Ctx, c.Now)
	if err != nil {
		return c.Refusal(err)
	}
	ps, err := c.Tx.ProposalsBySession(c.Ctx, s.ID, store.ProposalSubmitted, store.ProposalRegistered, store.ProposalSuggestion,
		store.ProposalReassign, store.ProposalAssigned, store.ProposalReviewing)
	if err != nil {
		return nil, err
	}
	// Assigned proposals are in the queue only while an extension request awaits the committee.
	for _, p := range ps {
		if p.State == store.ProposalAssigned {
			if err := c.Tx.ProposalHandling(c.Ctx, p); err != nil {
				return nil, err
			}
		}
	}
	ps = slices.DeleteFunc(ps, func(p *store.Proposal) bool { return p.State == store.ProposalAssigned && p.PendingExtension() == nil })
	keyFirst(ps)
	cd := card.New("提案审查").Subtitle(s.Name).Color(card.Blue)
	if len(ps) == 0 {
		cd.Add(card.Markdown("没有待审查、待交办、答复待审核或待决定延期的提案。"))
	}
	for _, p := range ps {
		state := store.ProposalStateNames[p.State]
		if p.State == store.ProposalAssigned {
			state = "延期申请待决定"
		}
		cd.Add(card.Markdown(fmt.Sprintf("**%s** · %s · %s · 附议 %d 人%s", md(p.Title), md(p.ProposerName), state, p.Agreed(), withMarks(p))),
			card.Buttons(card.Button{Text: card.T("审查"), Value: card.Action(actShow).With("proposal_id", p.ID)}))
	}
	return bot.ReplyCard(cd), nil
}

// decide is the shared course of a committee decision: the proposal must still be as the card
// showed it; check refuses (before any write) or returns the change; the proposer is told.
func (h *Handlers) decide(c *bot.Context, step string, check func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error)) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if _, err := store.ProposalNext(p.State, step); err != nil {
		if step == store.StepRegister && p.State == store.ProposalRegistered {
			return bot.Warn(fmt.Sprintf("该提案已立案（%s），不能重复立案。", p.Number)), nil
		}
		return h.stale(c, p, s)
	}
	if !fresh(c, p) {
		return h.stale(c, p, s)
	}
	ch, tellText, err := check(p, s)
	if err != nil || ch == nil {
		return c.Refusal(err)
	}
	if err := c.Tx.StepProposal(c.Ctx, p, step, c.Sender.OpenID, *ch); err != nil {
		return c.Refusal(err)
	}
	if err := tell(c, p.ProposerOpenID, tellText); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "已"+stepDone[step]+"，已通知提案人。")
}

var stepDone = map[string]string{store.StepRegister: "立案", store.StepMerge: "并案", store.StepToSuggestion: "转为意见建议",
	store.StepReject: "不予立案", store.StepReturn: "退回修改", store.StepAssign: "交办"}

// note reads the form's 审查意见, required for some decisions, within the limit.
func note(c *bot.Context, required string) (string, error) {
	n := strings.TrimSpace(c.FormString("note"))
	if n == "" && required != "" {
		return "", store.Errorf(store.EINVALID, "%s", required)
	}
	if utf8.RuneCountInString(n) > store.MaxProposalText {
		return "", store.Errorf(store.EINVALID, "审查意见太长（最多 %d 字）。", store.MaxProposalText)
	}
	return n, nil
}

func (h *Handlers) register(c *bot.Context) (*bot.Response, error) {
	return h.decide(c, store.StepRegister, func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error) {
		seq, number, err := c.Tx.NextProposalNumber(c.Ctx, s)
		if err != nil {
			return nil, "", err
		}
		return &store.ProposalChange{Set: map[string]any{"seq": seq, "number": number, "decision": store.StepRegister}, Detail: number},
			fmt.Sprintf("你的提案「%s」已立案，立案编号 %s，将交有关单位办理。", p.Title, number), nil
	})
}

func (h *Handlers) toSuggestion(c *bot.Context) (*bot.Response, error) {
	return h.decide(c, store.StepToSuggestion, func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error) {
		n, err := note(c, "")
		if err != nil {
			return nil, "", err
		}
		return &store.ProposalChange{Set: map[string]any{"kind": store.KindSuggestion, "decision": store.StepToSuggestion, "decision_note": n}},
			fmt.Sprintf("你的提案「%s」经审查转为意见建议，仍将交有关单位答复。%s", p.Title, withNote(n)), nil
	})
}

func (h *Handlers) reject(c *bot.Context) (*bot.Response, error) {
	return h.decideWithNote(c, store.StepReject, "不予立案须写明理由，请在「审查意见」中填写。", "你的提案「%s」经审查不予立案。理由：%s")
}

func (h *Handlers) sendBack(c *bot.Context) (*bot.Response, error) {
	return h.decideWithNote(c, store.StepReturn, "退回修改须写明修改意见，请在「审查意见」中填写。",
		"你的提案「%s」被退回修改。修改意见：%s 修改后请重新提交（发送「我的提案」）。")
}

// decideWithNote is a decision that needs the form's 审查意见 (missing: the refusal
// required); the proposer is told tellFormat with the title and the note.
func (h *Handlers) decideWithNote(c *bot.Context, step, required, tellFormat string) (*bot.Response, error) {
	return h.decide(c, step, func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error) {
		n, err := note(c, required)
		if err != nil {
			return nil, "", err
		}
		return &store.ProposalChange{Set: map[string]any{"decision": step, "decision_note": n}, Detail: n},
			fmt.Sprintf(tellFormat, p.Title, n), nil
	})
}

func (h *Handlers) merge(c *bot.Context) (*bot.Response, error) {
	return h.decide(c, store.StepMerge, func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error) {
		raw := strings.TrimSpace(c.FormString("target"))
		if raw == "" {
			return nil, "", store.Errorf(store.EINVALID, "请填写并入的提案（立案编号或提案号）。")
		}
		var t *store.Proposal
		var err error
		if id, perr := strconv.ParseInt(raw, 10, 64); perr == nil {
			t, err = c.Tx.ProposalByID(c.Ctx, id)
		} else {
			t, err = c.Tx.ProposalByNumber(c.Ctx, raw)
		}
		switch {
		case err != nil:
			return nil, "", err
		case t.ID == p.ID:
			return nil, "", store.Errorf(store.EINVALID, "不能把提案并入它自己。")
		case t.SessionID != p.SessionID:
			return nil, "", store.Errorf(store.EINVALID, "只能并入同一届次的提案（「%s」属于%s）。", t.Title, t.SessionName)
		case t.State == store.ProposalMerged:
			return nil, "", store.Errorf(store.EINVALID, "「%s」本身已并入其他提案，请并入它所并入的提案。", t.Title)
		case t.State == store.ProposalDraft || t.State == store.ProposalCosigning || t.State == store.ProposalReturned || t.State == store.ProposalRejected:
			return nil, "", store.Errorf(store.EINVALID, "「%s」现在是「%s」，不能作为并案的目标。", t.Title, store.ProposalStateNames[t.State])
		}
		return &store.ProposalChange{Set: map[string]any{"merged_into_id": t.ID, "decision": store.StepMerge}, Detail: fmt.Sprintf("并入 %d", t.ID)},
			fmt.Sprintf("你的提案「%s」与「%s」内容相近，已并案办理，你和附议人为其共同提案人。", p.Title, t.Title), nil
	})
}

func withNote(n string) string {
	if n == "" {
		return ""
	}
	return "审查意见：" + n
}

// splitNames splits a list typed with 、，, or spaces.
func splitNames(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune("、，, ;；\n", r) })
}

// assign is 交办: exactly one 主办 and any 协办; each department's contacts are told 1:1; the
// reply is due a session's reply workdays after today.
func (h *Handlers) assign(c *bot.Context) (*bot.Response, error) {
	var hostDept *store.Department
	var helpers []*store.Department
	var due string
	resp, err := h.decide(c, store.StepAssign, func(p *store.Proposal, s *store.ProposalSession) (*store.ProposalChange, string, error) {
		hosts := splitNames(c.FormString("host"))
		if len(hosts) != 1 {
			return nil, "", store.Errorf(store.EINVALID, "主办单位须为一个，收到 %d 个。", len(hosts))
		}
		var err error
		if hostDept, err = c.Tx.DepartmentByName(c.Ctx, hosts[0]); err != nil {
			return nil, "", err
		}
		for _, n := range splitNames(c.FormString("helpers")) {
			d, err := c.Tx.DepartmentByName(c.Ctx, n)
			if err != nil {
				return nil, "", err
			}
			if d.ID == hostDept.ID {
				return nil, "", store.Errorf(store.EINVALID, "「%s」已是主办单位，不能同时协办。", d.Name)
			}
			helpers = append(helpers, d)
		}
		if len(hostDept.Contacts) == 0 {
			return nil, "", store.Errorf(store.EINVALID, "「%s」还没有联系人，请先导入承办单位联系人。", hostDept.Name)
		}
		if due, err = h.dueFromForm(c, "due"); err != nil {
			return nil, "", err
		}
		if due == "" {
			if err := h.cal.Reload(c.Ctx); err != nil {
				return nil, "", err
			}
			due = h.cal.AddWorkdays(c.Now.In(h.Loc), s.ReplyWorkdays).Format("2006-01-02")
		}
		return &store.ProposalChange{Set: map[string]any{"assigned_at": c.Tx.Now(), "reply_due": due}, Detail: hostDept.Name},
			fmt.Sprintf("你的提案「%s」已交%s主办，答复期限 %s。", p.Title, hostDept.Name, due), nil
	})
	if err != nil || hostDept == nil || resp.Toast == nil || resp.Toast.Type != "success" {
		return resp, err
	}
	p, s, err := h.load(c)
	if err != nil {
		return nil, err
	}
	var ids []int64
	for _, d := range helpers {
		ids = append(ids, d.ID)
	}
	if err := c.Tx.SetProposalDepartments(c.Ctx, p.ID, hostDept.ID, ids); err != nil {
		return nil, err
	}
	if err := h.showLive(c, p.ID); err != nil {
		return nil, err
	}
	for i, d := range append([]*store.Department{hostDept}, helpers...) {
		role := "主办"
		if i > 0 {
			role = "协办"
		}
		for _, m := range d.Contacts {
			cd, err := h.cardFor(c, p, s, Viewer{MemberID: m.ID})
			if err != nil {
				return nil, err
			}
			cd.Prepend(card.Markdown(fmt.Sprintf("提案工作委员会将此提案交**%s**%s，请于 **%s** 前答复。", md(d.Name), role, due)))
			if err := sendCard(c, m.OpenID, cd); err != nil {
				return nil, err
			}
		}
	}
	return resp, nil
}

// replyForm is the 答复 form, for the contacts of the 主办 only.
func (h *Handlers) replyForm(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if r, err := h.mayReply(c, p, s); r != nil || err != nil {
		return r, err
	}
	if err := c.Tx.ProposalOpinions(c.Ctx, p); err != nil {
		return nil, err
	}
	return bot.ReplyCard(ReplyFormCard(p)), nil
}

// mayReply refuses anyone but a contact of p's 主办, and a proposal not awaiting a reply.
func (h *Handlers) mayReply(c *bot.Context, p *store.Proposal, s *store.ProposalSession) (*bot.Response, error) {
	if p.State != store.ProposalAssigned {
		return h.stale(c, p, s)
	}
	host, err := c.Tx.ProposalHost(c.Ctx, p.ID)
	if err != nil {
		return nil, err
	}
	mine, err := c.Tx.ContactDepartments(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	for _, d := range mine {
		if d == host {
			return nil, nil
		}
	}
	return bot.Warn("只有主办单位的联系人可以答复该提案。"), nil
}

// reply records the 主办's reply and class. Without 答复审核 the proposer (and the co-signers
// when they rate) get the reply with the rating form; with it, the committee is sent the reply
// to review first (approveReply, redoReply).
func (h *Handlers) reply(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if r, err := h.mayReply(c, p, s); r != nil || err != nil {
		return r, err
	}
	if !fresh(c, p) {
		return h.stale(c, p, s)
	}
	class := c.FormString("class")
	if _, ok := classNames[class]; !ok {
		return bot.Warn("请选择办理结果分类（A、B、C 或 D）。"), nil
	}
	text := strings.TrimSpace(c.FormString("reply"))
	if text == "" {
		return bot.Warn("请填写答复内容。"), nil
	}
	if utf8.RuneCountInString(text) > store.MaxProposalText {
		return bot.Warn(fmt.Sprintf("答复太长（最多 %d 字）。", store.MaxProposalText)), nil
	}
	set := map[string]any{"reply_class": class, "reply_text": text, "reply_submitted_at": c.Tx.Now(), "reply_review_note": ""}
	step := store.StepReply
	if s.ReplyReview {
		step = store.StepReplyReview
	} else {
		set["replied_at"] = c.Tx.Now()
	}
	if err := c.Tx.StepProposal(c.Ctx, p, step, c.Sender.OpenID, store.ProposalChange{Set: set, Detail: class}); err != nil {
		return c.Refusal(err)
	}
	if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
		return nil, err
	}
	if s.ReplyReview {
		if err := h.toCommittee(c, p, s, fmt.Sprintf("承办单位已答复提案「%s」（%s），请审核：通过后送提案人，或退回重新答复。", md(p.Title), p.Number)); err != nil {
			return nil, err
		}
		return h.changed(c, p.ID, s, "答复已提交，提案工作委员会审核后送提案人。")
	}
	if err := h.sendRating(c, p, s); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "答复已提交，已通知提案人评价。")
}

// sendRating sends the raters the reply (with the 协办 opinions) and the rating form.
func (h *Handlers) sendRating(c *bot.Context, p *store.Proposal, s *store.ProposalSession) error {
	if err := c.Tx.ProposalOpinions(c.Ctx, p); err != nil {
		return err
	}
	for _, id := range raters(p, s) {
		if err := sendCard(c, id, RateCard(p)); err != nil {
			return err
		}
	}
	return nil
}

// raters are the open_ids asked to rate: the proposer, and the agreed co-signers when the
// session says so.
func raters(p *store.Proposal, s *store.ProposalSession) []string {
	out := []string{p.ProposerOpenID}
	if s.CosignersRate {
		for _, c := range p.Cosigners {
			if c.Status == store.CosignAgreed && c.OpenID != "" {
				out = append(out, c.OpenID)
			}
		}
	}
	return out
}

// rate records a rating. The proposer's decides: 满意 or 基本满意 close it; 不满意 sends it back
// for a second round with a new deadline, or, in the second round, closes it.
func (h *Handlers) rate(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	own := p.ProposerID == c.Sender.MemberID
	cs := p.Cosigner(c.Sender.MemberID)
	if !own && !(s.CosignersRate && cs != nil && cs.Status == store.CosignAgreed) {
		return bot.Warn("只有提案人" + map[bool]string{true: "和附议人", false: ""}[s.CosignersRate] + "可以评价该提案的答复。"), nil
	}
	round := int(c.Int("round"))
	if old, err := c.Tx.ProposalRatingOf(c.Ctx, p.ID, round, c.Sender.MemberID); err != nil {
		return nil, err
	} else if old != nil {
		return bot.Warn(fmt.Sprintf("你已评价过第 %d 轮答复（%s）。", round, ratingNames[old.Rating])), nil
	}
	if p.State != store.ProposalReplied || round != p.Round {
		return h.stale(c, p, s)
	}
	rating := c.FormString("rating")
	if _, ok := ratingNames[rating]; !ok {
		return bot.Warn("请选择评价：满意、基本满意或不满意。"), nil
	}
	comment := strings.TrimSpace(c.FormString("comment"))
	if utf8.RuneCountInString(comment) > store.MaxProposalText {
		return bot.Warn(fmt.Sprintf("意见太长（最多 %d 字）。", store.MaxProposalText)), nil
	}
	if err := c.Tx.RateProposal(c.Ctx, &store.ProposalRating{ProposalID: p.ID, Round: p.Round, MemberID: c.Sender.MemberID,
		Rating: rating, Comment: comment}, c.Sender.OpenID); err != nil {
		return nil, err
	}
	toast := "评价已记录，谢谢！"
	if own {
		switch {
		case rating == store.RatingUnsatisfied && p.Round == 1:
			if err := h.cal.Reload(c.Ctx); err != nil {
				return nil, err
			}
			due := h.cal.AddWorkdays(c.Now.In(h.Loc), s.ReplyWorkdays).Format("2006-01-02")
			err = c.Tx.StepProposal(c.Ctx, p, store.StepSecondRound, c.Sender.OpenID, store.ProposalChange{
				Set: map[string]any{"round": 2, "reply_due": due, "assigned_at": c.Tx.Now()}, Detail: "不满意，第二轮办理"})
			if err != nil {
				return nil, err
			}
			toast = fmt.Sprintf("评价已记录。提案将再次交办理单位办理，答复期限 %s。", due)
			err = h.toHost(c, p, s, func(d *store.Department, m *store.Member) error {
				cd, err := h.cardFor(c, p, s, Viewer{MemberID: m.ID})
				if err != nil {
					return err
				}
				return sendCard(c, m.OpenID, cd.Prepend(card.Markdown(fmt.Sprintf(
					"提案人对答复**不满意**（%s），请%s于 **%s** 前再次答复（第二轮）。", md(comment), md(d.Name), due))))
			})
		default:
			err = c.Tx.StepProposal(c.Ctx, p, store.StepRate, c.Sender.OpenID, store.ProposalChange{
				Set: map[string]any{"closed_at": c.Tx.Now()}, Detail: ratingNames[rating]})
			toast = "评价已记录，提案已办结。谢谢！"
			if err == nil && rating == store.RatingUnsatisfied {
				err = h.escalate(c, p)
			}
		}
		if err != nil {
			return nil, err
		}
		if err := h.showLive(c, p.ID); err != nil {
			return nil, err
		}
		if p, err = c.Tx.ProposalByID(c.Ctx, p.ID); err != nil {
			return nil, err
		}
	}
	return h.cardWith(c, p, s, toast)
}

// toHost calls f for each contact of p's 主办 department.
func (h *Handlers) toHost(c *bot.Context, p *store.Proposal, s *store.ProposalSession, f func(d *store.Department, m *store.Member) error) error {
	host, err := c.Tx.ProposalHost(c.Ctx, p.ID)
	if err != nil || host == 0 {
		return err
	}
	d, err := c.Tx.DepartmentByID(c.Ctx, host)
	if err != nil {
		return err
	}
	for _, m := range d.Contacts {
		if err := f(d, m); err != nil {
			return err
		}
	}
	return nil
}

// escalate tells the 分管校领导 of p's 主办 that p closed unsatisfied after the second round.
func (h *Handlers) escalate(c *bot.Context, p *store.Proposal) error {
	host, err := c.Tx.ProposalHost(c.Ctx, p.ID)
	if err != nil || host == 0 {
		return err
	}
	d, err := c.Tx.DepartmentByID(c.Ctx, host)
	if err != nil || d.LeaderMemberID == 0 {
		return err
	}
	m, err := c.Tx.MemberByID(c.Ctx, d.LeaderMemberID)
	if err != nil {
		return err
	}
	return tell(c, m.OpenID, fmt.Sprintf("提案「%s」（%s，%s主办）经两轮办理，提案人仍不满意，已办结。特此报告。", p.Title, p.Number, d.Name))
}

// reclassify is the committee's 重新分类 of a proposal under review or awaiting 交办; the
// proposer is told.
func (h *Handlers) reclassify(c *bot.Context) (*bot.Response, error) {
	p, s, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !fresh(c, p) || (p.State != store.ProposalSubmitted && p.State != store.ProposalRegistered && p.State != store.ProposalSuggestion) {
		return h.stale(c, p, s)
	}
	cat := strings.TrimSpace(c.FormString("category"))
	if !s.HasCategory(cat) {
		return bot.Warn("请选择类别：" + strings.Join(s.Categories(), "、") + "。"), nil
	}
	if cat == p.Category {
		return bot.Warn("类别没有变化。"), nil
	}
	old := p.Category
	if err := c.Tx.ReclassifyProposal(c.Ctx, p, cat, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if err := tell(c, p.ProposerOpenID, fmt.Sprintf("提案工作委员会将你的提案「%s」由「%s」改为「%s」类。", p.Title, old, cat)); err != nil {
		return nil, err
	}
	return h.changed(c, p.ID, s, "已重新分类，已通知提案人。")
}
