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

// Deps are what every flow gets, in Register and RegisterJobs alike. A flow keeps them in its
// handler struct (embedded) and reads its own configuration section from Config.
type Deps struct {
	DB     *store.DB
	Admins []string // open_ids holding the admin role by configuration
	Log    *slog.Logger
	Loc    *time.Location // the union's time zone, for showing times
	// Config is the whole configuration (security.data_key, signup.*, tasks.*): always set in
	// production; tests set what they need or leave it nil for the defaults (WithDefaults).
	Config *config.Config
	// Resources fetches the images and files members send 1:1 (aid materials); nil where
	// nothing is fetched (most tests).
	Resources bot.Resources
}

// WithDefaults returns d with what a test may leave out filled in: UTC, the default logger and
// the default configuration. Every flow's Register and RegisterJobs start with it.
func (d Deps) WithDefaults() Deps {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Config == nil {
		d.Config = config.Default()
	}
	return d
}

type handlers struct {
	Deps
	router *bot.Router
}

func (h *handlers) isConfigAdmin(openID string) bool { return slices.Contains(h.Admins, openID) }
