package roster

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/unionbot/unionbot/store"
)

// FuzzParseRoster reads any bytes as a CSV (UTF-8, GBK, UTF-16) or an .xlsx roster: no panic,
// a file it cannot use is an EINVALID error with a message for the officer, and every row it
// returns has a name and a 工号.
func FuzzParseRoster(f *testing.F) {
	sample, err := os.ReadFile("../../examples/roster.csv")
	if err != nil {
		f.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(sample)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(sample, false)
	f.Add(gbk, false)
	f.Add(append([]byte("\ufeff"), sample...), false)
	f.Add([]byte("姓名,工号\n张三,007\n李四,\n,008\n"), false)
	f.Add([]byte("\xff\xfe\x00\x00"), false)
	f.Add([]byte("\"姓名,工号\n\"\"\n"), false)
	wb := excelize.NewFile()
	for i, row := range [][]any{{"2024 年会员名单"}, {"姓名", "工号", "分工会", "性别", "手机", "出生日期"}, {"王建国", "0001", "机关分工会", "男", 13800000001, "1972-05-12"}, {"李红梅", 2, "", "女", "", 27000}} {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := wb.SetSheetRow("Sheet1", cell, &row); err != nil {
			f.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := wb.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes(), true)
	f.Add(buf.Bytes()[:buf.Len()/2], true)
	f.Add([]byte("PK\x03\x04"), true)
	f.Fuzz(func(t *testing.T, data []byte, xlsx bool) {
		name := "roster.csv"
		if xlsx {
			name = "roster.xlsx"
		}
		var p *Parsed
		var err error
		done := make(chan struct{})
		go func() { defer close(done); p, err = ParseRoster(name, bytes.NewReader(data)) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("ParseRoster did not return within 5 s on %d bytes", len(data))
		}
		if err != nil {
			var se *store.Error
			if !errors.As(err, &se) || se.Code != store.EINVALID || store.ErrorMessage(err) == "" {
				t.Fatalf("an unusable file gave %v, want EINVALID with a message", err)
			}
			return
		}
		for _, r := range p.Rows {
			if r.Name == "" || r.EmployeeNo == "" {
				t.Fatalf("a row without a name or 工号: %+v", r)
			}
		}
	})
}
