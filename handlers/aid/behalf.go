package aid

import (
	"fmt"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/store"
)

// Applying on a member's behalf (代为申请): an officer (工会干事) opens a regular request for a
// member, of a kind whose configuration lets officers apply (applicants: officer). The
// member's own consent is still required (PIPL Art. 29): until it stands nothing about the
// request is stored; the member gets the aid consent card 1:1, which names the officer and
// the kind, and the officer is told (neutrally) when they accept, with a button to go on.
// Then the officer fills in the form, sends the materials into their own 1:1 chat and submits;
// the chain runs as for any request (分工会初审 by the member's own 分工会). The member is told
// that a request was opened for them and sees it (我的申请), may add materials and withdraw it.

// isOfficer reports whether the sender holds the officer role itself (an admin, who passes the
// router's role checks, is no role of the aid chain).
func isOfficer(c *bot.Context) bool { return slices.Contains(c.Sender.Roles, store.RoleOfficer) }

const msgNotOfficer = "只有工会干事可以代会员申请帮扶。"

// behalfKinds are the kinds officers may open on a member's behalf.
func behalfKinds(kinds config.AidKinds) []config.AidKind {
	var out []config.AidKind
	for _, k := range kinds {
		if k.MayApply(config.AidByOfficer) {
			out = append(out, k)
		}
	}
	return out
}

// BehalfCard is the officer's first step: the member (工号) and the kind.
func BehalfCard(kinds config.AidKinds, employeeNo string) *card.Card {
	c := card.New("代为申请帮扶").Subtitle("工会干事代会员申请，须会员本人同意").Color(card.Indigo).Sensitive(summary)
	var opts []card.Option
	for _, k := range behalfKinds(kinds) {
		opts = append(opts, card.Option{Text: card.T(k.Name), Value: k.Code})
	}
	if len(opts) == 0 {
		return c.Add(card.Markdown("没有配置可由工会干事代为申请的帮扶类别（aid.kinds 的 applicants: officer）。"))
	}
	return c.Add(
		card.Markdown("填写会员工号并选择帮扶类别。会员会在单聊中收到个人信息处理同意书；**本人同意后**才能填写申请，申请按正常流程审核（先由会员所在分工会初审）。"),
		card.Form("behalf",
			card.Input{Name: "employee_no", Label: card.T("会员工号"), Required: true, MaxLength: 32, Default: employeeNo},
			card.Select{Name: "kind", Label: card.T("帮扶类别"), Required: true, Options: opts},
			card.Buttons(card.Button{Text: card.T("下一步"), Type: card.Primary, Name: "next", Form: card.Submit, Value: card.Action(actBehalf)})))
}

// behalfCommand is 代为申请 [工号]: the officer's card, 1:1 only. Asked in a group, the
// officer is answered 1:1 and the group sees nothing (not even the 工号 they typed back).
func (h *Handlers) behalfCommand(c *bot.Context) (*bot.Response, error) {
	if !isOfficer(c) {
		return bot.Warn(msgNotOfficer), nil
	}
	if c.ChatType != "" && c.ChatType != "p2p" {
		return nil, c.SendTo(c.Sender.OpenID, bot.Text("代为申请涉及会员的个人敏感信息，只在与我的单聊中办理：请在这里发送「代为申请」。"))
	}
	if !h.keys.Enabled() {
		return bot.Warn(msgNoKey), nil
	}
	no := ""
	if len(c.Args) > 0 {
		no = c.Args[0]
	}
	return bot.ReplyCard(BehalfCard(h.cfg.Kinds, no)), nil
}

// field reads a form field, or the button's value of the same name (the notice's 继续 button
// carries them in its value).
func field(c *bot.Context, name string) string {
	if s := strings.TrimSpace(c.FormString(name)); s != "" {
		return s
	}
	return strings.TrimSpace(c.String(name))
}

// behalfMember checks who and what an on-behalf request is for, before anything is written:
// the sender is an officer, the kind lets officers apply, the member exists, is not the
// sender, and may ask for the kind this year. It returns the member and kind, or the refusal.
func (h *Handlers) behalfMember(c *bot.Context, kindCode string, memberID int64, employeeNo string) (*store.Member, *config.AidKind, *bot.Response, error) {
	if !isOfficer(c) {
		return nil, nil, bot.Warn(msgNotOfficer), nil
	}
	if !h.keys.Enabled() {
		return nil, nil, bot.Warn(msgNoKey), nil
	}
	k := h.cfg.Kinds.Kind(kindCode)
	if k == nil {
		return nil, nil, bot.Warn("请选择帮扶类别。"), nil
	}
	if !k.MayApply(config.AidByOfficer) {
		return nil, nil, bot.Warn(fmt.Sprintf("「%s」不接受工会干事代为申请，请会员本人发送「申请帮扶」申请。", k.Name)), nil
	}
	var m *store.Member
	var err error
	if memberID != 0 {
		m, err = c.Tx.MemberByID(c.Ctx, memberID)
	} else if employeeNo == "" {
		return nil, nil, bot.Warn("请填写会员工号。"), nil
	} else {
		m, err = c.Tx.MemberByEmployeeNo(c.Ctx, employeeNo)
	}
	if err != nil {
		if store.ErrorCode(err) == store.ENOTFOUND {
			return nil, nil, bot.Warn(fmt.Sprintf("找不到工号为 %s 的会员，未作任何登记。", employeeNo)), nil
		}
		return nil, nil, nil, err
	}
	if !m.Active {
		return nil, nil, bot.Warn(fmt.Sprintf("%s 不是在册会员，不能代为申请。", m.Name)), nil
	}
	if m.ID == c.Sender.MemberID {
		return nil, nil, bot.Warn("不能为自己代为申请；本人申请请发送「申请帮扶」。"), nil
	}
	if err := h.mayApplyFor(c, k, m, 0); err != nil {
		r, err := c.Refusal(err)
		return nil, nil, r, err
	}
	return m, k, nil, nil
}

