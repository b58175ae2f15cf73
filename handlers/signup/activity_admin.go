package signup

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// admin is the officer side of sign-ups: the activity forms, publishing, export, reminders.

// newActivityCmd answers 新建活动 with the empty form.
func (h *handler) newActivityCmd(c *bot.Context) (*bot.Response, error) {
	branches, err := h.branchNames(c.Ctx)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(activityForm(nil, branches, h.Loc)), nil
}

func (h *handler) branchNames(ctx context.Context) ([]string, error) {
	bs, err := h.DB.Branches(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(bs))
	for _, b := range bs {
		out = append(out, b.Name)
	}
	return out, nil
}

// checkBranches refuses 分工会 names the bot does not know.
func checkBranches(ctx context.Context, tx *store.Tx, a *store.Activity) error {
	for _, b := range a.Branches {
		if _, err := tx.BranchByName(ctx, b); err != nil {
			if store.ErrorCode(err) == store.ENOTFOUND {
				return store.Errorf(store.EINVALID, "没有名为「%s」的分工会。", b)
			}
			return err
		}
	}
	return nil
}

// createActivity saves a submitted 新建活动 form as a draft and answers with its preview.
func (h *handler) createActivity(c *bot.Context) (*bot.Response, error) {
	a, err := parseActivityForm(c.FormValue, h.Loc)
	if err != nil {
		return c.Refusal(err)
	}
	if err := checkBranches(c.Ctx, c.Tx, a); err != nil {
		return c.Refusal(err)
	}
	a.CreatedBy = c.Sender.MemberID
	a.Status = store.ActivityDraft
	if err := c.Tx.CreateActivity(c.Ctx, a); err != nil {
		return nil, err
	}
	return h.previewResponse(c, a, "已保存为草稿，请核对后发布。")
}

// loadForChange loads the activity of a card click and refuses a stale card (an older
// version than the activity's, or a cancelled activity).
func (h *handler) loadForChange(c *bot.Context) (*store.Activity, error) {
	a, err := cardActivity(c, "，请发送「活动管理」重新打开")
	if err != nil {
		return nil, err
	}
	if a.Status == store.ActivityCancelled {
		return nil, store.Errorf(store.EINVALID, "活动「%s」已取消，不能再操作。", a.Title)
	}
	if v, ok := c.IntOK("version"); ok && int(v) != a.Version {
		return nil, &staleError{a: a}
	}
	return a, nil
}

// staleError is a click on a card older than the activity's last edit: the answer is a toast
// and the current card.
type staleError struct{ a *store.Activity }

func (e *staleError) Error() string { return "stale activity card" }

// staleOr turns a staleError into a toast with the fresh preview; other errors pass through.
func (h *handler) staleOr(c *bot.Context, err error) (*bot.Response, error) {
	if se, ok := err.(*staleError); ok {
		return h.previewResponse(c, se.a, "卡片已过期：活动已被修改过，已刷新为最新内容，请重新操作。")
	}
	return nil, err
}

// editActivity opens the edit form, prefilled.
func (h *handler) editActivity(c *bot.Context) (*bot.Response, error) {
	a, err := h.loadForChange(c)
	if err != nil {
		return h.staleOr(c, err)
	}
	if a.Status != store.ActivityDraft && a.Status != store.ActivityOpen {
		return bot.Warn(fmt.Sprintf("活动「%s」%s，不能再修改。", a.Title, store.ActivityStatusName(a.Status))), nil
	}
	branches, err := h.branchNames(c.Ctx)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Card: activityForm(a, branches, h.Loc)}, nil
}

// updateActivity saves the edit form: the activity's version grows, so older cards become
// stale, and the cards posted in group chats are refreshed.
func (h *handler) updateActivity(c *bot.Context) (*bot.Response, error) {
	cur, err := h.loadForChange(c)
	if err != nil {
		if _, stale := err.(*staleError); stale {
			return bot.Warn("活动在你编辑期间已被修改，本次修改未保存。请重新打开编辑。"), nil
		}
		return nil, err
	}
	a, err := parseActivityForm(c.FormValue, h.Loc)
	if err != nil {
		return c.Refusal(err)
	}
	if err := checkBranches(c.Ctx, c.Tx, a); err != nil {
		return c.Refusal(err)
	}
	a.ID, a.Status, a.CreatedBy = cur.ID, cur.Status, cur.CreatedBy
	for _, it := range a.Items { // items keep their identity by name
		for _, old := range cur.Items {
			if old.Name == it.Name {
				it.ID = old.ID
			}
		}
	}
	promoted, err := c.Tx.UpdateActivity(c.Ctx, a)
	if err != nil {
		return nil, err
	}
	if err := tellPromoted(c.Ctx, c.Tx, promoted); err != nil {
		return nil, err
	}
	if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "activity", fmt.Sprint(a.ID), "edit", fmt.Sprint("version ", a.Version)); err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	return h.previewResponse(c, a, "已保存修改。")
}

