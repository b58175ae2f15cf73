package tasks

import (
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Viewer is who looks at a card: the buttons depend on it.
type Viewer struct {
	MemberID int64
	Officer  bool
}

// BoardCard is the year's board: every task with its colour, progress bar, owners and
// deadline, and a button that opens the task's card.
func (h *Handlers) BoardCard(year int, ts []*store.Task, today time.Time, v Viewer) *card.Card {
	counts := map[Colour]int{}
	var els []card.Element
	for _, t := range ts {
		j := h.Pace.Colour(t, today)
		counts[j.Colour]++
		ci := colours[j.Colour]
		status := ci.Name
		switch {
		case j.Colour == Red:
			status = fmt.Sprintf("逾期 %d 天", j.OverdueDays)
		case j.Colour == Yellow:
			status = fmt.Sprintf("滞后（应达 %d%%）", j.Expected)
		case j.Colour == Blue:
			status = fmt.Sprintf("还剩 %d 天", j.DaysLeft)
		case j.Colour == Green && t.CompletedOn > t.Deadline:
			status = "逾期完成"
		}
		els = append(els,
			card.Markdown(fmt.Sprintf("%s **%d. %s**\n`%s` · %s\n责任人：%s · 时限：%s", ci.Emoji, t.Number, md(t.Title),
				Bar(t.Progress), status, md(t.OwnerNames()), t.Deadline)),
			card.Buttons(card.Button{Text: card.T("查看第 " + fmt.Sprint(t.Number) + " 项"),
				Value: card.Action(actShow).With("task_id", t.ID)}))
	}
	var summary []string
	for _, col := range colourOrder {
		if counts[col] > 0 {
			summary = append(summary, fmt.Sprintf("%s %s %d", colours[col].Emoji, colours[col].Name, counts[col]))
		}
	}
	c := card.New(fmt.Sprintf("%d 年十件实事", year)).Color(card.Indigo).
		Subtitle(fmt.Sprintf("截至 %s · 共 %d 项", today.Format(time.DateOnly), len(ts)))
	if len(ts) == 0 {
		c.Add(card.Markdown(fmt.Sprintf("%d 年还没有任务。工会干事可发送「新建实事」，或由管理员导入任务文件。", year)))
	} else {
		c.Add(card.Markdown(strings.Join(summary, " · ")), card.Divider())
		c.Add(els...)
	}
	if v.Officer {
		c.Add(card.Divider(), card.Buttons(card.Button{Text: card.T("新建实事"), Value: card.Action(actCreateForm).With("year", year)}))
	}
	c.Add(card.Note(fmt.Sprintf("🔴 逾期 · 🟡 进度落后于时间进度 %d 个百分点以上 · 🔵 %d 天内到期 · 🟢 已完成", h.Pace.Margin, h.Pace.NearDays)))
	return c
}

// TaskCard is one task: facts, milestones, extensions, the latest history, and the buttons the
// viewer may use.
func (h *Handlers) TaskCard(t *store.Task, events []store.TaskEvent, exts []*store.Extension, today time.Time, v Viewer) *card.Card {
	j := h.Pace.Colour(t, today)
	ci := colours[j.Colour]
	state := ci.Name
	switch j.Colour {
	case Red:
		state = fmt.Sprintf("逾期 %d 天", j.OverdueDays)
	case Yellow:
		state = fmt.Sprintf("滞后：应达 %d%%，实际 %d%%", j.Expected, t.Progress)
	case Blue:
		state = fmt.Sprintf("还剩 %d 天", j.DaysLeft)
	case Green:
		state = "已于 " + t.CompletedOn + " 完成"
	}
	c := card.New(fmt.Sprintf("%d 年实事 %d：%s", t.Year, t.Number, t.Title)).Color(ci.Header).
		Subtitle(ci.Emoji + " " + state)
	if t.Goal != "" {
		c.Add(card.Markdown("**目标**：" + md(t.Goal)))
	}
	fields := []card.Field{
		{Label: card.T("进度"), Value: card.T("`" + Bar(t.Progress) + "`")},
		{Label: card.T("完成时限"), Value: card.T(deadlineText(t))},
		{Label: card.T("责任人"), Value: card.T(md(t.OwnerNames()))},
		{Label: card.T("牵头单位"), Value: card.T(md(orDash(t.LeadUnit)))},
	}
	if t.PartnerUnits != "" {
		fields = append(fields, card.Field{Label: card.T("配合单位"), Value: card.T(md(t.PartnerUnits))})
	}
	if t.Leader != "" {
		fields = append(fields, card.Field{Label: card.T("分管校领导"), Value: card.T(md(t.Leader))})
	}
	c.Add(card.Fields(fields...))
	if t.Note != "" {
		c.Add(card.Markdown("**最新进展**：" + md(t.Note)))
	}
	if t.Problems != "" {
		c.Add(card.Markdown("**需协调解决的问题**：<font color='red'>" + md(t.Problems) + "</font>"))
	}
	if len(t.Milestones) > 0 {
		var lines []string
		for _, m := range t.Milestones {
			mark := "☐"
			when := "计划 " + m.Planned
			if m.Status == store.MilestoneDone {
				mark, when = "☑", when+"，实际 "+m.Actual
				if m.Evidence != "" {
					when += "，佐证：" + md(m.Evidence)
				}
			} else if m.Planned < today.Format(time.DateOnly) {
				when += " <font color='red'>已过期</font>"
			}
			lines = append(lines, fmt.Sprintf("%s %s（%s）", mark, md(m.Name), when))
		}
		c.Add(card.Divider(), card.Markdown("**节点**\n"+strings.Join(lines, "\n")))
	}
	var pending *store.Extension
	if len(exts) > 0 {
		var lines []string
		for _, e := range exts {
			if e.Status == store.ExtensionPending {
				pending = e
			}
			line := fmt.Sprintf("%s → %s（%s，%s 申请：%s）", e.OldDeadline, e.NewDeadline, store.ExtensionStatusNames[e.Status],
				orDash(e.RequesterName), md(e.Reason))
			if e.DeciderName != "" {
				line += "，审批人 " + e.DeciderName
			}
			lines = append(lines, line)
		}
		c.Add(card.Divider(), card.Markdown(fmt.Sprintf("**延期申请**（已同意 %d 次）\n%s", t.Extensions, strings.Join(lines, "\n"))))
	}
	if len(events) > 0 {
		var lines []string
		for _, e := range events {
			who := e.ActorName
			switch {
			case who != "":
			case strings.HasPrefix(e.Actor, "cli"):
				who = "管理员（命令行）"
			default:
				who = "系统"
			}
			lines = append(lines, fmt.Sprintf("%s %s：%s", e.At.In(h.Loc).Format("01-02 15:04"), md(who), md(e.Detail)))
		}
		c.Add(card.Divider(), card.Markdown("**督办记录**（最近 "+fmt.Sprint(len(events))+" 条）\n"+strings.Join(lines, "\n")))
	}
	var bs []card.Button
	owner := t.IsOwner(v.MemberID)
	if owner || v.Officer {
		bs = append(bs, card.Button{Text: card.T("更新进度"), Type: card.Primary, Value: card.Action(actProgressForm).With("task_id", t.ID)})
	}
	if owner && !t.Done() && pending == nil {
		bs = append(bs, card.Button{Text: card.T("申请延期"), Value: card.Action(actExtendForm).With("task_id", t.ID)})
	}
	if v.Officer {
		if pending != nil {
			bs = append(bs, extensionButtons(pending)...)
		}
		bs = append(bs, card.Button{Text: card.T("指定责任人 / 时限 / 节点"), Value: card.Action(actManage).With("task_id", t.ID)})
	}
	bs = append(bs, card.Button{Text: card.T("返回总览"), Value: card.Action(actBoard).With("year", t.Year)})
	c.Add(card.Divider(), card.Buttons(bs...))
	return c
}

func extensionButtons(e *store.Extension) []card.Button {
	base := card.Action(actDecide).With("ext_id", e.ID)
	return []card.Button{
		{Text: card.T("同意延期"), Type: card.Primary, Value: base.With("approve", true),
			Confirm: &card.Confirm{Title: card.T("同意延期？"), Text: card.T("完成时限将改为 " + e.NewDeadline + "。")}},
		{Text: card.T("不同意延期"), Type: card.Danger, Value: base.With("approve", false)},
	}
}

func deadlineText(t *store.Task) string {
	s := t.Deadline
	if t.Extensions > 0 {
		s += fmt.Sprintf("（延期 %d 次）", t.Extensions)
	}
	return s
}

// ProgressFormCard is the progress report form of a task.
func (h *Handlers) ProgressFormCard(t *store.Task) *card.Card {
	els := []card.Element{
		card.Input{Name: "progress", Label: card.T("完成进度（0-100）"), Placeholder: card.T("如 60"), Required: true,
			MaxLength: 3, Default: fmt.Sprint(t.Progress)},
		card.Input{Name: "note", Label: card.T("本月进展"), Placeholder: card.T("做了什么、达到什么程度"), Multiline: true, MaxLength: 1000},
		card.Input{Name: "problems", Label: card.T("需协调解决的问题"), Placeholder: card.T("没有可不填"), Multiline: true, MaxLength: 1000, Default: t.Problems},
	}
	var opts []card.Option
	for _, m := range t.Milestones {
		if m.Status != store.MilestoneDone {
			opts = append(opts, card.Option{Text: card.T(m.Name + "（计划 " + m.Planned + "）"), Value: fmt.Sprint(m.ID)})
		}
	}
	if len(opts) > 0 {
		els = append(els,
			card.Select{Name: "milestone", Label: card.T("本次完成的节点（可不选）"), Options: opts},
			card.Input{Name: "evidence", Label: card.T("节点佐证材料"), Placeholder: card.T("文件名或链接"), MaxLength: 500})
	}
	els = append(els, card.Buttons(card.Button{Text: card.T("提交"), Type: card.Primary, Name: "submit", Form: card.Submit,
		Value: card.Action(actProgress).With("task_id", t.ID).With("version", t.Version)}))
	return card.New(fmt.Sprintf("更新进度：%d. %s", t.Number, t.Title)).Color(card.Blue).
		Add(card.Markdown(fmt.Sprintf("当前进度 %d%%，完成时限 %s。", t.Progress, t.Deadline)), card.Form("progress_form", els...))
}

// ExtendFormCard is the extension request form of a task.
func (h *Handlers) ExtendFormCard(t *store.Task) *card.Card {
	return card.New(fmt.Sprintf("申请延期：%d. %s", t.Number, t.Title)).Color(card.Orange).Add(
		card.Markdown(fmt.Sprintf("现在的完成时限是 **%s**（已延期 %d 次）。申请提交后由工会干事审批。", t.Deadline, t.Extensions)),
		card.Form("extend_form",
			card.DatePicker{Name: "new_deadline", Label: card.T("新的完成时限"), Required: true},
			card.Input{Name: "reason", Label: card.T("延期理由"), Required: true, Multiline: true, MaxLength: 1000},
			card.Buttons(card.Button{Text: card.T("提交申请"), Type: card.Primary, Name: "submit", Form: card.Submit,
				Value: card.Action(actExtend).With("task_id", t.ID)})))
}

// ExtensionCard asks the officers to decide an extension request.
func (h *Handlers) ExtensionCard(t *store.Task, e *store.Extension) *card.Card {
	return card.New("延期申请待审批").Color(card.Orange).Add(
		card.Markdown(fmt.Sprintf("**%d 年实事 %d：%s**\n%s 申请将完成时限由 %s 延至 **%s**。\n理由：%s",
			t.Year, t.Number, md(t.Title), md(orDash(e.RequesterName)), e.OldDeadline, e.NewDeadline, md(e.Reason))),
		card.Fields(
			card.Field{Label: card.T("当前进度"), Value: card.T("`" + Bar(t.Progress) + "`")},
			card.Field{Label: card.T("已延期"), Value: card.T(fmt.Sprintf("%d 次", t.Extensions))},
		),
		card.Buttons(append(extensionButtons(e),
			card.Button{Text: card.T("查看任务"), Value: card.Action(actShow).With("task_id", t.ID)})...))
}

// ManageCard is the officers' card to assign owners, set the deadline and add a milestone.
func (h *Handlers) ManageCard(t *store.Task) *card.Card {
	var selected []string
	for _, m := range t.Owners {
		if m.OpenID != "" {
			selected = append(selected, m.OpenID)
		}
	}
	submit := func(name, label, action string) card.Element {
		return card.Buttons(card.Button{Text: card.T(label), Type: card.Primary, Name: name, Form: card.Submit,
			Value: card.Action(action).With("task_id", t.ID).With("version", t.Version)})
	}
	return card.New(fmt.Sprintf("管理：%d. %s", t.Number, t.Title)).Color(card.Indigo).Add(
		card.Markdown(fmt.Sprintf("责任人：%s · 完成时限：%s", md(t.OwnerNames()), t.Deadline)),
		card.Form("owners_form",
			card.PersonPicker{Name: "owners", Label: card.T("责任人（可多选）"), Multi: true, Required: true, Selected: selected},
			submit("save_owners", "保存责任人", actOwners)),
		card.Form("deadline_form",
			card.DatePicker{Name: "deadline", Label: card.T("完成时限"), Required: true, Initial: t.Deadline},
			submit("save_deadline", "修改时限", actDeadline)),
		card.Form("milestone_form",
			card.Input{Name: "name", Label: card.T("新节点名称"), Required: true, MaxLength: 200},
			card.DatePicker{Name: "planned", Label: card.T("计划完成日期"), Required: true},
			submit("save_milestone", "添加节点", actMilestone)),
		card.Buttons(card.Button{Text: card.T("返回任务"), Value: card.Action(actShow).With("task_id", t.ID)}))
}

// CreateCard is the officers' form for a new task of a year.
func (h *Handlers) CreateCard(year, next int) *card.Card {
	return card.New(fmt.Sprintf("新建 %d 年实事", year)).Color(card.Indigo).Add(
		card.Form("create_form",
			card.Input{Name: "number", Label: card.T("序号"), Required: true, MaxLength: 2, Default: fmt.Sprint(next)},
			card.Input{Name: "title", Label: card.T("任务名称"), Required: true, MaxLength: 200},
			card.Input{Name: "goal", Label: card.T("目标（可衡量）"), Multiline: true, MaxLength: 1000},
			card.Input{Name: "lead_unit", Label: card.T("牵头单位"), MaxLength: 100, Default: "校工会"},
			card.PersonPicker{Name: "owners", Label: card.T("责任人（可多选）"), Multi: true, Required: true},
			card.DatePicker{Name: "deadline", Label: card.T("完成时限"), Required: true, Initial: fmt.Sprintf("%d-12-31", year)},
			card.Buttons(card.Button{Text: card.T("创建"), Type: card.Primary, Name: "create", Form: card.Submit,
				Value: card.Action(actCreate).With("year", year)})))
}

// md makes typed text safe inside card markdown: no tags (a typed <at id=all></at> must not
// mention anyone), no markdown links or emphasis.
func md(s string) string {
	return mdEscaper.Replace(s)
}

var mdEscaper = strings.NewReplacer("<", "＜", ">", "＞", "*", "＊", "[", "［", "]", "］", "`", "'", "~", "～")

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
