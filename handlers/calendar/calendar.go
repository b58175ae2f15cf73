// Package calendar holds the admins' holiday commands: 节假日 shows a year's arrangement of
// days off and 调休 working days (and whether the bot has data for it), 节假日导入 enters a
// year's arrangement pasted in chat, in the format of `unionbot holidays import`.
package calendar

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// formatHelp explains the arrangement format.
const formatHelp = "每条：日期或日期范围、休/班、名称（可连续粘贴多条）。例如：\n" +
	"2027-01-01 休 元旦\n2027-02-06..2027-02-12 休 春节\n2027-02-07 班 春节调休\n" +
	"导入会替换该年此前录入的安排；任何一行有误则整体不导入。"

// Register adds the holiday commands.
func Register(r *bot.Router, d handlers.Deps) {
	d = d.WithDefaults()
	h := &handler{Deps: d, cal: workday.New(d.Loc, d.DB)}
	r.Command(bot.Command{Names: []string{"节假日", "holidays"}, Roles: store.AdminOnly, Usage: "节假日 [年份]",
		Help: "查看某年的节假日与调休安排", Handler: h.show})
	r.Command(bot.Command{Names: []string{"节假日导入", "holidays-import"}, Roles: store.AdminOnly, MinArgs: 1,
		Usage: "节假日导入 <安排，每行一条，如 2027-01-01 休 元旦>", Help: "录入下一年的节假日安排", Handler: h.importText, Solo: true})
}

type handler struct {
	handlers.Deps
	cal *workday.Calendar
}

func (h *handler) show(c *bot.Context) (*bot.Response, error) {
	if err := h.cal.Reload(c.Ctx); err != nil {
		return nil, err
	}
	now := c.Now.In(h.Loc)
	year := now.Year()
	if len(c.Args) > 0 {
		y, err := strconv.Atoi(strings.TrimSuffix(c.Args[0], "年"))
		if err != nil || y < 2000 || y > 2100 {
			return bot.Warn(fmt.Sprintf("「%s」不是年份，请写成 节假日 2027", c.Args[0])), nil
		}
		year = y
	}
	k := card.New(fmt.Sprintf("%d 年节假日安排", year)).Add(card.Markdown(workday.Describe(h.cal, year)))
	if next := now.Year() + 1; year != next {
		if h.cal.HasYear(next) {
			k.Add(card.Note(fmt.Sprintf("%d 年的安排已有数据。", next)))
		} else {
			k.Add(card.Note(fmt.Sprintf("%d 年还没有节假日数据。", next)))
		}
	}
	if !h.cal.HasYear(year) {
		k.Color(card.Orange)
	}
	k.Add(card.Note("录入或更正：发送「节假日导入」并粘贴安排。" + formatHelp))
	return bot.ReplyCard(k), nil
}

func (h *handler) importText(c *bot.Context) (*bot.Response, error) {
	days, err := workday.ParseArrangementText(c.ArgText)
	if err != nil {
		return bot.Warn(fmt.Sprintf("%s。没有导入任何内容。\n%s", strings.TrimSuffix(store.ErrorMessage(err), "。"), formatHelp)), nil
	}
	if err := h.cal.Reload(c.Ctx); err != nil {
		return nil, err
	}
	after := h.cal.With(days)
	res, err := workday.Import(c.Ctx, c.Tx, days, c.Sender.OpenID, "chat")
	if err != nil {
		return nil, err
	}
	c.Tx.AfterCommit(func() { h.cal.Reload(context.WithoutCancel(c.Ctx)) })
	var b strings.Builder
	years := make([]string, len(res.Years))
	for i, y := range res.Years {
		years[i] = strconv.Itoa(y)
	}
	fmt.Fprintf(&b, "已导入 %s 年的安排：放假 %d 天，调休上班 %d 天", strings.Join(years, "、"), res.Off, res.Work)
	if res.Replaced > 0 {
		fmt.Fprintf(&b, "（替换了此前录入的 %d 天）", res.Replaced)
	}
	b.WriteString("。\n")
	for _, y := range res.Years {
		b.WriteString(workday.Describe(after, y))
	}
	k := card.New("节假日安排已导入").Color(card.Green).Add(card.Markdown(b.String()))
	return bot.ReplyCard(k), nil
}
