package privacy

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
)

// ConsentCard is the separate consent card of t. Its 同意 button sends accept with the
// text's purpose and version added ("purpose", "version"): a flow passes its own action, whose
// handler calls Accept and then goes on (shows its form), or ActionAccept for a consent on
// its own. 不同意 (ActionDecline) stores nothing. The card is sensitive (no forwarding, a
// neutral summary).
func ConsentCard(t Text, accept card.Value) *card.Card {
	if accept == nil {
		accept = card.Action(ActionAccept)
	}
	accept = accept.With("purpose", t.Purpose).With("version", t.Version)
	return card.New(t.Title).Color(card.Indigo).Subtitle(fmt.Sprintf("第 %d 版 · 请阅读后选择", t.Version)).Add(
		card.Markdown("**收集哪些信息**\n"+t.Collected),
		card.Markdown("**用于什么目的**\n"+t.Why),
		card.Markdown("**谁能看到**\n"+t.Who),
		card.Markdown("**保存多久**\n"+t.Kept),
		card.Markdown("**如何撤回**\n"+t.Withdraw),
		card.Note("这是一项单独同意，与其他功能的同意互不影响。不同意不会保存你的任何信息。"),
		card.Buttons(
			card.Button{Text: card.T("同意并继续"), Type: card.Primary, Value: accept},
			card.Button{Text: card.T("不同意"), Value: card.Action(ActionDecline).With("purpose", t.Purpose)},
		),
	).Sensitive("工会助手：请阅读个人信息处理同意书")
}

// HasConsent reports whether the sender has a standing consent to the current text of
// purpose. Flows call it (or Require) before they store anything of the member's.
func HasConsent(c *bot.Context, cfg *config.Config, purpose string) (bool, error) {
	t, ok := TextOf(cfg, purpose)
	if !ok {
		return false, fmt.Errorf("privacy: unknown purpose %q", purpose)
	}
	return c.Tx.HasConsent(c.Ctx, c.Sender.MemberID, purpose, t.Version)
}

// Require returns nil when the sender has a standing consent to purpose. Otherwise it returns
// the answer that asks for it (the consent card, in place in a 1:1 chat and sent 1:1 when
// asked in a group, the group seeing only a neutral line), and the flow returns that answer
// and stores nothing. accept is the flow's action that continues after 同意 (see
// ConsentCard).
func Require(c *bot.Context, cfg *config.Config, purpose string, accept card.Value) (*bot.Response, error) {
	ok, err := HasConsent(c, cfg, purpose)
	if err != nil || ok {
		return nil, err
	}
	t, _ := TextOf(cfg, purpose)
	return ReplyPrivate(c, ConsentCard(t, accept), "请在与我的单聊中继续。")
}

// Accept records the sender's consent from a click on a consent card (its "purpose" and
// "version"), audited. It returns nil when the consent stands (recorded now or before); a
// non-nil response is the answer to return instead: a card of an older version of the text
// (stale: 同意书已更新, with the current card, nothing written) or an unknown purpose.
func Accept(c *bot.Context, cfg *config.Config, purpose string) (*bot.Response, error) {
	t, ok := TextOf(cfg, purpose)
	if !ok || c.String("purpose") != purpose {
		return bot.Warn("这张同意书无效，请重新发起。"), nil
	}
	if int(c.Int("version")) != t.Version {
		r := bot.Warn("同意书已更新，请阅读新版本后再选择。")
		r.Card = ConsentCard(t, c.Value)
		return r, nil
	}
	if _, err := c.Tx.AcceptConsent(c.Ctx, c.Sender.MemberID, purpose, t.Version, c.Sender.OpenID); err != nil {
		return nil, err
	}
	return nil, nil
}

// accept is ActionAccept: a consent given on its own (no flow to continue).
func (h *Handlers) accept(c *bot.Context) (*bot.Response, error) {
	purpose := c.String("purpose")
	if r, err := Accept(c, h.Config, purpose); r != nil || err != nil {
		return r, err
	}
	r := bot.ReplyCard(card.New("已同意").Color(card.Green).Add(
		card.Markdown(fmt.Sprintf("你已同意「%s」的个人信息处理规则。可随时发送「我的数据」查看或撤回。", PurposeName(purpose)))).
		Sensitive("工会助手：已记录你的选择"))
	r.Toast = &bot.Toast{Type: "success", Text: "已记录你的同意。"}
	return r, nil
}

// decline is ActionDecline: nothing is stored.
func (h *Handlers) decline(c *bot.Context) (*bot.Response, error) {
	r := bot.ReplyCard(card.New("未同意").Color(card.Grey).Add(
		card.Markdown(fmt.Sprintf("你没有同意「%s」的个人信息处理规则，系统没有保存你的任何信息。需要时可重新发起。", PurposeName(c.String("purpose"))))).
		Sensitive("工会助手：已记录你的选择"))
	r.Toast = &bot.Toast{Type: "info", Text: "未保存任何信息。"}
	return r, nil
}
