package aid

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

var stateColors = map[string]card.Color{
	store.AidDraft: card.Grey, store.AidBranchReview: card.Blue, store.AidUnionReview: card.Indigo, store.AidApproval: card.Purple,
	store.AidReturned: card.Orange, store.AidRejected: card.Red, store.AidPublicity: card.Turquoise, store.AidApproved: card.Wathet,
	store.AidClosed: card.Green, store.AidWithdrawn: card.Grey,
}

func md(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("<", "＜", ">", "＞", "*", "＊", "[", "［", "]", "］", "`", "'", "~", "～")

// yuan writes fen as "1,200 元"-style text for cards.
func yuan(fen int64) string { return config.FormatYuan(fen) + " 元" }

// KindsCard lists the kinds a member may ask for themselves.
func KindsCard(kinds config.AidKinds) *card.Card {
	c := card.New("申请帮扶").Subtitle("请选择帮扶类别").Sensitive(summary)
	var lines []string
	var bs []card.Button
	for _, k := range kinds {
		if !k.MayApply(config.AidBySelf) {
			continue
		}
		lines = append(lines, "**"+md(k.Name)+"**："+kindRules(&k))
		bs = append(bs, card.Button{Text: card.T(k.Name), Value: card.Action(actForm).With("kind", k.Code)})
	}
	return c.Add(card.Markdown(strings.Join(lines, "\n")), card.Buttons(bs...))
}

// kindRules states a kind's ceilings and rules in one line.
func kindRules(k *config.AidKind) string {
	var parts []string
	if k.PerTimeFen > 0 {
		parts = append(parts, "单次最高 "+yuan(k.PerTimeFen))
	}
	if k.PerYearFen > 0 {
		parts = append(parts, "每年最高 "+yuan(k.PerYearFen))
	}
	if f := k.Formula; f != nil {
		parts = append(parts, fmt.Sprintf("按当年自付费用超过 %s 部分的 %d%% 计算", yuan(f.AboveFen), f.Percent))
	}
	if k.Enrolment() {
		parts = append(parts, "限当年已参加互助（"+yuan(k.EnrolmentFeeFen)+"/年）的会员")
	}
	if k.OnePerFamily {
		parts = append(parts, "每户每年限一人申请")
	}
	if k.Publicity {
		parts = append(parts, "批准后公示（需本人同意）")
	}
	if len(k.Materials) > 0 {
		parts = append(parts, "材料："+md(strings.Join(k.Materials, "、")))
	}
	return strings.Join(parts, "；")
}

// FormCard is the kind's form, empty for a new request or filled in for a.
func FormCard(k *config.AidKind, a *store.AidCase, d Details, maxMB int, types []string) *card.Card {
	return formCard(k, a, d, maxMB, types, nil)
}

// formCard is FormCard; forMember, when set, is the member an officer fills it in for (a new
// request carries them in its 保存 button: "for").
func formCard(k *config.AidKind, a *store.AidCase, d Details, maxMB int, types []string, forMember *store.Member) *card.Card {
	if a == nil {
		a = &store.AidCase{}
	}
	c := card.New("帮扶申请：" + k.Name).Subtitle("仅你本人和审核人员可见").Sensitive(summary)
	save := card.Action(actSave).With("kind", k.Code).With("case_id", a.ID).With("version", a.Version)
	if forMember != nil {
		branch := forMember.BranchName
		if branch == "" {
			branch = "无分工会"
		}
		c = card.New("代为申请：" + k.Name).Subtitle("仅申请人本人和审核人员可见").Color(card.Indigo).Sensitive(summary)
		c.Add(card.Markdown(fmt.Sprintf("**申请人**：%s（%s）。本人已同意个人信息处理；保存后会通知本人。", md(forMember.Name), md(branch))))
		if a.ID == 0 {
			save = save.With("for", forMember.ID)
		}
	}
	c.Add(card.Markdown(kindRules(k)))
	els := []card.Element{
		card.Input{Name: "text", Label: card.T("申请事由及情况说明"), Required: true, Multiline: true, MaxLength: store.MaxAidText, Default: d.Text},
		card.Input{Name: "requested", Label: card.T("申请金额（元，选填）"), MaxLength: 12, Default: optYuan(a.RequestedFen)},
	}
	if k.Formula != nil {
		els = append(els, card.Input{Name: "self_paid", Label: card.T("本次自付医疗费用（元）"), Required: true, MaxLength: 12, Default: optYuan(a.SelfPaidFen)})
	}
	if k.Publicity {
		initial := "no"
		if a.Publicity {
			initial = "yes"
		}
		els = append(els, card.Select{Name: "publicity", Label: card.T("公示（只公示姓名、分工会和帮扶类别；同意需另签单独同意书）"), Required: true,
			Initial: initial, Options: []card.Option{{Text: card.T("同意公示"), Value: "yes"}, {Text: card.T("不同意公示"), Value: "no"}}})
	}
	els = append(els, card.Markdown(fmt.Sprintf("保存后，请把材料的照片或文件直接发送到本对话（每个不超过 %d MB；文件格式：%s），再点「提交申请」。",
		maxMB, strings.Join(types, "、"))),
		card.Buttons(card.Button{Text: card.T("保存"), Type: card.Primary, Name: "save", Form: card.Submit,
			Value: save}))
	return c.Add(card.Form("aid", els...))
}

func optYuan(fen int64) string {
	if fen == 0 {
		return ""
	}
	return config.FormatYuan(fen)
}

// CaseView is what a case card shows its viewer: the case, what they may do, and the opened
// (unsealed) Details and reason when they may see them.
type CaseView struct {
	Case      *store.AidCase
	Kind      *config.AidKind
	Details   Details
	Reason    string
	Materials []*store.AidMaterial
	Names     map[int64]string // opened material names
	Can       func(action string) bool
	Headroom  string // for approvers: what may still be approved
	OpenedBy  string // the officer who opened it on the member's behalf ("" for the member's own)
}

// CaseCard is a case as its viewer sees it, with the buttons they may use.
func CaseCard(v CaseView) *card.Card {
	a, k := v.Case, v.Kind
	c := card.New("帮扶申请：" + k.Name).Subtitle(fmt.Sprintf("编号 %d", a.ID)).Color(stateColors[a.State]).Sensitive(summary)
	branch := a.BranchName
	if branch == "" {
		branch = "（无）"
	}
	fields := []card.Field{
		{Label: card.T("状态"), Value: card.T(store.AidStateNames[a.State])},
		{Label: card.T("申请人"), Value: card.T(md(a.MemberName) + "（" + md(branch) + "）")},
	}
	if a.RequestedFen > 0 {
		fields = append(fields, card.Field{Label: card.T("申请金额"), Value: card.T(yuan(a.RequestedFen))})
	}
	if a.SelfPaidFen > 0 {
		fields = append(fields, card.Field{Label: card.T("自付医疗费用"), Value: card.T(yuan(a.SelfPaidFen))})
	}
	if a.ApprovedFen > 0 {
		fields = append(fields, card.Field{Label: card.T("批准金额"), Value: card.T(yuan(a.ApprovedFen))})
	}
	if a.PublicityUntil != "" && a.State == store.AidPublicity {
		fields = append(fields, card.Field{Label: card.T("公示至"), Value: card.T(a.PublicityUntil)})
	}
	if a.PaidOn != "" {
		fields = append(fields, card.Field{Label: card.T("发放"), Value: card.T(a.PaidOn + "，凭证号 " + md(a.Voucher))})
	}
	if a.Emergency {
		fields = append(fields, card.Field{Label: card.T("办理方式"), Value: card.T("紧急帮扶（工会直接审批）")})
	} else if v.OpenedBy != "" {
		fields = append(fields, card.Field{Label: card.T("办理方式"), Value: card.T("工会干事 " + md(v.OpenedBy) + " 代为申请")})
	}
	c.Add(card.Fields(fields...))
	if v.Details.Text != "" {
		c.Add(card.Markdown("**情况说明**\n" + md(v.Details.Text)))
	}
	if v.Reason != "" {
		head := "退回原因"
		if a.State == store.AidRejected {
			head = "未通过原因"
		}
		c.Add(card.Markdown("**" + head + "**\n" + md(v.Reason)))
	}
	var lines []string
	var mbs []card.Button
	for i, m := range v.Materials {
		name := v.Names[m.ID]
		if name == "" {
			name = fmt.Sprintf("材料 %d", i+1)
		}
		switch m.Status {
		case store.MaterialPending:
			lines = append(lines, fmt.Sprintf("%d. %s（正在保存）", i+1, md(name)))
		case store.MaterialRefused:
			lines = append(lines, fmt.Sprintf("%d. %s：未保存，%s", i+1, md(name), md(m.Note)))
		default:
			lines = append(lines, fmt.Sprintf("%d. %s（%s）", i+1, md(name), sizeText(m.Size)))
			if v.Can(store.AidActMaterial) && len(mbs) < 10 {
				mbs = append(mbs, card.Button{Text: card.T(fmt.Sprintf("查看材料 %d", i+1)),
					Value: card.Action(actMaterial).With("case_id", a.ID).With("material_id", m.ID)})
			}
		}
	}
	if len(lines) == 0 {
		lines = append(lines, "（尚无材料）")
	}
	if a.MaterialsPurgedAt != nil {
		lines = []string{"材料和情况说明已按保存期限删除。"}
	}
	c.Add(card.Markdown("**材料**（"+md(strings.Join(k.Materials, "、"))+"）\n"+strings.Join(lines, "\n")), card.Buttons(mbs...))
	c.Add(actions(v)...)
	return c
}

// sizeText is a size in bytes as KB or MB.
func sizeText(n int64) string {
	if n < 1<<20 {
		return fmt.Sprintf("%.1f KB", float64(n)/1024)
	}
	return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
}

// actions are the buttons and forms of the viewer's step.
func actions(v CaseView) []card.Element {
	a := v.Case
	val := func(act string) card.Value { return card.Action(act).With("case_id", a.ID).With("version", a.Version) }
	var out []card.Element
	if v.Can(store.AidActEdit) {
		submit := "提交申请"
		if a.State == store.AidReturned {
			submit = "补充完毕，重新提交"
		}
		out = append(out, card.Markdown("请把材料的照片或文件直接发送到本对话，它们会加密保存并列在上面。"),
			card.Buttons(
				card.Button{Text: card.T(submit), Type: card.Primary, Value: val(actSubmit)},
				card.Button{Text: card.T("修改申请表"), Value: card.Action(actForm).With("case_id", a.ID)}))
	}
	if v.Can(store.AidActWithdraw) {
		out = append(out, card.Buttons(card.Button{Text: card.T("撤回申请"), Type: card.Danger, Value: val(actWithdraw),
			Confirm: &card.Confirm{Title: card.T("确认撤回这条帮扶申请？"), Text: card.T("撤回后不能恢复，如需帮扶请重新申请。")}}))
	}
	decide := func(title, passText, passAct string, extra ...card.Element) {
		els := append([]card.Element{}, extra...)
		els = append(els,
			card.Input{Name: "note", Label: card.T("意见（退回或不予通过时必填，申请人可见）"), Multiline: true, MaxLength: store.MaxAidReason},
			card.Buttons(
				card.Button{Text: card.T(passText), Type: card.Primary, Name: "pass", Form: card.Submit, Value: val(passAct)},
				card.Button{Text: card.T("退回补充材料"), Name: "return", Form: card.Submit, Value: val(actReturn)},
				card.Button{Text: card.T("不予通过"), Type: card.Danger, Name: "reject", Form: card.Submit, Value: val(actReject)}))
		out = append(out, card.Divider(), card.Markdown("**"+title+"**"), card.Form("decide_form", els...))
	}
	switch {
	case v.Can(store.AidActBranch):
		decide("分工会初审", "初审通过", actPass)
	case v.Can(store.AidActUnion):
		decide("校工会审核", "审核通过", actPass)
	case v.Can(store.AidActApprove):
		if v.Headroom != "" {
			out = append(out, card.Markdown(v.Headroom))
		}
		decide("审批", "批准", actApprove,
			card.Input{Name: "amount", Label: card.T("批准金额（元）"), MaxLength: 12, Default: optYuan(a.RequestedFen)})
	case v.Can(store.AidActPay):
		out = append(out, card.Divider(), card.Markdown("**登记发放**"), card.Form("pay_form",
			card.DatePicker{Name: "paid_on", Label: card.T("发放日期"), Required: true},
			card.Input{Name: "voucher", Label: card.T("凭证号"), Required: true, MaxLength: 64},
			card.Buttons(card.Button{Text: card.T("登记发放"), Type: card.Primary, Name: "pay", Form: card.Submit, Value: val(actPay)})))
	case v.Can(store.AidActRevoke):
		out = append(out, card.Divider(), card.Markdown("**公示中**：如异议经核实成立，可撤销批准。"), card.Form("revoke_form",
			card.Input{Name: "note", Label: card.T("撤销原因（申请人可见）"), Required: true, Multiline: true, MaxLength: store.MaxAidReason},
			card.Buttons(card.Button{Text: card.T("撤销批准"), Type: card.Danger, Name: "revoke", Form: card.Submit, Value: val(actRevoke)})))
	}
	return out
}

// ListCard lists cases, each with its state and a button to open it.
func ListCard(title, empty string, cases []*store.AidCase, kinds config.AidKinds) *card.Card {
	c := card.New(title).Sensitive(summary)
	if len(cases) == 0 {
		return c.Add(card.Markdown(empty))
	}
	for i, a := range cases {
		if i == 30 {
			c.Add(card.Markdown(fmt.Sprintf("……另有 %d 条未列出。", len(cases)-30)))
			break
		}
		name := a.Kind
		if k := kinds.Kind(a.Kind); k != nil {
			name = k.Name
		}
		c.Add(card.Columns(
			card.Column{Weight: 3, Elements: []card.Element{card.Markdown(fmt.Sprintf("**%d** %s · %s（%s）· %s", a.ID, md(name), md(a.MemberName),
				md(a.BranchName), store.AidStateNames[a.State]))}},
			card.Column{Weight: 1, Elements: []card.Element{card.Buttons(card.Button{Text: card.T("查看"), Value: card.Action(actShow).With("case_id", a.ID)})}}))
	}
	return c
}

// PublicityCard is the 公示 posted to the configured chat: name, 分工会 and kind only (and the
// amount when configured), with the objection button; ended, it says 公示结束 and has none.
func PublicityCard(a *store.AidCase, k *config.AidKind, showAmount, ended bool) *card.Card {
	title := "帮扶公示"
	if ended {
		title = "帮扶公示（公示结束）"
	}
	c := card.New(title).Color(card.Turquoise)
	fields := []card.Field{
		{Label: card.T("姓名"), Value: card.T(md(a.MemberName))},
		{Label: card.T("分工会"), Value: card.T(md(a.BranchName))},
		{Label: card.T("帮扶类别"), Value: card.T(md(k.Name))},
		{Label: card.T("公示期至"), Value: card.T(a.PublicityUntil)},
	}
	if showAmount {
		fields = append(fields, card.Field{Label: card.T("金额"), Value: card.T(yuan(a.ApprovedFen))})
	}
	c.Add(card.Fields(fields...))
	if ended {
		return c.Add(card.Markdown("公示结束。"))
	}
	return c.Add(card.Markdown("如有异议，请在公示期内点击下方按钮实名反映；异议只送达校工会干事，不在群内显示。"),
		card.Buttons(card.Button{Text: card.T("提出异议"), Value: card.Action(actObject).With("case_id", a.ID)}))
}

// EmergencyForm is an officer's form for a case opened and approved at once.
func EmergencyForm(kinds config.AidKinds) *card.Card {
	var opts []card.Option
	for _, k := range kinds {
		if k.Emergency {
			opts = append(opts, card.Option{Text: card.T(k.Name), Value: k.Code})
		}
	}
	c := card.New("紧急帮扶登记").Subtitle("工会直接审批，完整记录").Color(card.Orange).Sensitive(summary)
	if len(opts) == 0 {
		return c.Add(card.Markdown("没有配置可紧急办理的帮扶类别（aid.kinds 的 emergency）。"))
	}
	return c.Add(card.Form("emergency",
		card.Input{Name: "employee_no", Label: card.T("会员工号"), Required: true, MaxLength: 32},
		card.Select{Name: "kind", Label: card.T("帮扶类别"), Required: true, Options: opts},
		card.Input{Name: "amount", Label: card.T("金额（元）"), Required: true, MaxLength: 12},
		card.Input{Name: "note", Label: card.T("情况说明（加密保存）"), Required: true, Multiline: true, MaxLength: store.MaxAidText},
		card.Buttons(card.Button{Text: card.T("登记并批准"), Type: card.Primary, Name: "go", Form: card.Submit, Value: card.Action(actEmergent)})))
}
