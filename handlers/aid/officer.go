package aid

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// emergencyForm is 帮扶登记: the form of a case an officer opens and approves at once.
func (h *Handlers) emergencyForm(c *bot.Context) (*bot.Response, error) {
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	cd := EmergencyForm(h.cfg.Kinds)
	if c.ChatType != "" && c.ChatType != "p2p" {
		return nil, sendCard(c, c.Sender.OpenID, cd)
	}
	return bot.ReplyCard(cd), nil
}

// emergency records an emergency case (送温暖, a death in the family): the ceilings and the
// family rule apply as to any other, and it is recorded in full (who opened and approved it,
// the sealed note, the amount in the ledger).
func (h *Handlers) emergency(c *bot.Context) (*bot.Response, error) {
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	k := h.cfg.Kinds.Kind(c.FormString("kind"))
	if k == nil || !k.Emergency {
		return bot.Warn("请选择可紧急办理的帮扶类别。"), nil
	}
	m, err := c.Tx.MemberByEmployeeNo(c.Ctx, strings.TrimSpace(c.FormString("employee_no")))
	if err != nil {
		return bot.Warn("找不到该工号的会员。"), nil
	}
	if m.ID == c.Sender.MemberID {
		return bot.Warn("不能为自己登记帮扶。"), nil
	}
	amount, err := parseAmount(c.FormString("amount"), "金额", true)
	if err != nil {
		return c.Refusal(err)
	}
	if amount == 0 {
		return bot.Warn("金额应大于 0。"), nil
	}
	text := strings.TrimSpace(c.FormString("note"))
	if text == "" || utf8.RuneCountInString(text) > store.MaxAidText {
		return bot.Warn(fmt.Sprintf("请填写情况说明（最多 %d 字）。", store.MaxAidText)), nil
	}
	if err := h.mayApply(c, k, m.ID, 0); err != nil {
		return c.Refusal(err)
	}
	l, err := h.headroom(c, k, m.ID, 0)
	if err != nil {
		return nil, err
	}
	if l.max >= 0 && amount > l.max {
		return bot.Warn(fmt.Sprintf("超过上限，未登记：最多可批 %s（%s）。", yuan(l.max), strings.Join(l.why, "；"))), nil
	}
	a := &store.AidCase{MemberID: m.ID, BranchID: m.BranchID, Kind: k.Code, OpenedBy: c.Sender.MemberID, ApprovedFen: amount}
	if err := c.Tx.CreateEmergencyAid(c.Ctx, a, h.Loc, c.Sender.OpenID); err != nil {
		return nil, err
	}
	if err := h.sealDetails(c, a, Details{Text: text}); err != nil {
		return nil, err
	}
	if k.OnePerFamily {
		fam, err := c.Tx.AidFamily(c.Ctx, m.ID)
		if err != nil {
			return nil, err
		}
		if err := c.Tx.ClaimAidFamily(c.Ctx, fam, k.Code, a.LedgerYear, a.ID); err != nil {
			return c.Refusal(err)
		}
	}
	a, err = c.Tx.AidCaseByID(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	return h.decided(c, a, fmt.Sprintf("已登记并批准 %s，请在发放后登记凭证号。", yuan(amount)))
}

// members reads the 工号 arguments of a command, refusing unknown ones by name.
func members(c *bot.Context) ([]*store.Member, *bot.Response, error) {
	var out []*store.Member
	var unknown []string
	for _, no := range c.Args {
		m, err := c.Tx.MemberByEmployeeNo(c.Ctx, no)
		if err != nil {
			if store.ErrorCode(err) == store.ENOTFOUND {
				unknown = append(unknown, no)
				continue
			}
			return nil, nil, err
		}
		if !slices.ContainsFunc(out, func(x *store.Member) bool { return x.ID == m.ID }) {
			out = append(out, m)
		}
	}
	if len(unknown) > 0 {
		return nil, bot.Warn("找不到这些工号：" + strings.Join(unknown, "、") + "。未作任何登记。"), nil
	}
	return out, nil, nil
}

// enrol is 大病互助登记: members enrolled in the fund for this year.
func (h *Handlers) enrol(c *bot.Context) (*bot.Response, error) {
	var fund *int64
	for _, k := range h.cfg.Kinds {
		if k.Enrolment() {
			fee := k.EnrolmentFeeFen
			fund = &fee
			break
		}
	}
	if fund == nil {
		return bot.Warn("没有配置需要登记参加的互助类别（aid.kinds 的 enrolment_fee）。"), nil
	}
	ms, refusal, err := members(c)
	if refusal != nil || err != nil {
		return refusal, err
	}
	year := h.year(c.Now)
	var added, already []string
	for _, m := range ms {
		ok, err := c.Tx.EnrolAid(c.Ctx, year, m.ID, *fund, c.Sender.OpenID)
		if err != nil {
			return nil, err
		}
		if ok {
			added = append(added, m.Name)
		} else {
			already = append(already, m.Name)
		}
	}
	text := fmt.Sprintf("%d 年大病互助：新登记 %d 人", year, len(added))
	if len(already) > 0 {
		text += fmt.Sprintf("，%d 人此前已登记（%s）", len(already), strings.Join(already, "、"))
	}
	return bot.Success(text + "。"), nil
}

// family is 家庭登记: members declared as one family (one applicant per family).
func (h *Handlers) family(c *bot.Context) (*bot.Response, error) {
	ms, refusal, err := members(c)
	if refusal != nil || err != nil {
		return refusal, err
	}
	if len(ms) < 2 {
		return bot.Warn("请给出同一家庭的至少两位会员的工号。"), nil
	}
	ids := make([]int64, len(ms))
	nos := make([]string, len(ms))
	for i, m := range ms {
		ids[i], nos[i] = m.ID, m.EmployeeNo
	}
	slices.Sort(nos)
	if err := c.Tx.DeclareAidFamily(c.Ctx, "F"+nos[0], ids, c.Sender.OpenID); err != nil {
		return nil, err
	}
	return bot.Success(fmt.Sprintf("已登记为同一家庭：%s（工号 %s）。", names(ms), strings.Join(nos, "、"))), nil
}

func names(ms []*store.Member) string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.Name
	}
	return strings.Join(out, "、")
}
