package legalaid

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// Slot is one appointment the duty lawyer offers.
type Slot struct{ Start, End time.Time }

// Slots are the configured slots from now to legal_aid.booking_days ahead, on workdays,
// starting after now (taken ones included).
func (h *Handlers) Slots(ctx context.Context, now time.Time) ([]Slot, error) {
	duty, err := h.Cfg.Duty()
	if err != nil {
		return nil, err
	}
	if err := h.cal.Reload(ctx); err != nil {
		return nil, err
	}
	step := time.Duration(h.Cfg.SlotMinutes) * time.Minute
	local := now.In(h.Loc)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, h.Loc)
	var out []Slot
	for i := 0; i <= h.Cfg.BookingDays; i++ {
		d := day.AddDate(0, 0, i)
		if !h.cal.IsWorkday(d) {
			continue
		}
		for _, w := range duty {
			if w.Weekday != d.Weekday() {
				continue
			}
			for m := w.From; m+h.Cfg.SlotMinutes <= w.To; m += h.Cfg.SlotMinutes {
				start := d.Add(time.Duration(m) * time.Minute)
				if start.After(now) {
					out = append(out, Slot{Start: start, End: start.Add(step)})
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Slot) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// free are the slots not taken.
func (h *Handlers) free(c *bot.Context) ([]Slot, error) {
	all, err := h.Slots(c.Ctx, c.Now)
	if err != nil || len(all) == 0 {
		return nil, err
	}
	taken, err := c.Tx.TakenLegalSlots(c.Ctx, all[0].Start, all[len(all)-1].End)
	if err != nil {
		return nil, err
	}
	var out []Slot
	for _, s := range all {
		if !slices.ContainsFunc(taken, func(t time.Time) bool { return t.Equal(s.Start) }) {
			out = append(out, s)
		}
	}
	return out, nil
}

// loadOwn reads the case of a button for its member, checking the card's version: a card of
// an older version gets the stale answer (卡片已过期 and the current card), nothing written.
func (h *Handlers) loadOwn(c *bot.Context) (*store.LegalCase, *bot.Response, error) {
	lc, err := h.load(c)
	if err != nil {
		r, err := c.Refusal(err)
		return nil, r, err
	}
	if lc.MemberID != c.Sender.MemberID { // staff see the case, but only its member acts on it
		return nil, bot.Warn("找不到你的这件法律援助申请：只有申请人本人可以预约、取消或撤回。"), nil
	}
	if v, ok := c.IntOK("version"); !ok || int(v) != lc.Version {
		r, err := h.stale(c, lc)
		return nil, r, err
	}
	return lc, nil, nil
}

// stale answers a click on an older card: 卡片已过期, with a card that opens the current state.
// Nothing is written (showing the case itself would write a read-audit row).
func (h *Handlers) stale(c *bot.Context, lc *store.LegalCase) (*bot.Response, error) {
	r := bot.Warn("卡片已过期：这件申请已有变化，请打开最新状态后再操作。")
	r.Card = card.New(fmt.Sprintf("法律援助 · 编号 %d", lc.ID)).Color(card.Grey).Add(
		card.Markdown("这张卡片已过期。"),
		card.Buttons(card.Button{Text: card.T("查看最新状态"), Type: card.Primary, Value: card.Action(actShow).With("case_id", lc.ID)}),
	).Sensitive(summary)
	return r, nil
}

// slots shows the free slots for the member's open case without an appointment.
func (h *Handlers) slots(c *bot.Context) (*bot.Response, error) {
	lc, r, err := h.loadOwn(c)
	if lc == nil {
		return r, err
	}
	if lc.Status != store.LegalOpen {
		return bot.Warn("这件申请" + store.LegalStatusNames[lc.Status] + "，不能预约。"), nil
	}
	if lc.Booking != nil {
		return bot.Warn("这件申请已有预约。如需改时间，请先取消原预约。"), nil
	}
	free, err := h.free(c)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(SlotsCard(lc, free, h.Loc)), nil
}

// book books the chosen slot: it must be one of the configured slots, in the future; a slot
// taken meanwhile, or a second appointment, is refused with nothing written. The lawyers are
// told 1:1 (neutrally); the member sees the case.
func (h *Handlers) book(c *bot.Context) (*bot.Response, error) {
	lc, r, err := h.loadOwn(c)
	if lc == nil {
		return r, err
	}
	start := time.Unix(c.Int("start"), 0)
	all, err := h.Slots(c.Ctx, c.Now)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(all, func(s Slot) bool { return s.Start.Equal(start) })
	if i < 0 {
		return bot.Warn("这个时段已过或不再开放，请重新选择。"), nil
	}
	if _, err := c.Tx.BookLegalSlot(c.Ctx, lc, all[i].Start, all[i].End, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if err := h.tellLawyers(c, lc.ID, "你有一个新的法律援助预约，请查看。"); err != nil {
		return nil, err
	}
	return h.showAfter(c, lc.ID, "已预约 "+slotText(all[i].Start, all[i].End, h.Loc)+"，律师已收到通知。前一天会提醒你。")
}

// cancel cancels the member's appointment; the lawyers are told.
func (h *Handlers) cancel(c *bot.Context) (*bot.Response, error) {
	lc, r, err := h.loadOwn(c)
	if lc == nil {
		return r, err
	}
	if err := c.Tx.CancelLegalBooking(c.Ctx, lc, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if err := h.tellLawyers(c, lc.ID, "有一个法律援助预约已取消。"); err != nil {
		return nil, err
	}
	return h.showAfter(c, lc.ID, "预约已取消。")
}

// withdraw is the member withdrawing the case (its appointment cancelled).
func (h *Handlers) withdraw(c *bot.Context) (*bot.Response, error) {
	lc, r, err := h.loadOwn(c)
	if lc == nil {
		return r, err
	}
	hadBooking := lc.Booking != nil
	if err := c.Tx.StepLegalCase(c.Ctx, lc, store.LegalStepWithdraw, "", c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if hadBooking {
		if err := h.tellLawyers(c, lc.ID, "有一个法律援助预约已取消。"); err != nil {
			return nil, err
		}
	}
	return h.showAfter(c, lc.ID, "申请已撤回。")
}

// close is a legal-aid officer closing the case with a note; the member is told (neutrally).
func (h *Handlers) close(c *bot.Context) (*bot.Response, error) {
	if !officer(c) { // an admin passes the route's role check, but is no legal-aid officer
		return bot.Warn("只有法律援助专员可以结案。"), nil
	}
	lc, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if v, ok := c.IntOK("version"); !ok || int(v) != lc.Version {
		return h.stale(c, lc)
	}
	note := c.FormString("note")
	if note == "" {
		return bot.Warn("请填写办理结果。"), nil
	}
	if err := c.Tx.StepLegalCase(c.Ctx, lc, store.LegalStepClose, note, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if lc.OpenID != "" {
		if err := privacy.Notify(c, lc.OpenID, "你的法律援助申请有新进展。", "查看", card.Action(actShow).With("case_id", lc.ID)); err != nil {
			return nil, err
		}
	}
	return h.showAfter(c, lc.ID, "已结案，已通知申请人。")
}

// show is a case's card, for whoever may see it (read audit first).
func (h *Handlers) show(c *bot.Context) (*bot.Response, error) {
	lc, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	o, err := h.reveal(c, lc, "card")
	if err != nil {
		return nil, err
	}
	return privacy.ReplyPrivate(c, h.caseCard(c, o), "已私信发给你。")
}

// showAfter answers a change with the case's current card and a toast.
func (h *Handlers) showAfter(c *bot.Context, id int64, toast string) (*bot.Response, error) {
	lc, err := c.Tx.LegalCaseByID(c.Ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := h.reveal(c, lc, "card")
	if err != nil {
		return nil, err
	}
	r := bot.ReplyCard(h.caseCard(c, o))
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// list is 法律援助案件: the open cases, for the legal-aid staff (audited as a list view).
func (h *Handlers) list(c *bot.Context) (*bot.Response, error) {
	if !staff(c) {
		return bot.Warn("只有法律援助专员和律师可以查看。"), nil
	}
	cd, err := store.Reveal(c.Ctx, c.Tx, store.Viewing{Viewer: c.Sender.OpenID, ViewerID: c.Sender.MemberID, Entity: "legal_case_list", What: "list"},
		func() (*card.Card, error) {
			cases, err := c.Tx.LegalCasesByStatus(c.Ctx, store.LegalOpen, 50)
			if err != nil {
				return nil, err
			}
			return ListCard(cases), nil
		})
	if err != nil {
		return nil, err
	}
	return privacy.ReplyPrivate(c, cd, "已私信发给你。")
}

// tellLawyers sends every lawyer the neutral notice text with a button to the case.
func (h *Handlers) tellLawyers(c *bot.Context, caseID int64, text string) error {
	lawyers, err := h.staffOpenIDs(c.Ctx, store.RoleLawyer)
	if err != nil {
		return err
	}
	for _, to := range lawyers {
		if err := privacy.Notify(c, to, text, "查看", card.Action(actShow).With("case_id", caseID)); err != nil {
			return err
		}
	}
	return nil
}
