// Package proposals is the staff-congress proposals flow (教代会提案, issue 13): congress
// sessions and departments (imported from YAML, importfile.go), drafting by delegates, 附议 by
// each co-signer's own click, the committee's review, assignment to departments, replies,
// ratings and the statistics. Its card actions and commands are in routes.go; the state
// machine is in store (store.ProposalNext), the one place that says which step may follow
// which.
package proposals

import (
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
)

// Handlers are the proposals' chat flows.
type Handlers struct {
	handlers.Deps
	box *secret.Keyring // seals phone numbers; nil when security.data_key is not set
	cal *workday.Calendar
}

// New returns the proposals' handlers for d.
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	h := &Handlers{Deps: d, cal: workday.New(d.Loc, d.DB)}
	box, err := d.Config.Security.Keyring()
	if err != nil {
		h.Log.Error("security.data_key unusable; proposal phone numbers cannot be stored", "err", err)
	}
	h.box = box
	return h
}

// maskedPhone opens p's phone and masks it (138****0001), "" when there is none or it cannot
// be opened.
func (h *Handlers) maskedPhone(p *store.Proposal) string {
	if p.Phone == "" || h.box == nil {
		return ""
	}
	s, err := h.box.Open(store.SealedProposalPhone.Ref(p.ID), p.Phone)
	if err != nil {
		return ""
	}
	return store.MaskedMobile(s)
}

// viewer is who looks at a proposal's card: the buttons and the phone depend on it.
func (h *Handlers) viewer(c *bot.Context) Viewer {
	return Viewer{MemberID: c.Sender.MemberID, Delegate: c.Sender.Has(store.RoleDelegate),
		Committee: c.Sender.HasAny(store.Committee), Overseer: c.Sender.HasAny(store.ProposalOverseers),
		Chair: c.Sender.HasAny(store.ChairOnly)}
}

// load reads a proposal for a card action: the proposal_id of the button.
func (h *Handlers) load(c *bot.Context) (*store.Proposal, *store.ProposalSession, error) {
	p, err := c.Tx.ProposalByID(c.Ctx, c.Int("proposal_id"))
	if err != nil {
		return nil, nil, err
	}
	s, err := c.Tx.ProposalSessionByID(c.Ctx, p.SessionID)
	if err != nil {
		return nil, nil, err
	}
	return p, s, nil
}

// card renders p for the sender.
func (h *Handlers) card(c *bot.Context, p *store.Proposal, s *store.ProposalSession) (*bot.Response, error) {
	cd, err := h.cardFor(c, p, s, h.viewer(c))
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(cd), nil
}

// stale is the answer to a click on a card older than the proposal: the current card, and why.
func (h *Handlers) stale(c *bot.Context, p *store.Proposal, s *store.ProposalSession) (*bot.Response, error) {
	r, err := h.card(c, p, s)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "warning", Text: fmt.Sprintf("卡片已过期：该提案现在是「%s」，已显示最新内容。", store.ProposalStateNames[p.State])}
	t := bot.Text(r.Toast.Text)
	r.Reply = &t
	return r, nil
}

// fresh reports whether the clicked card showed p's current version.
func fresh(c *bot.Context, p *store.Proposal) bool {
	v, ok := c.IntOK("version")
	return ok && int(v) == p.Version
}

// tell queues a 1:1 text to a member (when they have a Feishu account).
func tell(c *bot.Context, openID, text string) error {
	if openID == "" {
		return nil
	}
	return c.SendTo(openID, bot.Text(text))
}

// sendCard queues a 1:1 card to a member.
func sendCard(c *bot.Context, openID string, cd bot.Renderer) error {
	if openID == "" {
		return nil
	}
	msg, err := bot.Card(cd)
	if err != nil {
		return err
	}
	return c.SendTo(openID, msg)
}

// localDate is t's date in the union's zone.
func (h *Handlers) localDate(t time.Time) string { return t.In(h.Loc).Format(time.DateOnly) }

// cardWith is the proposal's card for the clicker with a success toast.
func (h *Handlers) cardWith(c *bot.Context, p *store.Proposal, s *store.ProposalSession, toast string) (*bot.Response, error) {
	r, err := h.card(c, p, s)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: toast}
	return r, nil
}

// changed answers a step that changed proposal id: its live cards are brought up to date and
// the clicker gets its current card with toast.
func (h *Handlers) changed(c *bot.Context, id int64, s *store.ProposalSession, toast string) (*bot.Response, error) {
	if err := h.showLive(c, id); err != nil {
		return nil, err
	}
	p, err := c.Tx.ProposalByID(c.Ctx, id)
	if err != nil {
		return nil, err
	}
	return h.cardWith(c, p, s, toast)
}
