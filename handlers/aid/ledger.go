package aid

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// LedgerFile is the year's aid ledger as an Excel workbook for finance: the sheet 明细 (every
// approved amount: 分工会, 姓名, 工号 as text, 类别, 月份, 金额, 状态, 发放日期, 凭证号), and the
// totals 按类别, 按分工会, 按月份 and 汇总. Amounts are 元 with two decimals, summed from fen.
func LedgerFile(ctx context.Context, db *store.DB, kinds config.AidKinds, year int) (name string, data []byte, err error) {
	rows, err := db.AidLedger(ctx, year)
	if err != nil {
		return "", nil, err
	}
	f := excelize.NewFile()
	defer f.Close()
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}}})
	if err != nil {
		return "", nil, err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": 工号 keep their leading zeros
	if err != nil {
		return "", nil, err
	}
	money, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return "", nil, err
	}
	kindName := func(code string) string {
		if k := kinds.Kind(code); k != nil {
			return k.Name
		}
		return code
	}
	sheet := func(name string, header []string, widths []float64) error {
		if name == "明细" {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(name); err != nil {
			return err
		}
		for i, h := range header {
			cell, _ := excelize.CoordinatesToCellName(i+1, 1)
			f.SetCellValue(name, cell, h)
			col, _ := excelize.ColumnNumberToName(i + 1)
			f.SetColWidth(name, col, col, widths[i])
		}
		last, _ := excelize.ColumnNumberToName(len(header))
		f.SetCellStyle(name, "A1", last+"1", head)
		return f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
	}
	if err := sheet("明细", []string{"序号", "编号", "分工会", "姓名", "工号", "类别", "月份", "金额（元）", "状态", "紧急", "发放日期", "凭证号"},
		[]float64{6, 8, 18, 10, 12, 14, 6, 12, 14, 6, 12, 16}); err != nil {
		return "", nil, err
	}
	type total struct {
		n   int
		fen int64
	}
	byKind, byBranch, byMonth := map[string]*total{}, map[string]*total{}, map[int]*total{}
	add := func(m map[string]*total, k string, fen int64) {
		if m[k] == nil {
			m[k] = &total{}
		}
		m[k].n++
		m[k].fen += fen
	}
	var sum total
	for i, r := range rows {
		row := i + 2
		emergency := ""
		if r.Emergency {
			emergency = "是"
		}
		vals := []any{i + 1, r.CaseID, r.BranchName, r.MemberName, r.EmployeeNo, kindName(r.Kind), r.Month, float64(r.ApprovedFen) / 100,
			store.AidStateNames[r.State], emergency, r.PaidOn, r.Voucher}
		for j, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(j+1, row)
			if j == 4 {
				f.SetCellStr("明细", cell, r.EmployeeNo)
				continue
			}
			f.SetCellValue("明细", cell, v)
		}
		f.SetCellStyle("明细", "E"+strconv.Itoa(row), "E"+strconv.Itoa(row), text)
		f.SetCellStyle("明细", "H"+strconv.Itoa(row), "H"+strconv.Itoa(row), money)
		add(byKind, kindName(r.Kind), r.ApprovedFen)
		add(byBranch, r.BranchName, r.ApprovedFen)
		if byMonth[r.Month] == nil {
			byMonth[r.Month] = &total{}
		}
		byMonth[r.Month].n++
		byMonth[r.Month].fen += r.ApprovedFen
		sum.n++
		sum.fen += r.ApprovedFen
	}
	totals := func(name, label string, keys []string, get func(string) *total) error {
		if err := sheet(name, []string{label, "笔数", "金额（元）"}, []float64{18, 8, 14}); err != nil {
			return err
		}
		for i, k := range append(keys, "合计") {
			t := &sum
			if k != "合计" {
				t = get(k)
			}
			row := strconv.Itoa(i + 2)
			f.SetCellValue(name, "A"+row, k)
			f.SetCellValue(name, "B"+row, t.n)
			f.SetCellValue(name, "C"+row, float64(t.fen)/100)
			f.SetCellStyle(name, "C"+row, "C"+row, money)
		}
		return nil
	}
	var kindKeys []string
	for _, k := range kinds {
		if byKind[k.Name] != nil {
			kindKeys = append(kindKeys, k.Name)
		}
	}
	for k := range byKind {
		if !slices.Contains(kindKeys, k) {
			kindKeys = append(kindKeys, k)
		}
	}
	branchKeys := sortedKeys(byBranch)
	var monthKeys []string
	for m := 1; m <= 12; m++ {
		if byMonth[m] != nil {
			monthKeys = append(monthKeys, fmt.Sprintf("%d 月", m))
		}
	}
	month := func(s string) *total {
		var m int
		fmt.Sscanf(s, "%d 月", &m)
		return byMonth[m]
	}
	for _, t := range []struct {
		name, label string
		keys        []string
		get         func(string) *total
	}{
		{"按类别", "类别", kindKeys, func(k string) *total { return byKind[k] }},
		{"按分工会", "分工会", branchKeys, func(k string) *total { return byBranch[k] }},
		{"按月份", "月份", monthKeys, month},
		{"汇总", "项目", nil, nil},
	} {
		if err := totals(t.name, t.label, t.keys, t.get); err != nil {
			return "", nil, err
		}
	}
	f.SetCellValue("汇总", "A1", fmt.Sprintf("%d 年帮扶台账", year))
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return "", nil, err
	}
	return fmt.Sprintf("帮扶台账_%d.xlsx", year), buf.Bytes(), nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// ledgerCommand is 帮扶台账 [年份]: the ledger as a file, 1:1 only (asked in a group, it is