// cancelActivity calls the activity off and tells everyone signed up, 1:1.
func (h *handler) cancelActivity(c *bot.Context) (*bot.Response, error) {
	a, err := h.loadForChange(c)
	if err != nil {
		return h.staleOr(c, err)
	}
	people, err := c.Tx.CancelActivity(c.Ctx, a.ID, c.Sender.OpenID)
	if err != nil {
		return nil, err
	}
	if err := tellCancelled(c.Ctx, c.Tx, a, people, "工会已取消该活动", h.Loc); err != nil {
		return nil, err
	}
	a, err = c.Tx.Activity(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	return h.previewResponse(c, a, fmt.Sprintf("活动已取消，已通知 %d 位报名者。", countPeople(people)))
}

// tellCancelled tells each person signed up that the activity is off, once per member (the
// dedup key makes a second call a no-op).
func tellCancelled(ctx context.Context, tx *store.Tx, a *store.Activity, people []store.Participant, why string, loc *time.Location) error {
	text := fmt.Sprintf("【活动取消】%s：你报名的「%s」（%s）已取消，报名随之作废。", why, a.Title, a.StartsAt.In(loc).Format("1月2日 15:04"))
	told := map[int64]bool{}
	for _, p := range people {
		if p.OpenID == "" || told[p.MemberID] {
			continue
		}
		told[p.MemberID] = true
		key := fmt.Sprintf("activity.cancelled:%d:%d", a.ID, p.MemberID)
		msg := bot.Text(text)
		if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: p.OpenID,
			MsgType: msg.MsgType, Content: msg.JSON, DedupKey: &key}); err != nil {
			return err
		}
	}
	return nil
}

func countPeople(people []store.Participant) int {
	seen := map[int64]bool{}
	for _, p := range people {
		seen[p.MemberID] = true
	}
	return len(seen)
}

// previewActivity shows an activity's officer card (from 活动管理 or a button).
func (h *handler) previewActivity(c *bot.Context) (*bot.Response, error) {
	a, err := cardActivity(c, "")
	if err != nil {
		return c.Refusal(err)
	}
	return h.previewResponse(c, a, "")
}

// cardActivity loads the activity an officer's button names; again says how to get a fresh
// card when the button names none.
func cardActivity(c *bot.Context, again string) (*store.Activity, error) {
	id, ok := c.IntOK("activity_id")
	if !ok {
		return nil, store.Errorf(store.EINVALID, "卡片数据不完整%s。", again)
	}
	return c.Tx.Activity(c.Ctx, id)
}

// manageCmd answers 活动管理: the newest activities with a button each.
func (h *handler) manageCmd(c *bot.Context) (*bot.Response, error) {
	acts, err := h.DB.Activities(c.Ctx)
	if err != nil {
		return nil, err
	}
	cd := card.New("活动管理").Color(card.Indigo)
	if len(acts) == 0 {
		cd.Add(card.Markdown("还没有活动。"))
	}
	for i, a := range acts {
		if i == 20 {
			cd.Add(card.Note(fmt.Sprintf("另有 %d 个较早的活动未列出。", len(acts)-20)))
			break
		}
		cd.Add(card.Markdown(fmt.Sprintf("**%s**　%s · %s", a.Title, store.ActivityStatusName(a.Status), a.StartsAt.In(h.Loc).Format("2006-01-02 15:04"))),
			card.Buttons(
				card.Button{Text: card.T("查看"), Value: card.Action(actPreview).With("activity_id", a.ID)},
				card.Button{Text: card.T("导出名单"), Value: card.Action(actExport).With("activity_id", a.ID)},
			))
	}
	cd.Add(card.Buttons(card.Button{Text: card.T("新建活动"), Type: card.Primary, Value: card.Action(actNew)}))
	return bot.ReplyCard(cd), nil
}

// previewResponse answers with the officer card of a (and a toast when toast is set).
func (h *handler) previewResponse(c *bot.Context, a *store.Activity, toast string) (*bot.Response, error) {
	stats, err := c.Tx.ActivityStats(c.Ctx, a)
	if err != nil {
		return nil, err
	}
	resp := &bot.Response{Card: officerCard(a, stats, h.Loc)}
	if toast != "" {
		resp.Toast = &bot.Toast{Type: "success", Text: toast}
		if strings.HasPrefix(toast, "卡片已过期") {
			resp.Toast.Type = "warning"
		}
	}
	return resp, nil
}

