// Package legalaid is legal aid (法律援助, issue 14): a member's intake in a 1:1 chat after a
// separate consent (category, facts, the other party, the date of the dispute), the
// conflict-of-interest flag when the other party is the school or one of its units, the
// labour-arbitration limit (the dispute date plus one year) and its reminders, appointments
// with the duty lawyer in configured slots, and the case card, which only the member, the
// legal-aid officers and the lawyers see, each view written to the read audit first
// (store.Reveal). The facts and the other party are sealed, bound to the case's row. Its card
// actions and commands are in routes.go; the state machine is store.LegalNext.
package legalaid

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
)

// Handlers are legal aid's chat flows and job.
type Handlers struct {
	handlers.Deps
	Cfg  config.LegalAid
	keys *secret.Keyring
	cal  *workday.Calendar
}

// New returns legal aid's handlers for d.
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	h := &Handlers{Deps: d, Cfg: d.Config.LegalAid, cal: workday.New(d.Loc, d.DB)}
	keys, err := d.Config.Security.Keyring()
	if err != nil {
		h.Log.Error("security keys unusable; legal aid cannot take cases", "err", err)
	}
	h.keys = keys
	return h
}

// staff reports whether the sender holds a legal-aid role themselves.
func staff(c *bot.Context) bool {
	for _, r := range store.LegalStaff {
		if slices.Contains(c.Sender.Roles, r) {
			return true
		}
	}
	return false
}

func officer(c *bot.Context) bool { return slices.Contains(c.Sender.Roles, store.RoleLegalOfficer) }

// viewing is the read-audit row of the sender looking at case lc.
func viewing(c *bot.Context, lc *store.LegalCase, what string) store.Viewing {
	return store.Viewing{Viewer: c.Sender.OpenID, ViewerID: c.Sender.MemberID, OwnerID: lc.MemberID,
		Entity: "legal_case", EntityID: lc.ID, What: what}
}

// load reads the case of a button (case_id) and checks that the sender may see it. Someone
// else gets ENOTFOUND, the same answer as for a case that does not exist.
func (h *Handlers) load(c *bot.Context) (*store.LegalCase, error) {
	lc, err := c.Tx.LegalCaseByID(c.Ctx, c.Int("case_id"))
	if err != nil {
		return nil, err
	}
	if !store.LegalAccess(lc, c.Sender.MemberID, c.Sender.Roles) {
		return nil, store.Errorf(store.ENOTFOUND, "找不到这件法律援助申请。")
	}
	return lc, nil
}

// Opened is a case with its sealed texts opened, for its card.
type Opened struct {
	*store.LegalCase
	Facts, OtherParty string
	Reads             []store.ReadEntry // who viewed it (for its member)
}

// reveal writes the read-audit row of the sender viewing lc (what: "card", ...) and only then
// opens its sealed texts: when the row cannot be written, nothing is opened or shown.
func (h *Handlers) reveal(c *bot.Context, lc *store.LegalCase, what string) (*Opened, error) {
	return store.Reveal(c.Ctx, c.Tx, viewing(c, lc, what), func() (*Opened, error) {
		o := &Opened{LegalCase: lc}
		var err error
		if lc.Facts != "" {
			if o.Facts, err = h.keys.Open(store.SealedLegalFacts.Ref(lc.ID), lc.Facts); err != nil {
				return nil, fmt.Errorf("legal case %d: %w", lc.ID, err)
			}
		}
		if lc.OtherParty != "" {
			if o.OtherParty, err = h.keys.Open(store.SealedLegalOtherParty.Ref(lc.ID), lc.OtherParty); err != nil {
				return nil, fmt.Errorf("legal case %d: %w", lc.ID, err)
			}
		}
		if lc.MemberID == c.Sender.MemberID {
			if o.Reads, err = c.Tx.ReadsOf(c.Ctx, "legal_case", lc.ID, 20); err != nil {
				return nil, err
			}
		}
		return o, nil
	})
}

// today is the union's date of t.
func (h *Handlers) today(t time.Time) string { return t.In(h.Loc).Format(time.DateOnly) }

// staffOpenIDs are the open_ids of the active members holding role.
func (h *Handlers) staffOpenIDs(ctx context.Context, role string) ([]string, error) {
	holders, err := h.DB.RoleHolders(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, x := range holders {
		if x.Role == role && x.Active && x.OpenID != "" && !slices.Contains(out, x.OpenID) {
			out = append(out, x.OpenID)
		}
	}
	return out, nil
}
