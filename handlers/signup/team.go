package signup

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Teams: a captain creates a team with a form (name, item, 分工会), invites people with the
// person picker, and each invitee answers on their own 1:1 card.

// teamForm is the form to create a team (in place on a 1:1 card, else sent 1:1).
func (h *handler) teamForm(c *bot.Context, a *store.Activity) (*bot.Response, error) {
	if s := a.SignupState(c.Now, h.Loc); s != "" {
		return bot.Warn(s), nil
	}
	if a.NeedsInsurance && !h.box.Enabled() {
		return bot.Fail(msgNoKey), nil
	}
	branches, err := h.DB.Branches(c.Ctx)
	if err != nil {
		return nil, err
	}
	m, err := c.Tx.MemberFacts(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	var items, bopts []card.Option
	for _, it := range a.Items {
		items = append(items, card.Option{Text: card.T(fmt.Sprintf("%s（每队 %d–%d 人）", it.Name, it.TeamMin, it.TeamMax)), Value: strconv.FormatInt(it.ID, 10)})
	}
	anyBranch := c.Sender.HasAny(store.Officers)
	for _, b := range branches {
		if anyBranch || b.ID == m.BranchID {
			bopts = append(bopts, card.Option{Text: card.T(b.Name), Value: strconv.FormatInt(b.ID, 10)})
		}
	}
	els := []card.Element{
		card.Input{Name: "team_name", Label: card.T("队名"), Placeholder: card.T("例如：机关一队"), Required: true, MaxLength: store.MaxTeamNameLen},
		card.Select{Name: "item", Label: card.T("项目"), Options: items, Required: true, Initial: strconv.FormatInt(initialItem(a, c), 10)},
	}
	if len(bopts) > 0 {
		sel := card.Select{Name: "branch", Label: card.T("代表分工会"), Options: bopts, Required: true}
		if m.BranchID != 0 {
			sel.Initial = strconv.FormatInt(m.BranchID, 10)
		}
		els = append(els, sel)
	}
	if a.NeedsInsurance {
		els = append(els, card.Input{Name: "id_number", Label: card.T("你的身份证号（购买保险用，加密保存）"), Required: true, MaxLength: 18})
	}
	els = append(els, card.Buttons(card.Button{Text: card.T("创建队伍"), Type: card.Primary, Name: "submit", Form: card.Submit,
		Value: card.Action(actTeamCreate).With("activity_id", a.ID).With("version", a.Version).With("personal", true)}))
	cd := h.cardHead(a, c.Now).Add(card.Markdown("**创建队伍**：你将担任队长，创建后可邀请队员。")).Add(card.Form("team", els...))
	return h.inPlaceOrPrivate(c, cd, "")
}

func initialItem(a *store.Activity, c *bot.Context) int64 {
	if id := c.Int("item_id"); a.Item(id) != nil {
		return id
	}
	return a.Items[0].ID
}

// teamCreate handles the team form.
func (h *handler) teamCreate(c *bot.Context) (*bot.Response, error) {
	a, refused, err := h.clickedActivity(c)
	if refused != nil || err != nil {
		return refused, err
	}
	m, err := c.Tx.MemberFacts(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	itemID, _ := strconv.ParseInt(c.FormString("item"), 10, 64)
	branchID, _ := strconv.ParseInt(c.FormString("branch"), 10, 64)
	// A team enters for its captain's own 分工会 (the quota, 限报一队, is per 分工会); only an
	// officer may enter one for another unit (merged small units, a team set up by the office).
	if !c.Sender.HasAny(store.Officers) {
		switch {
		case m.BranchID == 0:
			return bot.Warn("请先发送「我的信息」选择你所在的分工会，再创建队伍。"), nil
		case branchID != 0 && branchID != m.BranchID:
			return bot.Warn("队伍只能代表队长所在的分工会报名；如需代表其他分工会，请联系工会干事。"), nil
		}
		branchID = m.BranchID
	}
	var cipher store.Sensitive
	var masked string
	if a.NeedsInsurance {
		if cipher, masked, err = h.sealID(c.FormString("id_number")); err != nil {
			return c.Refusal(err)
		}
	}
	t, err := c.Tx.CreateTeam(c.Ctx, store.TeamRequest{Activity: a, ItemID: itemID, Name: c.FormString("team_name"), BranchID: branchID,
		Captain: m, IDNumber: cipher, IDMasked: masked, Actor: c.Sender.OpenID, Loc: h.Loc})
	if err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	cd, err := h.teamCard(c, t.ID)
	if err != nil {
		return nil, err
	}
	text := fmt.Sprintf("队伍“%s”已创建，占用 1 个名额。请邀请队员。", t.Name)
	if t.Status == store.EntryWaitlisted {
		text = fmt.Sprintf("队伍“%s”已创建，名额已满，候补第 %d 位。请邀请队员。", t.Name, t.Position)
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: text}, Card: cd}, nil
}

// teamCard shows a team to its captain: members, open invitations, the item's rules and what
// is still missing, and the invitation form.
func (h *handler) teamCard(c *bot.Context, teamID int64) (*card.Card, error) {
	d, err := c.Tx.TeamDetail(c.Ctx, teamID)
	if err != nil {
		return nil, err
	}
	a, err := c.Tx.Activity(c.Ctx, d.ActivityID)
	if err != nil {
		return nil, err
	}
	it := a.Item(d.ItemID)
	cd := card.New("队伍：" + d.Name).Subtitle(a.Title + " · " + it.Name + " · " + orNone(d.BranchName))
	var lines []string
	for _, m := range d.Members {
		g := map[string]string{"M": "男", "F": "女"}[m.Gender]
		lines = append(lines, fmt.Sprintf("· %s %s %s", m.Name, orNone(g), store.EntryRoleNames[m.Role]))
	}
	for _, inv := range d.Invites {
		lines = append(lines, fmt.Sprintf("· %s（已邀请，待回复）", inv.Name))
	}
	state := store.EntryStatusNames[d.Status]
	if d.Status == store.EntryWaitlisted {
		state = fmt.Sprintf("候补第 %d 号", d.Position)
	}
	cd.Add(card.Markdown(fmt.Sprintf("状态：%s\n规则：每队 %d–%d 人（含队长），至少 %d 名女队员\n%s", state, it.TeamMin, it.TeamMax, it.MinWomen, strings.Join(lines, "\n"))))
	if probs := teamRuleProblems(it, store.CheckTeamRules(it, d.Members), 0); len(probs) > 0 {
		cd.Add(card.Note("尚未满足：" + strings.Join(probs, "；") + "。报名截止时仍不满足的队伍将被通知处理。"))
	}
	if d.Status != store.EntryCancelled && a.SignupState(c.Now, h.Loc) == "" && len(d.Members)+len(d.Invites) < it.TeamMax {
		cd.Add(card.Form("invite",
			card.PersonPicker{Name: "people", Label: card.T("邀请队员"), Multi: true, Required: true},
			card.Buttons(card.Button{Text: card.T("发送邀请"), Type: card.Primary, Name: "submit", Form: card.Submit,
				Value: card.Action(actTeamInvite).With("team_id", d.ID).With("personal", true)}),
		))
	}
	return cd, nil
}

// teamShow opens the team card for its captain.
func (h *handler) teamShow(c *bot.Context) (*bot.Response, error) {
	t, err := c.Tx.Team(c.Ctx, c.Int("team_id"))
	if err != nil {
		return c.Refusal(err)
	}
	if t.CaptainID != c.Sender.MemberID && !c.Sender.HasAny(store.Officers) {
		return bot.Fail("只有队长可以管理队伍。"), nil
	}
	cd, err := h.teamCard(c, t.ID)
	if err != nil {
		return nil, err
	}
	return h.inPlaceOrPrivate(c, cd, "")
}

// teamInvite handles the invitation form: every picked person must be a known member who may
// join; each gets a 1:1 card to accept or decline.
func (h *handler) teamInvite(c *bot.Context) (*bot.Response, error) {
	teamID := c.Int("team_id")
	ids := c.FormStrings("people")
	if len(ids) == 0 {
		return bot.Warn("请选择要邀请的队员。"), nil
	}
	found, err := c.Tx.MembersByOpenIDs(c.Ctx, ids)
	if err != nil {
		return nil, err
	}
	var people []*store.MemberFacts
	unknown := 0
	for _, id := range ids {
		if m := found[id]; m != nil {
			people = append(people, m)
		} else {
			unknown++
		}
	}
	if unknown > 0 {
		return bot.Fail(fmt.Sprintf("选中的人里有 %d 位还没有使用过工会机器人，无法邀请：请他们先给机器人发一条消息（如「菜单」）完成登记，再重新邀请。", unknown)), nil
	}
	invs, err := c.Tx.InviteToTeam(c.Ctx, teamID, c.Sender.MemberID, people, c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	t, err := c.Tx.Team(c.Ctx, teamID)
	if err != nil {
		return nil, err
	}
	a, err := c.Tx.Activity(c.Ctx, t.ActivityID)
	if err != nil {
		return nil, err
	}
	for _, inv := range invs {
		cd := h.inviteCard(c, a, t, inv)
		msg, err := bot.Card(cd)
		if err != nil {
			return nil, err
		}
		key := fmt.Sprintf("signup.invite:%d:%d", inv.ID, c.Now.UnixNano())
		if _, err := c.Tx.Enqueue(c.Ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: inv.OpenID,
			MsgType: msg.MsgType, Content: msg.JSON, DedupKey: &key}); err != nil {
			return nil, err
		}
	}
	cd, err := h.teamCard(c, teamID)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: fmt.Sprintf("已向 %d 人发出邀请，等待他们确认。", len(invs))}, Card: cd}, nil
}

