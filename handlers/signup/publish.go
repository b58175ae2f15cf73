package signup

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/store"
)

// batchSize is the most open_ids Feishu takes in one batch_send.
const batchSize = 200

// publishActivity opens a draft for sign-up and sends its card: to the activity's chats and
// signup.default_chats (remembered, to be patched as seats fill), and with NotifyAll to every
// eligible member through batch sends of at most 200.
func (h *handler) publishActivity(c *bot.Context) (*bot.Response, error) {
	a, err := h.loadForChange(c)
	if err != nil {
		return h.staleOr(c, err)
	}
	if a.Status != store.ActivityDraft {
		return bot.Warn(fmt.Sprintf("活动「%s」%s，不用再发布。", a.Title, store.ActivityStatusName(a.Status))), nil
	}
	chats, people, err := publish(c.Ctx, c.Tx, a, h.Config.Signup.DefaultChats, c.Sender.OpenID, h.Loc)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("已发布：报名卡片发往 %d 个群", chats)
	if a.NotifyAll {
		msg += fmt.Sprintf("，并私信 %d 位符合条件的会员", people)
	}
	if chats == 0 && !a.NotifyAll {
		msg = "已发布。没有配置发布群，也未勾选私信全体：请把报名卡片转发给大家，或编辑活动填写发布群。"
	}
	return h.previewResponse(c, a, msg+"。")
}

// publish moves a draft to open and queues its cards; it returns the number of chats and of
// members the card goes to. actor is audited.
func publish(ctx context.Context, tx *store.Tx, a *store.Activity, defaultChats []string, actor string, loc *time.Location) (chats, people int, err error) {
	if err := tx.SetActivityStatus(ctx, a.ID, store.ActivityOpen, actor); err != nil {
		return 0, 0, err
	}
	a.Status = store.ActivityOpen
	stats, err := tx.ActivityStats(ctx, a)
	if err != nil {
		return 0, 0, err
	}
	cd := groupCard(a, stats, loc)
	content, err := cd.JSON()
	if err != nil {
		return 0, 0, err
	}
	var targets []string
	for _, id := range append(slices.Clone(defaultChats), a.PublishChats...) {
		if !slices.Contains(targets, id) {
			targets = append(targets, id)
		}
	}
	for _, chat := range targets {
		if _, err := livecard.Post(ctx, tx, cardKind, a.ID, chat, cd); err != nil {
			return 0, 0, err
		}
	}
	if a.NotifyAll {
		ms, err := eligibleMembers(ctx, tx, a, loc)
		if err != nil {
			return 0, 0, err
		}
		ids := make([]string, 0, len(ms))
		for _, m := range ms {
			ids = append(ids, m.OpenID)
		}
		people = len(ids)
		if err := enqueueBatches(ctx, tx, fmt.Sprintf("activity.publish:%d", a.ID), ids, json.RawMessage(content)); err != nil {
			return 0, 0, err
		}
	}
	return len(targets), people, tx.Audit(ctx, actor, "activity", fmt.Sprint(a.ID), "publish",
		fmt.Sprintf("%d chats, %d members", len(targets), people))
}

// enqueueBatches queues batch_send requests of at most batchSize open_ids each, with a dedup
// key per chunk (keyPrefix:batch:N).
func enqueueBatches(ctx context.Context, tx *store.Tx, keyPrefix string, openIDs []string, cardJSON json.RawMessage) error {
	for i := 0; i < len(openIDs); i += batchSize {
		body, err := json.Marshal(map[string]any{
			"msg_type": "interactive",
			"card":     cardJSON,
			"open_ids": openIDs[i:min(i+batchSize, len(openIDs))],
		})
		if err != nil {
			return err
		}
		key := fmt.Sprintf("%s:batch:%d", keyPrefix, i/batchSize)
		if _, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxBatch, MsgType: "interactive",
			Content: string(body), DedupKey: &key}); err != nil {
			return err
		}
	}
	return nil
}

// eligibleMembers lists the active members with a Feishu account that the activity is open
// to, by the rules the sign-up itself applies (Activity.Ineligible).
func eligibleMembers(ctx context.Context, tx *store.Tx, a *store.Activity, loc *time.Location) ([]*store.MemberFacts, error) {
	all, err := tx.Recipients(ctx)
	if err != nil {
		return nil, err
	}
	var out []*store.MemberFacts
	for _, m := range all {
		if a.Ineligible(m, nil, loc) == "" {
			out = append(out, m)
		}
	}
	return out, nil
}

// cardKind is the live-card kind of activities' group cards (bot/livecard).
const cardKind = "activity"

