package tasks

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// historyLines is how many lines of the supervision log a task card shows.
const historyLines = 8

func (h *Handlers) viewer(c *bot.Context) Viewer {
	return Viewer{MemberID: c.Sender.MemberID, Officer: isOfficer(c.Sender)}
}

// boardCommand answers "实事 [年份]" with the year's board (the current year by default).
func (h *Handlers) boardCommand(c *bot.Context) (*bot.Response, error) {
	year := h.today(c).Year()
	if a := c.Arg(0); a != "" {
		y, err := strconv.Atoi(strings.TrimSuffix(a, "年"))
		if err != nil || y < 2000 || y > 2100 {
			return bot.Warn(fmt.Sprintf("年份无效：%s。用法：实事 2024", a)), nil
		}
		year = y
	}
	return h.board(c, year)
}

func (h *Handlers) boardAction(c *bot.Context) (*bot.Response, error) {
	year := int(c.Int("year"))
	if year == 0 {
		year = h.today(c).Year()
	}
	return h.board(c, year)
}

func (h *Handlers) board(c *bot.Context, year int) (*bot.Response, error) {
	ts, err := c.Tx.TasksByYear(c.Ctx, year)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(h.BoardCard(year, ts, h.today(c), h.viewer(c))), nil
}

// taskCard renders the current state of a task inside the event's transaction.
func (h *Handlers) taskCard(c *bot.Context, id int64) (*card.Card, *store.Task, error) {
	t, err := c.Tx.TaskByID(c.Ctx, id)
	if err != nil {
		return nil, nil, err
	}
	events, err := c.Tx.TaskEvents(c.Ctx, id, historyLines)
	if err != nil {
		return nil, nil, err
	}
	exts, err := c.Tx.TaskExtensions(c.Ctx, id)
	if err != nil {
		return nil, nil, err
	}
	return h.TaskCard(t, events, exts, h.today(c), h.viewer(c)), t, nil
}

func (h *Handlers) show(c *bot.Context) (*bot.Response, error) {
	cd, _, err := h.taskCard(c, c.Int("task_id"))
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(cd), nil
}

// mayReport: a task's responsible members and the officers may report progress.
func mayReport(c *bot.Context, t *store.Task) error {
	if t.IsOwner(c.Sender.MemberID) || isOfficer(c.Sender) {
		return nil
	}
	return store.Errorf(store.EUNAUTHORIZED, "你不是「%s」的责任人，不能更新进度。如需调整责任人，请联系工会干事。", t.Title)
}

func (h *Handlers) progressForm(c *bot.Context) (*bot.Response, error) {
	t, err := c.Tx.TaskByID(c.Ctx, c.Int("task_id"))
	if err != nil {
		return c.Refusal(err)
	}
	if err := mayReport(c, t); err != nil {
		return c.Refusal(err)
	}
	return bot.ReplyCard(h.ProgressFormCard(t)), nil
}

// progress saves a progress report from the form.
func (h *Handlers) progress(c *bot.Context) (*bot.Response, error) {
	id := c.Int("task_id")
	t, err := c.Tx.TaskByID(c.Ctx, id)
	if err != nil {
		return c.Refusal(err)
	}
	if err := mayReport(c, t); err != nil {
		return c.Refusal(err)
	}
	raw := strings.TrimSuffix(strings.TrimSpace(c.FormString("progress")), "%")
	p, err := strconv.Atoi(raw)
	if err != nil {
		return bot.Warn(fmt.Sprintf("进度应为 0 到 100 之间的整数，收到「%s」。", raw)), nil
	}
	var ms int64
	if s := c.FormString("milestone"); s != "" {
		if ms, err = strconv.ParseInt(s, 10, 64); err != nil {
			return bot.Warn("该任务没有这个节点。"), nil
		}
	}
	who, name := actor(c)
	u := store.ProgressUpdate{Progress: p, Note: c.FormString("note"), Problems: c.FormString("problems"),
		MilestoneID: ms, Evidence: c.FormString("evidence")}
	if _, err := c.Tx.UpdateProgress(c.Ctx, id, int(c.Int("version")), u, who, name, h.today(c).Format(time.DateOnly)); err != nil {
		return nil, err
	}
	cd, _, err := h.taskCard(c, id)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("已更新进度：%d%%", p)
	if p == 100 {
		msg = "已完成，辛苦了！"
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: msg}, Card: cd}, nil
}

