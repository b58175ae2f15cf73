package tasks_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/internal/golden"
)

// TestReportLayout reads the quarterly workbook back and compares its layout and cells with
// testdata/report.golden.txt (-update rewrites it).
func TestReportLayout(t *testing.T) {
	c, err := tasks.NewCadence(handlers.Deps{Loc: shanghai})
	if err != nil {
		t.Fatal(err)
	}
	data, err := c.ReportXLSX(2024, 2, day("2024-06-30"), fixture())
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "sheets: %v\n", f.GetSheetList())
	for _, sheet := range f.GetSheetList() {
		panes, _ := f.GetPanes(sheet)
		fmt.Fprintf(&b, "== %s (frozen %v, top-left %q)\n", sheet, panes.Freeze, panes.TopLeftCell)
		if sheet == "实事进度" {
			var widths []string
			for _, col := range []string{"A", "B", "D", "G", "K", "L"} {
				w, _ := f.GetColWidth(sheet, col)
				widths = append(widths, fmt.Sprintf("%s=%g", col, w))
			}
			fmt.Fprintf(&b, "widths: %s\n", strings.Join(widths, " "))
			style, _ := f.GetCellStyle(sheet, "G5")
			st, _ := f.GetStyle(style)
			fmt.Fprintf(&b, "G5 fill: %v\n", st.Fill.Color)
		}
		rows, _ := f.GetRows(sheet)
		for _, r := range rows {
			fmt.Fprintln(&b, strings.Join(r, " | "))
		}
	}
	golden.File(t, "report.golden.txt", []byte(b.String()))
}
