package privacy

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// 我的数据: everyone sees what the bot holds about them (every registered
// store.MemberDataSource), downloads it 1:1 (JSON or Excel), corrects their profile, withdraws
// a consent (the purpose's pending cases stop), and asks for deletion (erased at once where no
// retention rule keeps it; otherwise the date is shown). Every view and download of it writes
// the read audit first.

// retention is the configured retention, for the dates a deletion shows.
func (h *Handlers) retention() store.Retention {
	p := h.Config.Privacy
	return store.Retention{Materials: time.Duration(p.MaterialsRetentionDays) * 24 * time.Hour,
		Records: time.Duration(p.RecordsRetentionDays) * 24 * time.Hour}
}

// mine is what 我的数据 shows: the sections, the consents, who viewed records about the member.
type mine struct {
	Sections []store.DataSection
	Consents []store.Consent
	Reads    []store.ReadEntry
}

// collect reads the member's data after writing the read-audit row (what: "card", "export").
func (h *Handlers) collect(c *bot.Context, what string) (*mine, error) {
	v := store.Viewing{Viewer: c.Sender.OpenID, ViewerID: c.Sender.MemberID, OwnerID: c.Sender.MemberID,
		Entity: "member_data", EntityID: c.Sender.MemberID, What: what}
	return store.Reveal(c.Ctx, c.Tx, v, func() (*mine, error) {
		secs, err := c.Tx.CollectMemberData(c.Ctx, h.keys, c.Sender.MemberID, h.Loc)
		if err != nil {
			return nil, err
		}
		cs, err := c.Tx.Consents(c.Ctx, c.Sender.MemberID)
		if err != nil {
			return nil, err
		}
		reads, err := c.Tx.ReadsAbout(c.Ctx, c.Sender.MemberID, 50)
		if err != nil {
			return nil, err
		}
		var others []store.ReadEntry
		for _, r := range reads {
			if r.ViewerID != c.Sender.MemberID {
				others = append(others, r)
			}
		}
		return &mine{Sections: secs, Consents: cs, Reads: others}, nil
	})
}

// myData answers 我的数据 (and its card's 刷新): 1:1 only.
func (h *Handlers) myData(c *bot.Context) (*bot.Response, error) {
	m, err := h.collect(c, "card")
	if err != nil {
		return nil, err
	}
	return ReplyPrivate(c, MyDataCard(m.Sections, m.Consents, m.Reads, h.Loc), "「我的数据」已私信发给你。")
}

// MyDataCard shows what the bot holds about a member, with the buttons of their rights.
func MyDataCard(secs []store.DataSection, consents []store.Consent, reads []store.ReadEntry, loc *time.Location) *card.Card {
	cd := card.New("我的数据").Color(card.Indigo).Subtitle("工会助手保存的关于你的信息")
	for _, s := range secs {
		lines := []string{fmt.Sprintf("**%s**（%d 条）", s.Name, len(s.Rows))}
		for i, r := range s.Rows {
			if i == 5 {
				lines = append(lines, fmt.Sprintf("……另有 %d 条，见下载的文件", len(s.Rows)-5))
				break
			}
			var parts []string
			for j, v := range r {
				if v != "" && j < len(s.Columns) {
					parts = append(parts, s.Columns[j]+"："+card.Escape(clip(v, 60)))
				}
			}
			lines = append(lines, "- "+strings.Join(parts, "；"))
		}
		if s.Note != "" {
			lines = append(lines, "<font color='grey'>"+card.Escape(s.Note)+"</font>")
		}
		cd.Add(card.Markdown(strings.Join(lines, "\n")))
		var bs []card.Button
		for _, a := range s.Actions {
			v := card.Action(a.Action)
			for _, k := range slices.Sorted(maps.Keys(a.Values)) {
				v = v.With(k, a.Values[k])
			}
			bs = append(bs, card.Button{Text: card.T(a.Text), Value: v})
		}
		if len(bs) > 0 {
			cd.Add(card.Buttons(bs...))
		}
	}
	cd.Add(card.Divider())
	var who []string
	for i, r := range reads {
		if i == 8 {
			break
		}
		name := r.ViewerName
		if name == "" {
			name = r.Viewer
		}
		who = append(who, fmt.Sprintf("- %s %s（%s %d）", r.At.In(loc).Format("2006-01-02 15:04"), card.Escape(name), entityNames[r.Entity], r.EntityID))
	}
	if len(who) == 0 {
		cd.Add(card.Markdown("**谁查看过你的敏感信息**：还没有人。"))
	} else {
		cd.Add(card.Markdown("**谁查看过你的敏感信息**（最近的在前）\n" + strings.Join(who, "\n")))
	}
	buttons := []card.Button{
		{Text: card.T("下载（Excel）"), Type: card.Primary, Value: card.Action(ActionExport).With("format", "xlsx")},
		{Text: card.T("下载（JSON）"), Value: card.Action(ActionExport).With("format", "json")},
		{Text: card.T("更正资料"), Value: card.Action("profile.show")},
	}
	for _, c := range consents {
		if c.Active() {
			buttons = append(buttons, card.Button{Text: card.T("撤回同意：" + PurposeName(c.Purpose)),
				Value: card.Action(ActionWithdraw).With("purpose", c.Purpose),
				Confirm: &card.Confirm{Title: card.T("撤回「" + PurposeName(c.Purpose) + "」的同意？"),
					Text: card.T("撤回后，该用途下尚在办理中的申请将随即终止。")}})
		}
	}
	buttons = append(buttons, card.Button{Text: card.T("申请删除"), Type: card.Danger, Value: card.Action(ActionErase),
		Confirm: &card.Confirm{Title: card.T("删除你的数据？"),
			Text: card.T("可以立即删除的会立即删除；按规定需要保存的，会告诉你保存到哪一天。办理中的法律援助、帮扶申请将终止。")}})
	return cd.Add(card.Buttons(buttons...)).Sensitive("工会助手：我的数据")
}