// inviteCard is the 1:1 card an invitee answers.
func (h *handler) inviteCard(c *bot.Context, a *store.Activity, t *store.Team, inv *store.Invite) *card.Card {
	it := a.Item(t.ItemID)
	cd := card.New("组队邀请").Subtitle(a.Title + " · " + it.Name).Color(card.Turquoise)
	cd.Add(card.Markdown(fmt.Sprintf("%s 邀请你加入队伍“**%s**”。\n活动时间：%s\n地点：%s", c.Sender.Name, t.Name, h.at(a.StartsAt), orNone(a.Place))))
	yes := card.Action(actInviteAnswer).With("invite_id", inv.ID).With("accept", true).With("personal", true)
	no := card.Button{Text: card.T("谢绝"), Value: card.Action(actInviteAnswer).With("invite_id", inv.ID).With("accept", false).With("personal", true)}
	if a.NeedsInsurance {
		cd.Add(card.Form("accept",
			card.Input{Name: "id_number", Label: card.T("身份证号（购买保险用，加密保存，活动后删除）"), Required: true, MaxLength: 18},
			card.Buttons(card.Button{Text: card.T("接受"), Type: card.Primary, Name: "submit", Form: card.Submit, Value: yes}),
		))
		return cd.Add(card.Buttons(no))
	}
	return cd.Add(card.Buttons(card.Button{Text: card.T("接受"), Type: card.Primary, Value: yes}, no))
}

