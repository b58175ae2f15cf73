package handlers

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// Card action names of the core flows: the menu, the profile, roles and failed deliveries.
const (
	actMenu        = "menu.show"     // the menu card
	actProfileShow = "profile.show"  // the profile form
	actProfileSave = "profile.save"  // submit the profile form
	actRoles       = "roles.list"    // who holds which role (admins)
	actFailed      = "outbox.failed" // the messages Feishu refused for good (admins)
)

// Register adds every command and card action of the core flows to the router, and the menu
// as the fallback for anything the bot does not understand.
func Register(r *bot.Router, d Deps) {
	h := &handlers{Deps: d.WithDefaults(), router: r}
	r.Command(bot.Command{Names: []string{"菜单", "帮助", "help", "menu", "?", "？"},
		Help: "显示你可以使用的功能", Handler: h.menu})
	r.Action(bot.Action{Name: actMenu, Handler: h.menu})
	r.Fallback(h.menu)

	r.Command(bot.Command{Names: []string{"我的信息", "profile", "me", "资料"},
		Help: "查看并完善你的姓名、工号、分工会", Handler: h.profileShow})
	r.Action(bot.Action{Name: actProfileShow, Handler: h.profileShow})
	r.Action(bot.Action{Name: actProfileSave, Handler: h.profileSave})

	r.Command(bot.Command{Names: []string{"授权", "grant"}, Roles: store.AdminOnly, MinArgs: 2,
		Usage: "授权 <姓名或工号> <角色>", Help: "授予角色（代表、分工会主席、工会干事、提案委员、主席、管理员）",
		Handler: func(c *bot.Context) (*bot.Response, error) { return h.changeRole(c, true) }})
	r.Command(bot.Command{Names: []string{"撤销", "revoke"}, Roles: store.AdminOnly, MinArgs: 2,
		Usage: "撤销 <姓名或工号> <角色>", Help: "撤销角色",
		Handler: func(c *bot.Context) (*bot.Response, error) { return h.changeRole(c, false) }})
	r.Command(bot.Command{Names: []string{"角色", "roles"}, Roles: store.AdminOnly,
		Help: "查看谁担任什么角色", Handler: h.listRoles})
	r.Action(bot.Action{Name: actRoles, Roles: store.AdminOnly, Handler: h.listRoles})

	r.Command(bot.Command{Names: []string{"发送失败", "failed"}, Roles: store.AdminOnly,
		Help: "查看最近发送失败的消息及原因", Handler: h.failedMessages})
	r.Action(bot.Action{Name: actFailed, Roles: store.AdminOnly, Handler: h.failedMessages})
}