// officerCard is an activity as its organisers see it: every setting, the counts, and the
// buttons 发布 / 编辑 / 取消活动 / 导出名单 as the status allows.
func officerCard(a *store.Activity, st *store.ActivityStats, loc *time.Location) *card.Card {
	at := func(t time.Time) string { return t.In(loc).Format("2006-01-02 15:04") }
	yes := func(b bool) string {
		if b {
			return "是"
		}
		return "否"
	}
	limit := func(n int) string {
		if n == 0 {
			return "不限"
		}
		return fmt.Sprint(n)
	}
	mode := map[string]string{store.ModeIndividual: "个人报名", store.ModeTeam: "组队报名", store.ModeUnit: "分工会名单"}[a.EntryMode]
	alloc := map[string]string{store.AllocFirstCome: "先到先得", store.AllocLottery: "截止时抽签"}[a.Allocation]
	var elig []string
	if a.MembersOnly {
		elig = append(elig, "仅会员")
	}
	if a.WomenOnly {
		elig = append(elig, "仅女教职工")
	}
	if len(a.Branches) > 0 {
		elig = append(elig, "限 "+strings.Join(a.Branches, "、"))
	}
	if a.AgeMin > 0 || a.AgeMax > 0 {
		elig = append(elig, fmt.Sprintf("年龄 %s–%s 岁（按 %s 计）", limit(a.AgeMin), limit(a.AgeMax), a.AgeRefDate))
	}
	if len(elig) == 0 {
		elig = []string{"不限"}
	}
	color := map[string]card.Color{store.ActivityDraft: card.Grey, store.ActivityOpen: card.Green, store.ActivityClosed: card.Orange,
		store.ActivityCancelled: card.Red, store.ActivityFinished: card.Grey}[a.Status]
	cd := card.New(a.Title).Subtitle(fmt.Sprintf("%s · %s · 第 %d 版", store.KindName(a.Kind), store.ActivityStatusName(a.Status), a.Version)).Color(color)
	if a.Description != "" {
		cd.Add(card.Markdown(a.Description))
	}
	cd.Add(card.Fields(
		card.Field{Label: card.T("时间"), Value: card.T(at(a.StartsAt) + " 至 " + at(a.EndsAt))},
		card.Field{Label: card.T("地点"), Value: card.T(orDash(a.Place))},
		card.Field{Label: card.T("报名时间"), Value: card.T(at(a.SignupOpensAt) + " 至 " + at(a.SignupClosesAt))},
		card.Field{Label: card.T("取消报名截止"), Value: card.T(at(a.CancelDeadline))},
		card.Field{Label: card.T("名额"), Value: card.T(fmt.Sprintf("%s（每个分工会限报 %s）", limit(a.Capacity), limit(a.BranchQuota)))},
		card.Field{Label: card.T("报名方式"), Value: card.T(mode + " · " + alloc)},
		card.Field{Label: card.T("报名条件"), Value: card.T(strings.Join(elig, "；"))},
		card.Field{Label: card.T("不得兼项 / 分工会确认"), Value: card.T(yes(a.OneItemPerPerson) + " / " + yes(a.BranchConfirm))},
		card.Field{Label: card.T("保险 / 敏感"), Value: card.T(yes(a.NeedsInsurance) + " / " + yes(a.Sensitive))},
		card.Field{Label: card.T("最少成行"), Value: card.T(limit(a.MinEntries))},
	))
	if len(a.Items) > 0 {
		var lines []string
		for _, it := range a.Items {
			line := "· " + ItemLine(it)
			for _, s := range st.Items {
				if s.ItemID == it.ID {
					line += fmt.Sprintf("　已确认 %d，候补 %d", s.Confirmed, s.Waitlisted)
				}
			}
			lines = append(lines, line)
		}
		cd.Add(card.Markdown("**项目**\n" + strings.Join(lines, "\n")))
	}
	cd.Add(card.Markdown(fmt.Sprintf("**报名情况**：已确认 %d，候补 %d，待确认 %d，待抽签 %d；共 %d 人。",
		st.Confirmed, st.Waitlisted, st.Pending, st.Applied, st.People)))
	chats := "仅 signup.default_chats"
	if len(a.PublishChats) > 0 {
		chats = strings.Join(a.PublishChats, "、")
	}
	if a.NotifyAll {
		chats += "；并私信所有符合条件的会员"
	}
	cd.Add(card.Note("发布范围：" + chats))
	ver := card.Action("").With("activity_id", a.ID).With("version", a.Version)
	var buttons []card.Button
	if a.Status == store.ActivityDraft {
		buttons = append(buttons, card.Button{Text: card.T("发布"), Type: card.Primary, Value: ver.With(card.ActionKey, actPublish)})
	}
	if a.Status == store.ActivityDraft || a.Status == store.ActivityOpen {
		buttons = append(buttons, card.Button{Text: card.T("编辑"), Value: ver.With(card.ActionKey, actEdit)})
	}
	if a.Status != store.ActivityDraft {
		buttons = append(buttons, card.Button{Text: card.T("导出名单"), Value: card.Action(actExport).With("activity_id", a.ID)})
	}
	if slices.Contains([]string{store.ActivityDraft, store.ActivityOpen, store.ActivityClosed}, a.Status) {
		buttons = append(buttons, card.Button{Text: card.T("取消活动"), Type: card.Danger, Value: ver.With(card.ActionKey, actCancel),
			Confirm: &card.Confirm{Title: card.T("确认取消活动？"), Text: card.T("所有报名将作废，已报名的人会收到通知。此操作不能撤销。")}})
	}
	cd.Add(card.Buttons(buttons...))
	return cd
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// newActivityAction is the 新建活动 button: the empty form in place of the card.
func (h *handler) newActivityAction(c *bot.Context) (*bot.Response, error) {
	resp, err := h.newActivityCmd(c)
	if resp != nil {
		resp.Reply = nil
	}
	return resp, err
}
