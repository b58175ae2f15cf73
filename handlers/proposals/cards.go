package proposals

import (
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Viewer is who looks at a proposal's card.
type Viewer struct {
	MemberID  int64
	Delegate  bool
	Committee bool // 提案委员: review buttons
	Overseer  bool // committee, officers, chair: see everything
	Contact   bool // a contact of the proposal's 主办 department: the reply button
	Helper    bool // a contact of one of its 协办 departments: the opinion form
	Chair     bool // 主席: marks 重点提案
	Choosing  bool // the committee may choose 优秀提案 now (the session's handling is over)
	// Departments are the proposal's departments the viewer is a contact of: 签收 and 退回
	// buttons for each (the card needs p.Departments, store.Tx.ProposalHandling).
	Departments []int64
	Today       string         // the union's date ("2006-01-02"): what may still be done
	ReturnUntil string         // the last day of the 退回 window ("" when closed or unknown)
	Phone       string         // the masked phone, shown to the proposer and the overseers only
	Loc         *time.Location // the union's time zone, for the 流转记录 (UTC when nil)
}

func (v Viewer) zone() *time.Location {
	if v.Loc == nil {
		return time.UTC
	}
	return v.Loc
}

var stateColors = map[string]card.Color{
	store.ProposalDraft: card.Grey, store.ProposalCosigning: card.Wathet, store.ProposalSubmitted: card.Blue,
	store.ProposalRegistered: card.Indigo, store.ProposalMerged: card.Grey, store.ProposalSuggestion: card.Turquoise,
	store.ProposalRejected: card.Red, store.ProposalReturned: card.Orange, store.ProposalAssigned: card.Purple,
	store.ProposalReplied: card.Yellow, store.ProposalClosed: card.Green, store.ProposalReviewing: card.Orange,
}

// marks names p's marks (重点提案, 优秀提案), "" for none.
func marks(p *store.Proposal) string {
	var out []string
	if p.KeyProposal {
		out = append(out, "⭐重点提案")
	}
	if p.Excellent {
		out = append(out, "🏅优秀提案")
	}
	return strings.Join(out, " ")
}

// rules is the form's statement of the rules and limits.
func rules(s *store.ProposalSession) string {
	return fmt.Sprintf("**一事一案**：一件提案只提一个问题。案由最多 %d 字；理由、建议各 %d 至 %d 字；建议承办单位最多 %d 字；"+
		"电话可不填，加密保存，仅本人和提案工作委员会可见（隐去中间四位），从不公开。提交前需至少 %d 位代表附议。",
		store.MaxProposalTitle, store.MinProposalText, store.MaxProposalText, store.MaxProposalDepartments, s.MinCosigners)
}

// FormCard is the draft form: empty for a new proposal, filled in for p.
func FormCard(s *store.ProposalSession, p *store.Proposal, late bool) *card.Card {
	if p == nil {
		p = &store.Proposal{}
	}
	var opts []card.Option
	for _, c := range s.Categories() {
		opts = append(opts, card.Option{Text: card.T(c), Value: c})
	}
	title := "新建提案"
	if p.ID != 0 {
		title = "修改提案"
	}
	c := card.New(title).Subtitle(s.Name).Color(card.Blue)
	if late {
		c.Add(card.Markdown("⚠️ 本届提案征集已截止，现在提交的将作为**意见建议**处理。"))
	}
	phoneHint := "选填，如 13800000000"
	if p.Phone != "" {
		phoneHint = "已保存，留空则不变"
	}
	c.Add(card.Markdown(rules(s)),
		card.Form("proposal",
			card.Input{Name: "title", Label: card.T("案由"), Required: true, MaxLength: store.MaxProposalTitle, Default: p.Title},
			card.Select{Name: "category", Label: card.T("类别"), Required: true, Options: opts, Initial: p.Category},
			card.Input{Name: "reason", Label: card.T("理由（现状与依据）"), Required: true, Multiline: true, MaxLength: store.MaxProposalText, Default: p.Reason},
			card.Input{Name: "suggestion", Label: card.T("建议（办法与措施）"), Required: true, Multiline: true, MaxLength: store.MaxProposalText, Default: p.Suggestion},
			card.Input{Name: "departments", Label: card.T("建议承办单位（主办、协办）"), MaxLength: store.MaxProposalDepartments, Default: p.SuggestedDepartments},
			card.Input{Name: "phone", Label: card.T("联系电话"), Placeholder: card.T(phoneHint), MaxLength: 20},
			card.Buttons(card.Button{Text: card.T("保存草稿"), Type: card.Primary, Name: "save", Form: card.Submit,
				Value: card.Action(actSave).With("proposal_id", p.ID).With("version", p.Version)}),
		))
	return c
}

// ProposalCard is a proposal as v sees it: the text, the 附议 (who agreed, declined, has not
// answered), the decision and the reply, and the buttons v may use.
func ProposalCard(p *store.Proposal, s *store.ProposalSession, merged []*store.Proposal, v Viewer) *card.Card {
	head := "提案"
	if p.Kind == store.KindSuggestion {
		head = "意见建议"
	}
	sub := s.Name
	if m := marks(p); m != "" {
		sub += " · " + m
	}
	c := card.New(head + "：" + p.Title).Subtitle(sub).Color(stateColors[p.State])
	number := p.Number
	if number == "" {
		number = "未立案"
	}
	fields := []card.Field{
		{Label: card.T("立案编号"), Value: card.T(number)},
		{Label: card.T("状态"), Value: card.T(store.ProposalStateNames[p.State] + roundNote(p))},
		{Label: card.T("类别"), Value: card.T(md(p.Category))},
		{Label: card.T("提案人"), Value: card.T(md(p.ProposerName))},
	}
	if p.SuggestedDepartments != "" {
		fields = append(fields, card.Field{Label: card.T("建议承办单位"), Value: card.T(md(p.SuggestedDepartments))})
	}
	if v.Phone != "" && (v.MemberID == p.ProposerID || v.Overseer) {
		fields = append(fields, card.Field{Label: card.T("联系电话"), Value: card.T(v.Phone)})
	}
	c.Add(card.Fields(fields...))
	c.Add(card.Markdown("**理由**\n"+md(p.Reason)), card.Markdown("**建议**\n"+md(p.Suggestion)))
	c.Add(card.Divider(), card.Markdown(cosignPanel(p, s)))
	if len(merged) > 0 {
		var names []string
		for _, m := range merged {
			names = append(names, fmt.Sprintf("「%s」（%s）", md(m.Title), md(m.ProposerName)))
		}
		c.Add(card.Markdown("**并案**：" + strings.Join(names, "、") + "，其提案人和附议人为本提案的共同提案人。"))
	}
	if p.State == store.ProposalMerged {
		c.Add(card.Markdown("本提案已并入另一件提案办理，提案人和附议人为其共同提案人。"))
	}
	if p.DecisionNote != "" {
		c.Add(card.Markdown("**审查意见**：" + md(p.DecisionNote)))
	}
	c.Add(handlingPanel(p, v)...)
	insider := v.Contact || v.Overseer // the 主办 and the overseers see a reply before it is published
	if p.ReplyText != "" && (p.ReplyPublished() || insider) {
		label := "答复"
		switch {
		case p.State == store.ProposalReviewing:
			label = "答复（待审核，提案人尚未看到）"
		case !p.ReplyPublished():
			label = "答复（已退回，提案人尚未看到）"
		}
		c.Add(card.Markdown(fmt.Sprintf("**%s**（%s）\n%s", label, classNames[p.ReplyClass], md(p.ReplyText))))
	}
	if p.ReplyReviewNote != "" && p.State == store.ProposalAssigned && insider {
		c.Add(card.Markdown("**答复审核退回意见**：" + md(p.ReplyReviewNote)))
	}
	if len(p.Opinions) > 0 && (v.Contact || v.Helper || v.Overseer ||
		((p.State == store.ProposalReplied || p.State == store.ProposalClosed) && p.ReplyPublished())) {
		c.Add(card.Markdown(opinionsPanel(p)))
	}
	if len(p.Trail) > 0 {
		var lines []string
		for _, e := range p.Trail {
			lines = append(lines, e.At.In(v.zone()).Format("01-02 15:04")+" "+trailNames[e.Action])
		}
		c.Add(card.Markdown("**流转记录**\n" + strings.Join(lines, "\n")))
	}
	c.Add(buttons(p, s, v)...)
	return c
}

// trailNames are the steps as the 流转记录 shows them.
var trailNames = map[string]string{
	"create": "起草", store.StepInvite: "邀请附议", store.StepSubmit: "提交", store.StepLate: "截止后作为意见建议提交",
	store.StepRegister: "立案", store.StepMerge: "并案", store.StepToSuggestion: "转为意见建议", store.StepReject: "不予立案",
	store.StepReturn: "退回修改", store.StepAssign: "交办", store.StepReply: "答复", store.StepRate: "评价，办结",
	store.StepSecondRound: "不满意，第二轮办理", store.StepUnrated: "评价期满未评价，办结",
	store.StepDeptReturn: "承办单位退回", store.StepAcknowledge: "承办单位签收", store.StepExtendRequest: "申请延期",
	store.StepExtendGrant: "同意延期", store.StepExtendRefuse: "不同意延期", store.StepSetDue: "修改答复期限",
	store.StepReplyReview: "答复，待审核", store.StepApproveReply: "答复审核通过", store.StepRedoReply: "答复审核退回",
	store.ActionMarkKey: "列为重点提案", store.ActionUnmarkKey: "取消重点提案",
	store.ActionMarkExcellent: "评为优秀提案", store.ActionUnmarkExcellent: "取消优秀提案",
}

// opinionsPanel lists the 协办 opinions of p's round.
func opinionsPanel(p *store.Proposal) string {
	lines := []string{"**协办意见**"}
	for _, o := range p.Opinions {
		lines = append(lines, fmt.Sprintf("%s（%s）：%s", md(o.DepartmentName), md(o.MemberName), md(o.Text)))
	}
	return strings.Join(lines, "\n")
}

func roundNote(p *store.Proposal) string {
	if p.Round > 1 && (p.State == store.ProposalAssigned || p.State == store.ProposalReplied) {
		return fmt.Sprintf("（第 %d 轮）", p.Round)
	}
	return ""
}

// cosignPanel lists the 附议: agreed, declined, not answered.
func cosignPanel(p *store.Proposal, s *store.ProposalSession) string {
	groups := map[string][]string{}
	for _, c := range p.Cosigners {
		groups[c.Status] = append(groups[c.Status], md(c.Name))
	}
	line := func(label, status string) string {
		if len(groups[status]) == 0 {
			return label + "：无"
		}
		return label + "：" + strings.Join(groups[status], "、")
	}
	return fmt.Sprintf("**附议** %d 人同意（至少 %d 人）\n%s\n%s\n%s", p.Agreed(), s.MinCosigners,
		line("同意", store.CosignAgreed), line("不同意", store.CosignDeclined), line("未答复", store.CosignInvited))
}

// buttons are the actions v may take on p now.
func buttons(p *store.Proposal, s *store.ProposalSession, v Viewer) []card.Element {
	val := func(act string) card.Value {
		return card.Action(act).With("proposal_id", p.ID).With("version", p.Version)
	}
	var els []card.Element
	own := v.MemberID == p.ProposerID
	switch {
	case own && store.ProposalEditable(p.State):
		els = append(els, card.Buttons(
			card.Button{Text: card.T("修改"), Value: val(actForm)},
			card.Button{Text: card.T("提交"), Type: card.Primary, Value: val(actSubmit),
				Confirm: &card.Confirm{Title: card.T("确认提交？"), Text: card.T("提交后不能再修改，附议同时截止。")}}),
			card.Form("invite",
				card.PersonPicker{Name: "invitees", Label: card.T("邀请代表附议"), Multi: true, Required: true},
				card.Buttons(card.Button{Text: card.T("发送邀请"), Name: "send_invites", Form: card.Submit, Value: val(actInvite)})))
	case !own && v.Delegate && p.State == store.ProposalCosigning:
		cs := p.Cosigner(v.MemberID)
		switch {
		case cs != nil && cs.Status == store.CosignAgreed:
			els = append(els, card.Buttons(card.Button{Text: card.T("撤回附议"), Value: val(actWithdraw)}))
		case cs != nil && cs.Status == store.CosignInvited:
			els = append(els, card.Buttons(card.Button{Text: card.T("同意附议"), Type: card.Primary, Value: val(actCosign)},
				card.Button{Text: card.T("不同意"), Value: val(actDecline)}))
		default:
			els = append(els, card.Buttons(card.Button{Text: card.T("附议"), Type: card.Primary, Value: val(actCosign)}))
		}
	}
	if v.Committee && p.State == store.ProposalSubmitted {
		els = append(els, card.Divider(), card.Buttons(
			card.Button{Text: card.T("立案"), Type: card.Primary, Value: val(actRegister)},
			card.Button{Text: card.T("转为意见建议"), Value: val(actToSuggestion)}),
			card.Form("review",
				card.Input{Name: "note", Label: card.T("审查意见（不予立案须写明理由；退回修改写明修改意见）"), Multiline: true, MaxLength: store.MaxProposalText},
				card.Input{Name: "target", Label: card.T("并案：并入的提案（立案编号或提案号）")},
				card.Buttons(
					card.Button{Text: card.T("并案"), Name: "merge", Form: card.Submit, Value: val(actMerge)},
					card.Button{Text: card.T("退回修改"), Name: "return", Form: card.Submit, Value: val(actReturn)},
					card.Button{Text: card.T("不予立案"), Type: card.Danger, Name: "reject", Form: card.Submit, Value: val(actReject)})))
	}
	if v.Committee && (p.State == store.ProposalRegistered || p.State == store.ProposalSuggestion || p.State == store.ProposalReassign) {
		els = append(els, card.Divider(), card.Form("assign",
			card.Input{Name: "host", Label: card.T("主办单位（一个）"), Required: true},
			card.Input{Name: "helpers", Label: card.T("协办单位（可多个，用顿号或逗号分隔）")},
			card.DatePicker{Name: "due", Label: card.T("答复期限（不填按本届规定的工作日数计算）")},
			card.Buttons(card.Button{Text: card.T("交办"), Type: card.Primary, Name: "assign_submit", Form: card.Submit, Value: val(actAssign)})))
	}
	if v.Committee && (p.State == store.ProposalSubmitted || p.State == store.ProposalRegistered || p.State == store.ProposalSuggestion) {
		var opts []card.Option
		for _, c := range s.Categories() {
			opts = append(opts, card.Option{Text: card.T(c), Value: c})
		}
		els = append(els, card.Form("reclassify",
			card.Select{Name: "category", Label: card.T("重新分类"), Required: true, Options: opts, Initial: p.Category},
			card.Buttons(card.Button{Text: card.T("改为此类别"), Name: "reclassify_submit", Form: card.Submit, Value: val(actReclassify)})))
	}
	if v.Contact && p.State == store.ProposalAssigned {
		els = append(els, card.Buttons(card.Button{Text: card.T("答复"), Type: card.Primary, Value: val(actReplyForm)}))
	}
	if v.Helper && p.State == store.ProposalAssigned {
		els = append(els, card.Form("opinion_form",
			card.Input{Name: "opinion", Label: card.T(fmt.Sprintf("协办意见（送主办单位，最多 %d 字）", store.MaxOpinion)), Required: true,
				Multiline: true, MaxLength: store.MaxOpinion},
			card.Buttons(card.Button{Text: card.T("发送协办意见"), Type: card.Primary, Name: "send_opinion", Form: card.Submit, Value: val(actOpinion)})))
	}
	if v.Committee && p.State == store.ProposalReviewing {
		els = append(els, card.Divider(), card.Form("reply_review",
			card.Input{Name: "note", Label: card.T("审核意见（退回须写明理由）"), Multiline: true, MaxLength: store.MaxProposalText},
			card.Buttons(
				card.Button{Text: card.T("审核通过，送提案人"), Type: card.Primary, Name: "approve_reply", Form: card.Submit, Value: val(actApproveReply)},
				card.Button{Text: card.T("退回重新答复"), Name: "redo_reply", Form: card.Submit, Value: val(actRedoReply)})))
	}
	var markButtons []card.Button
	if v.Chair && p.Number != "" && p.State != store.ProposalClosed {
		if p.KeyProposal {
			markButtons = append(markButtons, card.Button{Text: card.T("取消重点提案"), Value: val(actMarkKey).With("on", false)})
		} else {
			markButtons = append(markButtons, card.Button{Text: card.T("列为重点提案"), Value: val(actMarkKey).With("on", true)})
		}
	}
	if v.Committee && v.Choosing && p.Number != "" && p.State == store.ProposalClosed {
		if p.Excellent {
			markButtons = append(markButtons, card.Button{Text: card.T("取消优秀提案"), Value: val(actMarkExcellent).With("on", false)})
		} else {
			markButtons = append(markButtons, card.Button{Text: card.T("评为优秀提案"), Type: card.Primary, Value: val(actMarkExcellent).With("on", true)})
		}
	}
	if len(markButtons) > 0 {
		els = append(els, card.Buttons(markButtons...))
	}
	return append(els, handlingButtons(p, v, val)...)
}

// Reply classes.
var classNames = map[string]string{
	"A": "A 已解决/采纳", "B": "B 正在解决/列入计划", "C": "C 因条件限制暂不能解决（已作解释）", "D": "D 留作参考",
}

// ReplyFormCard is the 主办's reply form.
func ReplyFormCard(p *store.Proposal) *card.Card {
	var opts []card.Option
	for _, k := range []string{"A", "B", "C", "D"} {
		opts = append(opts, card.Option{Text: card.T(classNames[k]), Value: k})
	}
	c := card.New("答复提案：" + p.Title).Subtitle(p.Number).Color(card.Purple).Add(
		card.Markdown(fmt.Sprintf("答复最多 %d 字，须选择办理结果分类。", store.MaxProposalText)))
	if len(p.Opinions) > 0 {
		c.Add(card.Markdown(opinionsPanel(p)))
	} else {
		c.Add(card.Markdown("**协办意见**：暂无"))
	}
	if p.ReplyReviewNote != "" {
		c.Add(card.Markdown("**答复审核退回意见**：" + md(p.ReplyReviewNote)))
	}
	initial, text := "", ""
	if !p.ReplyPublished() {
		initial, text = p.ReplyClass, p.ReplyText // a reply sent back is offered for correction
	}
	return c.Add(
		card.Form("reply_form",
			card.Select{Name: "class", Label: card.T("办理结果"), Required: true, Options: opts, Initial: initial},
			card.Input{Name: "reply", Label: card.T("答复内容"), Required: true, Multiline: true, MaxLength: store.MaxProposalText, Default: text},
			card.Buttons(card.Button{Text: card.T("提交答复"), Type: card.Primary, Name: "submit_reply", Form: card.Submit,
				Value: card.Action(actReply).With("proposal_id", p.ID).With("version", p.Version)})))
}

// Ratings.
var ratingNames = map[string]string{"satisfied": "满意", "basic": "基本满意", "unsatisfied": "不满意"}

// RateCard asks a rater to rate p's reply in its round.
func RateCard(p *store.Proposal) *card.Card {
	opts := []card.Option{{Text: card.T("满意"), Value: "satisfied"}, {Text: card.T("基本满意"), Value: "basic"}, {Text: card.T("不满意"), Value: "unsatisfied"}}
	c := card.New("请评价提案答复：" + p.Title).Subtitle(p.Number).Color(card.Yellow).Add(
		card.Markdown(fmt.Sprintf("**答复**（%s）\n%s", classNames[p.ReplyClass], md(p.ReplyText))))
	if len(p.Opinions) > 0 {
		c.Add(card.Markdown(opinionsPanel(p)))
	}
	return c.Add(
		card.Form("rate",
			card.Select{Name: "rating", Label: card.T("评价"), Required: true, Options: opts},
			card.Input{Name: "comment", Label: card.T("意见（不满意请写明理由）"), Multiline: true, MaxLength: store.MaxProposalText},
			card.Buttons(card.Button{Text: card.T("提交评价"), Type: card.Primary, Name: "submit_rating", Form: card.Submit,
				Value: card.Action(actRate).With("proposal_id", p.ID).With("round", p.Round)})))
}

func md(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("<", "＜", ">", "＞", "*", "＊", "[", "［", "]", "］", "`", "'", "~", "～")
