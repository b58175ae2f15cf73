package signup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/store"
)

// Messages of the sign-up path.
const (
	msgStale       = "卡片已过期：活动信息已更新或已取消，请以最新卡片为准。"
	msgOldCard     = "卡片已过期：这是旧版卡片，已换成最新卡片，请重新操作。"
	msgNoKey       = "本活动需要填写身份证号（用于购买保险），但系统尚未配置数据加密密钥，暂不能报名。请联系工会管理员。"
	msgBadIDNumber = "身份证号不正确：应为 18 位，最后一位是校验码（数字或 X），请核对后重新提交。"
	msgSentPrivate = "已把报名卡片私信发给你，请在与机器人的单聊中继续。"
)

// personal reports whether the clicked card was the member's own (1:1) card.
func personal(c *bot.Context) bool { return c.Bool("personal") }

// join answers 报名: stale cards are refused with a fresh card; team and unit activities lead
// to their own forms; insured activities ask for the ID number first (1:1 only); everything
// else signs the member up at once.
func (h *handler) join(c *bot.Context) (*bot.Response, error) {
	// The activity, its items and its group cards in one query (the hot path of a rush).
	a, pubs, err := c.Tx.SignupActivity(c.Ctx, c.Int("activity_id"))
	if err != nil {
		if store.ErrorCode(err) == store.ENOTFOUND {
			return bot.Warn(msgStale), nil
		}
		return nil, err
	}
	if a.Status == store.ActivityCancelled || (c.Int("version") != 0 && int(c.Int("version")) != a.Version) {
		return h.stale(c, a)
	}
	switch a.EntryMode {
	case store.ModeTeam:
		return h.teamForm(c, a)
	case store.ModeUnit:
		if c.Sender.Has(store.RoleBranchChair) {
			return h.unitForm(c, a)
		}
		return bot.Warn("本活动由分工会主席统一报名，请联系你所在的分工会。"), nil
	}
	if s := a.SignupState(c.Now, h.Loc); s != "" {
		return bot.Warn(s), nil
	}
	itemID := c.Int("item_id")
	var idNumber store.Sensitive
	var masked string
	if a.NeedsInsurance {
		if !h.box.Enabled() {
			return bot.Fail(msgNoKey), nil
		}
		raw := c.FormString("id_number")
		if raw == "" {
			return h.idForm(c, a, itemID, "")
		}
		id, ok := store.ValidIDNumber(raw)
		if !ok {
			return bot.Fail(msgBadIDNumber), nil
		}
		idNumber = store.Sensitive{Keys: h.box, Text: id}
		masked = store.MaskIDNumber(id)
	}
	m, err := senderFacts(c)
	if err != nil {
		return c.Refusal(err)
	}
	res, err := c.Tx.SignUp(c.Ctx, store.SignupRequest{Activity: a, ItemID: itemID, Member: m, IDNumber: idNumber,
		IDMasked: masked, Actor: c.Sender.OpenID, Loc: h.Loc})
	if err != nil {
		return c.Refusal(err)
	}
	if livecard.Delivered(pubs) { // the group cards are refreshed after the commit
		notify := c.Notifier()
		c.Tx.AfterCommit(func() { h.cards.Touch(a.ID, notify) })
	}
	e := res.Entry
	var toast *bot.Response
	switch e.Status {
	case store.EntryConfirmed:
		left := ""
		if res.SeatsLeft >= 0 {
			left = fmt.Sprintf("剩余名额 %d 个。", res.SeatsLeft)
		}
		toast = bot.Success("报名成功！" + left)
	case store.EntryWaitlisted:
		toast = bot.Info(fmt.Sprintf("名额已满，你已进入候补，第 %d 位。有人取消时按顺序递补并通知你。", e.Position))
	case store.EntryApplied:
		toast = bot.Success("已报名，报名截止后统一抽签，结果将私信通知你。")
	case store.EntryPendingUnit:
		toast = bot.Success("已报名，待所在分工会确认，结果将私信通知你。")
	}
	toast.Reply = nil
	if personal(c) {
		mine, err := c.Tx.MemberEntries(c.Ctx, a.ID, m.ID)
		if err != nil {
			return nil, err
		}
		toast.Card = h.personalCard(a, mine, "", c.Now)
	} else {
		toast.Card = h.sharedCard(a)
	}
	return toast, nil
}

