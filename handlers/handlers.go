// Package handlers holds the union's flows, one file per flow. Handlers know nothing about
// HTTP or the SDK: they get a bot.Context with the event's open transaction and return a
// toast, a card or a reply.
package handlers

import (
	"log/slog"
	"slices"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// Deps are what the handlers need.
type Deps struct {
	DB     *store.DB
	Admins []string // open_ids holding the admin role by configuration
	Log    *slog.Logger
	Loc    *time.Location // the union's time zone, for showing times
	// Config is the whole configuration, for flows with their own section (security.data_key,
	// signup.*). Nil in tests that need none: flows then use their defaults.
	Config *config.Config
}

// Register adds every command and card action to the router, and the menu as the fallback
// for anything the bot does not understand.
func Register(r *bot.Router, d Deps) {
	h := &handlers{Deps: d, router: r}
	h.registerMenu()
	h.registerProfile()
	h.registerRoles()
	h.registerOutbox()
}

type handlers struct {
	Deps
	router *bot.Router
}

func (h *handlers) isConfigAdmin(openID string) bool { return slices.Contains(h.Admins, openID) }
