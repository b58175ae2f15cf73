package aid

import (
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// object is an objection to a 公示, by name: recorded once per member, and the officers are
// told privately (1:1); nothing shows in the group.
func (h *Handlers) object(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if a.State != store.AidPublicity {
		return bot.Warn("该公示已结束，不再受理异议。"), nil
	}
	added, err := c.Tx.AddAidObjection(c.Ctx, a.ID, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	if !added {
		return bot.Info("你已提出过异议，工会正在核实。"), nil
	}
	officers, err := c.Tx.RoleOpenIDs(c.Ctx, a.MemberID, store.RoleOfficer)
	if err != nil {
		return nil, err
	}
	who := c.Sender.Name
	if m := c.Sender.Member; m != nil && m.BranchName != "" {
		who += "（" + m.BranchName + "）"
	}
	text := fmt.Sprintf("帮扶公示收到异议：%s 对申请 %d 提出异议，请与其联系核实。", who, a.ID)
	if err := notify(c, officers, a.ID, text); err != nil {
		return nil, err
	}
	return bot.Success("已收到你的实名异议，校工会将与你联系核实。"), nil
}

// runJobs is aid.jobs: materials left pending are fetched, and 公示 whose time is up are
// ended (the case moves on to 待发放 and the card says 公示结束).
func (h *Handlers) runJobs(ctx context.Context, r *jobs.Run) error { return h.Tick(ctx, r.At) }

// Tick is one run of aid.jobs as of at.
func (h *Handlers) Tick(ctx context.Context, at time.Time) error {
	if _, err := h.FetchPending(ctx, nil); err != nil {
		return err
	}
	today := at.In(h.Loc).Format("2006-01-02")
	var due []*store.AidCase
	if err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		due, err = tx.AidPublicityDue(ctx, today)
		return err
	}); err != nil {
		return err
	}
	for _, a := range due {
		err := h.DB.InTx(ctx, func(tx *store.Tx) error {
			cur, err := tx.AidCaseByID(ctx, a.ID)
			if err != nil || cur.State != store.AidPublicity {
				return err
			}
			if err := tx.StepAid(ctx, cur, store.AidStepPublicityEnd, "job:aid.jobs", store.AidChange{}); err != nil {
				return err
			}
			_, err = livecard.Show(ctx, tx, liveKind, cur.ID, PublicityCard(cur, h.kind(cur.Kind), h.cfg.PublicityShowAmount, true))
			return err
		})
		if err != nil {
			return err
		}
	}
	// A card not yet delivered when its 公示 ended is taken down once it is.
	return h.DB.InTx(ctx, func(tx *store.Tx) error {
		ended, err := tx.AidPublicityEnded(ctx, at.In(h.Loc).AddDate(0, 0, -14).Format("2006-01-02"))
		for _, a := range ended {
			if err != nil {
				break
			}
			_, err = livecard.Show(ctx, tx, liveKind, a.ID, PublicityCard(a, h.kind(a.Kind), h.cfg.PublicityShowAmount, true))
		}
		return err
	})
}