// senderFacts are the facts eligibility needs about the sender: those of the member row the
// router resolved, or (when it supplied none) read in the transaction.
func senderFacts(c *bot.Context) (*store.MemberFacts, error) {
	if m := c.Sender.Member; m != nil && m.ID == c.Sender.MemberID {
		return m.Facts(), nil
	}
	return c.Tx.MemberFacts(c.Ctx, c.Sender.MemberID)
}

// stale answers a click on an outdated card: a warning and the current card.
func (h *handler) stale(c *bot.Context, a *store.Activity) (*bot.Response, error) {
	return h.staleCard(c, a, personal(c))
}

// clickedActivity loads the activity of a click on a sign-up card. refused is the answer
// instead when the card shows an older version, or the activity was cancelled or is gone.
func (h *handler) clickedActivity(c *bot.Context) (a *store.Activity, refused *bot.Response, err error) {
	a, err = c.Tx.Activity(c.Ctx, c.Int("activity_id"))
	if err != nil {
		refused, err = c.Refusal(err)
		return nil, refused, err
	}
	if a.Status == store.ActivityCancelled || int(c.Int("version")) != a.Version {
		refused, err = h.stale(c, a)
		return a, refused, err
	}
	return a, nil, nil
}

// staleCard is the stale-card answer: a toast and the activity's current card, the member's
// own when the clicked card was personal.
func (h *handler) staleCard(c *bot.Context, a *store.Activity, personal bool) (*bot.Response, error) {
	resp := bot.Warn(msgStale)
	resp.Reply = nil
	if personal {
		mine, err := c.Tx.MemberEntries(c.Ctx, a.ID, c.Sender.MemberID)
		if err != nil {
			return nil, err
		}
		resp.Card = h.personalCard(a, mine, msgStale, c.Now)
	} else if a.Status != store.ActivityCancelled {
		resp.Card = h.sharedCard(a)
	} else {
		resp.Card = h.cardHead(a, c.Now)
	}
	return resp, nil
}

// idForm asks for the ID number of an insured activity: in place on a 1:1 card, else sent
// 1:1 (an ID number is never typed into a group card).
func (h *handler) idForm(c *bot.Context, a *store.Activity, itemID int64, note string) (*bot.Response, error) {
	cd := h.cardHead(a, c.Now)
	if note != "" {
		cd.Add(card.Markdown("**" + note + "**"))
	}
	what := "报名"
	if it := a.Item(itemID); it != nil {
		what = "报名 " + it.Name
	}
	cd.Add(card.Form("idform",
		card.Markdown("本活动需要购买保险，请填写身份证号。号码加密保存，只显示为 110***********1234，活动结束后删除。"),
		card.Input{Name: "id_number", Label: card.T("身份证号"), Placeholder: card.T("18 位身份证号"), Required: true, MaxLength: 18},
		card.Buttons(card.Button{Text: card.T(what), Type: card.Primary, Name: "submit", Form: card.Submit,
			Value: card.Action(actJoin).With("activity_id", a.ID).With("version", a.Version).With("item_id", itemID).With("personal", true)}),
	))
	return h.inPlaceOrPrivate(c, cd, "")
}

// inPlaceOrPrivate answers with cd in place on a 1:1 card, or sends it 1:1 and says so.
func (h *handler) inPlaceOrPrivate(c *bot.Context, cd *card.Card, toast string) (*bot.Response, error) {
	if personal(c) {
		resp := &bot.Response{Card: cd}
		if toast != "" {
			resp.Toast = &bot.Toast{Type: "info", Text: toast}
		}
		return resp, nil
	}
	msg, err := bot.Card(cd)
	if err != nil {
		return nil, err
	}
	if err := c.SendTo(c.Sender.OpenID, msg); err != nil {
		return nil, err
	}
	resp := bot.Info(msgSentPrivate)
	resp.Reply = nil
	return resp, nil
}