func (h *Handlers) extendForm(c *bot.Context) (*bot.Response, error) {
	t, err := c.Tx.TaskByID(c.Ctx, c.Int("task_id"))
	if err != nil {
		return c.Refusal(err)
	}
	if !t.IsOwner(c.Sender.MemberID) {
		return bot.Warn(fmt.Sprintf("只有「%s」的责任人可以申请延期。", t.Title)), nil
	}
	if t.Done() {
		return bot.Warn("任务已完成，无需延期。"), nil
	}
	return bot.ReplyCard(h.ExtendFormCard(t)), nil
}

// extend records an extension request and asks the officers to decide it.
func (h *Handlers) extend(c *bot.Context) (*bot.Response, error) {
	id := c.Int("task_id")
	t, err := c.Tx.TaskByID(c.Ctx, id)
	if err != nil {
		return c.Refusal(err)
	}
	if !t.IsOwner(c.Sender.MemberID) {
		return bot.Warn(fmt.Sprintf("只有「%s」的责任人可以申请延期。", t.Title)), nil
	}
	me, err := c.Tx.MemberByID(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	e, err := c.Tx.RequestExtension(c.Ctx, id, me, c.FormString("reason"), c.FormString("new_deadline"), c.Sender.OpenID)
	if err != nil {
		return nil, err
	}
	t, err = c.Tx.TaskByID(c.Ctx, id)
	if err != nil {
		return nil, err
	}
	officers, err := roleOpenIDs(c.Ctx, h.DB, store.Officers...)
	if err != nil {
		return nil, err
	}
	ec := h.ExtensionCard(t, e)
	for _, o := range officers {
		if o == c.Sender.OpenID {
			continue
		}
		msg, err := bot.Card(ec)
		if err != nil {
			return nil, err
		}
		if err := c.SendTo(o, msg); err != nil {
			return nil, err
		}
	}
	cd, _, err := h.taskCard(c, id)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已提交延期申请，等待工会干事审批。"}, Card: cd}, nil
}

// decide approves or refuses an extension request; the requester is told.
func (h *Handlers) decide(c *bot.Context) (*bot.Response, error) {
	me, err := c.Tx.MemberByID(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	approve := c.Bool("approve")
	e, err := c.Tx.DecideExtension(c.Ctx, c.Int("ext_id"), approve, me, c.Sender.OpenID)
	if err != nil {
		return nil, err
	}
	t, err := c.Tx.TaskByID(c.Ctx, e.TaskID)
	if err != nil {
		return nil, err
	}
	if e.RequesterOpen != "" {
		text := fmt.Sprintf("你对 %d 年实事「%s」的延期申请（%s → %s）已获同意，新的完成时限为 %s。", t.Year, t.Title, e.OldDeadline, e.NewDeadline, e.NewDeadline)
		if !approve {
			text = fmt.Sprintf("你对 %d 年实事「%s」的延期申请（%s → %s）未获同意，完成时限仍为 %s。如有困难请与工会干事沟通。", t.Year, t.Title, e.OldDeadline, e.NewDeadline, t.Deadline)
		}
		if err := c.SendTo(e.RequesterOpen, bot.Text(text)); err != nil {
			return nil, err
		}
	}
	cd, _, err := h.taskCard(c, e.TaskID)
	if err != nil {
		return nil, err
	}
	toast := "已同意延期，已通知申请人。"
	if !approve {
		toast = "已不同意延期，已通知申请人。"
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: toast}, Card: cd}, nil
}

func (h *Handlers) manageForm(c *bot.Context) (*bot.Response, error) {
	t, err := c.Tx.TaskByID(c.Ctx, c.Int("task_id"))
	if err != nil {
		return c.Refusal(err)
	}
	return bot.ReplyCard(h.ManageCard(t)), nil
}

// members maps picked open_ids to members; someone who never used the bot cannot be picked.
func (h *Handlers) members(c *bot.Context, openIDs []string) ([]*store.Member, error) {
	if len(openIDs) == 0 {
		return nil, store.Errorf(store.EINVALID, "请至少指定一位责任人。")
	}
	var out []*store.Member
	for _, id := range openIDs {
		m, err := c.Tx.MemberByOpenID(c.Ctx, id)
		if err != nil {
			return nil, store.Errorf(store.EINVALID, "所选人员中有人还没有使用过工会助手，请其先给我发一条消息，或由管理员导入名单。")
		}
		out = append(out, m)
	}
	return out, nil
}

func (h *Handlers) setOwners(c *bot.Context) (*bot.Response, error) {
	id := c.Int("task_id")
	ms, err := h.members(c, c.FormStrings("owners"))
	if err != nil {
		return c.Refusal(err)
	}
	before, err := c.Tx.TaskByID(c.Ctx, id)
	if err != nil {
		return c.Refusal(err)
	}
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	who, name := actor(c)
	t, err := c.Tx.SetTaskOwners(c.Ctx, id, int(c.Int("version")), ids, who, name)
	if err != nil {
		return nil, err
	}
	for _, m := range ms {
		if before.IsOwner(m.ID) || m.OpenID == "" {
			continue
		}
		text := fmt.Sprintf("你已被指定为 %d 年实事「%s」的责任人，完成时限 %s。请每月 %d 日前后更新进度；发送「实事」查看。",
			t.Year, t.Title, t.Deadline, h.Cfg.MonthlyDay)
		if err := c.SendTo(m.OpenID, bot.Text(text)); err != nil {
			return nil, err
		}
	}
	cd, _, err := h.taskCard(c, id)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已保存责任人。"}, Card: cd}, nil
}

func (h *Handlers) setDeadline(c *bot.Context) (*bot.Response, error) {
	id := c.Int("task_id")
	who, name := actor(c)
	t, err := c.Tx.SetTaskDeadline(c.Ctx, id, int(c.Int("version")), c.FormString("deadline"), who, name,
		h.today(c).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	for _, m := range t.Owners {
		if m.OpenID == "" || m.OpenID == c.Sender.OpenID {
			continue
		}
		if err := c.SendTo(m.OpenID, bot.Text(fmt.Sprintf("%d 年实事「%s」的完成时限已调整为 %s。", t.Year, t.Title, t.Deadline))); err != nil {
			return nil, err
		}
	}
	cd, _, err := h.taskCard(c, id)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "完成时限已改为 " + t.Deadline + "。"}, Card: cd}, nil
}

