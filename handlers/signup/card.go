package signup

import (
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

func (h *handler) at(t time.Time) string { return t.In(h.Loc).Format("1月2日 15:04") }

// seatsText describes the seats of the activity (itemID 0) or one item, from the counters.
func seatsText(a *store.Activity, itemID int64) string {
	capacity, taken := a.Capacity, a.Confirmed
	if it := a.Item(itemID); it != nil && it.Capacity > 0 {
		capacity, taken = it.Capacity, it.Confirmed
	}
	unit := "人"
	if a.EntryMode == store.ModeTeam {
		unit = "队"
	}
	left := a.SeatsLeft(itemID)
	switch {
	case left < 0:
		return fmt.Sprintf("不限名额（已报 %d %s）", taken, unit)
	case left == 0:
		return fmt.Sprintf("已满（%d %s），可报名候补", capacity, unit)
	}
	return fmt.Sprintf("剩余 %d / %d", left, capacity)
}

// entryState is how a member reads their entry's status.
func entryState(e *store.Entry, ahead int) string {
	switch e.Status {
	case store.EntryWaitlisted:
		if ahead >= 0 {
			return fmt.Sprintf("候补第 %d 位", ahead+1)
		}
		return fmt.Sprintf("候补（第 %d 号）", e.Position)
	case store.EntryConfirmed:
		if e.CheckedInAt != nil {
			return "已确认 · 已签到"
		}
	}
	return store.EntryStatusNames[e.Status]
}

// personalCard is the sign-up card for one member, sent or answered 1:1: the activity, the
// seats, the member's own entries with cancel buttons, and sign-up buttons for the rest.
func (h *handler) personalCard(a *store.Activity, mine []*store.Entry, note string, now time.Time) *card.Card {
	cd := h.cardHead(a, now)
	if note != "" {
		cd.Add(card.Markdown("**" + note + "**"))
	}
	entered := map[int64]*store.Entry{}
	var lines []string
	for _, e := range mine {
		entered[e.ItemID] = e
		name := "本活动"
		if it := a.Item(e.ItemID); it != nil {
			name = it.Name
		}
		lines = append(lines, fmt.Sprintf("· %s：%s", name, entryState(e, -1)))
	}
	if len(lines) > 0 {
		cd.Add(card.Markdown("**你的报名**\n" + strings.Join(lines, "\n")))
	}
	if a.Sensitive {
		cd.Add(card.Note("本活动的报名名单仅工会干事可见。"))
	}
	var buttons []card.Button
	base := card.Action(actJoin).With("activity_id", a.ID).With("version", a.Version).With("personal", true)
	open := a.Status == store.ActivityOpen
	switch {
	case !open:
	case a.EntryMode == store.ModeTeam:
		if len(mine) == 0 || !a.OneItemPerPerson {
			buttons = append(buttons, card.Button{Text: card.T("创建队伍"), Type: card.Primary,
				Value: card.Action(actTeamNew).With("activity_id", a.ID).With("version", a.Version).With("personal", true)})
		}
	case a.EntryMode == store.ModeUnit:
	case len(a.Items) == 0:
		if len(mine) == 0 {
			buttons = append(buttons, card.Button{Text: card.T("报名"), Type: card.Primary, Value: base.With("item_id", 0)})
		}
	default:
		for _, it := range a.Items {
			if entered[it.ID] != nil || (a.OneItemPerPerson && len(mine) > 0) {
				continue
			}
			buttons = append(buttons, card.Button{Text: card.T("报名 " + it.Name), Type: card.Primary, Value: base.With("item_id", it.ID)})
		}
	}
	for _, e := range mine {
		if e.Role == store.RoleCaptain {
			buttons = append(buttons, card.Button{Text: card.T("管理队伍"), Value: card.Action(actTeamShow).With("team_id", e.TeamID).With("personal", true)})
		}
		if (open || a.Status == store.ActivityClosed) && now.Before(a.CancelDeadline) {
			label := "取消报名"
			if it := a.Item(e.ItemID); it != nil {
				label += " " + it.Name
			}
			text := "取消后名额将让给候补的人，不能恢复。"
			if e.Role == store.RoleCaptain {
				text = "你是队长：取消将撤销整支队伍，队员的报名随之取消。"
			}
			buttons = append(buttons, card.Button{Text: card.T(label), Type: card.Danger,
				Value:   card.Action(actCancelEntry).With("entry_id", e.ID).With("personal", true).With("activity_id", a.ID),
				Confirm: &card.Confirm{Title: card.T("确认取消报名？"), Text: card.T(text)}})
		}
	}
	if len(buttons) > 0 {
		cd.Add(card.Buttons(buttons...))
	}
	return cd
}

// cardHead is the part of the sign-up card everyone may see: what, when, where, the seats.
func (h *handler) cardHead(a *store.Activity, now time.Time) *card.Card {
	color, state := card.Green, "报名中"
	switch {
	case a.Status == store.ActivityCancelled:
		color, state = card.Red, "活动已取消"
	case a.Status == store.ActivityClosed || a.Status == store.ActivityFinished:
		color, state = card.Grey, "报名已截止"
	case a.Status == store.ActivityDraft:
		color, state = card.Grey, "未发布"
	case now.Before(a.SignupOpensAt):
		color, state = card.Blue, a.SignupOpensAt.In(h.Loc).Format("1月2日 15:04")+" 开始报名"
	case !now.Before(a.SignupClosesAt):
		color, state = card.Grey, "报名已截止"
	}
	cd := card.New(a.Title).Subtitle(store.KindName(a.Kind) + " · " + state).Color(color)
	if a.Description != "" {
		desc := a.Description
		if r := []rune(desc); len(r) > 300 {
			desc = string(r[:300]) + "…"
		}
		cd.Add(card.Markdown(desc))
	}
	fields := []card.Field{
		{Label: card.T("时间"), Value: card.T(h.at(a.StartsAt) + " 至 " + h.at(a.EndsAt))},
		{Label: card.T("地点"), Value: card.T(orNone(a.Place))},
		{Label: card.T("报名截止"), Value: card.T(h.at(a.SignupClosesAt))},
	}
	if len(a.Items) == 0 {
		fields = append(fields, card.Field{Label: card.T("名额"), Value: card.T(seatsText(a, 0))})
	}
	cd.Add(card.Fields(fields...))
	if len(a.Items) > 0 {
		var lines []string
		for _, it := range a.Items {
			lines = append(lines, fmt.Sprintf("· %s：%s", it.Name, seatsText(a, it.ID)))
		}
		cd.Add(card.Markdown(strings.Join(lines, "\n")))
	}
	var rules []string
	switch {
	case a.Allocation == store.AllocLottery:
		rules = append(rules, "报名截止后抽签确定名额")
	case a.BranchConfirm:
		rules = append(rules, "报名须经分工会确认")
	}
	if a.OneItemPerPerson && len(a.Items) > 1 {
		rules = append(rules, "不得兼项")
	}
	if a.NeedsInsurance {
		rules = append(rules, "需购买保险，报名时填写身份证号（加密保存，活动结束后删除）")
	}
	if a.EntryMode == store.ModeTeam {
		rules = append(rules, "组队报名：队长创建队伍并邀请队员")
	}
	if a.EntryMode == store.ModeUnit {
		rules = append(rules, "由分工会主席统一报名")
	}
	if len(rules) > 0 {
		cd.Add(card.Note(strings.Join(rules, "；") + "。"))
	}
	return cd
}

// sharedCard is the card that replaces a group (shared) card after a click: counts only, from
// the counters the click just changed, so it costs no query.
func (h *handler) sharedCard(a *store.Activity) *card.Card {
	return groupCard(a, counterStats(a), h.Loc)
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "—"
	}
	return s
}
