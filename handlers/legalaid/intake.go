package legalaid

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// start answers 法律援助: the consent card first; then the member's cases (with 新的咨询), or
// the intake form when they have none. Always 1:1: asked in a group, the group sees a neutral
// line only.
func (h *Handlers) start(c *bot.Context) (*bot.Response, error) {
	if r, err := privacy.Require(c, h.Config, store.PurposeLegal, card.Action(actConsent)); r != nil || err != nil {
		return r, err
	}
	cases, err := c.Tx.LegalCasesOf(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	var cd *card.Card
	if len(cases) == 0 {
		cd = IntakeForm(h.today(c.Now))
	} else {
		cd = MyCasesCard(cases)
	}
	return privacy.ReplyPrivate(c, cd, "法律援助请在与我的单聊中办理，已私信发给你。")
}

// consent records 同意 on the consent card, then shows the intake form.
func (h *Handlers) consent(c *bot.Context) (*bot.Response, error) {
	if r, err := privacy.Accept(c, h.Config, store.PurposeLegal); r != nil || err != nil {
		return r, err
	}
	r := bot.ReplyCard(IntakeForm(h.today(c.Now)))
	r.Toast = &bot.Toast{Type: "success", Text: "已记录你的同意，请填写登记表。"}
	return r, nil
}

// newForm is 新的咨询: the intake form (after consent).
func (h *Handlers) newForm(c *bot.Context) (*bot.Response, error) {
	if r, err := privacy.Require(c, h.Config, store.PurposeLegal, card.Action(actConsent)); r != nil || err != nil {
		return r, err
	}
	return bot.ReplyCard(IntakeForm(h.today(c.Now))), nil
}

// submit takes the intake form: refused without a standing consent (the consent card is
// shown again and nothing is stored), or when a field is wrong; otherwise the case is stored
// with its texts sealed, the conflict flag set, the legal-aid officers told (neutrally), and
// the member shown the case.
func (h *Handlers) submit(c *bot.Context) (*bot.Response, error) {
	ok, err := privacy.HasConsent(c, h.Config, store.PurposeLegal)
	if err != nil {
		return nil, err
	}
	if !ok {
		t, _ := privacy.TextOf(h.Config, store.PurposeLegal)
		r := bot.Warn("请先阅读并同意个人信息处理规则，未同意前不会保存任何内容。")
		r.Card = privacy.ConsentCard(t, card.Action(actConsent))
		return r, nil
	}
	if !h.keys.Enabled() {
		return bot.Fail("系统尚未配置数据加密密钥，暂不能受理法律援助。请联系工会管理员。"), nil
	}
	date, _ := store.ParseDate(c.FormString("dispute_date"))
	in := &store.LegalIntake{MemberID: c.Sender.MemberID, Category: c.FormString("category"), Urgent: c.FormString("urgent") == "urgent",
		Facts: c.FormString("facts"), OtherParty: c.FormString("other_party"), DisputeDate: date, Today: h.today(c.Now)}
	if err := store.ValidateLegalIntake(in); err != nil {
		return c.Refusal(err)
	}
	if in.Conflict, err = c.Tx.LegalConflict(c.Ctx, in.OtherParty, h.Cfg.SchoolNames); err != nil {
		return nil, err
	}
	id, err := c.Tx.CreateLegalCase(c.Ctx, in, store.Sensitive{Keys: h.keys, Text: in.Facts},
		store.Sensitive{Keys: h.keys, Text: in.OtherParty}, c.Sender.OpenID)
	if err != nil {
		return c.Refusal(err)
	}
	officers, err := h.staffOpenIDs(c.Ctx, store.RoleLegalOfficer)
	if err != nil {
		return nil, err
	}
	for _, to := range officers {
		if err := privacy.Notify(c, to, "你有一条法律援助申请待处理。", "查看", card.Action(actShow).With("case_id", id)); err != nil {
			return nil, err
		}
	}
	msg := fmt.Sprintf("已登记（编号 %d），法律援助专员会与你联系。可以预约值班律师。", id)
	if len(officers) == 0 {
		msg = fmt.Sprintf("已登记（编号 %d）。可以预约值班律师。", id)
	}
	return h.showAfter(c, id, msg)
}