func (h *Handlers) addMilestone(c *bot.Context) (*bot.Response, error) {
	id := c.Int("task_id")
	who, name := actor(c)
	m := &store.Milestone{Name: c.FormString("name"), Planned: c.FormString("planned")}
	if _, err := c.Tx.AddMilestone(c.Ctx, id, int(c.Int("version")), m, who, name, h.today(c).Format(time.DateOnly)); err != nil {
		return nil, err
	}
	cd, _, err := h.taskCard(c, id)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已添加节点「" + m.Name + "」。"}, Card: cd}, nil
}

func (h *Handlers) createForm(c *bot.Context) (*bot.Response, error) {
	year := int(c.Int("year"))
	if year == 0 {
		year = h.today(c).Year()
	}
	ts, err := c.Tx.TasksByYear(c.Ctx, year)
	if err != nil {
		return nil, err
	}
	next := 1
	for _, t := range ts {
		next = max(next, t.Number+1)
	}
	return bot.ReplyCard(h.CreateCard(year, next)), nil
}

// create makes a new task from the officers' form. Its deadline may not be before today.
func (h *Handlers) create(c *bot.Context) (*bot.Response, error) {
	year := int(c.Int("year"))
	n, err := strconv.Atoi(strings.TrimSpace(c.FormString("number")))
	if err != nil {
		return bot.Warn(fmt.Sprintf("序号应为整数，收到「%s」。", c.FormString("number"))), nil
	}
	ms, err := h.members(c, c.FormStrings("owners"))
	if err != nil {
		return c.Refusal(err)
	}
	t := &store.Task{Year: year, Number: n, Title: c.FormString("title"), Goal: strings.TrimSpace(c.FormString("goal")),
		LeadUnit: strings.TrimSpace(c.FormString("lead_unit")), Deadline: c.FormString("deadline"), Owners: ms}
	who, name := actor(c)
	if err := c.Tx.CreateTask(c.Ctx, t, who, name, h.today(c).Format(time.DateOnly), false); err != nil {
		return nil, err
	}
	for _, m := range ms {
		if m.OpenID == "" || m.OpenID == c.Sender.OpenID {
			continue
		}
		text := fmt.Sprintf("你已被指定为 %d 年实事「%s」的责任人，完成时限 %s。发送「实事」查看。", t.Year, t.Title, t.Deadline)
		if err := c.SendTo(m.OpenID, bot.Text(text)); err != nil {
			return nil, err
		}
	}
	cd, _, err := h.taskCard(c, t.ID)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已创建。"}, Card: cd}, nil
}
