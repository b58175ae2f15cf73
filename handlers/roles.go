package handlers

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// changeRole grants or revokes a role: "授权 张三 工会干事". The person is found by 工号, or by
// name when the name is unique; the role by its Chinese or English name.
func (h *handlers) changeRole(c *bot.Context, grant bool) (*bot.Response, error) {
	who, roleArg := strings.Join(c.Args[:len(c.Args)-1], " "), c.Args[len(c.Args)-1]
	role, ok := store.ParseRole(roleArg)
	if !ok || role == store.RoleMember {
		return bot.Warn(fmt.Sprintf("没有「%s」这个角色。可用角色：代表、分工会主席、工会干事、提案委员、主席、管理员", roleArg)), nil
	}
	m, err := h.findOne(c, who)
	if err != nil {
		return c.Refusal(err)
	}
	if !grant && role == store.RoleAdmin && h.isConfigAdmin(m.OpenID) {
		return bot.Warn(fmt.Sprintf("%s 是配置文件中的管理员，需在配置中移除", m.Display())), nil
	}
	roleName := store.RoleNames[role]
	var changed bool
	if grant {
		changed, err = c.Tx.GrantRole(c.Ctx, m.ID, role, c.Sender.OpenID)
	} else {
		changed, err = c.Tx.RevokeRole(c.Ctx, m.ID, role, c.Sender.OpenID)
	}
	if err != nil {
		return nil, err
	}
	if !changed {
		if grant {
			return bot.Info(fmt.Sprintf("%s 已经是%s。", m.Display(), roleName)), nil
		}
		return bot.Info(fmt.Sprintf("%s 并不是%s。", m.Display(), roleName)), nil
	}
	verb := "授予"
	if !grant {
		verb = "撤销"
	}
	if m.OpenID != "" && m.OpenID != c.Sender.OpenID {
		if err := c.SendTo(m.OpenID, bot.Text(fmt.Sprintf("工会管理员已为你%s「%s」角色。发送「菜单」查看可用功能。", verb, roleName))); err != nil {
			return nil, err
		}
	}
	return bot.Success(fmt.Sprintf("已为 %s %s「%s」。", m.Display(), verb, roleName)), nil
}

// findOne finds exactly one member by 工号 or name, or explains why not.
func (h *handlers) findOne(c *bot.Context, q string) (*store.Member, error) {
	found, err := c.Tx.FindMembers(c.Ctx, q, 6)
	if err != nil {
		return nil, err
	}
	var exact []*store.Member
	for _, m := range found {
		if m.EmployeeNo == q || m.OpenID == q || m.Name == q {
			exact = append(exact, m)
		}
	}
	if len(exact) == 1 {
		return exact[0], nil
	}
	if len(exact) == 0 && len(found) == 1 {
		return found[0], nil
	}
	if len(found) == 0 {
		return nil, store.Errorf(store.ENOTFOUND, "找不到「%s」。请使用工号或完整姓名；对方需先导入名单或给我发过消息。", q)
	}
	var names []string
	for _, m := range found {
		names = append(names, fmt.Sprintf("%s（工号 %s）", m.Display(), orDash(m.EmployeeNo)))
	}
	return nil, store.Errorf(store.EINVALID, "「%s」对应多位成员：%s。请改用工号。", q, strings.Join(names, "；"))
}

func (h *handlers) listRoles(c *bot.Context) (*bot.Response, error) {
	holders, err := h.DB.RoleHolders(c.Ctx)
	if err != nil {
		return nil, err
	}
	byRole := map[string][]string{}
	for _, rh := range holders {
		byRole[rh.Role] = append(byRole[rh.Role], rh.Display())
	}
	var lines []string
	for _, role := range store.AllRoles[1:] {
		names := byRole[role]
		if role == store.RoleAdmin && len(h.Admins) > 0 {
			names = append(names, fmt.Sprintf("配置文件中 %d 位", len(h.Admins)))
		}
		if len(names) == 0 {
			names = []string{"—"}
		}
		lines = append(lines, fmt.Sprintf("**%s**：%s", store.RoleNames[role], strings.Join(names, "、")))
	}
	cd := card.New("角色名单").Color(card.Indigo).Add(card.Markdown(strings.Join(lines, "\n")),
		card.Note("授权：发送「授权 姓名或工号 角色」；撤销：发送「撤销 姓名或工号 角色」。"))
	return bot.ReplyCard(cd), nil
}
