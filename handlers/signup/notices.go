package signup

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// Notices: what a member is told 1:1 when a change made by someone else concerns them. The
// store reports what happened (a promotion, a decision, a draw, a team's change); the words
// are here. Each notice is queued in the transaction that made the change, under a dedup key,
// so it commits with the change and goes out once.

// notify queues a 1:1 text to openID under a dedup key (nothing when the member has no
// open_id yet, or when the key was used).
func notify(ctx context.Context, tx *store.Tx, openID, text, key string) error {
	if openID == "" {
		return nil
	}
	msg := bot.Text(text)
	_, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id", ReceiveID: openID,
		MsgType: msg.MsgType, Content: msg.JSON, DedupKey: &key})
	return err
}

// entryWhat names what an entry is for: the activity, and the item when it has items.
func entryWhat(a *store.Activity, it *store.ActivityItem) string {
	if it == nil {
		return a.Title
	}
	return a.Title + "·" + it.Name
}

// tellPromoted tells everyone a promotion gave a seat (one message per person and promotion).
func tellPromoted(ctx context.Context, tx *store.Tx, ps []store.Promotion) error {
	for _, p := range ps {
		table, id := "signup_entries", p.EntryID
		if p.TeamID != 0 {
			table, id = "signup_teams", p.TeamID
		}
		text := fmt.Sprintf("【候补转正】你报名的「%s」已由候补转为正式名额，请按时参加。如不能参加，请发送「我的报名」取消，把名额让给其他人。",
			entryWhat(p.Activity, p.Item))
		for _, m := range p.Members {
			if err := notify(ctx, tx, m.OpenID, text, fmt.Sprintf("signup.promoted:%s:%d:%d", table, id, m.EntryID)); err != nil {
				return err
			}
		}
	}
	return nil
}

// tellCancellation tells the people a cancellation concerns, in this order: a withdrawn team's
// members, or the captain of a team someone left (with the rules the team now breaks, so the
// captain can invite someone before the close); then everyone promoted to the seat.
func tellCancellation(ctx context.Context, tx *store.Tx, res *store.CancelResult) error {
	a := res.Activity
	if t := res.Team; t != nil {
		for _, p := range res.Teammates {
			if err := notify(ctx, tx, p.OpenID, fmt.Sprintf("队长已撤销队伍“%s”（%s），你的报名随之取消。", t.Name, a.Title),
				fmt.Sprintf("signup.team-cancelled:%d:%d", t.ID, p.EntryID)); err != nil {
				return err
			}
		}
	}
	if l := res.Left; l != nil {
		d := l.Team
		text := fmt.Sprintf("%s退出了队伍“%s”（%s）", l.Name, d.Name, a.Title)
		it := a.Item(d.ItemID)
		if probs := teamRuleProblems(it, store.CheckTeamRules(it, d.Members), 0); len(probs) > 0 {
			text += "，队伍尚未满足：" + strings.Join(probs, "；") + "。请在报名截止前邀请队员。"
		} else {
			text += "。"
		}
		for _, m := range d.Members {
			if m.Role == store.RoleCaptain {
				if err := notify(ctx, tx, m.OpenID, text, fmt.Sprintf("signup.team-left:%d:%d", d.ID, l.Entry.ID)); err != nil {
					return err
				}
				break
			}
		}
	}
	return tellPromoted(ctx, tx, res.Promoted)
}

// tellDecided tells a member the 分工会主席's decision on their entry.
func tellDecided(ctx context.Context, tx *store.Tx, d *store.Decision) error {
	what := entryWhat(d.Activity, d.Item)
	var text string
	switch e := d.Entry; e.Status {
	case store.EntryRejected:
		text = fmt.Sprintf("你报名的「%s」未获分工会确认。如有疑问，请联系所在分工会。", what)
	case store.EntryConfirmed:
		text = fmt.Sprintf("你报名的「%s」已经分工会确认，报名成功。", what)
	case store.EntryWaitlisted:
		text = fmt.Sprintf("你报名的「%s」已经分工会确认，名额已满，你在候补第 %d 位。", what, e.Position)
	default:
		text = fmt.Sprintf("你报名的「%s」已经分工会确认，将在报名截止后抽签。", what)
	}
	return notify(ctx, tx, d.OpenID, text, fmt.Sprintf("signup.decided:%d", d.Entry.ID))
}

// tellDrawn tells every applicant their place after the draw, with the seed to re-check it.
func tellDrawn(ctx context.Context, tx *store.Tx, res *store.LotteryResult) error {
	a := res.Activity
	for _, p := range res.Drawn {
		e := p.Entry
		what := entryWhat(a, a.Item(e.ItemID))
		text := fmt.Sprintf("【抽签结果】恭喜！你报名的「%s」已中签，获得正式名额。如不能参加，请发送「我的报名」取消。", what)
		if e.Status == store.EntryWaitlisted {
			text = fmt.Sprintf("【抽签结果】你报名的「%s」未中签，现为候补第 %d 位；有人取消时将按顺序递补并通知你。", what, e.Position)
		}
		text += fmt.Sprintf("（抽签种子 %d，可复核）", res.Seed)
		if err := notify(ctx, tx, p.Member.OpenID, text, fmt.Sprintf("signup.lottery:%d:%d", a.ID, e.ID)); err != nil {
			return err
		}
	}
	return nil
}

// tellInviteAnswer tells a team's captain that name accepted or declined the invitation. now
// (the transaction's time) makes each answer its own message.
func tellInviteAnswer(ctx context.Context, tx *store.Tx, ans *store.InviteAnswer, name string, now time.Time) error {
	text := fmt.Sprintf("%s接受了你的邀请，加入队伍“%s”。", name, ans.Team.Name)
	if !ans.Accepted {
		text = fmt.Sprintf("%s谢绝了加入队伍“%s”的邀请。", name, ans.Team.Name)
	}
	return notify(ctx, tx, ans.Captain.OpenID, text, fmt.Sprintf("signup.invite-answer:%d:%s", ans.InviteID, now.Format(time.RFC3339Nano)))
}

// teamRuleProblems words how a team breaks its item's rules (it), and its 分工会's quota of
// teams (quota, when c.OverQuota); none when it complies.
func teamRuleProblems(it *store.ActivityItem, c store.TeamRuleCheck, quota int) []string {
	var out []string
	if c.TooFew {
		out = append(out, fmt.Sprintf("人数不足：至少 %d 人，现有 %d 人", it.TeamMin, c.Size))
	}
	if c.TooMany {
		out = append(out, fmt.Sprintf("人数超出：最多 %d 人，现有 %d 人", it.TeamMax, c.Size))
	}
	if c.FewWomen {
		out = append(out, fmt.Sprintf("女队员不足：至少 %d 名，现有 %d 名", it.MinWomen, c.Women))
	}
	if c.OverQuota {
		out = append(out, fmt.Sprintf("超出分工会限额：每个分工会限报 %d 队", quota))
	}
	return out
}

// teamProblems words what a team breaks at the close.
func teamProblems(p store.TeamProblem) []string { return teamRuleProblems(p.Item, p.Check, p.Quota) }
