package aid

import (
	"fmt"
	"path"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// caseView reads everything the sender may see of case a, and records the view in the read
// audit (fail closed: when the entry cannot be written, nothing is shown).
func (h *Handlers) caseView(c *bot.Context, a *store.AidCase) (CaseView, error) {
	v := viewer(c)
	cv := CaseView{Case: a, Kind: h.kind(a.Kind), Can: func(action string) bool { return store.AidCan(v, a, action) }}
	if err := c.Tx.AuditRead(c.Ctx, viewing(c, a, "card")); err != nil {
		return cv, err // fail closed: nothing is opened without its read-audit row
	}
	var err error
	if cv.Details, err = h.openDetails(a); err != nil {
		return cv, fmt.Errorf("aid: open case %d: %w", a.ID, err)
	}
	if cv.Reason, err = h.openReason(a); err != nil {
		return cv, fmt.Errorf("aid: open case %d: %w", a.ID, err)
	}
	if cv.Materials, err = c.Tx.AidMaterials(c.Ctx, a.ID); err != nil {
		return cv, err
	}
	cv.Names = map[int64]string{}
	for _, m := range cv.Materials {
		if m.Name == "" {
			continue
		}
		name, err := h.keys.Open(store.SealedAidMaterialName.Ref(m.ID), m.Name)
		if err != nil {
			return cv, fmt.Errorf("aid: open material %d: %w", m.ID, err)
		}
		cv.Names[m.ID] = name
	}
	if a.OpenedBy != 0 && a.OpenedBy != a.MemberID && !a.Emergency {
		o, err := c.Tx.MemberByID(c.Ctx, a.OpenedBy)
		if err != nil {
			return cv, err
		}
		cv.OpenedBy = o.Name
	}
	if cv.Can(store.AidActApprove) {
		if cv.Headroom, err = h.headroomText(c, a); err != nil {
			return cv, err
		}
	}
	return cv, nil
}

// cardOf renders case id for the sender (who may see it: checked by the caller).
func (h *Handlers) cardOf(c *bot.Context, id int64) (*bot.Response, error) {
	a, err := c.Tx.AidCaseByID(c.Ctx, id)
	if err != nil {
		return nil, err
	}
	cv, err := h.caseView(c, a)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(CaseCard(cv)), nil
}

// show opens a case's card for whoever store.AidCan lets see it, 1:1 only.
func (h *Handlers) show(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !store.AidCan(viewer(c), a, store.AidActView) {
		return denied, nil
	}
	if c.ChatType != "" && c.ChatType != "p2p" {
		return bot.Warn("帮扶申请的内容只在单聊中显示。"), nil
	}
	return h.cardOf(c, a.ID)
}

// stale answers a click on a card older than the case: the current card (for those who may
// see it), and why; nothing is written but the read audit of the card shown.
func (h *Handlers) stale(c *bot.Context, a *store.AidCase) (*bot.Response, error) {
	text := fmt.Sprintf("卡片已过期：该申请现在是「%s」，已显示最新内容。", store.AidStateNames[a.State])
	if !store.AidCan(viewer(c), a, store.AidActView) {
		return bot.Warn(text), nil
	}
	// The refusal must write nothing, so the current card is rendered without opening the
	// sealed text (which would need a read-audit entry): the viewer opens it with 查看.
	v := viewer(c)
	cv := CaseView{Case: a, Kind: h.kind(a.Kind), Can: func(action string) bool { return store.AidCan(v, a, action) }}
	r := bot.ReplyCard(CaseCard(cv))
	r.Toast = &bot.Toast{Type: "warning", Text: text}
	return r, nil
}

// material sends one material to the clicker 1:1, as a file, after the read audit.
func (h *Handlers) material(c *bot.Context) (*bot.Response, error) {
	a, err := h.load(c)
	if err != nil {
		return c.Refusal(err)
	}
	if !store.AidCan(viewer(c), a, store.AidActMaterial) {
		return denied, nil
	}
	m, err := c.Tx.AidMaterialData(c.Ctx, c.Int("material_id"))
	if err != nil || m.CaseID != a.ID {
		return bot.Warn("找不到该材料。"), nil
	}
	type file struct {
		name string
		data []byte
	}
	f, err := store.Reveal(c.Ctx, c.Tx, viewing(c, a, fmt.Sprintf("file:%d", m.ID)), func() (file, error) {
		name := ""
		if m.Name != "" {
			var err error
			if name, err = h.keys.Open(store.SealedAidMaterialName.Ref(m.ID), m.Name); err != nil {
				return file{}, fmt.Errorf("aid: open material %d: %w", m.ID, err)
			}
		}
		data, err := h.keys.Open(store.SealedAidMaterialData.Ref(m.ID), m.Data)
		if err != nil {
			return file{}, fmt.Errorf("aid: open material %d: %w", m.ID, err)
		}
		return file{fileName(name, m), []byte(data)}, nil
	})
	if err != nil {
		return nil, err
	}
	if err := c.SendSensitiveFile(c.Sender.OpenID, f.name, f.data); err != nil {
		return nil, err
	}
	return bot.Success("材料已单独发送给你（仅你可见）。"), nil
}

// fileName is the name a material is sent under: its own, or one made from its type.
func fileName(name string, m *store.AidMaterial) string {
	if name != "" && strings.Contains(name, ".") {
		return path.Base(name)
	}
	return fmt.Sprintf("材料%d.%s", m.ID, m.Ext)
}
