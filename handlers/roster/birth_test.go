package roster

import (
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestParseBirthDate(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"1980-05-01", "1980-05-01", true},
		{"1980/5/1", "1980-05-01", true},
		{"1980.5.1", "1980-05-01", true},
		{"19800501", "1980-05-01", true},
		{"1980年5月1日", "1980-05-01", true},
		{"05-01-80", "1980-05-01", true}, // excelize's display of Excel's default date format
		{"29342", "1980-05-01", true},    // an Excel date serial
		{"1980-13-01", "", false},
		{"明年", "", false},
		{"2999-01-01", "", false},
	}
	for _, tc := range tests {
		got, ok := parseBirthDate(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseBirthDate(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestImportBirthDates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		csv := "姓名,工号,分工会,性别,出生日期\n王芳,B001,机关分工会,女,1979/4/2\n李雷,B002,机关分工会,男,\n韩梅,B003,机关分工会,女,不详\n"
		rep := importFile(t, db, "名单.csv", []byte(csv), nil, false)
		if got := countsOf(rep); got != (counts{Created: 2, Problems: 1}) || !strings.Contains(rep.Problems[0].Reason, "出生日期无法识别") {
			t.Fatalf("import = %+v %+v", got, rep.Problems)
		}
		birth := func(no string) string {
			var b string
			id := byNo(t, db, no).ID
			db.InTx(ctx, func(tx *store.Tx) error {
				f, err := tx.MemberFacts(ctx, id)
				if err == nil {
					b = f.BirthDate()
				}
				return err
			})
			return b
		}
		if birth("B001") != "1979-04-02" || birth("B002") != "" {
			t.Errorf("birth dates %q %q", birth("B001"), birth("B002"))
		}
		// A new date updates; an empty cell keeps the known one.
		csv2 := "姓名,工号,分工会,性别,出生日期\n王芳,B001,机关分工会,女,1979-04-03\n李雷,B002,机关分工会,男,\n"
		rep = importFile(t, db, "名单.csv", []byte(csv2), nil, false)
		if got := countsOf(rep); got != (counts{Updated: 1, Unchanged: 1}) || birth("B001") != "1979-04-03" {
			t.Errorf("reimport = %+v, %q", got, birth("B001"))
		}
	})
}
