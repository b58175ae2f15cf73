package signup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Unit rosters (unit mode): a 分工会主席 enters the unit's people with the person picker, sees
// the unit's list, and confirms it; each person then takes a seat or a waitlist position and is
// told. The same chair confirms or rejects individual entries of activities that need a
// 分工会主席's confirmation (待确认).

// chairBranch is the 分工会 a chair acts for (their own).
func (h *handler) chairBranch(c *bot.Context) (*store.MemberFacts, error) {
	m, err := c.Tx.MemberFacts(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	if m.BranchID == 0 {
		return nil, store.Errorf(store.EINVALID, "你的资料里没有分工会：请先发送「我的信息」选择你主持的分工会。")
	}
	return m, nil
}

// unitForm shows the chair the unit's current list and the form to add people.
func (h *handler) unitForm(c *bot.Context, a *store.Activity) (*bot.Response, error) {
	cd, err := h.unitCard(c, a, "")
	if err != nil {
		return nil, err
	}
	return h.inPlaceOrPrivate(c, cd, "")
}

func (h *handler) unitCard(c *bot.Context, a *store.Activity, note string) (*card.Card, error) {
	chair, err := h.chairBranch(c)
	if err != nil {
		return nil, err
	}
	// Read in the transaction: the card answers the click that just added or confirmed people.
	rows, err := c.Tx.UnitEntries(c.Ctx, a.ID, chair.BranchID)
	if err != nil {
		return nil, err
	}
	cd := h.cardHead(a, c.Now)
	if note != "" {
		cd.Add(card.Markdown("**" + note + "**"))
	}
	var lines []string
	pending := 0
	for _, r := range rows {
		item := ""
		if r.ItemName != "" {
			item = r.ItemName + " "
		}
		lines = append(lines, fmt.Sprintf("· %s%s：%s", item, r.Name, store.EntryStatusNames[r.Status]))
		if r.Status == store.EntryPendingUnit {
			pending++
		}
	}
	if len(lines) == 0 {
		lines = []string{"（尚未报名）"}
	}
	cd.Add(card.Markdown(fmt.Sprintf("**%s 的名单**\n%s", chair.BranchName, strings.Join(lines, "\n"))))
	if a.SignupState(c.Now, h.Loc) != "" {
		return cd, nil
	}
	els := []card.Element{card.PersonPicker{Name: "people", Label: card.T("添加人员"), Multi: true, Required: true}}
	if len(a.Items) > 0 {
		var opts []card.Option
		for _, it := range a.Items {
			opts = append(opts, card.Option{Text: card.T(it.Name), Value: strconv.FormatInt(it.ID, 10)})
		}
		els = append(els, card.Select{Name: "item", Label: card.T("项目"), Options: opts, Required: true, Initial: opts[0].Value})
	}
	els = append(els, card.Buttons(card.Button{Text: card.T("加入名单"), Type: card.Primary, Name: "submit", Form: card.Submit,
		Value: card.Action(actUnitAdd).With("activity_id", a.ID).With("version", a.Version).With("personal", true)}))
	cd.Add(card.Form("unit", els...))
	if pending > 0 {
		cd.Add(card.Buttons(card.Button{Text: card.T(fmt.Sprintf("确认名单（%d 人）", pending)), Type: card.Primary,
			Value:   card.Action(actUnitConfirm).With("activity_id", a.ID).With("personal", true),
			Confirm: &card.Confirm{Title: card.T("确认本分工会名单？"), Text: card.T("确认后按名额依次确定，名单上的人将收到通知。")}}))
	}
	return cd, nil
}

// unitAdd adds the picked people to the unit's list (waiting for the chair's confirmation).
func (h *handler) unitAdd(c *bot.Context) (*bot.Response, error) {
	a, refused, err := h.clickedActivity(c)
	if refused != nil || err != nil {
		return refused, err
	}
	chair, err := h.chairBranch(c)
	if err != nil {
		return c.Refusal(err)
	}
	ids := c.FormStrings("people")
	found, err := c.Tx.MembersByOpenIDs(c.Ctx, ids)
	if err != nil {
		return nil, err
	}
	var people []*store.MemberFacts
	for _, id := range ids {
		if found[id] == nil {
			return bot.Fail("选中的人里有人还没有使用过工会机器人，无法报名：请其先给机器人发一条消息完成登记，或由工会导入会员名单。"), nil
		}
		people = append(people, found[id])
	}
	item, _ := strconv.ParseInt(c.FormString("item"), 10, 64)
	if _, err := c.Tx.AddUnitEntries(c.Ctx, a, item, chair.BranchID, people, chair.ID, c.Sender.OpenID, h.Loc); err != nil {
		return nil, err
	}
	cd, err := h.unitCard(c, a, "")
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: fmt.Sprintf("已加入 %d 人，确认名单后生效。", len(people))}, Card: cd}, nil
}

