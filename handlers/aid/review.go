package aid

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// liveKind names the 公示 cards (store.LiveCard.Kind).
const liveKind = "aid_publicity"

// decision loads the clicked case and checks that the sender may take action on it and that
// the card is current. A nil case comes with the refusal to return.
func (h *Handlers) decision(c *bot.Context, action string) (*store.AidCase, *bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		r, err := c.Refusal(err)
		return nil, r, err
	}
	if !store.AidCan(viewer(c), a, action) {
		if a.MemberID == c.Sender.MemberID {
			return nil, bot.Warn("不能审核自己的帮扶申请。"), nil
		}
		if !store.AidCan(viewer(c), a, store.AidActView) {
			return nil, denied, nil
		}
		r, err := h.stale(c, a)
		return nil, r, err
	}
	if !fresh(c, a) {
		r, err := h.stale(c, a)
		return nil, r, err
	}
	return a, nil, nil
}

// decideAction is the action of the sender's step on a case in its state.
func decideAction(a *store.AidCase) string {
	switch a.State {
	case store.AidBranchReview:
		return store.AidActBranch
	case store.AidUnionReview:
		return store.AidActUnion
	case store.AidApproval:
		return store.AidActApprove
	case store.AidPublicity:
		return store.AidActRevoke
	}
	return store.AidActBranch // no decision: AidCan refuses
}

// decided tells the next reviewers (neutral) and the applicant (neutral), and answers the
// clicker with the case's card.
func (h *Handlers) decided(c *bot.Context, a *store.AidCase, toast string) (*bot.Response, error) {
	to, err := h.reviewers(c, a)
	if err != nil {
		return nil, err
	}
	if err := notify(c, to, a.ID, msgPending); err != nil {
		return nil, err
	}
	tell := []string{a.MemberOpenID}
	if a.OpenedBy != 0 && a.OpenedBy != a.MemberID && a.OpenedBy != c.Sender.MemberID && !a.Emergency {
		// The officer who opened it on the member's behalf follows it too (once).
		o, err := c.Tx.MemberByID(c.Ctx, a.OpenedBy)
		if err != nil {
			return nil, err
		}
		if !slices.Contains(to, o.OpenID) {
			tell = append(tell, o.OpenID)
		}
	}
	if err := notify(c, tell, a.ID, msgProgress); err != nil {
		return nil, err
	}
	r, err := h.cardOf(c, a.ID)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// pass: 分工会初审 or 校工会审核 passed.
func (h *Handlers) pass(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	step := map[string]string{store.AidBranchReview: store.AidStepBranchPass, store.AidUnionReview: store.AidStepUnionPass}[a.State]
	a, r, err := h.decision(c, decideAction(a))
	if a == nil {
		return r, err
	}
	if step == "" {
		return h.stale(c, a)
	}
	if err := c.Tx.StepAid(c.Ctx, a, step, c.Sender.OpenID, store.AidChange{}); err != nil {
		return c.Refusal(err)
	}
	return h.decided(c, a, "已通过，转入「"+store.AidStateNames[a.State]+"」。")
}

// note reads the reviewer's note, required for a return or a rejection.
func note(c *bot.Context, what string) (string, *bot.Response) {
	n := strings.TrimSpace(c.FormString("note"))
	switch l := utf8.RuneCountInString(n); {
	case l == 0:
		return "", bot.Warn("请填写" + what + "（申请人可见）。")
	case l > store.MaxAidReason:
		return "", bot.Warn(fmt.Sprintf("%s太长（最多 %d 字）。", what, store.MaxAidReason))
	}
	return n, nil
}

// sendBack returns a case for 补充材料: the applicant is asked 1:1 and resubmits.
func (h *Handlers) sendBack(c *bot.Context) (*bot.Response, error) {
	return h.endStep(c, store.AidStepReturn, "退回原因", "已退回申请人补充材料。")
}

// reject: 不予通过, with a reason the applicant sees.
func (h *Handlers) reject(c *bot.Context) (*bot.Response, error) {
	return h.endStep(c, store.AidStepReject, "不予通过的原因", "已不予通过，申请人会收到原因。")
}

// revoke rejects a case during its 公示 (an objection found to stand). Only a case in 公示:
// on a case at another step the button is refused (store.AidActRevoke), not taken as that
// step's rejection.
func (h *Handlers) revoke(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if a.State != store.AidPublicity {
		_, r, err := h.decision(c, store.AidActRevoke)
		if r == nil && err == nil {
			r = bot.Warn("该申请不在公示中，不能撤销批准。")
		}
		return r, err
	}
	r, err := h.endStep(c, store.AidStepReject, "撤销原因", "已撤销批准，公示已结束。")
	if err != nil || r == nil || r.Toast == nil || r.Toast.Type != "success" {
		return r, err
	}
	if a, err = h.load(c); err != nil {
		return nil, err
	}
	_, err = livecard.Show(c.Ctx, c.Tx, liveKind, a.ID, PublicityCard(a, h.kind(a.Kind), h.cfg.PublicityShowAmount, true))
	return r, err
}

// endStep returns or rejects the clicked case with the form's note, sealed and bound to the
// case.
func (h *Handlers) endStep(c *bot.Context, step, what, toast string) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	a, r, err := h.decision(c, decideAction(a))
	if a == nil {
		return r, err
	}
	if step == store.AidStepReturn && a.State == store.AidPublicity {
		return bot.Warn("公示中的申请不能退回，只能撤销批准。"), nil
	}
	n, refusal := note(c, what)
	if refusal != nil {
		return refusal, nil
	}
	ch := store.AidChange{Set: map[string]any{}}
	if step == store.AidStepReject {
		ch.Set["approved_fen"] = int64(0) // out of the ledger
	}
	if err := c.Tx.StepAid(c.Ctx, a, step, c.Sender.OpenID, ch); err != nil {
		return c.Refusal(err)
	}
	if err := c.Tx.SealInto(c.Ctx, h.keys, store.SealedAidReason, a.ID, n); err != nil {
		return nil, err
	}
	return h.decided(c, a, toast)
}

