package legalaid

import (
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// summary is the neutral text Feishu shows for every legal-aid card in chat lists and
// notifications.
const summary = "工会助手：法律援助（仅本人可见）"

// IntakeForm is the intake form (today bounds the dispute date).
func IntakeForm(today string) *card.Card {
	cats := make([]card.Option, 0, len(store.LegalCategories))
	for _, c := range store.LegalCategories {
		cats = append(cats, card.Option{Text: card.T(c), Value: c})
	}
	return card.New("法律援助登记").Color(card.Indigo).Subtitle("仅法律援助专员和值班律师可见").Add(
		card.Form("legal_intake",
			card.Select{Name: "category", Label: card.T("纠纷类别"), Required: true, Options: cats},
			card.Select{Name: "urgent", Label: card.T("紧急程度"), Initial: "normal", Options: []card.Option{
				{Text: card.T("一般"), Value: "normal"}, {Text: card.T("紧急（如即将超过时效、已被通知解除合同）"), Value: "urgent"}}},
			card.Input{Name: "facts", Label: card.T("事实经过"), Multiline: true, Required: true, MaxLength: 1000,
				Placeholder: card.T("发生了什么、何时、涉及哪些人；你希望得到什么帮助")},
			card.Input{Name: "other_party", Label: card.T("对方当事人"), Required: true, MaxLength: 100,
				Placeholder: card.T("单位或个人，例如：某学院、某公司、某人")},
			card.DatePicker{Name: "dispute_date", Label: card.T("纠纷发生日期"), Required: true, Initial: today},
			card.Note("劳动争议的仲裁时效为一年，从纠纷发生之日起计算；系统会在到期前 60、30、7 天提醒你。"),
			card.Buttons(card.Button{Text: card.T("提交"), Type: card.Primary, Name: "legal_submit", Form: card.Submit,
				Value: card.Action(actSubmit)}),
		),
	).Sensitive(summary)
}

// MyCasesCard lists the member's cases, each with 查看, and 新的咨询.
func MyCasesCard(cases []*store.LegalCase) *card.Card {
	cd := card.New("我的法律援助").Color(card.Indigo)
	var lines []string
	for _, c := range cases {
		lines = append(lines, fmt.Sprintf("- 编号 %d · %s · %s · 登记于 %s", c.ID, c.Category, store.LegalStatusNames[c.Status], c.CreatedAt.Format("2006-01-02")))
	}
	cd.Add(card.Markdown(strings.Join(lines, "\n")))
	var buttons []card.Button
	for i, c := range cases {
		if i == 5 {
			break
		}
		buttons = append(buttons, card.Button{Text: card.T(fmt.Sprintf("查看 %d", c.ID)), Value: card.Action(actShow).With("case_id", c.ID)})
	}
	buttons = append(buttons, card.Button{Text: card.T("新的咨询"), Type: card.Primary, Value: card.Action(actNew)})
	return cd.Add(card.Buttons(buttons...)).Sensitive(summary)
}

// Viewer is who looks at a case: the buttons depend on it.
type Viewer struct {
	Owner, Officer bool
	Now            time.Time
	Loc            *time.Location
}

// CaseCard is a case as v sees it (the caller has checked v may see it and written the read
// audit). The member sees who viewed it.
func CaseCard(o *Opened, v Viewer) *card.Card {
	lc := o.LegalCase
	color := card.Indigo
	switch lc.Status {
	case store.LegalClosed:
		color = card.Green
	case store.LegalWithdrawn:
		color = card.Grey
	}
	cd := card.New(fmt.Sprintf("法律援助 · 编号 %d", lc.ID)).Color(color).
		Subtitle(fmt.Sprintf("%s · %s", lc.Category, store.LegalStatusNames[lc.Status]))
	if lc.Conflict {
		cd.Add(card.Markdown("⚠️ **利益冲突**：对方当事人为学校或其部门，办理时请注意回避。"))
	}
	limit := lc.LimitDate
	if d, err := time.ParseInLocation(time.DateOnly, lc.LimitDate, v.Loc); err == nil && lc.Status == store.LegalOpen {
		today, _ := time.ParseInLocation(time.DateOnly, v.Now.In(v.Loc).Format(time.DateOnly), v.Loc)
		if left := int(d.Sub(today).Hours() / 24); left >= 0 {
			limit += fmt.Sprintf("（还有 %d 天）", left)
		} else {
			limit += "（已过）"
		}
	}
	urgent := "一般"
	if lc.Urgent {
		urgent = "紧急"
	}
	who := lc.MemberName
	if lc.BranchName != "" {
		who += "（" + lc.BranchName + "）"
	}
	fields := []card.Field{
		{Label: card.T("申请人"), Value: card.T(md(who))},
		{Label: card.T("紧急程度"), Value: card.T(urgent)},
		{Label: card.T("纠纷发生日期"), Value: card.T(lc.DisputeDate)},
		{Label: card.T("仲裁时效截止"), Value: card.T(limit)},
		{Label: card.T("对方当事人"), Value: card.T(or(md(o.OtherParty), "（已按保存期限删除）"))},
	}
	appt := "未预约"
	if b := lc.Booking; b != nil {
		appt = slotText(b.StartsAt, b.EndsAt, v.Loc)
	}
	fields = append(fields, card.Field{Label: card.T("律师预约"), Value: card.T(appt)})
	cd.Add(card.Fields(fields...), card.Markdown("**事实经过**\n"+or(md(o.Facts), "（已按保存期限删除）")))
	if lc.CloseNote != "" {
		cd.Add(card.Markdown("**办理结果**\n" + md(lc.CloseNote)))
	}
	if v.Owner {
		cd.Add(card.Divider(), card.Markdown(readsText(o.Reads, lc.MemberID, v.Loc)))
	}
	var buttons []card.Button
	val := func(act string) card.Value {
		return card.Action(act).With("case_id", lc.ID).With("version", lc.Version)
	}
	if lc.Status == store.LegalOpen && v.Owner {
		if lc.Booking == nil {
			buttons = append(buttons, card.Button{Text: card.T("预约值班律师"), Type: card.Primary, Value: val(actSlots)})
		} else {
			buttons = append(buttons, card.Button{Text: card.T("取消预约"), Value: val(actCancel),
				Confirm: &card.Confirm{Title: card.T("取消律师预约？"), Text: card.T("取消后该时段将开放给他人。")}})
		}
		buttons = append(buttons, card.Button{Text: card.T("撤回申请"), Type: card.Danger, Value: val(actWithdraw),
			Confirm: &card.Confirm{Title: card.T("撤回这件法律援助申请？"), Text: card.T("撤回后不再办理，预约一并取消。")}})
	}
	if len(buttons) > 0 {
		cd.Add(card.Buttons(buttons...))
	}
	if lc.Status == store.LegalOpen && v.Officer {
		cd.Add(card.Form("legal_close",
			card.Input{Name: "note", Label: card.T("办理结果"), Multiline: true, Required: true, MaxLength: 500,
				Placeholder: card.T("例如：已提供咨询意见；已协助申请仲裁")},
			card.Buttons(card.Button{Text: card.T("结案"), Name: "legal_close_submit", Form: card.Submit, Value: val(actClose)}),
		))
	}
	return cd.Sensitive(summary)
}

// readsText tells the member who viewed their case (others than themselves).
func readsText(reads []store.ReadEntry, ownerID int64, loc *time.Location) string {
	var lines []string
	for _, r := range reads {
		if r.ViewerID == ownerID {
			continue
		}
		name := r.ViewerName
		if name == "" {
			name = r.Viewer
		}
		lines = append(lines, fmt.Sprintf("- %s %s %s", r.At.In(loc).Format("01-02 15:04"), name, whatNames[r.What]))
	}
	if len(lines) == 0 {
		return "**查看记录**：除你本人外，还没有人查看过。"
	}
	return "**查看记录**（最近的在前）\n" + strings.Join(lines, "\n")
}

var whatNames = map[string]string{"card": "查看了申请", "list": "查看了列表", "export": "导出了数据"}

// SlotsCard offers the free slots for case lc, as buttons.
func SlotsCard(lc *store.LegalCase, free []Slot, loc *time.Location) *card.Card {
	cd := card.New("预约值班律师").Color(card.Indigo).Subtitle(fmt.Sprintf("编号 %d", lc.ID))
	if len(free) == 0 {
		return cd.Add(card.Markdown("近期没有可预约的时段。请稍后再试，或联系法律援助专员。"),
			card.Buttons(card.Button{Text: card.T("返回"), Value: card.Action(actShow).With("case_id", lc.ID)})).Sensitive(summary)
	}
	var buttons []card.Button
	for i, s := range free {
		if i == 24 {
			break
		}
		buttons = append(buttons, card.Button{Text: card.T(slotText(s.Start, s.End, loc)),
			Value: card.Action(actBook).With("case_id", lc.ID).With("version", lc.Version).With("start", s.Start.Unix())})
	}
	return cd.Add(card.Markdown("请选择一个时段（每人一次预约，可取消）："), card.Buttons(buttons...),
		card.Buttons(card.Button{Text: card.T("返回"), Value: card.Action(actShow).With("case_id", lc.ID)})).Sensitive(summary)
}

// ListCard lists open cases for the legal-aid staff (no facts, no other party).
func ListCard(cases []*store.LegalCase) *card.Card {
	cd := card.New("办理中的法律援助").Color(card.Indigo)
	if len(cases) == 0 {
		return cd.Add(card.Markdown("目前没有办理中的申请。")).Sensitive(summary)
	}
	var lines []string
	var buttons []card.Button
	for _, c := range cases {
		flag := ""
		if c.Conflict {
			flag = " ⚠️利益冲突"
		}
		if c.Urgent {
			flag += " 紧急"
		}
		lines = append(lines, fmt.Sprintf("- 编号 %d · %s · %s · 时效截止 %s%s", c.ID, c.MemberName, c.Category, c.LimitDate, flag))
		if len(buttons) < 10 {
			buttons = append(buttons, card.Button{Text: card.T(fmt.Sprintf("查看 %d", c.ID)), Value: card.Action(actShow).With("case_id", c.ID)})
		}
	}
	return cd.Add(card.Markdown(strings.Join(lines, "\n")), card.Buttons(buttons...)).Sensitive(summary)
}

func slotText(start, end time.Time, loc *time.Location) string {
	s := start.In(loc)
	return fmt.Sprintf("%s（%s）%s-%s", s.Format("01月02日"), weekdayNames[s.Weekday()], s.Format("15:04"), end.In(loc).Format("15:04"))
}

var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

func or(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}

// md escapes what a member typed for a markdown element.
func md(s string) string { return card.Escape(s) }

// caseCard renders the case for the sender.
func (h *Handlers) caseCard(c *bot.Context, o *Opened) *card.Card {
	return CaseCard(o, Viewer{Owner: o.MemberID == c.Sender.MemberID, Officer: officer(c), Now: c.Now, Loc: h.Loc})
}
