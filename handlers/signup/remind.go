package signup

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// systemActor is how the job appears in the audit trail.
const systemActor = "system:" + JobName

type reminders struct {
	handlers.Deps
	cards *livecard.Kind
}

// run does what is due at r.At for every open or closed activity. Each activity's step runs in
// its own transaction; a state change (open → closed → finished) and the messages it causes
// commit together, and every message has a unique key, so a second run, a restart or a second
// replica sends nothing twice.
func (rm *reminders) run(ctx context.Context, r *jobs.Run) error {
	acts, err := rm.DB.Activities(ctx, store.ActivityOpen, store.ActivityClosed)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range acts {
		if err := rm.activity(ctx, r, a.ID); err != nil {
			rm.Log.Error("sign-up reminders", "activity", a.ID, "err", err)
			errs = append(errs, fmt.Errorf("activity %d: %w", a.ID, err))
		}
	}
	return errors.Join(errs...)
}

// activity runs the steps due for one activity, each in its own transaction.
func (rm *reminders) activity(ctx context.Context, r *jobs.Run, id int64) error {
	steps := []func(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error{
		rm.closingSoon, rm.atClose, rm.beforeEvent, rm.afterEvent, rm.repairCards,
	}
	for _, step := range steps {
		err := rm.DB.InTx(ctx, func(tx *store.Tx) error {
			a, err := tx.Activity(ctx, id)
			if err != nil {
				return err
			}
			if a.Status != store.ActivityOpen && a.Status != store.ActivityClosed {
				return nil
			}
			return step(ctx, r, tx, a)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// repairCards brings the group cards of an open or closed activity up to date when a crash
// between a click and its card refresh left them behind (livecard.Kind.Refresh: cards that
// show the current rendering are left alone).
func (rm *reminders) repairCards(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error {
	n, err := rm.cards.Refresh(ctx, tx, a.ID)
	if n > 0 {
		rm.Log.Info("sign-up cards repaired", "activity", a.ID, "cards", n)
	}
	return err
}

// closingSoon reminds the eligible members who have not signed up (and did not opt out) that
// sign-up closes in signup.close_reminder.
func (rm *reminders) closingSoon(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error {
	lead := rm.Config.Signup.CloseReminder
	due := a.SignupClosesAt.Add(-lead)
	if lead <= 0 || a.Status != store.ActivityOpen || r.At.Before(due) || !r.At.Before(a.SignupClosesAt) ||
		due.Before(a.SignupOpensAt) {
		return nil
	}
	members, err := eligibleMembers(ctx, tx, a, rm.Loc)
	if err != nil {
		return err
	}
	in, err := tx.ActivityPeople(ctx, a.ID)
	if err != nil {
		return err
	}
	signed := map[int64]bool{}
	for _, p := range in {
		signed[p.MemberID] = true
	}
	off, err := tx.ReminderOptOuts(ctx)
	if err != nil {
		return err
	}
	stats, err := tx.ActivityStats(ctx, a)
	if err != nil {
		return err
	}
	cd := groupCard(a, stats, rm.Loc).Add(
		card.Note(fmt.Sprintf("报名将于 %s 截止，你还没有报名。", a.SignupClosesAt.In(rm.Loc).Format("1月2日 15:04"))),
		card.Buttons(card.Button{Text: card.T("不再提醒"), Value: card.Action(actOptOut)}),
	)
	for _, m := range members {
		if signed[m.ID] || off[m.ID] {
			continue
		}
		if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("signup.closing:%d:%s", a.ID, m.OpenID),
			Due: due, OpenID: m.OpenID, Card: cd}); err != nil {
			return err
		}
	}
	return nil
}

// atClose closes sign-up once: draws the lottery, checks the teams, cancels the activity when
// fewer than MinEntries entered (everyone is told), and sends the organiser a summary.
func (rm *reminders) atClose(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error {
	if a.Status != store.ActivityOpen || r.At.Before(a.SignupClosesAt) {
		return nil
	}
	if err := tx.SetActivityStatus(ctx, a.ID, store.ActivityClosed, systemActor); err != nil {
		return err
	}
	a.Status = store.ActivityClosed
	var notes []string
	switch {
	case a.Allocation == store.AllocLottery && a.LotterySeed != 0:
		// An officer drew already (抽签 after the closing time, before this run): drawing
		// again would fail and keep the activity from ever closing.
		notes = append(notes, fmt.Sprintf("抽签已由工会干事完成（种子 %d）。", a.LotterySeed))
	case a.Allocation == store.AllocLottery:
		res, err := tx.DrawLottery(ctx, a.ID, 0)
		if err != nil {
			return err
		}
		if err := tellDrawn(ctx, tx, res); err != nil {
			return err
		}
		notes = append(notes, fmt.Sprintf("抽签完成（种子 %d）：%d 人中签，%d 人候补。", res.Seed, res.Confirmed, res.Waitlisted))
	}
	problems, err := tx.CheckTeamsAtClose(ctx, a.ID)
	if err != nil {
		return err
	}
	for _, p := range problems {
		probs := teamProblems(p)
		line := fmt.Sprintf("队伍「%s」（%s，%s）：%s", p.Name, orDash(p.ItemName), orDash(p.BranchName), strings.Join(probs, "；"))
		notes = append(notes, line)
		if p.Captain.OpenID != "" {
			text := fmt.Sprintf("你带领的队伍「%s」在「%s」报名截止时不符合规则：%s。请尽快联系工会。", p.Name, a.Title, strings.Join(probs, "；"))
			if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("signup.team-rules:%d:%d", a.ID, p.TeamID),
				Due: a.SignupClosesAt, OpenID: p.Captain.OpenID, Text: text}); err != nil {
				return err
			}
		}
	}
	if a, err = tx.Activity(ctx, a.ID); err != nil {
		return err
	}
	stats, err := tx.ActivityStats(ctx, a)
	if err != nil {
		return err
	}
	cancelled := a.MinEntries > 0 && stats.Confirmed < a.MinEntries
	if cancelled {
		people, err := tx.CancelActivity(ctx, a.ID, systemActor)
		if err != nil {
			return err
		}
		why := fmt.Sprintf("报名截止时只有 %d 个有效报名，不足最少成行数 %d", stats.Confirmed, a.MinEntries)
		if err := tellCancelled(ctx, tx, a, people, why, rm.Loc); err != nil {
			return err
		}
		notes = append([]string{"**" + why + "，活动已自动取消，已通知所有报名者。**"}, notes...)
		if a, err = tx.Activity(ctx, a.ID); err != nil {
			return err
		}
	}
	if err := RefreshPublished(ctx, tx, a, rm.Loc); err != nil {
		return err
	}
	// The summary to the organiser.
	org, err := tx.MemberByID(ctx, a.CreatedBy)
	if err != nil && store.ErrorCode(err) != store.ENOTFOUND {
		return err
	}
	if org == nil || org.OpenID == "" {
		return nil
	}
	cd := closeSummary(a, stats, notes, cancelled, rm.Loc)
	_, err = r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("signup.summary:%d", a.ID), Due: a.SignupClosesAt, OpenID: org.OpenID, Card: cd})
	return err
}

// closeSummary is the organiser's card at close.
func closeSummary(a *store.Activity, st *store.ActivityStats, notes []string, cancelled bool, loc *time.Location) *card.Card {
	color, title := card.Blue, "报名截止："+a.Title
	if cancelled {
		color, title = card.Red, "活动取消："+a.Title
	}
	lines := []string{fmt.Sprintf("已确认 **%d**，候补 %d，待分工会确认 %d；共 %d 人。", st.Confirmed, st.Waitlisted, st.Pending, st.People)}
	for _, it := range st.Items {
		lines = append(lines, fmt.Sprintf("· %s：已确认 %d，候补 %d", it.Name, it.Confirmed, it.Waitlisted))
	}
	cd := card.New(title).Color(color).Add(card.Markdown(strings.Join(lines, "\n")))
	if len(notes) > 0 {
		cd.Add(card.Markdown(strings.Join(notes, "\n")))
	}
	cd.Add(card.Note("活动时间："+a.StartsAt.In(loc).Format("2006-01-02 15:04")),
		card.Buttons(card.Button{Text: card.T("导出名单"), Type: card.Primary, Value: card.Action(actExport).With("activity_id", a.ID)}))
	return cd
}

// beforeEvent reminds the confirmed participants signup.event_reminder_early and
// signup.event_reminder_late before the start (only the later one when both are due).
func (rm *reminders) beforeEvent(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error {
	if !r.At.Before(a.StartsAt) {
		return nil
	}
	type step struct {
		name string
		lead time.Duration
	}
	var due *step
	for _, s := range []step{{"event-early", rm.Config.Signup.EventReminderEarly}, {"event-late", rm.Config.Signup.EventReminderLate}} {
		if s.lead > 0 && !r.At.Before(a.StartsAt.Add(-s.lead)) {
			due = &s
		}
	}
	if due == nil {
		return nil
	}
	people, err := tx.ActivityPeople(ctx, a.ID, store.EntryConfirmed)
	if err != nil {
		return err
	}
	when := a.StartsAt.In(rm.Loc).Format("1月2日 15:04")
	text := fmt.Sprintf("【活动提醒】你报名的「%s」将于 %s 开始，地点：%s。请准时参加。", a.Title, when, orDash(a.Place))
	seen := map[int64]bool{}
	for _, p := range people {
		if p.OpenID == "" || seen[p.MemberID] {
			continue
		}
		seen[p.MemberID] = true
		if _, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("signup.%s:%d:%s", due.name, a.ID, p.OpenID),
			Due: a.StartsAt.Add(-due.lead), OpenID: p.OpenID, Text: text}); err != nil {
			return err
		}
	}
	return nil
}

// afterEvent finishes an activity once it has ended: no-shows marked, ID numbers purged.
func (rm *reminders) afterEvent(ctx context.Context, r *jobs.Run, tx *store.Tx, a *store.Activity) error {
	if r.At.Before(a.EndsAt) {
		return nil
	}
	if a.Status != store.ActivityClosed {
		return nil // closed by the step before, in this very run, unless it was cancelled
	}
	return tx.FinishActivity(ctx, a.ID, systemActor)
}

// optOut and optIn answer the 不再提醒 button and the commands.
func optOut(c *bot.Context) (*bot.Response, error) {
	changed, err := c.Tx.SetReminderOptOut(c.Ctx, c.Sender.MemberID, true)
	if err != nil {
		return nil, err
	}
	if !changed {
		return bot.Info("你已退订活动报名截止提醒。发送「恢复活动提醒」可重新开启。"), nil
	}
	return bot.Success("已退订活动报名截止提醒（已报名活动的开始提醒照常发送）。发送「恢复活动提醒」可重新开启。"), nil
}

func optIn(c *bot.Context) (*bot.Response, error) {
	changed, err := c.Tx.SetReminderOptOut(c.Ctx, c.Sender.MemberID, false)
	if err != nil {
		return nil, err
	}
	if !changed {
		return bot.Info("活动报名截止提醒本来就是开启的。"), nil
	}
	return bot.Success("已恢复活动报名截止提醒。"), nil
}