// limit is what may still be approved for a member's case of kind k this year, and why.
type limit struct {
	max  int64 // -1: no limit
	why  []string
	used store.AidUse
}

// headroom computes the limit from the kind's per-time and per-year ceilings and its formula.
func (h *Handlers) headroom(c *bot.Context, k *config.AidKind, memberID, selfPaid int64) (limit, error) {
	year := h.year(c.Now)
	u, err := c.Tx.AidUsed(c.Ctx, memberID, k.Code, year)
	if err != nil {
		return limit{}, err
	}
	l := limit{max: -1, used: u}
	lower := func(v int64, why string) {
		v = max(v, 0)
		if l.max < 0 || v < l.max {
			l.max = v
		}
		l.why = append(l.why, why)
	}
	if k.PerTimeFen > 0 {
		lower(k.PerTimeFen, "单次上限 "+yuan(k.PerTimeFen))
	}
	if k.PerYearFen > 0 {
		lower(k.PerYearFen-u.ApprovedFen, fmt.Sprintf("%d 年已批 %s，年度上限 %s", year, yuan(u.ApprovedFen), yuan(k.PerYearFen)))
	}
	if f := k.Formula; f != nil {
		total := u.SelfPaidFen + selfPaid
		capped := f.MaxForYear(total)
		if k.PerYearFen > 0 {
			capped = min(capped, k.PerYearFen)
		}
		lower(capped-u.ApprovedFen, fmt.Sprintf("按公式：本年自付合计 %s，超过 %s 部分的 %d%% 为 %s", yuan(total), yuan(f.AboveFen), f.Percent, yuan(f.MaxForYear(total))))
	}
	return l, nil
}

// headroomText is the approver's note of what may still be approved.
func (h *Handlers) headroomText(c *bot.Context, a *store.AidCase) (string, error) {
	l, err := h.headroom(c, h.kind(a.Kind), a.MemberID, a.SelfPaidFen)
	if err != nil || l.max < 0 {
		return "", err
	}
	return fmt.Sprintf("**本次最多可批 %s**（%s）。", yuan(l.max), strings.Join(l.why, "；")), nil
}

