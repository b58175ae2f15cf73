package signup

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/store"
)

// rosterLine is one entry of an activity as the roster file shows it.
type rosterLine struct {
	MemberID    int64
	Branch      string
	Name        string
	Gender      string // "M", "F" or ""
	EmployeeNo  string
	Mobile      string // shown masked
	Item        string
	Team        string
	Role        string // 队长 / 队员 / 个人
	Status      string // store.Entry*
	SignedUpAt  time.Time
	CheckedInAt time.Time // zero: not checked in
	IDMasked    string    // insured events only, already masked
}

// Roster sheet columns (DOMAIN.md "Excel export"). 工号 and 手机 are text cells.
var rosterHeader = []string{"序号", "分工会", "姓名", "性别", "工号", "项目", "队名", "角色", "手机", "状态", "报名时间", "签到时间"}

// rosterWidths are the column widths, in characters, of rosterHeader (then 身份证号).
var rosterWidths = []float64{6, 22, 12, 6, 12, 12, 14, 8, 14, 12, 18, 18, 22}

// SummarySheet is the name of the summary sheet, first in the file.
const SummarySheet = "汇总"

// buildRoster writes an activity's roster: the 汇总 sheet (counts per item and status, and
// the participation rate per 分工会: participants / members), then one sheet per item (per
// 分工会 in unit-roster mode; one 报名名单 sheet when the activity has no items). ID numbers
// appear, masked, only for insured activities. Times are shown in loc.
func buildRoster(a *store.Activity, lines []rosterLine, branches []store.BranchCount, now time.Time, loc *time.Location) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	st, err := newStyles(f)
	if err != nil {
		return nil, err
	}
	if err := f.SetSheetName("Sheet1", SummarySheet); err != nil {
		return nil, err
	}
	// Group the entries into sheets.
	type group struct {
		name  string
		lines []rosterLine
	}
	var groups []*group
	byName := map[string]*group{}
	add := func(name string, l rosterLine) {
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		g.lines = append(g.lines, l)
	}
	switch {
	case a.EntryMode == store.ModeUnit:
		for _, l := range lines {
			add(orDash(l.Branch), l)
		}
	case len(a.Items) > 0:
		for _, it := range a.Items {
			byName[it.Name] = &group{name: it.Name}
			groups = append(groups, byName[it.Name])
		}
		for _, l := range lines {
			add(l.Item, l)
		}
	default:
		groups = append(groups, &group{name: "报名名单"})
		byName["报名名单"] = groups[0]
		for _, l := range lines {
			add("报名名单", l)
		}
	}
	used := map[string]bool{SummarySheet: true}
	for _, g := range groups {
		name := sheetName(g.name, used)
		if _, err := f.NewSheet(name); err != nil {
			return nil, err
		}
		if err := writeRosterSheet(f, st, name, a, g.lines, loc); err != nil {
			return nil, err
		}
	}
	if err := writeSummary(f, st, a, lines, branches, now, loc); err != nil {
		return nil, err
	}
	f.SetActiveSheet(0)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, fmt.Errorf("signup: write roster: %w", err)
	}
	return buf.Bytes(), nil
}

type styles struct{ header, text, percent int }

func newStyles(f *excelize.File) (*styles, error) {
	var s styles
	var err error
	if s.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill:      excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}); err != nil {
		return nil, err
	}
	if s.text, err = f.NewStyle(&excelize.Style{NumFmt: 49}); err != nil { // "@": text
		return nil, err
	}
	if s.percent, err = f.NewStyle(&excelize.Style{NumFmt: 10}); err != nil { // 0.00%
		return nil, err
	}
	return &s, nil
}

// statusOrder sorts a sheet: confirmed first, then waiting, then the rest.
var statusOrder = map[string]int{store.EntryConfirmed: 0, store.EntryNoShow: 1, store.EntryPendingUnit: 2, store.EntryApplied: 3,
	store.EntryWaitlisted: 4, store.EntryRejected: 5, store.EntryCancelled: 6}