// cancel answers 取消报名 on a card: the seat goes to the first waitlisted person at once.
func (h *handler) cancel(c *bot.Context) (*bot.Response, error) {
	res, err := c.Tx.CancelEntry(c.Ctx, c.Int("entry_id"), c.Sender.MemberID, false, c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	if err := tellCancellation(c.Ctx, c.Tx, res); err != nil {
		return nil, err
	}
	a, err := c.Tx.Activity(c.Ctx, res.Activity.ID)
	if err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	text := "已取消报名。"
	if len(res.Entries) > 1 {
		text = fmt.Sprintf("已撤销队伍，%d 人的报名随之取消，队员已收到通知。", len(res.Entries))
	}
	if len(res.Promoted) > 0 && !a.Sensitive {
		text += "名额已递补给候补的人。"
	}
	resp := bot.Success(text)
	resp.Reply = nil
	if c.String("from") == "mine" {
		cd, err := h.mineCard(c)
		if err != nil {
			return nil, err
		}
		resp.Card = cd
	} else if personal(c) {
		mine, err := c.Tx.MemberEntries(c.Ctx, a.ID, c.Sender.MemberID)
		if err != nil {
			return nil, err
		}
		resp.Card = h.personalCard(a, mine, "", c.Now)
	}
	return resp, nil
}

// show opens an activity's sign-up card for the member (from the 活动 list).
func (h *handler) show(c *bot.Context) (*bot.Response, error) {
	a, err := c.Tx.Activity(c.Ctx, c.Int("activity_id"))
	if err != nil {
		return c.Refusal(err)
	}
	mine, err := c.Tx.MemberEntries(c.Ctx, a.ID, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	return h.inPlaceOrPrivate(c, h.personalCard(a, mine, "", c.Now), "")
}

// sealID validates an ID number from a form, for the team and invitation paths: the store
// seals it into the entry.
func (h *handler) sealID(raw string) (idNumber store.Sensitive, masked string, err error) {
	if !h.box.Enabled() {
		return store.Sensitive{}, "", store.Errorf(store.EINVALID, "%s", msgNoKey)
	}
	id, ok := store.ValidIDNumber(raw)
	if !ok {
		return store.Sensitive{}, "", store.Errorf(store.EINVALID, "%s", msgBadIDNumber)
	}
	return store.Sensitive{Keys: h.box, Text: id}, store.MaskIDNumber(id), nil
}

// findActivity finds an activity by the argument of a command: its number, or (part of) its
// title among the activities not finished or cancelled. An empty argument finds the only such
// activity, if there is one.
func (h *handler) findActivity(c *bot.Context, arg string) (*store.Activity, error) {
	arg = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(arg), "#"))
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil {
		return c.Tx.Activity(c.Ctx, id)
	}
	all, err := h.DB.Activities(c.Ctx, store.ActivityOpen, store.ActivityClosed)
	if err != nil {
		return nil, err
	}
	var hits []*store.Activity
	for _, a := range all {
		if a.Title == arg {
			return c.Tx.Activity(c.Ctx, a.ID)
		}
		if arg == "" || strings.Contains(a.Title, arg) {
			hits = append(hits, a)
		}
	}
	switch len(hits) {
	case 0:
		if arg == "" {
			return nil, store.Errorf(store.ENOTFOUND, "目前没有进行中的活动。")
		}
		return nil, store.Errorf(store.ENOTFOUND, "找不到活动「%s」。发送「活动」查看进行中的活动和编号。", arg)
	case 1:
		return c.Tx.Activity(c.Ctx, hits[0].ID)
	}
	return nil, ambiguous(hits, "有多个活动符合")
}

// ambiguous is the answer to a name several activities match: their numbers and titles.
func ambiguous(hits []*store.Activity, what string) error {
	names := make([]string, 0, len(hits))
	for _, a := range hits {
		names = append(names, fmt.Sprintf("#%d %s", a.ID, a.Title))
	}
	return store.Errorf(store.EINVALID, "%s，请写明编号：%s", what, strings.Join(names, "；"))
}