// memberConsented reports whether the member's consent to the current aid text stands.
func (h *Handlers) memberConsented(c *bot.Context, memberID int64) (bool, error) {
	t, ok := privacy.TextOf(h.Config, store.PurposeAid)
	if !ok {
		return false, fmt.Errorf("aid: no consent text")
	}
	return c.Tx.HasConsent(c.Ctx, memberID, store.PurposeAid, t.Version)
}

// behalf is the officer's 下一步 (or the notice's 继续): with the member's consent standing,
// the kind's form for them; without it, the consent card goes to the member 1:1 and nothing
// is stored.
func (h *Handlers) behalf(c *bot.Context) (*bot.Response, error) {
	no := field(c, "employee_no")
	m, k, refusal, err := h.behalfMember(c, field(c, "kind"), 0, no)
	if refusal != nil || err != nil {
		return refusal, err
	}
	ok, err := h.memberConsented(c, m.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		if m.OpenID == "" {
			return bot.Warn(fmt.Sprintf("%s 还没有在飞书中使用过工会助手，无法请其本人同意。请会员先给工会助手发一条消息。", m.Name)), nil
		}
		t, _ := privacy.TextOf(h.Config, store.PurposeAid)
		cd := privacy.ConsentCard(t, card.Action(actConsent).With("officer", c.Sender.MemberID).With("kind", k.Code)).Prepend(
			card.Markdown(fmt.Sprintf("**工会干事 %s 拟代你申请「%s」。**代为申请需要你本人同意下面的个人信息处理规则；同意后，工会干事为你填写申请、提交材料，"+
				"申请按正常流程审核（先由你所在分工会初审）。你会收到通知，可随时发送「我的申请」查看或撤回。", md(c.Sender.Name), md(k.Name))))
		if err := sendCard(c, m.OpenID, cd); err != nil {
			return nil, err
		}
		r := bot.ReplyCard(card.New("等待会员同意").Color(card.Orange).Sensitive(summary).Add(
			card.Markdown(fmt.Sprintf("已请 **%s**（%s）在单聊中阅读并同意个人信息处理同意书。本人同意前不会保存任何申请信息；同意后你会收到通知，点「继续」即可填写「%s」申请。",
				md(m.Name), md(orNone(m.BranchName)), md(k.Name)))))
		r.Toast = &bot.Toast{Type: "info", Text: "已请会员本人同意，同意后会通知你。"}
		return r, nil
	}
	return bot.ReplyCard(formCard(k, nil, Details{}, h.cfg.MaterialMaxMB, h.cfg.MaterialTypes, m)), nil
}

func orNone(s string) string {
	if s == "" {
		return "无分工会"
	}
	return s
}

// consentedOnBehalf is what follows the member's 同意 on a consent card an officer asked for
// (its value names the officer and the kind): the officer is told, neutrally, with a button
// that goes on to the form; the member is told what happens next.
func (h *Handlers) consentedOnBehalf(c *bot.Context, officerID int64, kindCode string) (*bot.Response, error) {
	k := h.cfg.Kinds.Kind(kindCode)
	o, err := c.Tx.MemberByID(c.Ctx, officerID)
	if err != nil && store.ErrorCode(err) != store.ENOTFOUND {
		return nil, err
	}
	if o == nil || k == nil || o.ID == c.Sender.MemberID || o.OpenID == "" {
		return nil, nil // not a card the bot made: the consent stands, nothing more
	}
	roles, err := c.Tx.Roles(c.Ctx, o.ID)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(roles, store.RoleOfficer) {
		return nil, nil
	}
	no := ""
	if c.Sender.Member != nil {
		no = c.Sender.Member.EmployeeNo
	} else if m, err := c.Tx.MemberByID(c.Ctx, c.Sender.MemberID); err == nil {
		no = m.EmployeeNo
	}
	if err := privacy.Notify(c, o.OpenID, "你发起的代为申请：会员已同意个人信息处理，可以继续填写。", "继续",
		card.Action(actBehalf).With("employee_no", no).With("kind", k.Code)); err != nil {
		return nil, err
	}
	r := bot.ReplyCard(card.New("已同意").Color(card.Green).Sensitive(summary).Add(
		card.Markdown(fmt.Sprintf("已记录你的同意，并通知工会干事 %s 为你填写「%s」申请。填好后你会收到通知；可随时发送「我的申请」查看，或在「我的数据」中撤回同意。",
			md(o.Name), md(k.Name)))))
	r.Toast = &bot.Toast{Type: "success", Text: "已记录你的同意，已通知工会干事。"}
	return r, nil
}
