package proposals

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// Sheet names of the statistics workbook; then one sheet per department.
const (
	StatsSheet       = "统计"
	CompilationSheet = "提案汇编"
)

// exportAction is the 导出Excel button of the statistics card: the workbook, 1:1 to the clicker.
func (h *Handlers) exportAction(c *bot.Context) (*bot.Response, error) {
	s, err := c.Tx.ProposalSessionByID(c.Ctx, c.Int("session_id"))
	if err != nil {
		return c.Refusal(err)
	}
	data, err := BuildWorkbook(c.Ctx, c.Tx, s, h.Loc)
	if err != nil {
		return nil, err
	}
	name := WorkbookName(s, c.Now, h.Loc)
	if err := c.SendFile(c.Sender.OpenID, name, data); err != nil {
		return nil, err
	}
	if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "proposal_session", fmt.Sprint(s.ID), "export", name); err != nil {
		return nil, err
	}
	return bot.Success(fmt.Sprintf("「%s」已私信发给你。", name)), nil
}

// WorkbookName is like 第四届第三次提案统计_20270601.xlsx (the export date in loc).
func WorkbookName(s *store.ProposalSession, now time.Time, loc *time.Location) string {
	n := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, s.Name)
	return fmt.Sprintf("%s提案统计_%s.xlsx", n, now.In(loc).Format("20060102"))
}

// statsHeader are the columns of the 统计 sheet, one figure each (README "Statistics").
var statsHeader = []string{"", "征集数", "立案数", "并案数", "转建议数", "不立案数", "退回数", "立案率", "已答复", "办复率",
	"本轮已答复", "按时答复", "按时答复率", "办结", "办结率", "逾期未答复", "延期数", "部门退回数", "第二轮办理", "已评价", "满意", "基本满意", "不满意",
	"未评价", "满意率", "A", "B", "C", "D", "协办数"}

// compilationHeader are the columns of the 提案汇编 and department sheets (never a phone).
var compilationHeader = []string{"立案编号", "案由", "类别", "提案人", "代表团", "附议人", "主办单位", "协办单位", "状态", "轮次",
	"提交时间", "交办时间", "答复期限", "答复时间", "办理结果", "答复内容", "评价", "办结时间"}

// BuildWorkbook writes a session's statistics workbook from the records as they are now: the
// 统计 sheet (the session, then per category, 主办 department and 代表团), the 提案汇编 (every
// registered proposal) and one sheet per department with the proposals it is 主办 or 协办 of.
func BuildWorkbook(ctx context.Context, tx *store.Tx, s *store.ProposalSession, loc *time.Location) ([]byte, error) {
	rep, err := tx.ProposalReportOf(ctx, s, loc)
	if err != nil {
		return nil, err
	}
	comp, err := tx.ProposalCompilationOf(ctx, s.ID)
	if err != nil {
		return nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	w := &book{f: f, loc: loc}
	if err := w.styles(); err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", StatsSheet); err != nil {
		return nil, err
	}
	w.statsSheet(s, rep)
	if _, err := f.NewSheet(CompilationSheet); err != nil {
		return nil, err
	}
	w.compilation(CompilationSheet, comp, comp.Proposals, "")
	used := map[string]bool{StatsSheet: true, CompilationSheet: true}
	for _, g := range departmentsOf(comp) {
		var ps []*store.Proposal
		for _, p := range comp.Proposals {
			for _, d := range comp.Departments[p.ID] {
				if d.Name == g {
					ps = append(ps, p)
				}
			}
		}
		name := uniqueSheet(g, used)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		w.compilation(name, comp, ps, g)
	}
	if w.err != nil {
		return nil, w.err
	}
	f.SetActiveSheet(0)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("proposals: write workbook: %w", err)
	}
	return buf.Bytes(), nil
}

