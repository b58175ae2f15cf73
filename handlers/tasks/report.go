package tasks

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// report sends the quarterly Excel report of a year's tasks to the chair and the officers,
// 1:1, as a file reminder. It runs at the start of a quarter and reports the quarter just
// ended (the report of 1 January covers the year before). The file is a reminder like any
// other: queued once under its unique key, at office hours, preceded by a note when late.
func (c *Cadence) report(ctx context.Context, r *jobs.Run) error {
	moments, err := r.Occurrences(c.Cfg.ReportSchedule)
	if err != nil || len(moments) == 0 {
		return err
	}
	to, err := roleOpenIDs(ctx, r.DB, store.Officers...)
	if err != nil || len(to) == 0 {
		return err
	}
	for _, at := range moments {
		end := r.Cal.Date(at).AddDate(0, 0, -1) // the last day reported on
		year, q := end.Year(), (int(end.Month())+2)/3
		ts, err := r.DB.TasksByYear(ctx, year)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			continue
		}
		data, err := c.ReportXLSX(year, q, end, ts)
		if err != nil {
			return err
		}
		name := fmt.Sprintf("%d年十件实事第%d季度督办报告_%s.xlsx", year, q, end.Format("20060102"))
		for _, o := range to {
			key := fmt.Sprintf("task.report:%dQ%d:%s:%s", year, q, o, ymd(r.Cal.Date(at)))
			err := r.DB.InTx(ctx, func(tx *store.Tx) error {
				_, err := r.Remind(ctx, tx, jobs.Reminder{Key: key, Due: at, OpenID: o,
					File: &jobs.File{Name: name, Data: data}, Office: true})
				return err
			})
			if err != nil {
				return err
			}
		}
	}
	return nil
}

// Report columns.
var reportHeader = []string{"序号", "任务", "牵头单位", "责任人", "完成时限", "进度", "状态", "逾期天数", "延期次数", "完成日期", "最新进展", "需协调解决的问题"}

var reportWidths = []float64{6, 40, 14, 24, 12, 8, 10, 10, 10, 12, 40, 40}

// ReportXLSX is the quarterly report workbook: a sheet 实事进度 with one row per task (frozen
// header, column widths) and a sheet 汇总 with the counts by colour. end is the day reported on.
func (c *Cadence) ReportXLSX(year, quarter int, end time.Time, ts []*store.Task) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	const main, sum = "实事进度", "汇总"
	if err := f.SetSheetName("Sheet1", main); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(sum); err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"D9E1F2"}},
		Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}})
	if err != nil {
		return nil, err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{Vertical: "top", WrapText: true}})
	if err != nil {
		return nil, err
	}
	fills := map[Colour]string{Red: "F8CBAD", Yellow: "FFE699", Blue: "BDD7EE", Normal: "FFFFFF", Green: "C6EFCE"}
	styles := map[Colour]int{}
	for col, fill := range fills {
		if styles[col], err = f.NewStyle(&excelize.Style{Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{fill}},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "top"}}); err != nil {
			return nil, err
		}
	}
	for i, h := range reportHeader {
		cell, _ := excelize.CoordinatesToCellName(i+1, 1)
		f.SetCellValue(main, cell, h)
		colName, _ := excelize.ColumnNumberToName(i + 1)
		f.SetColWidth(main, colName, colName, reportWidths[i])
	}
	last, _ := excelize.ColumnNumberToName(len(reportHeader))
	f.SetCellStyle(main, "A1", last+"1", head)
	counts := map[Colour]int{}
	for i, t := range ts {
		row := i + 2
		j := c.Pace.Colour(t, end)
		counts[j.Colour]++
		status := colours[j.Colour].Name
		if j.Colour == Green && t.CompletedOn > t.Deadline {
			status = "逾期完成"
		}
		vals := []any{t.Number, t.Title, t.LeadUnit, t.OwnerNames(), t.Deadline, fmt.Sprintf("%d%%", t.Progress), status,
			j.OverdueDays, t.Extensions, t.CompletedOn, t.Note, t.Problems}
		for k, v := range vals {
			cell, _ := excelize.CoordinatesToCellName(k+1, row)
			f.SetCellValue(main, cell, v)
		}
		f.SetCellStyle(main, fmt.Sprintf("A%d", row), fmt.Sprintf("%s%d", last, row), wrap)
		f.SetCellStyle(main, fmt.Sprintf("G%d", row), fmt.Sprintf("G%d", row), styles[j.Colour])
	}
	if err := f.SetPanes(main, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	f.SetCellValue(sum, "A1", fmt.Sprintf("%d 年十件实事第 %d 季度督办报告（截至 %s）", year, quarter, ymd(end)))
	f.SetCellValue(sum, "A3", "状态")
	f.SetCellValue(sum, "B3", "任务数")
	f.SetCellStyle(sum, "A3", "B3", head)
	for i, col := range colourOrder {
		f.SetCellValue(sum, fmt.Sprintf("A%d", i+4), colours[col].Name)
		f.SetCellValue(sum, fmt.Sprintf("B%d", i+4), counts[col])
	}
	n := len(colourOrder) + 4
	f.SetCellValue(sum, fmt.Sprintf("A%d", n), "合计")
	f.SetCellValue(sum, fmt.Sprintf("B%d", n), len(ts))
	f.SetColWidth(sum, "A", "A", 16)
	f.SetColWidth(sum, "B", "B", 10)
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
