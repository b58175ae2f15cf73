package signup

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// activities answers 活动: the open activities, each with a button opening its sign-up card
// (in place in a 1:1 chat; sent 1:1 when asked in a group).
func (h *handler) activities(c *bot.Context) (*bot.Response, error) {
	list, err := h.DB.OpenActivities(c.Ctx, c.Now)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return bot.Info("目前没有开放报名的活动。"), nil
	}
	cd := card.New("进行中的活动").Subtitle(fmt.Sprintf("共 %d 个", len(list)))
	p := c.ChatType == "p2p"
	for i, a := range list {
		if i >= 20 {
			cd.Add(card.Note(fmt.Sprintf("还有 %d 个活动未列出。", len(list)-i)))
			break
		}
		state := "报名中"
		switch {
		case c.Now.Before(a.SignupOpensAt):
			state = h.at(a.SignupOpensAt) + " 开始报名"
		case !c.Now.Before(a.SignupClosesAt):
			state = "报名已截止"
		}
		seats := seatsText(a, 0)
		if len(a.Items) > 0 {
			seats = fmt.Sprintf("%d 个项目", len(a.Items))
		}
		cd.Add(card.Markdown(fmt.Sprintf("**#%d %s**\n%s · %s · %s\n%s", a.ID, a.Title, h.at(a.StartsAt), orNone(a.Place), state, seats)))
		cd.Add(card.Buttons(card.Button{Text: card.T("查看 / 报名"), Value: card.Action(actShow).With("activity_id", a.ID).With("personal", p)}))
	}
	return bot.ReplyCard(cd), nil
}

// mine answers 我的报名: the member's standing sign-ups with cancel buttons. Asked in a group,
// the list goes 1:1.
func (h *handler) mine(c *bot.Context) (*bot.Response, error) {
	cd, err := h.mineCard(c)
	if err != nil {
		return nil, err
	}
	if c.Kind == bot.KindMessage && c.ChatType != "p2p" {
		msg, err := bot.Card(cd)
		if err != nil {
			return nil, err
		}
		if err := c.SendTo(c.Sender.OpenID, msg); err != nil {
			return nil, err
		}
		return bot.Info("你的报名情况已私信发给你。"), nil
	}
	return bot.ReplyCard(cd), nil
}

func (h *handler) mineCard(c *bot.Context) (*card.Card, error) {
	list, err := c.Tx.MyEntries(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	cd := card.New("我的报名")
	if len(list) == 0 {
		return cd.Add(card.Markdown("你目前没有报名任何活动。发送「活动」查看可以报名的活动。")), nil
	}
	for _, e := range list {
		title := e.Title
		if e.ItemName != "" {
			title += " · " + e.ItemName
		}
		line := fmt.Sprintf("**%s**\n%s · %s\n状态：%s", title, h.at(e.StartsAt), orNone(e.Place), entryState(&e.Entry, e.Ahead))
		if e.TeamName != "" {
			line += fmt.Sprintf("（队伍“%s”，%s）", e.TeamName, store.EntryRoleNames[e.Role])
		}
		cd.Add(card.Markdown(line))
		var buttons []card.Button
		if e.Role == store.RoleCaptain {
			buttons = append(buttons, card.Button{Text: card.T("管理队伍"), Value: card.Action(actTeamShow).With("team_id", e.TeamID).With("personal", true)})
		}
		if c.Now.Before(e.CancelDeadline) {
			text := "取消后名额将让给候补的人，不能恢复。"
			if e.Role == store.RoleCaptain {
				text = "你是队长：取消将撤销整支队伍，队员的报名随之取消。"
			}
			buttons = append(buttons, card.Button{Text: card.T("取消报名"), Type: card.Danger,
				Value:   card.Action(actCancelEntry).With("entry_id", e.ID).With("from", "mine").With("personal", true),
				Confirm: &card.Confirm{Title: card.T("确认取消「" + title + "」的报名？"), Text: card.T(text)}})
		} else {
			cd.Add(card.Note("已过取消截止时间（" + h.at(e.CancelDeadline) + "），如需取消请联系工会。"))
		}
		cd.Add(card.Buttons(buttons...))
	}
	return cd, nil
}

// roster answers 名单 <活动>: officers see who signed up; for a sensitive activity everyone
// else sees counts only, otherwise the confirmed people with their 分工会.
func (h *handler) roster(c *bot.Context) (*bot.Response, error) {
	a, err := h.findPastActivity(c, c.ArgText) // the roster of a finished activity too
	if err != nil {
		return c.Refusal(err)
	}
	st, err := c.Tx.ActivityStats(c.Ctx, a)
	if err != nil {
		return nil, err
	}
	counts := fmt.Sprintf("已确认 %d，候补 %d，待确认 %d，待抽签 %d（共 %d 人）。", st.Confirmed, st.Waitlisted, st.Pending, st.Applied, st.People)
	officer := c.Sender.HasAny(store.Officers)
	if a.Sensitive && !officer {
		return bot.Info(fmt.Sprintf("「%s」：%s本活动的报名名单仅工会干事可见。", a.Title, counts)), nil
	}
	rows, err := h.DB.Roster(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "「%s」报名名单\n%s\n", a.Title, counts)
	item := int64(-1)
	n := 0
	for _, r := range rows {
		if r.Status == store.EntryCancelled || r.Status == store.EntryRejected {
			continue
		}
		if !officer && r.Status != store.EntryConfirmed {
			continue
		}
		if r.ItemID != item && r.ItemName != "" {
			fmt.Fprintf(&b, "\n【%s】\n", r.ItemName)
		}
		item = r.ItemID
		n++
		if n > 200 {
			b.WriteString("……（更多请用「导出」）\n")
			break
		}
		line := fmt.Sprintf("%d. %s（%s）", n, r.Name, orNone(r.BranchName))
		if r.TeamName != "" {
			line += " " + r.TeamName + "·" + r.Role
		}
		if officer {
			line += " " + store.EntryStatusNames[r.Status]
			if r.Status == store.EntryWaitlisted {
				line += fmt.Sprintf("（%d）", r.Position)
			}
		}
		b.WriteString(line + "\n")
	}
	return bot.Info(strings.TrimSpace(b.String())), nil
}

// mineAction is the 我的报名 button: the member's sign-ups, in place on a 1:1 card.
func (h *handler) mineAction(c *bot.Context) (*bot.Response, error) {
	cd, err := h.mineCard(c)
	if err != nil {
		return nil, err
	}
	return h.inPlaceOrPrivate(c, cd, "")
}