// inviteAnswer records the invitee's own click.
func (h *handler) inviteAnswer(c *bot.Context) (*bot.Response, error) {
	m, err := c.Tx.MemberFacts(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	accept := c.Bool("accept")
	var cipher store.Sensitive
	var masked string
	if accept {
		var inv struct {
			TeamID int64 `db:"team_id"`
		}
		// Ask the activity whether an ID number is needed only when accepting.
		if err := c.Tx.GetContext(c.Ctx, &inv, `SELECT team_id FROM signup_invites WHERE id = ?`, c.Int("invite_id")); err == nil {
			if t, err := c.Tx.Team(c.Ctx, inv.TeamID); err == nil {
				if a, err := c.Tx.Activity(c.Ctx, t.ActivityID); err == nil && a.NeedsInsurance {
					if cipher, masked, err = h.sealID(c.FormString("id_number")); err != nil {
						return c.Refusal(err)
					}
				}
			}
		}
	}
	ans, err := c.Tx.AnswerInvite(c.Ctx, c.Int("invite_id"), m, accept, cipher, masked, c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	if err := tellInviteAnswer(c.Ctx, c.Tx, ans, m.Name, c.Tx.Now()); err != nil {
		return nil, err
	}
	done := card.New("组队邀请").Subtitle("队伍“" + ans.Team.Name + "”").Color(card.Grey)
	if accept {
		done.Add(card.Markdown(fmt.Sprintf("你已加入队伍“%s”（%s）。发送「我的报名」可查看或退出。", ans.Team.Name, store.EntryStatusNames[ans.Entry.Status])))
		return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已加入队伍。"}, Card: done}, nil
	}
	done.Add(card.Markdown("你已谢绝这份邀请。"))
	return &bot.Response{Toast: &bot.Toast{Type: "info", Text: "已谢绝。"}, Card: done}, nil
}

// teamCmd answers 组队 <活动>: the team form.
func (h *handler) teamCmd(c *bot.Context) (*bot.Response, error) {
	a, err := h.findActivity(c, c.ArgText)
	if err != nil {
		return c.Refusal(err)
	}
	if a.EntryMode != store.ModeTeam {
		return bot.Warn("「" + a.Title + "」不是组队报名的活动。"), nil
	}
	c.Value = map[string]any{"personal": false}
	if c.ChatType == "p2p" {
		c.Value["personal"] = true
	}
	resp, err := h.teamForm(c, a)
	if err != nil || resp == nil || resp.Card == nil {
		return resp, err
	}
	return bot.ReplyCard(resp.Card), nil
}

// teamNew is the 创建队伍 button of a team activity's card: the team form.
func (h *handler) teamNew(c *bot.Context) (*bot.Response, error) {
	a, refused, err := h.clickedActivity(c)
	if refused != nil || err != nil {
		return refused, err
	}
	return h.teamForm(c, a)
}