func writeRosterSheet(f *excelize.File, st *styles, sheet string, a *store.Activity, lines []rosterLine, loc *time.Location) error {
	header := slicesClone(rosterHeader)
	if a.NeedsInsurance {
		header = append(header, "身份证号")
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if statusOrder[lines[i].Status] != statusOrder[lines[j].Status] {
			return statusOrder[lines[i].Status] < statusOrder[lines[j].Status]
		}
		return lines[i].SignedUpAt.Before(lines[j].SignedUpAt)
	})
	if err := f.SetSheetRow(sheet, "A1", &header); err != nil {
		return err
	}
	last, _ := excelize.ColumnNumberToName(len(header))
	if err := f.SetCellStyle(sheet, "A1", last+"1", st.header); err != nil {
		return err
	}
	for i, w := range rosterWidths[:len(header)] {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, w); err != nil {
			return err
		}
	}
	at := func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	gender := map[string]string{"M": "男", "F": "女"}
	for i, l := range lines {
		row := i + 2
		status := store.EntryStatusNames[l.Status]
		if l.Status == store.EntryConfirmed && !l.CheckedInAt.IsZero() {
			status = "已签到"
		}
		vals := []any{i + 1, l.Branch, l.Name, gender[l.Gender], nil, l.Item, l.Team, l.Role, nil, status, at(l.SignedUpAt), at(l.CheckedInAt)}
		cell, _ := excelize.CoordinatesToCellName(1, row)
		if err := f.SetSheetRow(sheet, cell, &vals); err != nil {
			return err
		}
		// Text cells: 工号 keeps its leading zeros, 手机 is masked, the ID number is masked.
		texts := map[int]string{5: l.EmployeeNo, 9: store.MaskedMobile(l.Mobile)}
		if a.NeedsInsurance {
			texts[13] = l.IDMasked
		}
		for col, v := range texts {
			c, _ := excelize.CoordinatesToCellName(col, row)
			if err := f.SetCellStr(sheet, c, v); err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, c, c, st.text); err != nil {
				return err
			}
		}
	}
	return freezeHeader(f, sheet)
}

func freezeHeader(f *excelize.File, sheet string) error {
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft",
		Selection: []excelize.Selection{{SQRef: "A2", ActiveCell: "A2", Pane: "bottomLeft"}}})
}

