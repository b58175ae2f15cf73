package aid

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// consented reports whether the sender's consent to the current aid text stands.
func (h *Handlers) consented(c *bot.Context) (bool, error) {
	return privacy.HasConsent(c, h.Config, store.PurposeAid)
}

// consentCard is the separate consent of aid requests (privacy's text), continuing with
// actConsent.
func (h *Handlers) consentCard() *card.Card {
	t, _ := privacy.TextOf(h.Config, store.PurposeAid)
	return privacy.ConsentCard(t, card.Action(actConsent))
}

// apply is 申请帮扶: 1:1 only. Asked in a group, the answer goes 1:1 and the group sees
// nothing. The consent card first; once consented, the kinds.
func (h *Handlers) apply(c *bot.Context) (*bot.Response, error) {
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	ok, err := h.consented(c)
	if err != nil {
		return nil, err
	}
	cd := KindsCard(h.cfg.Kinds)
	if !ok {
		cd = h.consentCard()
	}
	if c.ChatType != "p2p" {
		// Nothing in the group: not even that the member asked.
		if err := c.SendTo(c.Sender.OpenID, bot.Text("帮扶申请涉及个人敏感信息，只在与我的单聊中办理。请在这里继续：")); err != nil {
			return nil, err
		}
		return nil, sendCard(c, c.Sender.OpenID, cd)
	}
	return bot.ReplyCard(cd), nil
}

// consent records the member's consent to the version they read (privacy.Accept), then shows
// the kinds.
func (h *Handlers) consent(c *bot.Context) (*bot.Response, error) {
	if r, err := privacy.Accept(c, h.Config, store.PurposeAid); r != nil || err != nil {
		return r, err
	}
	if officer := c.Int("officer"); officer != 0 {
		if r, err := h.consentedOnBehalf(c, officer, c.String("kind")); r != nil || err != nil {
			return r, err
		}
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已记录你的同意，请选择帮扶类别。"}, Card: KindsCard(h.cfg.Kinds)}, nil
}

// publicityConsent records the separate consent to a 公示 (privacy.Accept), then shows the
// case.
func (h *Handlers) publicityConsent(c *bot.Context) (*bot.Response, error) {
	if r, err := privacy.Accept(c, h.Config, store.PurposeAidPublicity); r != nil || err != nil {
		return r, err
	}
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !store.AidCan(viewer(c), a, store.AidActView) {
		return denied, nil
	}
	r, err := h.cardOf(c, a.ID)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: "已记录你对公示的单独同意。"}
	return r, nil
}

// mayApply checks, before anything is written, that the member may ask for kind this year:
// self-application allowed, enrolled in a fund, the family's claim still free.
func (h *Handlers) mayApply(c *bot.Context, k *config.AidKind, memberID, exceptCase int64) error {
	return h.mayApplyAs(c, k, memberID, exceptCase, "你")
}

// mayApplyFor is mayApply for a member other than the sender (an officer acting for them):
// the answers name the member.
func (h *Handlers) mayApplyFor(c *bot.Context, k *config.AidKind, m *store.Member, exceptCase int64) error {
	who := "你"
	if m.ID != c.Sender.MemberID {
		who = m.Name
	}
	return h.mayApplyAs(c, k, m.ID, exceptCase, who)
}

func (h *Handlers) mayApplyAs(c *bot.Context, k *config.AidKind, memberID, exceptCase int64, who string) error {
	year := h.year(c.Now)
	if k.Enrolment() {
		ok, err := c.Tx.AidEnrolled(c.Ctx, year, memberID)
		if err != nil {
			return err
		}
		if !ok {
			return store.Errorf(store.EINVALID, "「%s」仅限 %d 年已参加互助（%s/年）的会员申请，%s尚未登记参加。如已缴费，请联系工会干事登记。",
				k.Name, year, yuan(k.EnrolmentFeeFen), who)
		}
	}
	if k.OnePerFamily {
		fam, err := c.Tx.AidFamily(c.Ctx, memberID)
		if err != nil {
			return err
		}
		id, err := c.Tx.AidFamilyClaim(c.Ctx, fam, k.Code, year)
		if err != nil {
			return err
		}
		if id != 0 && id != exceptCase {
			return store.Errorf(store.ECONFLICT, "「%s」每户每年限一人申请：%s或%s的家庭成员今年已申请过（申请 %d）。", k.Name, who, who, id)
		}
	}
	return nil
}

