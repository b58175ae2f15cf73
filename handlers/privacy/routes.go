package privacy

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
)

// Card action names. The consent card's buttons carry "purpose" and "version" (the text's).
const (
	// ActionAccept records a consent given on its own (purpose, version); flows that continue
	// after consent use their own action and call Accept.
	ActionAccept = "privacy.accept"
	// ActionDecline answers 不同意 (purpose): nothing is stored.
	ActionDecline = "privacy.decline"
)

// Register adds the privacy actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	h := New(d)
	r.Action(bot.Action{Name: ActionAccept, Handler: h.accept})
	r.Action(bot.Action{Name: ActionDecline, Handler: h.decline})
}
