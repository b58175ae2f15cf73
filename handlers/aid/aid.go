// Package aid is the aid-request flow (帮扶申请, issue 14): a member asks for help 1:1 after a
// separate consent, fills in the kind's form and sends the materials into the chat; the
// request goes through 分工会初审, 校工会审核 and approval with an amount (checked against the
// kind's ceilings, formula and one-per-family rule), an optional 公示, and 发放. Its commands and
// card actions are in routes.go; the state machine is store.AidNext and who may see or decide
// a case is store.AidCan, each in one place.
//
// Privacy: every sensitive field (the form's text, reasons, material names and contents) is
// sealed bound to its case's row before it is stored; cards with case content go 1:1 only,
// are Private (neutral preview, no forwarding); notifications say only that something waits;
// every view of a case or a material is written to the read audit in the same transaction, so
// nothing is shown when the audit cannot be written; nothing sensitive is logged.
package aid

import (
	"encoding/json"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
)

// Handlers are the aid requests' chat flows.
type Handlers struct {
	handlers.Deps
	cfg   *config.Aid
	keys  *secret.Keyring // nil without security.data_key: nothing can be collected
	cal   *workday.Calendar
	fetch *fetcher
}

// New returns the aid handlers for d.
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	h := &Handlers{Deps: d, cfg: &d.Config.Aid, cal: workday.New(d.Loc, d.DB)}
	keys, err := d.Config.Security.Keyring()
	if err != nil {
		h.Log.Error("security keys unusable; aid requests cannot be collected", "err", err)
	}
	h.keys = keys
	h.fetch = &fetcher{h: h}
	names := map[string]string{}
	for _, k := range h.cfg.Kinds {
		names[k.Code] = k.Name
	}
	store.SetAidKindNames(names) // 我的数据 shows the kinds by name

	return h
}

// Neutral texts: what notifications and previews say, never more.
const (
	msgPending  = "你有一条帮扶申请待审核"
	msgProgress = "你的帮扶申请有新进展"
	summary     = "帮扶申请"
	msgNoKey    = "系统未配置数据加密密钥，暂不能受理帮扶申请，请联系工会管理员。"
)

// Details are a case's form fields, sealed together as JSON (store.SealedAidDetails).
type Details struct {
	Text string `json:"text"` // 申请事由及情况说明
}

func (h *Handlers) sealDetails(c *bot.Context, a *store.AidCase, d Details) error {
	b, _ := json.Marshal(d)
	return c.Tx.SealInto(c.Ctx, h.keys, store.SealedAidDetails, a.ID, string(b))
}

func (h *Handlers) openDetails(a *store.AidCase) (Details, error) {
	var d Details
	if a.Details == "" {
		return d, nil
	}
	s, err := h.keys.Open(store.SealedAidDetails.Ref(a.ID), a.Details)
	if err != nil {
		return d, err
	}
	err = json.Unmarshal([]byte(s), &d)
	return d, err
}

func (h *Handlers) openReason(a *store.AidCase) (string, error) {
	if a.Reason == "" {
		return "", nil
	}
	return h.keys.Open(store.SealedAidReason.Ref(a.ID), a.Reason)
}

// viewer is the sender as store.AidCan sees them.
func viewer(c *bot.Context) store.AidViewer {
	v := store.AidViewer{MemberID: c.Sender.MemberID, Roles: c.Sender.Roles}
	if c.Sender.Member != nil {
		v.BranchID = c.Sender.Member.BranchID
	}
	return v
}

// viewing is the read-audit entry of the sender viewing what of case a (store.Reveal: when it
// cannot be written, nothing is shown). It names no content.
func viewing(c *bot.Context, a *store.AidCase, what string) store.Viewing {
	return store.Viewing{Viewer: c.Sender.OpenID, ViewerID: c.Sender.MemberID, OwnerID: a.MemberID, Entity: "aid_case",
		EntityID: a.ID, What: what}
}

// kind returns the configured kind of a case (a kind removed from the configuration reads
// as its code, with no ceilings).
func (h *Handlers) kind(code string) *config.AidKind {
	if k := h.cfg.Kinds.Kind(code); k != nil {
		return k
	}
	return &config.AidKind{Code: code, Name: code}
}

// year is the calendar year of t in the union's zone.
func (h *Handlers) year(t time.Time) int { return t.In(h.Loc).Year() }

// load reads the case of a card action (case_id).
func (h *Handlers) load(c *bot.Context) (*store.AidCase, error) {
	return c.Tx.AidCaseByID(c.Ctx, c.Int("case_id"))
}

// fresh reports whether the clicked card showed a's current version.
func fresh(c *bot.Context, a *store.AidCase) bool {
	v, ok := c.IntOK("version")
	return ok && int(v) == a.Version
}

// denied is the answer to an action store.AidCan refuses.
var denied = bot.Warn("你不能查看或办理这条帮扶申请。")

// sendCard queues a sensitive card 1:1 (privacy.SendPrivate: never to a chat).
func sendCard(c *bot.Context, openID string, cd *card.Card) error {
	if openID == "" {
		return nil
	}
	return privacy.SendPrivate(c, openID, cd, summary)
}

// notify sends each open_id the neutral notice: a text saying only that something waits, and
// a button that opens case id (where store.AidCan decides what the clicker sees).
func notify(c *bot.Context, openIDs []string, caseID int64, text string) error {
	for _, id := range openIDs {
		if id == "" {
			continue
		}
		if err := privacy.Notify(c, id, text, "查看", card.Action(actShow).With("case_id", caseID)); err != nil {
			return err
		}
	}
	return nil
}
