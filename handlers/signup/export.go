package signup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// exportCmd answers 导出 [活动编号或名称]: the roster file 1:1, or a list to choose from.
func (h *handler) exportCmd(c *bot.Context) (*bot.Response, error) {
	q := strings.TrimSpace(c.ArgText)
	acts, err := h.DB.Activities(c.Ctx)
	if err != nil {
		return nil, err
	}
	var found []*store.Activity
	for _, a := range acts {
		if a.Status == store.ActivityDraft {
			continue
		}
		if q != "" && (strconv.FormatInt(a.ID, 10) == q || a.Title == q) {
			return h.export(c, a)
		}
		if strings.Contains(a.Title, q) {
			found = append(found, a)
		}
	}
	if len(found) == 1 && q != "" {
		return h.export(c, found[0])
	}
	if len(found) == 0 {
		if q == "" {
			return bot.Warn("还没有已发布的活动可以导出。"), nil
		}
		return bot.Warn(fmt.Sprintf("找不到名称包含「%s」的活动。发送「导出」查看可导出的活动。", q)), nil
	}
	cd := card.New("导出报名名单").Color(card.Indigo).Add(card.Markdown("请选择活动，名单（Excel）会私信发给你："))
	for i, a := range found {
		if i == 15 {
			cd.Add(card.Note("只列出最新的 15 个活动；可发送「导出 活动名称」。"))
			break
		}
		cd.Add(card.Markdown(fmt.Sprintf("**%s**　%s · %s", a.Title, store.ActivityStatusName(a.Status), a.StartsAt.In(h.Loc).Format("2006-01-02"))),
			card.Buttons(card.Button{Text: card.T("导出"), Value: card.Action(actExport).With("activity_id", a.ID)}))
	}
	return bot.ReplyCard(cd), nil
}

// exportAction is the 导出名单 button.
func (h *handler) exportAction(c *bot.Context) (*bot.Response, error) {
	a, err := cardActivity(c, "，请发送「导出」重新选择")
	if err != nil {
		return c.Refusal(err)
	}
	return h.export(c, a)
}

// export builds the roster workbook and queues it as a file, 1:1 to the officer who asked
// (never to a group, even when asked in one).
func (h *handler) export(c *bot.Context, a *store.Activity) (*bot.Response, error) {
	a, err := c.Tx.Activity(c.Ctx, a.ID) // with its items
	if err != nil {
		return c.Refusal(err)
	}
	if a.Status == store.ActivityDraft {
		return bot.Warn(fmt.Sprintf("活动「%s」还是草稿，没有报名可导出。", a.Title)), nil
	}
	rows, err := h.DB.Roster(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	branches, err := h.DB.BranchMemberCounts(c.Ctx)
	if err != nil {
		return nil, err
	}
	lines := make([]rosterLine, 0, len(rows))
	for _, r := range rows {
		l := rosterLine{MemberID: r.MemberID, Branch: r.BranchName, Name: r.Name, Gender: r.Gender, EmployeeNo: r.EmployeeNo,
			Mobile: r.Mobile, Item: r.ItemName, Team: r.TeamName, Role: r.Role, Status: r.Status, SignedUpAt: r.SignedUpAt}
		if r.CheckedInAt != nil {
			l.CheckedInAt = *r.CheckedInAt
		}
		if a.NeedsInsurance {
			l.IDMasked = r.IDMasked
		}
		lines = append(lines, l)
	}
	data, err := buildRoster(a, lines, branches, c.Now, h.Loc)
	if err != nil {
		return nil, err
	}
	name := rosterFileName(a.Title, c.Now, h.Loc)
	if err := c.SendFile(c.Sender.OpenID, name, data); err != nil {
		return nil, err
	}
	if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "activity", fmt.Sprint(a.ID), "export", fmt.Sprintf("%d entries", len(rows))); err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("名单「%s」（%d 条报名）已私信发给你。", name, len(rows))
	if c.Kind == bot.KindMessage && c.ChatType == "group" {
		msg = "名单已私信发给你（名单不会发到群里）。"
	}
	return bot.Success(msg), nil
}