// form opens the kind's form: new (kind) or the case's own (case_id).
func (h *Handlers) form(c *bot.Context) (*bot.Response, error) {
	if c.ChatType != "" && c.ChatType != "p2p" {
		return bot.Warn("帮扶申请只在单聊中办理。"), nil
	}
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	var a *store.AidCase
	var d Details
	k := h.cfg.Kinds.Kind(c.String("kind"))
	if id := c.Int("case_id"); id != 0 {
		var err error
		if a, err = c.Tx.AidCaseByID(c.Ctx, id); err != nil {
			return c.Refusal(err)
		}
		if !store.AidCan(viewer(c), a, store.AidActEdit) {
			return bot.Warn("该申请已提交或不属于你，不能修改。"), nil
		}
		k = h.kind(a.Kind)
		if d, err = h.openDetails(a); err != nil {
			return nil, err
		}
		if err := c.Tx.AuditRead(c.Ctx, viewing(c, a, "form")); err != nil {
			return nil, err
		}
	} else {
		if k == nil || !k.MayApply(config.AidBySelf) {
			return bot.Warn("该帮扶类别不接受本人申请，请联系工会干事。"), nil
		}
		if ok, err := h.consented(c); err != nil || !ok {
			if err != nil {
				return nil, err
			}
			return &bot.Response{Toast: &bot.Toast{Type: "warning", Text: "请先阅读并同意个人信息处理同意书。"}, Card: h.consentCard()}, nil
		}
		if err := h.mayApply(c, k, c.Sender.MemberID, 0); err != nil {
			return c.Refusal(err)
		}
	}
	var forMember *store.Member
	if a != nil && a.MemberID != c.Sender.MemberID {
		forMember = &store.Member{ID: a.MemberID, Name: a.MemberName, BranchName: a.BranchName}
	}
	return bot.ReplyCard(formCard(k, a, d, h.cfg.MaterialMaxMB, h.cfg.MaterialTypes, forMember)), nil
}

// parseAmount reads an amount in 元 from a form field ("" is 0).
func parseAmount(s, label string, required bool) (int64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "元"))
	if s == "" {
		if required {
			return 0, store.Errorf(store.EINVALID, "请填写%s。", label)
		}
		return 0, nil
	}
	fen, err := config.ParseYuan(strings.ReplaceAll(s, ",", ""))
	if err != nil || fen > store.MaxAidFen {
		return 0, store.Errorf(store.EINVALID, "%s应为金额（元，最多两位小数），如 1200 或 1200.50。", label)
	}
	return fen, nil
}

