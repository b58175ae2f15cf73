package signup

import "github.com/unionbot/unionbot/bot"

// registerAdmin registers the officer side of sign-ups (新建活动, 活动管理, edit, cancel,
// publish, 导出, the reminder opt-out); the routes are in activity_routes.go. The member side
// is registered by registerMember (signup_routes.go); the two must not register the same
// command or action names.
func registerAdmin(r *bot.Router, h *handler) {
	a := &admin{db: h.db, loc: h.loc, log: h.log}
	if c := h.deps.Config; c != nil {
		a.defaultChats = c.Signup.DefaultChats
	}
	a.routes(r)
}