// unitConfirm confirms the unit's list.
func (h *handler) unitConfirm(c *bot.Context) (*bot.Response, error) {
	chair, err := h.chairBranch(c)
	if err != nil {
		return c.Refusal(err)
	}
	ds, err := c.Tx.ConfirmUnit(c.Ctx, c.Int("activity_id"), chair.BranchID, c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	for _, d := range ds {
		if err := tellDecided(c.Ctx, c.Tx, d); err != nil {
			return nil, err
		}
	}
	a, err := c.Tx.Activity(c.Ctx, c.Int("activity_id"))
	if err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	ok, wait := 0, 0
	for _, d := range ds {
		if d.Entry.Status == store.EntryConfirmed {
			ok++
		} else {
			wait++
		}
	}
	cd, err := h.unitCard(c, a, "")
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: fmt.Sprintf("名单已确认：%d 人获得名额，%d 人候补。", ok, wait)}, Card: cd}, nil
}

// unitCmd answers 分工会报名 <活动>.
func (h *handler) unitCmd(c *bot.Context) (*bot.Response, error) {
	a, err := h.findActivity(c, c.ArgText)
	if err != nil {
		return c.Refusal(err)
	}
	if a.EntryMode != store.ModeUnit {
		return bot.Warn("「" + a.Title + "」不是由分工会统一报名的活动。"), nil
	}
	cd, err := h.unitCard(c, a, "")
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(cd), nil
}

// pending answers 待确认: entries waiting for confirmation, of the chair's own 分工会 (all for
// officers). Entries of sensitive activities are shown to officers only.
func (h *handler) pending(c *bot.Context) (*bot.Response, error) {
	officer := c.Sender.HasAny(store.Officers)
	var branch int64
	if !officer {
		chair, err := h.chairBranch(c)
		if err != nil {
			return c.Refusal(err)
		}
		branch = chair.BranchID
	}
	list, err := c.Tx.PendingEntries(c.Ctx, branch)
	if err != nil {
		return nil, err
	}
	cd := card.New("待确认的报名")
	n := 0
	for _, e := range list {
		if e.Sensitive && !officer {
			continue
		}
		n++
		what := e.Title
		if e.ItemName != "" {
			what += " · " + e.ItemName
		}
		cd.Add(card.Markdown(fmt.Sprintf("**%s**\n%s（%s），%s 报名", what, e.Name, orNone(e.BranchName), h.at(e.CreatedAt))))
		cd.Add(card.Buttons(
			card.Button{Text: card.T("通过"), Type: card.Primary, Value: card.Action(actDecide).With("entry_id", e.ID).With("approve", true)},
			card.Button{Text: card.T("不通过"), Type: card.Danger, Value: card.Action(actDecide).With("entry_id", e.ID).With("approve", false),
				Confirm: &card.Confirm{Title: card.T("确认不通过？"), Text: card.T("报名人将收到通知。")}},
		))
	}
	if n == 0 {
		return bot.Info("没有待确认的报名。"), nil
	}
	return bot.ReplyCard(cd), nil
}

// decide is a chair's (or officer's) 通过 / 不通过 on one entry.
func (h *handler) decide(c *bot.Context) (*bot.Response, error) {
	e, err := c.Tx.Entry(c.Ctx, c.Int("entry_id"))
	if err != nil {
		return c.Refusal(err)
	}
	a, err := c.Tx.Activity(c.Ctx, e.ActivityID)
	if err != nil {
		return c.Refusal(err)
	}
	if !c.Sender.HasAny(store.Officers) {
		chair, err := h.chairBranch(c)
		if err != nil {
			return c.Refusal(err)
		}
		if chair.BranchID != e.BranchID || a.Sensitive {
			return bot.Fail("你只能确认本分工会成员的报名。"), nil
		}
	}
	d, err := c.Tx.DecideEntry(c.Ctx, e.ID, c.Bool("approve"), c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	if err := tellDecided(c.Ctx, c.Tx, d); err != nil {
		return nil, err
	}
	e = d.Entry
	if a, err = c.Tx.Activity(c.Ctx, e.ActivityID); err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	resp := bot.Success("已处理：" + store.EntryStatusNames[e.Status] + "，报名人已收到通知。")
	resp.Reply = nil
	return resp, nil
}
