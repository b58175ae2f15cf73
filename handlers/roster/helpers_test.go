package roster

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// cell is an xlsx cell to write: a string is a text cell, an int or float a number cell; a
// numFmt wraps a number shown with a custom format (e.g. "000000" keeps 工号 zeros).
type numFmt struct {
	v   float64
	fmt string
}

// xlsxFile builds a workbook with the given sheets (name → rows), in order.
func xlsxFile(t *testing.T, sheets ...sheetData) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, s := range sheets {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", s.name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(s.name); err != nil {
			t.Fatal(err)
		}
		for r, row := range s.rows {
			for c, v := range row {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				var err error
				switch v := v.(type) {
				case nil:
					continue
				case string:
					err = f.SetCellStr(s.name, ref, v)
				case numFmt:
					if err = f.SetCellFloat(s.name, ref, v.v, -1, 64); err == nil {
						fmtStr := v.fmt
						style, serr := f.NewStyle(&excelize.Style{CustomNumFmt: &fmtStr})
						if serr != nil {
							t.Fatal(serr)
						}
						err = f.SetCellStyle(s.name, ref, ref, style)
					}
				default:
					err = f.SetCellValue(s.name, ref, v)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

type sheetData struct {
	name string
	rows [][]any
}

// csvText joins lines with CRLF, as Excel writes them.
func csvText(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func utf8BOMBytes(s string) []byte { return append([]byte{0xEF, 0xBB, 0xBF}, s...) }

func gb18030Bytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func parseBytes(t *testing.T, name string, data []byte) *Parsed {
	t.Helper()
	p, err := ParseRoster(name, bytes.NewReader(data))
	if err != nil {
		t.Fatalf("ParseRoster(%s): %v", name, err)
	}
	return p
}
