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
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
)

// Handlers are the aid requests' chat flows.
type Handlers struct {
	handlers.Deps
	cfg   *config.Aid
	box   *secret.Box // nil without security.data_key: nothing can be collected
	cal   *workday.Calendar
	fetch *fetcher
}

// New returns the aid handlers for d.
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	h := &Handlers{Deps: d, cfg: &d.Config.Aid, cal: workday.New(d.Loc, d.DB)}
	box, err := secret.FromBase64(d.Config.Security.DataKey)
	if err != nil {
		h.Log.Error("security.data_key unusable; aid requests cannot be collected", "err", err)
	}
	h.box = box
	h.fetch = &fetcher{h: h}
	return h
}

// Neutral texts: what notifications and previews say, never more.
const (
	msgPending  = "你有一条帮扶申请待审核"
	msgProgress = "你的帮扶申请有新进展"
	summary     = "帮扶申请"
	msgNoKey    = "系统未配置数据加密密钥，暂不能受理帮扶申请，请联系工会管理员。"
)

// Details are a case's form fields, sealed together as JSON.
type Details struct {
	Text string `json:"text"` // 申请事由及情况说明
}

// sealed binds a sealed value to its case row and field: a value copied to another row or
// column does not open.
func purpose(caseID int64, field string) string { return fmt.Sprintf("aid_case:%d:%s", caseID, field) }

func (h *Handlers) seal(caseID int64, field, plain string) (string, error) {
	return h.box.Seal(purpose(caseID, field), plain)
}

func (h *Handlers) open(caseID int64, field, sealed string) (string, error) {
	if sealed == "" {
		return "", nil
	}
	return h.box.Open(purpose(caseID, field), sealed)
}

func (h *Handlers) sealDetails(a *store.AidCase, d Details) (string, error) {
	b, _ := json.Marshal(d)
	return h.seal(a.ID, "details", string(b))
}

func (h *Handlers) openDetails(a *store.AidCase) (Details, error) {
	var d Details
	s, err := h.open(a.ID, "details", a.Details)
	if err != nil || s == "" {
		return d, err
	}
	err = json.Unmarshal([]byte(s), &d)
	return d, err
}

// sealBytes seals a material's contents, bound to its row.
func (h *Handlers) sealBytes(materialID int64, data []byte) ([]byte, error) {
	s, err := h.box.Seal(fmt.Sprintf("aid_material:%d:data", materialID), base64.StdEncoding.EncodeToString(data))
	return []byte(s), err
}

func (h *Handlers) openBytes(materialID int64, sealed []byte) ([]byte, error) {
	s, err := h.box.Open(fmt.Sprintf("aid_material:%d:data", materialID), string(sealed))
	if err != nil {
		return nil, err
	}
	return base64.StdEncoding.DecodeString(s)
}

// viewer is the sender as store.AidCan sees them.
func viewer(c *bot.Context) store.AidViewer {
	v := store.AidViewer{MemberID: c.Sender.MemberID, Roles: c.Sender.Roles}
	if c.Sender.Member != nil {
		v.BranchID = c.Sender.Member.BranchID
	}
	return v
}

// auditRead records that the sender viewed what of case id, in the transaction that shows
// it: when it cannot be written the transaction fails and nothing is shown (fail closed). The
// entry names no content.
func auditRead(c *bot.Context, caseID int64, what string) error {
	return c.Tx.Audit(c.Ctx, fmt.Sprint(c.Sender.MemberID), "aid_read", fmt.Sprint(caseID), what, "")
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

// sendCard queues a 1:1 card.
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

// notify sends each open_id the neutral notice card for case id: a text saying only that
// something waits, and a button that opens the case (where AidCan decides).
func notify(c *bot.Context, openIDs []string, caseID int64, text string) error {
	for _, id := range openIDs {
		if err := sendCard(c, id, NoticeCard(caseID, text)); err != nil {
			return err
		}
	}
	return nil
}
