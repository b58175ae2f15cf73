// Package signup is the union's activity sign-ups in chat: activities with items, seats,
// waitlists, the allocation lottery, teams and unit rosters, check-in, and the officer side
// (forms, publishing, export, reminders).
//
// The member-facing hot path (signup_*.go, team*.go, checkin*.go, card*.go, lists*.go) answers
// a click on 报名 in one short transaction: the store takes a seat with a conditional UPDATE of
// the activity's counter row (or the next waitlist position from its counter), and the answer
// goes back in the callback (a toast and the refreshed card) without any outbound message.
// The officer side is in activity_*.go, publish*.go, export*.go and remind*.go; routes.go
// names the card actions and registers everything.
package signup

import (
	"github.com/unionbot/unionbot/bot/livecard"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store/secret"
)

// handler holds what the sign-up flows share.
type handler struct {
	handlers.Deps
	box *secret.Keyring // seals ID numbers; nil when security.data_key is not set
	// cards refreshes group-chat cards after 报名 clicks, outside their transactions.
	cards *livecard.Kind
}

func newHandler(d handlers.Deps) *handler {
	h := &handler{Deps: d.WithDefaults()}
	h.cards = newActivityCards(h.DB, h.Loc, h.Log)
	box, err := h.Config.Security.Keyring()
	if err != nil {
		// Config validation refuses a bad key before this; stay safe anyway.
		h.Log.Error("security.data_key unusable; ID numbers cannot be collected", "err", err)
	}
	h.box = box
	return h
}