// writeSummary fills the 汇总 sheet.
func writeSummary(f *excelize.File, st *styles, a *store.Activity, lines []rosterLine, branches []store.BranchCount, now time.Time, loc *time.Location) error {
	s := SummarySheet
	row := 1
	put := func(vals ...any) error {
		cell, _ := excelize.CoordinatesToCellName(1, row)
		row++
		return f.SetSheetRow(s, cell, &vals)
	}
	styleRow := func(r, cols, style int) error {
		last, _ := excelize.ColumnNumberToName(cols)
		return f.SetCellStyle(s, fmt.Sprintf("A%d", r), fmt.Sprintf("%s%d", last, r), style)
	}
	if err := put("活动", a.Title); err != nil {
		return err
	}
	if err := put("时间", a.StartsAt.In(loc).Format("2006-01-02 15:04")+" 至 "+a.EndsAt.In(loc).Format("2006-01-02 15:04")); err != nil {
		return err
	}
	if err := put("导出时间", now.In(loc).Format("2006-01-02 15:04")); err != nil {
		return err
	}
	row++

	// Counts per item and status.
	statuses := []string{store.EntryConfirmed, store.EntryWaitlisted, store.EntryPendingUnit, store.EntryApplied,
		store.EntryRejected, store.EntryCancelled, store.EntryNoShow}
	head := []any{"项目", "名额"}
	for _, x := range statuses {
		head = append(head, store.EntryStatusNames[x])
	}
	head = append(head, "已签到")
	headRow := row
	if err := put(head...); err != nil {
		return err
	}
	if err := styleRow(headRow, len(head), st.header); err != nil {
		return err
	}
	type itemRow struct {
		name     string
		capacity int
	}
	items := []itemRow{}
	for _, it := range a.Items {
		items = append(items, itemRow{it.Name, it.Capacity})
	}
	if len(items) == 0 {
		items = append(items, itemRow{"（全部）", a.Capacity})
	}
	total := make([]int, len(statuses)+1)
	for _, it := range items {
		counts := make([]int, len(statuses)+1)
		for _, l := range lines {
			if len(a.Items) > 0 && l.Item != it.name {
				continue
			}
			for i, x := range statuses {
				if l.Status == x {
					counts[i]++
				}
			}
			if !l.CheckedInAt.IsZero() {
				counts[len(statuses)]++
			}
		}
		capacity := any("不限")
		if it.capacity > 0 {
			capacity = it.capacity
		}
		vals := []any{it.name, capacity}
		for i, n := range counts {
			vals = append(vals, n)
			total[i] += n
		}
		if err := put(vals...); err != nil {
			return err
		}
	}
	if len(items) > 1 {
		vals := []any{"合计", ""}
		for _, n := range total {
			vals = append(vals, n)
		}
		if err := put(vals...); err != nil {
			return err
		}
	}
	row++

	// Participation per 分工会: distinct members with a confirmed entry / active members.
	bhead := []any{"分工会", "会员数", "参加人数", "参与率"}
	bheadRow := row
	if err := put(bhead...); err != nil {
		return err
	}
	if err := styleRow(bheadRow, len(bhead), st.header); err != nil {
		return err
	}
	participants := map[string]map[int64]bool{}
	for _, l := range lines {
		if l.Status != store.EntryConfirmed {
			continue
		}
		if participants[l.Branch] == nil {
			participants[l.Branch] = map[int64]bool{}
		}
		participants[l.Branch][l.MemberID] = true
	}
	listed := map[string]bool{}
	for _, b := range branches {
		if len(a.Branches) > 0 && !containsString(a.Branches, b.Name) {
			continue
		}
		listed[b.Name] = true
		n := len(participants[b.Name])
		var rate any = ""
		if b.Members > 0 {
			rate = float64(n) / float64(b.Members)
		}
		r := row
		if err := put(b.Name, b.Members, n, rate); err != nil {
			return err
		}
		if err := f.SetCellStyle(s, fmt.Sprintf("D%d", r), fmt.Sprintf("D%d", r), st.percent); err != nil {
			return err
		}
	}
	var others []string
	for b := range participants {
		if !listed[b] {
			others = append(others, b)
		}
	}
	sort.Strings(others)
	for _, b := range others { // entries of members without (or outside) a listed 分工会
		if err := put(orDash(b), "", len(participants[b]), ""); err != nil {
			return err
		}
	}
	for i, w := range []float64{24, 12, 10, 10, 12, 10, 10, 10, 10, 10} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(s, col, col, w); err != nil {
			return err
		}
	}
	return nil
}

// sheetName makes a valid, unique Excel sheet name: at most 31 characters, none of []:*?/\,
// not starting or ending with an apostrophe.
func sheetName(name string, used map[string]bool) string {
	name = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, strings.TrimSpace(name))
	name = strings.Trim(name, "'")
	if name == "" {
		name = "名单"
	}
	base := truncateRunes(name, 31)
	out := base
	for n := 2; used[out]; n++ {
		suffix := fmt.Sprintf("(%d)", n)
		out = truncateRunes(base, 31-utf8.RuneCountInString(suffix)) + suffix
	}
	used[out] = true
	return out
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// rosterFileName is like 羽毛球比赛报名表_20240401.xlsx (the export date in loc).
func rosterFileName(title string, now time.Time, loc *time.Location) string {
	t := strings.Map(func(r rune) rune {
		if strings.ContainsRune(`/\:*?"<>|`, r) || r < ' ' {
			return '_'
		}
		return r
	}, strings.TrimSpace(title))
	return fmt.Sprintf("%s报名表_%s.xlsx", truncateRunes(t, 60), now.In(loc).Format("20060102"))
}

func containsString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }
