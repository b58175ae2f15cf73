// Package privacy is what every sensitive flow (aid requests, legal aid) shares with the rest
// of the bot about personal information (PIPL, 个人信息保护法), and the member's own page:
//
//   - Consent (consent.go): the separate consent card of a purpose (what is collected, why, who
//     sees it, how long it is kept, how to withdraw), Require to ask for it before a flow stores
//     anything, Accept to record a click on it, and HasConsent. The texts are in texts.go, one
//     per purpose (store.PurposeAid, store.PurposeLegal, store.PurposeAidPublicity), each with a
//     version: a new version asks again.
//   - Sending (send.go): SendPrivate sends a card 1:1 only (it refuses a chat id) and marks it
//     sensitive (neutral summary, no forwarding); Notify sends the neutral notice with a button
//     that opens the details, so no preview ever shows them; ReplyPrivate answers in place in a
//     1:1 chat and 1:1 when asked in a group.
//   - Reading: store.Reveal writes the read-audit row before the data is read (fail closed);
//     store.Tx.ReadsOf lists who viewed a record, for its owner.
//   - Sealing: store.RegisterSealed, store.Tx.SealInto and the keyring of
//     config.Security.Keyring (store/secret).
//
// Nothing here logs content: handlers log routes and outcomes only (bot's middleware).
package privacy

import (
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store/secret"
)

// Handlers are the privacy flows: consent clicks (and, in mydata.go, 我的数据).
type Handlers struct {
	handlers.Deps
	keys *secret.Keyring
}

// New returns the privacy handlers for d.
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	h := &Handlers{Deps: d}
	keys, err := d.Config.Security.Keyring()
	if err != nil {
		h.Log.Error("security keys unusable", "err", err)
	}
	h.keys = keys
	return h
}