// save stores the form: a new draft (after the checks; opened by the member, or by an officer
// on a member's behalf: "for"), or the draft's new text. The applicant's consent must stand.
func (h *Handlers) save(c *bot.Context) (*bot.Response, error) {
	if c.ChatType != "" && c.ChatType != "p2p" {
		return bot.Warn("帮扶申请只在单聊中办理。"), nil
	}
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	var a *store.AidCase
	var m *store.Member // the member an officer opens a new request for
	k := h.cfg.Kinds.Kind(c.String("kind"))
	switch id, forID := c.Int("case_id"), c.Int("for"); {
	case id != 0:
		var err error
		if a, err = c.Tx.AidCaseByID(c.Ctx, id); err != nil {
			return c.Refusal(err)
		}
		if !store.AidCan(viewer(c), a, store.AidActEdit) {
			return bot.Warn("该申请已提交或不属于你，不能修改。"), nil
		}
		if !fresh(c, a) {
			return h.stale(c, a)
		}
		k = h.kind(a.Kind)
	case forID != 0:
		var refusal *bot.Response
		var err error
		if m, k, refusal, err = h.behalfMember(c, c.String("kind"), forID, ""); refusal != nil || err != nil {
			return refusal, err
		}
	case k == nil || !k.MayApply(config.AidBySelf):
		return bot.Warn("该帮扶类别不接受本人申请，请联系工会干事。"), nil
	}
	applicant := c.Sender.MemberID
	switch {
	case a != nil:
		applicant = a.MemberID
	case m != nil:
		applicant = m.ID
	}
	ok, err := h.memberConsented(c, applicant)
	if err != nil {
		return nil, err
	}
	if !ok {
		if applicant != c.Sender.MemberID {
			return bot.Warn("申请人本人尚未同意（或已撤回）个人信息处理同意书，未保存任何信息。"), nil
		}
		return &bot.Response{Toast: &bot.Toast{Type: "warning", Text: "请先阅读并同意个人信息处理同意书，未同意前不会保存任何信息。"},
			Card: h.consentCard()}, nil
	}
	text := strings.TrimSpace(c.FormString("text"))
	switch n := utf8.RuneCountInString(text); {
	case n == 0:
		return bot.Warn("请填写申请事由及情况说明。"), nil
	case n > store.MaxAidText:
		return bot.Warn(fmt.Sprintf("情况说明太长（最多 %d 字，现有 %d 字）。", store.MaxAidText, n)), nil
	}
	requested, err := parseAmount(c.FormString("requested"), "申请金额", false)
	if err != nil {
		return c.Refusal(err)
	}
	var selfPaid int64
	if k.Formula != nil {
		if selfPaid, err = parseAmount(c.FormString("self_paid"), "自付医疗费用", true); err != nil {
			return c.Refusal(err)
		}
	}
	publicity := k.Publicity && c.FormString("publicity") == "yes"
	created := a == nil
	if created {
		a = &store.AidCase{MemberID: c.Sender.MemberID, OpenedBy: c.Sender.MemberID, Kind: k.Code, SelfPaidFen: selfPaid,
			RequestedFen: requested}
		if m != nil {
			a.MemberID, a.BranchID = m.ID, m.BranchID // mayApplyFor checked in behalfMember
		} else {
			if err := h.mayApply(c, k, c.Sender.MemberID, 0); err != nil {
				return c.Refusal(err)
			}
			if c.Sender.Member != nil {
				a.BranchID = c.Sender.Member.BranchID
			}
		}
		if err := c.Tx.CreateAidCase(c.Ctx, a, c.Sender.OpenID); err != nil {
			return nil, err
		}
	}
	a.SelfPaidFen, a.RequestedFen, a.Publicity = selfPaid, requested, publicity
	if err := c.Tx.SaveAidDetails(c.Ctx, a, a.Version, c.Sender.OpenID); err != nil {
		return c.Refusal(err)
	}
	if err := h.sealDetails(c, a, Details{Text: text}); err != nil {
		return nil, err
	}
	onBehalf := a.MemberID != c.Sender.MemberID
	toast := "已保存。请把材料的照片或文件发送到本对话，然后点「提交申请」。"
	if onBehalf && created {
		// The member is told (neutrally) that a request was opened for them; they see it.
		if err := notify(c, []string{m.OpenID}, a.ID, msgProgress); err != nil {
			return nil, err
		}
	}
	if publicity {
		has, err := c.Tx.HasConsent(c.Ctx, a.MemberID, store.PurposeAidPublicity, publicityVersion(h))
		if err != nil {
			return nil, err
		}
		t, _ := privacy.TextOf(h.Config, store.PurposeAidPublicity)
		cd := privacy.ConsentCard(t, card.Action(actPubConsent).With("case_id", a.ID))
		switch {
		case !has && !onBehalf:
			// The 公示 needs its own consent (PIPL Art. 25): its card, continuing to the case.
			r := bot.ReplyCard(cd)
			r.Toast = &bot.Toast{Type: "success", Text: "已保存。你选择了同意公示，请阅读公示的单独同意书。"}
			return r, nil
		case !has:
			// Only the member can consent to their 公示: the card goes to them.
			a2, err := c.Tx.AidCaseByID(c.Ctx, a.ID)
			if err != nil {
				return nil, err
			}
			if err := sendCard(c, a2.MemberOpenID, cd); err != nil {
				return nil, err
			}
			toast = "已保存。公示须本人单独同意，已请本人阅读公示同意书；未同意则批准后不公示。请发送材料后点「提交申请」。"
		}
	}
	r, err := h.cardOf(c, a.ID)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// submit sends the case on: to the applicant's branch chair (or straight to 校工会审核 when the
// 分工会 has no other chair), or back to the step that returned it. The kind's rules are
// checked again, and the family's claim for the year is taken.
func (h *Handlers) submit(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !store.AidCan(viewer(c), a, store.AidActEdit) {
		return denied, nil
	}
	if !fresh(c, a) {
		return h.stale(c, a)
	}
	ok, err := h.memberConsented(c, a.MemberID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if a.MemberID != c.Sender.MemberID {
			return bot.Warn("申请人本人尚未同意（或已撤回）个人信息处理同意书，不能提交。"), nil
		}
		return bot.Warn("请先阅读并同意个人信息处理同意书后再提交。"), nil
	}
	if a.Details == "" {
		return bot.Warn("请先填写并保存申请表。"), nil
	}
	k := h.kind(a.Kind)
	if err := h.mayApplyFor(c, k, &store.Member{ID: a.MemberID, Name: a.MemberName}, a.ID); err != nil {
		return c.Refusal(err)
	}
	n, err := c.Tx.CountAidMaterials(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if n == 0 && len(k.Materials) > 0 {
		return bot.Warn("请先发送至少一份材料（" + strings.Join(k.Materials, "、") + "）的照片或文件，再提交。"), nil
	}
	step, to := store.AidStepResubmit, []string(nil)
	if a.State == store.AidDraft {
		step = store.AidStepSubmitDirect
		if a.BranchID != 0 {
			chairs, err := c.Tx.OtherBranchChairs(c.Ctx, a.BranchID, a.MemberID)
			if err != nil {
				return nil, err
			}
			if chairs > 0 {
				step = store.AidStepSubmit
			}
		}
	}
	if k.OnePerFamily {
		fam, err := c.Tx.AidFamily(c.Ctx, a.MemberID)
		if err != nil {
			return nil, err
		}
		if err := c.Tx.ClaimAidFamily(c.Ctx, fam, k.Code, h.year(c.Now), a.ID); err != nil && a.State == store.AidDraft {
			return c.Refusal(err)
		}
	}
	ch := store.AidChange{Set: map[string]any{}}
	if a.State == store.AidDraft {
		ch.Set["submitted_at"] = c.Now
	}
	if err := c.Tx.StepAid(c.Ctx, a, step, c.Sender.OpenID, ch); err != nil {
		return c.Refusal(err)
	}
	if to, err = h.reviewers(c, a); err != nil {
		return nil, err
	}
	if err := notify(c, to, a.ID, msgPending); err != nil {
		return nil, err
	}
	r, err := h.cardOf(c, a.ID)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: "已提交，当前：" + store.AidStateNames[a.State] + "。"}
	return r, nil
}

// reviewers are the open_ids of those who decide a case in its state.
func (h *Handlers) reviewers(c *bot.Context, a *store.AidCase) ([]string, error) {
	switch a.State {
	case store.AidBranchReview:
		return c.Tx.BranchChairOpenIDs(c.Ctx, a.BranchID, a.MemberID)
	case store.AidUnionReview:
		return c.Tx.RoleOpenIDs(c.Ctx, a.MemberID, store.RoleOfficer)
	case store.AidApproval:
		return c.Tx.RoleOpenIDs(c.Ctx, a.MemberID, store.AidApprovers...)
	case store.AidApproved:
		return c.Tx.RoleOpenIDs(c.Ctx, a.MemberID, store.RoleOfficer)
	}
	return nil, nil
}

// withdraw: the applicant withdraws their request.
func (h *Handlers) withdraw(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !store.AidCan(viewer(c), a, store.AidActWithdraw) {
		return denied, nil
	}
	if !fresh(c, a) {
		return h.stale(c, a)
	}
	if err := c.Tx.StepAid(c.Ctx, a, store.AidStepWithdraw, c.Sender.OpenID, store.AidChange{}); err != nil {
		return c.Refusal(err)
	}
	r, err := h.cardOf(c, a.ID)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: "已撤回。"}
	return r, nil
}

// mine is 我的申请: the member's requests and where each is.
func (h *Handlers) mine(c *bot.Context) (*bot.Response, error) {
	cs, err := c.Tx.AidCasesByMember(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	cd := ListCard("我的帮扶申请", "你还没有帮扶申请。发送「申请帮扶」开始。", cs, h.cfg.Kinds)
	if c.ChatType != "" && c.ChatType != "p2p" {
		return nil, sendCard(c, c.Sender.OpenID, cd)
	}
	return bot.ReplyCard(cd), nil
}

// publicityVersion is the current version of the 公示 consent text.
func publicityVersion(h *Handlers) int {
	t, _ := privacy.TextOf(h.Config, store.PurposeAidPublicity)
	return t.Version
}
