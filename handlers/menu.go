package handlers

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// menu answers with the menu card: what this member may do, by role. It is also the answer to
// anything the bot does not understand.
func (h *handlers) menu(c *bot.Context) (*bot.Response, error) {
	return bot.ReplyCard(h.menuCard(c)), nil
}

func (h *handlers) menuCard(c *bot.Context) *card.Card {
	var b strings.Builder
	if c.Kind == bot.KindMessage && c.Command != "" && c.Text != "" && !isMenuWord(c.Command) {
		fmt.Fprintf(&b, "没有听懂「%s」。", truncate(c.Text, 20))
	}
	if c.Sender.New || c.Sender.Name == PlaceholderName {
		b.WriteString("欢迎使用工会助手！请先点击「我的信息」完善姓名、工号和分工会。\n")
	}
	b.WriteString("发送下列命令（群聊中请先 @我）：")
	var lines []string
	for _, cmd := range h.router.Commands() {
		if !c.Sender.HasAny(cmd.Roles) {
			continue
		}
		usage := cmd.Usage
		if usage == "" {
			usage = cmd.Names[0]
		}
		alias := ""
		if len(cmd.Names) > 1 {
			alias = "（" + cmd.Names[1] + "）"
		}
		lines = append(lines, fmt.Sprintf("- **%s**%s：%s", usage, alias, cmd.Help))
	}
	roles := []string{store.RoleNames[store.RoleMember]}
	for _, r := range c.Sender.Roles {
		roles = append(roles, store.RoleNames[r])
	}
	buttons := []card.Button{{Text: card.T("我的信息"), Type: card.Primary, Value: card.Action(actProfileShow)}}
	if c.Sender.Has(store.RoleAdmin) {
		buttons = append(buttons,
			card.Button{Text: card.T("角色名单"), Value: card.Action(actRoles)},
			card.Button{Text: card.T("发送失败的消息"), Value: card.Action(actFailed)})
	}
	return card.NewText(card.I18n("工会助手", "Union assistant")).Color(card.Blue).
		Subtitle(c.Sender.Name+" · "+strings.Join(roles, "、")).
		Add(card.Markdown(b.String()), card.Markdown(strings.Join(lines, "\n")), card.Buttons(buttons...))
}

func isMenuWord(cmd string) bool {
	switch cmd {
	case "菜单", "帮助", "help", "menu", "?", "？":
		return true
	}
	return false
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
