package legalaid

import (
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// JobReminders is the name of legal aid's job.
const JobReminders = "legal.reminders"

// reminders sends, for every day whose reminder moment (legal_aid.remind_time) lies in the
// run's window: the arbitration-limit reminders of the open cases whose limit is
// legal_aid.limit_reminders days later (to the member and the legal-aid officers), and the
// reminders of the next day's appointments (to the member and the lawyers). Each is a neutral
// notice with a button to the case, under a unique key: a repeated run, a restart or a second
// replica sends nothing twice.
func (h *Handlers) reminders(ctx context.Context, r *jobs.Run) error {
	days, err := config.ParseRemindDays(h.Cfg.LimitReminders)
	if err != nil {
		return err
	}
	hour, min := h.Cfg.RemindClock()
	from, to := r.Window()
	officers, err := h.staffOpenIDs(ctx, store.RoleLegalOfficer)
	if err != nil {
		return err
	}
	lawyers, err := h.staffOpenIDs(ctx, store.RoleLawyer)
	if err != nil {
		return err
	}
	for d := r.Cal.Date(from); !d.After(to); d = d.AddDate(0, 0, 1) {
		due := time.Date(d.Year(), d.Month(), d.Day(), hour, min, 0, 0, r.Loc)
		if !due.After(from) || due.After(to) {
			continue
		}
		for _, n := range days {
			limit := d.AddDate(0, 0, n).Format(time.DateOnly)
			cases, err := r.DB.OpenLegalLimits(ctx, limit, limit)
			if err != nil {
				return err
			}
			for _, lc := range cases {
				text := fmt.Sprintf("法律援助提醒：你登记的纠纷距劳动仲裁时效届满还有 %d 天，请点击查看。", n)
				staffText := fmt.Sprintf("法律援助提醒：一件申请距劳动仲裁时效届满还有 %d 天，请点击查看。", n)
				err := r.DB.InTx(ctx, func(tx *store.Tx) error {
					if err := remind(ctx, r, tx, fmt.Sprintf("legal.limit-%d", n), lc.ID, lc.OpenID, limit, due, text, false); err != nil {
						return err
					}
					for _, o := range officers {
						if err := remind(ctx, r, tx, fmt.Sprintf("legal.limit-%d", n), lc.ID, o, limit, due, staffText, true); err != nil {
							return err
						}
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
		}
		next := d.AddDate(0, 0, 1)
		bookings, err := r.DB.LegalBookingsStarting(ctx, next, next.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		for _, b := range bookings {
			at := slotText(b.StartsAt, b.EndsAt, r.Loc)
			err := r.DB.InTx(ctx, func(tx *store.Tx) error {
				key := fmt.Sprintf("legal.appointment-%d", b.ID)
				if err := remind(ctx, r, tx, key, b.CaseID, b.MemberOpenID, next.Format(time.DateOnly), due,
					"预约提醒：你明天 "+at+" 有一个预约，请点击查看。", false); err != nil {
					return err
				}
				for _, o := range lawyers {
					if err := remind(ctx, r, tx, key, b.CaseID, o, next.Format(time.DateOnly), due,
						"预约提醒：明天 "+at+" 有一个法律援助预约，请点击查看。", false); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// remind sends one neutral notice with a button to the case, under key what:case:recipient:date.
func remind(ctx context.Context, r *jobs.Run, tx *store.Tx, what string, caseID int64, openID, date string, due time.Time, text string, office bool) error {
	if openID == "" {
		return nil
	}
	cd := card.New("工会助手").Color(card.Indigo).Add(card.Markdown(text),
		card.Buttons(card.Button{Text: card.T("查看"), Type: card.Primary, Value: card.Action(actShow).With("case_id", caseID)})).
		Sensitive(text)
	_, err := r.Remind(ctx, tx, jobs.Reminder{Key: fmt.Sprintf("%s:%d:%s:%s", what, caseID, openID, date), Due: due, OpenID: openID,
		Card: cd, Office: office})
	return err
}