// approve approves the case with the form's amount, within the ceilings and the formula;
// with the member's consent and a kind that requires it, the 公示 is posted.
func (h *Handlers) approve(c *bot.Context) (*bot.Response, error) {
	a, r, err := h.decision(c, store.AidActApprove)
	if a == nil {
		return r, err
	}
	amount, err := parseAmount(c.FormString("amount"), "批准金额", true)
	if err != nil {
		return c.Refusal(err)
	}
	if amount == 0 {
		return bot.Warn("批准金额应大于 0；不批准请点「不予通过」。"), nil
	}
	k := h.kind(a.Kind)
	l, err := h.headroom(c, k, a.MemberID, a.SelfPaidFen)
	if err != nil {
		return nil, err
	}
	if l.max >= 0 && amount > l.max {
		return bot.Warn(fmt.Sprintf("超过上限，未批准：本次最多可批 %s（%s）。", yuan(l.max), strings.Join(l.why, "；"))), nil
	}
	local := c.Now.In(h.Loc)
	ch := store.AidChange{Set: map[string]any{"approved_fen": amount, "approved_at": c.Now, "ledger_year": local.Year(),
		"ledger_month": int(local.Month())}, Detail: fmt.Sprintf("%d", amount)}
	step := store.AidStepApprove
	toast := "已批准 " + yuan(amount) + "。"
	consented := false
	if k.Publicity && a.Publicity {
		if consented, err = c.Tx.HasConsent(c.Ctx, a.MemberID, store.PurposeAidPublicity, publicityVersion(h)); err != nil {
			return nil, err
		}
	}
	if consented && h.cfg.PublicityChat != "" {
		if err := h.cal.Reload(c.Ctx); err != nil {
			return nil, err
		}
		step = store.AidStepPublicize
		ch.Set["publicity_until"] = h.cal.AddWorkdays(local, h.cfg.PublicityWorkdays).Format("2006-01-02")
		toast += "公示已发布。"
	} else if k.Publicity {
		toast += "申请人未同意公示（或未配置公示群），本申请不公示。"
	}
	if err := c.Tx.StepAid(c.Ctx, a, step, c.Sender.OpenID, ch); err != nil {
		return c.Refusal(err)
	}
	if step == store.AidStepPublicize {
		a, err = c.Tx.AidCaseByID(c.Ctx, a.ID)
		if err != nil {
			return nil, err
		}
		if _, err := livecard.Post(c.Ctx, c.Tx, liveKind, a.ID, h.cfg.PublicityChat, PublicityCard(a, k, h.cfg.PublicityShowAmount, false)); err != nil {
			return nil, err
		}
	}
	return h.decided(c, a, toast)
}

// pay records the payment (date and voucher number) and closes the case.
func (h *Handlers) pay(c *bot.Context) (*bot.Response, error) {
	a, r, err := h.decision(c, store.AidActPay)
	if a == nil {
		return r, err
	}
	on := strings.TrimSpace(c.FormString("paid_on"))
	if len(on) >= 10 {
		on = on[:10]
	}
	if _, err := h.cal.Parse(on); err != nil {
		return bot.Warn("请选择发放日期。"), nil
	}
	voucher := strings.TrimSpace(c.FormString("voucher"))
	if voucher == "" || utf8.RuneCountInString(voucher) > 64 {
		return bot.Warn("请填写凭证号（最多 64 字）。"), nil
	}
	if err := c.Tx.StepAid(c.Ctx, a, store.AidStepPay, c.Sender.OpenID, store.AidChange{
		Set: map[string]any{"paid_on": on, "voucher": voucher}, Detail: on}); err != nil {
		return c.Refusal(err)
	}
	return h.decided(c, a, "已登记发放，申请已办结。")
}

// queue is 帮扶审核: the cases waiting for the sender's step.
func (h *Handlers) queue(c *bot.Context) (*bot.Response, error) {
	v := viewer(c)
	var cs []*store.AidCase
	add := func(branch int64, action string, states ...string) error {
		got, err := c.Tx.AidCasesInStates(c.Ctx, branch, states...)
		for _, a := range got {
			if store.AidCan(v, a, action) && !slices.ContainsFunc(cs, func(x *store.AidCase) bool { return x.ID == a.ID }) {
				cs = append(cs, a)
			}
		}
		return err
	}
	var err error
	if slices.Contains(v.Roles, store.RoleBranchChair) && v.BranchID != 0 {
		err = add(v.BranchID, store.AidActBranch, store.AidBranchReview)
	}
	if err == nil {
		err = add(0, store.AidActUnion, store.AidUnionReview)
	}
	if err == nil {
		err = add(0, store.AidActApprove, store.AidApproval)
	}
	if err == nil {
		err = add(0, store.AidActPay, store.AidApproved)
	}
	if err == nil {
		err = add(0, store.AidActRevoke, store.AidPublicity)
	}
	if err != nil {
		return nil, err
	}
	if slices.Contains(v.Roles, store.RoleOfficer) {
		// Requests the officer opened on members' behalf that wait for them (to fill in, send
		// materials, submit or resubmit).
		mine, err := c.Tx.AidCasesOpenedFor(c.Ctx, v.MemberID)
		if err != nil {
			return nil, err
		}
		cs = append(cs, mine...)
	}
	cd := ListCard("待我审核的帮扶申请", "目前没有等待你审核的帮扶申请。", cs, h.cfg.Kinds)
	if c.ChatType != "" && c.ChatType != "p2p" {
		return nil, sendCard(c, c.Sender.OpenID, cd)
	}
	return bot.ReplyCard(cd), nil
}
