package signup

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// checkInOpen answers an officer's 签到 <活动>: check-in opens and the check-in card is posted
// in the chat where it was asked (the venue's group, or a 1:1 chat to forward).
func (h *handler) checkInOpen(c *bot.Context) (*bot.Response, error) {
	a, err := h.findActivity(c, c.ArgText)
	if err != nil {
		return c.Refusal(err)
	}
	if a, err = c.Tx.OpenCheckIn(c.Ctx, a.ID, c.Sender.OpenID); err != nil {
		return nil, err
	}
	return bot.ReplyCard(h.checkInCard(a)), nil
}

// checkInCard is the card members click to check in.
func (h *handler) checkInCard(a *store.Activity) *card.Card {
	cd := card.New("签到：" + a.Title).Subtitle(h.at(a.StartsAt) + " · " + orNone(a.Place)).Color(card.Turquoise)
	cd.Add(card.Markdown("已报名并获得名额的参加者，请点击下方按钮签到（每人一次）。"))
	cd.Add(card.Buttons(card.Button{Text: card.T("签到"), Type: card.Primary, Value: card.Action(actCheckIn).With("activity_id", a.ID)}))
	return cd
}

// checkIn is a participant's click on 签到: idempotent, the first time kept. The shared card
// stays as it is; the answer is the toast.
func (h *handler) checkIn(c *bot.Context) (*bot.Response, error) {
	at, first, err := c.Tx.CheckIn(c.Ctx, c.Int("activity_id"), c.Sender.MemberID, h.Loc)
	if err != nil {
		return nil, err
	}
	if !first {
		r := bot.Info("你已于 " + at.In(h.Loc).Format("1月2日 15:04") + " 签到，无需重复签到。")
		r.Reply = nil
		return r, nil
	}
	r := bot.Success("签到成功（" + at.In(h.Loc).Format("15:04") + "）。")
	r.Reply = nil
	return r, nil
}

// checkInStatus answers 签到情况 <活动> (officers): who has not checked in yet, and the count
// of those who have. After the event the first group are the no-shows.
func (h *handler) checkInStatus(c *bot.Context) (*bot.Response, error) {
	a, err := h.findPastActivity(c, c.ArgText)
	if err != nil {
		return c.Refusal(err)
	}
	list, err := h.DB.CheckInList(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	var missing, done []string
	for _, r := range list {
		if r.CheckedInAt == nil {
			missing = append(missing, fmt.Sprintf("%s（%s）", r.Name, orNone(r.BranchName)))
		} else {
			done = append(done, r.Name)
		}
	}
	label := "未签到"
	if !c.Now.Before(a.EndsAt) {
		label = "缺席（未签到）"
	}
	text := fmt.Sprintf("「%s」签到情况：已签到 %d 人，%s %d 人。", a.Title, len(done), label, len(missing))
	if len(missing) > 0 {
		if len(missing) > 200 {
			missing = append(missing[:200], "……")
		}
		text += "\n" + label + "：" + strings.Join(missing, "、")
	}
	return bot.Info(text), nil
}

// findPastActivity is findActivity for the commands officers use after the event (签到情况,
// 抽签核验): when no open or closed activity has the name, a finished one is looked up too (the
// newest with exactly that title, or the only one whose title contains the name).
func (h *handler) findPastActivity(c *bot.Context, arg string) (*store.Activity, error) {
	a, err := h.findActivity(c, arg)
	name := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), "#"))
	if err == nil || store.ErrorCode(err) != store.ENOTFOUND || name == "" {
		return a, err
	}
	done, e := h.DB.Activities(c.Ctx, store.ActivityFinished)
	if e != nil {
		return nil, e
	}
	var hits []*store.Activity
	for _, x := range done { // newest first
		if x.Title == name {
			return c.Tx.Activity(c.Ctx, x.ID)
		}
		if strings.Contains(x.Title, name) {
			hits = append(hits, x)
		}
	}
	switch len(hits) {
	case 0:
		return nil, err
	case 1:
		return c.Tx.Activity(c.Ctx, hits[0].ID)
	}
	return nil, ambiguous(hits, "有多个已结束的活动符合")
}