// newActivityCards returns the live cards of activities: the group card, rendered from the
// activity's counters.
func newActivityCards(db *store.DB, loc *time.Location, log *slog.Logger) *livecard.Kind {
	return livecard.New(db, cardKind, func(ctx context.Context, tx *store.Tx, id int64) (*card.Card, error) {
		a, err := tx.Activity(ctx, id)
		if store.ErrorCode(err) == store.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return groupCard(a, counterStats(a), loc), nil
	}, log)
}

// RefreshPublished queues an update of every group-chat card of the activity that does not
// show its current seats and state (livecard.Show: coalesced per message, or posted afresh
// once Feishu no longer lets the message be edited). The sign-up paths call it after a change
// of seats, with a holding the store's counters after the change; it costs one indexed query
// when the activity was not posted to any chat, and builds the card from the counters
// otherwise. 报名 clicks refresh the cards after their commit instead (livecard.Kind.Touch),
// and the sign-up job repairs what a crash in between left behind.
func RefreshPublished(ctx context.Context, tx *store.Tx, a *store.Activity, loc *time.Location) error {
	_, err := livecard.Show(ctx, tx, cardKind, a.ID, groupCard(a, counterStats(a), loc))
	return err
}

// counterStats are the seats of an activity from its counters (as the store left them in a),
// without a query: what a group card shows.
func counterStats(a *store.Activity) *store.ActivityStats {
	st := &store.ActivityStats{ItemStats: store.ItemStats{Capacity: a.Capacity, Confirmed: a.Confirmed, SeatsLeft: a.SeatsLeft(0)}}
	for _, it := range a.Items {
		st.Items = append(st.Items, store.ItemStats{ItemID: it.ID, Name: it.Name, Capacity: it.Capacity, Confirmed: it.Confirmed,
			SeatsLeft: a.SeatsLeft(it.ID)})
	}
	return st
}

// groupCard is the sign-up card as posted to a group chat or sent to everyone: the activity,
// the seats left, and the sign-up buttons (the member's own state is shown in the answer to
// their click). Sensitive activities show counts only, which is all a group card shows anyway.
func groupCard(a *store.Activity, st *store.ActivityStats, loc *time.Location) *card.Card {
	at := func(t time.Time) string { return t.In(loc).Format("1月2日 15:04") }
	color := card.Green
	state := "报名中"
	switch a.Status {
	case store.ActivityCancelled:
		color, state = card.Red, "活动已取消"
	case store.ActivityClosed, store.ActivityFinished:
		color, state = card.Grey, "报名已截止"
	}
	seats := func(capacity, confirmed int) string {
		if capacity == 0 {
			return fmt.Sprintf("已报 %d 人，不限名额", confirmed)
		}
		return fmt.Sprintf("剩余 %d / %d", max(capacity-confirmed, 0), capacity)
	}
	cd := card.New(a.Title).Subtitle(store.KindName(a.Kind) + " · " + state).Color(color)
	if a.Description != "" {
		cd.Add(card.Markdown(a.Description))
	}
	cd.Add(card.Fields(
		card.Field{Label: card.T("时间"), Value: card.T(at(a.StartsAt) + " 至 " + at(a.EndsAt))},
		card.Field{Label: card.T("地点"), Value: card.T(orDash(a.Place))},
		card.Field{Label: card.T("报名截止"), Value: card.T(at(a.SignupClosesAt))},
		card.Field{Label: card.T("名额"), Value: card.T(seats(a.Capacity, st.Confirmed))},
	))
	if st.Waitlisted > 0 || st.Applied > 0 {
		cd.Add(card.Note(fmt.Sprintf("候补 %d 人，待抽签 %d 人。", st.Waitlisted, st.Applied)))
	}
	if a.Status != store.ActivityOpen {
		return cd
	}
	var buttons []card.Button
	if len(a.Items) == 0 {
		buttons = append(buttons, card.Button{Text: card.T("报名"), Type: card.Primary,
			Value: card.Action(actJoin).With("activity_id", a.ID).With("version", a.Version).With("item_id", 0)})
	}
	var lines []string
	for _, it := range a.Items {
		s := it.Confirmed
		for _, x := range st.Items {
			if x.ItemID == it.ID {
				s = x.Confirmed
			}
		}
		lines = append(lines, fmt.Sprintf("· %s：%s", it.Name, seats(it.Capacity, s)))
		buttons = append(buttons, card.Button{Text: card.T("报名 " + it.Name), Type: card.Primary,
			Value: card.Action(actJoin).With("activity_id", a.ID).With("version", a.Version).With("item_id", it.ID)})
	}
	if len(lines) > 0 {
		cd.Add(card.Markdown(strings.Join(lines, "\n")))
	}
	cd.Add(card.Buttons(buttons...))
	return cd
}