// sent 1:1 and the group sees nothing).
func (h *Handlers) ledgerCommand(c *bot.Context) (*bot.Response, error) {
	year := h.year(c.Now)
	if s := c.Arg(0); s != "" {
		y, err := strconv.Atoi(s)
		if err != nil || !ledgerYear(int64(y)) {
			return bot.Warn("用法：帮扶台账 [年份]，如 帮扶台账 2027。"), nil
		}
		year = y
	}
	return h.sendLedger(c, year)
}

// ledgerYear reports whether a ledger of year y may be asked for.
func ledgerYear(y int64) bool { return y >= 2000 && y <= 2100 }

// ledgerButton is the ledger button (year; none for this year).
func (h *Handlers) ledgerButton(c *bot.Context) (*bot.Response, error) {
	year := c.Int("year")
	if year == 0 {
		return h.sendLedger(c, h.year(c.Now))
	}
	if !ledgerYear(year) { // a forged or garbled card: the command checks the same
		return bot.Warn("卡片数据有误，请发送「帮扶台账 年份」导出。"), nil
	}
	return h.sendLedger(c, int(year))
}

// sendLedger sends the year's ledger 1:1 to the sender, recorded in the read audit.
func (h *Handlers) sendLedger(c *bot.Context, year int) (*bot.Response, error) {
	type file struct {
		name string
		data []byte
	}
	f, err := store.Reveal(c.Ctx, c.Tx, store.Viewing{Viewer: c.Sender.OpenID, ViewerID: c.Sender.MemberID, Entity: "aid_ledger",
		EntityID: int64(year), What: "export"}, func() (file, error) {
		name, data, err := LedgerFile(c.Ctx, h.DB, h.cfg.Kinds, year)
		return file{name, data}, err
	})
	if err != nil {
		return nil, err
	}
	name, data := f.name, f.data
	if err := c.SendSensitiveFile(c.Sender.OpenID, name, data); err != nil {
		return nil, err
	}
	if c.ChatType != "" && c.ChatType != "p2p" {
		return nil, nil
	}
	return bot.Success(fmt.Sprintf("%d 年帮扶台账已单独发送给你。", year)), nil
}