var entityNames = map[string]string{"legal_case": "法律援助", "aid_case": "帮扶申请", "member_data": "我的数据", "legal_case_list": "法律援助列表", "aid_ledger": "帮扶台账"}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// export sends the member's data as a file, 1:1 (never to a group), after the read audit.
func (h *Handlers) export(c *bot.Context) (*bot.Response, error) {
	format := c.String("format")
	if format != "json" && format != "xlsx" {
		return bot.Warn("请选择下载格式。"), nil
	}
	m, err := h.collect(c, "export")
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("我的数据_%s.%s", c.Now.In(h.Loc).Format("20060102"), format)
	var data []byte
	if format == "json" {
		data, err = ExportJSON(m.Sections, c.Now)
	} else {
		data, err = ExportXLSX(m.Sections)
	}
	if err != nil {
		return nil, err
	}
	if err := c.SendSensitiveFile(c.Sender.OpenID, name, data); err != nil {
		return nil, err
	}
	return bot.Success("文件已私信发给你：" + name), nil
}

// ExportJSON is the member's data as JSON: every section with its columns and rows.
func ExportJSON(secs []store.DataSection, now time.Time) ([]byte, error) {
	type section struct {
		Name string              `json:"name"`
		Note string              `json:"note,omitempty"`
		Rows []map[string]string `json:"rows"`
	}
	out := struct {
		GeneratedAt string    `json:"generated_at"`
		Sections    []section `json:"sections"`
	}{GeneratedAt: now.UTC().Format(time.RFC3339)}
	for _, s := range secs {
		sec := section{Name: s.Name, Note: s.Note, Rows: []map[string]string{}}
		for _, r := range s.Rows {
			row := map[string]string{}
			for j, v := range r {
				if j < len(s.Columns) {
					row[s.Columns[j]] = v
				}
			}
			sec.Rows = append(sec.Rows, row)
		}
		out.Sections = append(out.Sections, sec)
	}
	return json.MarshalIndent(out, "", "  ")
}

// ExportXLSX is the member's data as a workbook: one sheet per section, every cell text.
func ExportXLSX(secs []store.DataSection) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range secs {
		sheet := s.Name
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return nil, err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return nil, err
		}
		rows := append([][]string{s.Columns}, s.Rows...)
		for r, row := range rows {
			for col, v := range row {
				cell, _ := excelize.CoordinatesToCellName(col+1, r+1)
				if err := f.SetCellStr(sheet, cell, v); err != nil {
					return nil, err
				}
			}
		}
		if s.Note != "" {
			cell, _ := excelize.CoordinatesToCellName(1, len(rows)+2)
			if err := f.SetCellStr(sheet, cell, s.Note); err != nil {
				return nil, err
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// withdraw ends a consent of the member (purpose); the purpose's pending cases stop (the
// store's hooks), in the same transaction.
func (h *Handlers) withdraw(c *bot.Context) (*bot.Response, error) {
	purpose := c.String("purpose")
	if _, ok := TextOf(h.Config, purpose); !ok {
		return bot.Warn("没有这项同意。"), nil
	}
	cur, err := c.Tx.ActiveConsent(c.Ctx, c.Sender.MemberID, purpose)
	if err != nil {
		return nil, err
	}
	if cur == nil {
		return bot.Warn("你没有需要撤回的同意（可能已经撤回）。"), nil
	}
	n, err := c.Tx.WithdrawConsent(c.Ctx, c.Sender.MemberID, purpose, c.Sender.OpenID)
	if err != nil {
		return nil, err
	}
	msg := fmt.Sprintf("已撤回「%s」的同意。", PurposeName(purpose))
	if n > 0 {
		msg += fmt.Sprintf("%d 件办理中的申请已终止。", n)
	}
	r, err := h.myData(c)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: msg}
	return r, nil
}

// erase is 申请删除: every source erases what it may at once and says what it keeps until
// when; the answer lists it.
func (h *Handlers) erase(c *bot.Context) (*bot.Response, error) {
	res, err := c.Tx.EraseMemberData(c.Ctx, c.Sender.MemberID, h.retention(), c.Sender.OpenID)
	if err != nil {
		return nil, err
	}
	r := bot.ReplyCard(ErasureCard(res))
	r.Toast = &bot.Toast{Type: "success", Text: "已处理你的删除申请。"}
	return r, nil
}

// ErasureCard tells the member what was erased and what is kept until when.
func ErasureCard(res []store.Erasure) *card.Card {
	var lines []string
	for _, e := range res {
		line := fmt.Sprintf("**%s**：已删除 %d 项", e.Name, e.Erased)
		if e.Kept > 0 {
			line += fmt.Sprintf("；保留 %d 项", e.Kept)
			if e.KeptUntil != "" {
				line += "，最迟于 " + e.KeptUntil + " 删除"
			}
			line += "。" + e.Why
		} else {
			line += "。"
		}
		lines = append(lines, line)
	}
	return card.New("删除申请的处理结果").Color(card.Green).Add(card.Markdown(strings.Join(lines, "\n"))).
		Sensitive("工会助手：我的数据")
}