// departmentsOf lists the departments of the compilation's proposals by name.
func departmentsOf(comp *store.ProposalCompilation) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range comp.Proposals {
		for _, d := range comp.Departments[p.ID] {
			if !seen[d.Name] {
				seen[d.Name] = true
				out = append(out, d.Name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// book writes cells, keeping the first error.
type book struct {
	f                     *excelize.File
	loc                   *time.Location
	err                   error
	head, title, pct, txt int
}

func (w *book) styles() error {
	var err error
	if w.head, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}); err != nil {
		return err
	}
	if w.title, err = w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 14}}); err != nil {
		return err
	}
	if w.pct, err = w.f.NewStyle(&excelize.Style{CustomNumFmt: ptr("0.0%")}); err != nil {
		return err
	}
	w.txt, err = w.f.NewStyle(&excelize.Style{NumFmt: 49, Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	return err
}

func ptr(s string) *string { return &s }

// row writes vals from column A of row r; a float is a percentage.
func (w *book) row(sheet string, r int, vals ...any) {
	for i, v := range vals {
		if w.err != nil {
			return
		}
		cell, _ := excelize.CoordinatesToCellName(i+1, r)
		w.err = w.f.SetCellValue(sheet, cell, v)
		if _, ok := v.(float64); ok && w.err == nil {
			w.err = w.f.SetCellStyle(sheet, cell, cell, w.pct)
		}
	}
}

func (w *book) style(sheet string, r, cols, style int) {
	if w.err == nil {
		end, _ := excelize.CoordinatesToCellName(cols, r)
		w.err = w.f.SetCellStyle(sheet, fmt.Sprintf("A%d", r), end, style)
	}
}

// rate is n/d as a fraction for a percentage cell, "—" when d is 0.
func rate(n, d int) any {
	if d == 0 {
		return "—"
	}
	return float64(n) / float64(d)
}

// figures are a group's cells of the 统计 sheet; dept leaves the collection figures empty.
func figures(name string, st store.ProposalStats, dept bool) []any {
	out := []any{name}
	if dept {
		out = append(out, "", st.Registered, "", "", "", "", "")
	} else {
		out = append(out, st.Collected, st.Registered, st.Merged, st.ToSuggestion, st.Rejected, st.Returned,
			rate(st.Registered, st.Collected))
	}
	return append(out, st.Replied, rate(st.Replied, st.Registered), st.Answered, st.OnTime, rate(st.OnTime, st.Answered),
		st.Closed, rate(st.Closed, st.Registered), st.Overdue, st.Extended, st.DeptReturned, st.SecondRound, st.Rated(), st.Satisfied, st.Basic,
		st.Unsatisfied, st.Unrated, rate(st.Satisfied+st.Basic, st.Rated()), st.ClassA, st.ClassB, st.ClassC, st.ClassD,
		map[bool]any{true: st.Helper, false: ""}[dept])
}

// statsSheet writes the 统计 sheet: a section per grouping, each with the header row.
func (w *book) statsSheet(s *store.ProposalSession, rep *store.ProposalReport) {
	sh := StatsSheet
	w.row(sh, 1, s.Name+"提案统计")
	w.style(sh, 1, 1, w.title)
	r := 3
	section := func(title string, gs []store.ProposalGroup, dept bool) {
		h := append([]any{title}, toAny(statsHeader[1:])...)
		w.row(sh, r, h...)
		w.style(sh, r, len(h), w.head)
		r++
		for _, g := range gs {
			w.row(sh, r, figures(g.Name, g.ProposalStats, dept)...)
			r++
		}
		r++
	}
	section("届次", []store.ProposalGroup{{Name: s.Name, ProposalStats: rep.Total}}, false)
	section("类别", rep.Categories, false)
	section("承办单位（主办）", rep.Departments, true)
	section("代表团", rep.Branches, false)
	w.row(sh, r, "立案率 = 立案/征集；办复率 = 已答复/立案；按时答复率 = 按时答复/本轮已答复（以答复时有效的期限、学校时区的日期计）；办结率 = 办结/立案；"+
		"满意率 =（满意+基本满意）/已评价，以提案人对最近一轮答复的评价计；未评价从不计为满意。承办单位按主办统计，协办数另列，部门退回数为该单位退回的提案；承办单位的征集、并案、转建议、不立案、退回修改不适用。")
	if w.err == nil {
		w.err = w.f.SetColWidth(sh, "A", "A", 22)
	}
	if w.err == nil {
		w.err = w.f.SetPanes(sh, &excelize.Panes{Freeze: true, XSplit: 1, TopLeftCell: "B1", ActivePane: "topRight"})
	}
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// compilation writes ps as the 提案汇编 (dept "") or a department's sheet (with its role).
func (w *book) compilation(sheet string, comp *store.ProposalCompilation, ps []*store.Proposal, dept string) {
	header := toAny(compilationHeader)
	if dept != "" {
		header = append(header, "承办方式")
	}
	w.row(sheet, 1, header...)
	w.style(sheet, 1, len(header), w.head)
	when := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(w.loc).Format("2006-01-02 15:04")
	}
	for i, p := range ps {
		var cos []string
		for _, c := range p.Cosigners {
			if c.Status == store.CosignAgreed {
				cos = append(cos, c.Name)
			}
		}
		var host, role string
		var helpers []string
		for _, d := range comp.Departments[p.ID] {
			if d.Role == store.DeptHost {
				host = d.Name
			} else {
				helpers = append(helpers, d.Name)
			}
			if d.Name == dept {
				role = map[bool]string{true: "主办", false: "协办"}[d.Role == store.DeptHost]
			}
		}
		vals := []any{p.Number, p.Title, p.Category, p.ProposerName, comp.Branch[p.ID], strings.Join(cos, "、"), host,
			strings.Join(helpers, "、"), store.ProposalStateNames[p.State], p.Round, when(p.SubmittedAt), when(p.AssignedAt),
			p.ReplyDue, when(p.RepliedAt), classNames[p.ReplyClass], p.ReplyText, ratingNames[comp.Rating[p.ID]], when(p.ClosedAt)}
		if dept != "" {
			vals = append(vals, role)
		}
		w.row(sheet, i+2, vals...)
	}
	if w.err == nil && len(ps) > 0 {
		end, _ := excelize.CoordinatesToCellName(len(header), len(ps)+1)
		w.err = w.f.SetCellStyle(sheet, "A2", end, w.txt)
	}
	for i, width := range []float64{10, 30, 10, 10, 16, 20, 14, 18, 14, 6, 17, 17, 11, 17, 18, 50, 10, 17, 10} {
		if w.err == nil && i < len(header) {
			col, _ := excelize.ColumnNumberToName(i + 1)
			w.err = w.f.SetColWidth(sheet, col, col, width)
		}
	}
	if w.err == nil {
		w.err = w.f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
}

// uniqueSheet makes name a valid Excel sheet name (31 characters, none of []:*?/\) not yet in
// used, and records it.
func uniqueSheet(name string, used map[string]bool) string {
	clean := strings.Trim(strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, name), "' ")
	if clean == "" {
		clean = "承办单位"
	}
	cut := func(s string, n int) string {
		if utf8.RuneCountInString(s) <= n {
			return s
		}
		return string([]rune(s)[:n])
	}
	out := cut(clean, 31)
	for i := 2; used[out]; i++ {
		suf := fmt.Sprintf("-%d", i)
		out = cut(clean, 31-len(suf)) + suf
	}
	used[out] = true
	return out
}
