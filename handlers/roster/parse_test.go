package roster

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
)

const goodCSV = "姓名,工号,分工会,性别,手机,邮箱\r\n" +
	"欧阳·娜娜,000123,信息工程学院分工会,女,13812345678,ouyang@example.edu.cn\r\n" +
	"张三,000456,机关分工会,男,+86 139-1234-5678,\r\n" +
	"李四,20230001,信息工程学院分工会,,,lisi@example.edu.cn\r\n"

var goodRows = []Row{
	{Line: 2, Name: "欧阳·娜娜", EmployeeNo: "000123", Branch: "信息工程学院分工会", Gender: "F", Mobile: "13812345678", Email: "ouyang@example.edu.cn"},
	{Line: 3, Name: "张三", EmployeeNo: "000456", Branch: "机关分工会", Gender: "M", Mobile: "13912345678"},
	{Line: 4, Name: "李四", EmployeeNo: "20230001", Branch: "信息工程学院分工会", Email: "lisi@example.edu.cn"},
}

// goodXLSX is the good roster as an office types it: 工号 as text, as a number formatted
// "000000", and as a plain number; a mobile as a number.
func goodXLSX(t *testing.T) []byte {
	return xlsxFile(t, sheetData{name: "Sheet1", rows: [][]any{
		{"姓名", "工号", "分工会", "性别", "手机", "邮箱"},
		{"欧阳·娜娜", "000123", "信息工程学院分工会", "女", 13812345678, "ouyang@example.edu.cn"},
		{" 张三 ", numFmt{456, "000000"}, "机关分工会", "男", "+86 139-1234-5678", nil},
		{"李四", 20230001.0, "信息工程学院分工会", nil, nil, "lisi@example.edu.cn"},
	}})
}

func TestParseGoodRoster(t *testing.T) {
	tests := []struct {
		name string
		file string
		data func(t *testing.T) []byte
	}{
		{"utf8 csv", "名单.csv", func(*testing.T) []byte { return []byte(goodCSV) }},
		{"utf8 bom csv", "名单.CSV", func(*testing.T) []byte { return utf8BOMBytes(goodCSV) }},
		{"gb18030 csv", "名单.csv", func(t *testing.T) []byte { return gb18030Bytes(t, goodCSV) }},
		{"xlsx", "会员名单.xlsx", goodXLSX},
		{"xlsx roster sheet not first", "会员名单.xlsx", func(t *testing.T) []byte {
			return xlsxFile(t,
				sheetData{name: "说明", rows: [][]any{{"请在“名单”表中填写"}}},
				sheetData{name: "名单", rows: [][]any{
					{"姓名", "工号", "分工会", "性别", "手机", "邮箱"},
					{"欧阳·娜娜", "000123", "信息工程学院分工会", "女", "13812345678", "ouyang@example.edu.cn"},
					{"张三", "000456", "机关分工会", "男", "+8613912345678", ""},
					{"李四", "20230001", "信息工程学院分工会", "", "", "lisi@example.edu.cn"},
				}})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems, err := Parse(tt.file, bytes.NewReader(tt.data(t)))
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 0 {
				t.Errorf("problems = %v", problems)
			}
			if !reflect.DeepEqual(rows, goodRows) {
				t.Errorf("rows =\n%+v\nwant\n%+v", rows, goodRows)
			}
		})
	}
}

func TestParseBadRows(t *testing.T) {
	csv := csvText(
		"姓名,工号,分工会,性别,手机,邮箱,备注",                    // 1
		"王五,001,A分工会,男,13800000001,wangwu@x.cn,队长", // 2 good
		",002,A分工会,男,,,",                           // 3 no name
		"赵六,,A分工会,,,,",                             // 4 no 工号
		"钱七,001,B分工会,,,,",                          // 5 duplicate of line 2
		"孙八,003,,未知,,,",                            // 6 gender
		"周九,004,,,1234567,,",                       // 7 mobile too short
		"吴十,005,,,,wu@localhost,",                  // 8 email without a dot
		",,,,,,",                                   // 9 empty: skipped silently
		"郑十一,006,,female,,,",                       // 10 good
		",007,,X,,,",                               // 11 two problems
		"陈,008,,,,a@b@c.cn,",                       // 12 two @
		"林,009,,,12812345678,,",                    // 13 mobile starts with 12
		"\"何, 小\",010,\"信息学院,分工会\",M,,,",           // 14 good, quoted fields
	)
	wantProblems := map[int]string{
		3:  "第 3 行：姓名为空",
		4:  "第 4 行：工号为空",
		5:  "第 5 行：工号 001 与第 2 行重复",
		6:  "第 6 行：性别无法识别（应为“男”或“女”，或留空）",
		7:  "第 7 行：手机号格式不正确（应为 11 位，以 1 开头）",
		8:  "第 8 行：邮箱格式不正确（应形如 name@example.edu.cn）",
		11: "第 11 行：姓名为空；性别无法识别（应为“男”或“女”，或留空）",
		12: "第 12 行：邮箱格式不正确（应形如 name@example.edu.cn）",
		13: "第 13 行：手机号格式不正确（应为 11 位，以 1 开头）",
	}
	for _, enc := range []struct {
		name string
		data []byte
	}{{"utf8", []byte(csv)}, {"bom", utf8BOMBytes(csv)}, {"gb18030", gb18030Bytes(t, csv)}} {
		t.Run(enc.name, func(t *testing.T) {
			p := parseBytes(t, "r.csv", enc.data)
			got := map[int]string{}
			for _, pr := range p.Problems {
				got[pr.Line] = pr.Reason
			}
			if !reflect.DeepEqual(got, wantProblems) {
				t.Errorf("problems:\n got %v\nwant %v", got, wantProblems)
			}
			var lines []int
			for _, r := range p.Rows {
				lines = append(lines, r.Line)
			}
			if !reflect.DeepEqual(lines, []int{2, 10, 14}) {
				t.Errorf("good rows at lines %v, want [2 10 14]", lines)
			}
			if p.Rows[1].Gender != "F" || p.Rows[2].Name != "何, 小" || p.Rows[2].Branch != "信息学院,分工会" {
				t.Errorf("rows = %+v", p.Rows)
			}
			if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "备注") {
				t.Errorf("warnings = %q, want one naming 备注", p.Warnings)
			}
		})
	}
}

func TestParseHeaderVariants(t *testing.T) {
	csv := csvText(
		"2024 年教职工会员名单,,,,,,",
		"\" * 姓名 \",　教工号　,部门,Gender,手机号码,E-mail,身份证号",
		"欧阳·娜娜 ,'000123,信息工程学院分工会,女,138 1234 5678,OuYang@Example.edu.cn,430000000000000000",
		"张三,=\"000456\",机关分工会,male,,,",
	)
	p := parseBytes(t, "r.csv", []byte(csv))
	want := []Row{
		{Line: 3, Name: "欧阳·娜娜", EmployeeNo: "000123", Branch: "信息工程学院分工会", Gender: "F", Mobile: "13812345678", Email: "OuYang@Example.edu.cn"},
		{Line: 4, Name: "张三", EmployeeNo: "000456", Branch: "机关分工会", Gender: "M"},
	}
	if !reflect.DeepEqual(p.Rows, want) || len(p.Problems) != 0 {
		t.Errorf("rows = %+v, problems = %v", p.Rows, p.Problems)
	}
	if len(p.Warnings) != 2 || !strings.Contains(p.Warnings[0], "第 2 行") || !strings.Contains(p.Warnings[1], "身份证号") {
		t.Errorf("warnings = %q", p.Warnings)
	}
	for _, w := range p.Warnings {
		if strings.Contains(w, "430000") {
			t.Errorf("a warning shows cell data: %q", w)
		}
	}

	// English headers, tab-separated, and an empty row between data rows in a workbook.
	p = parseBytes(t, "r.csv", []byte("name\temployee_no\tbranch\tgender\tmobile\temail\nAnna\tE01\tX\tF\t\t\n"))
	if len(p.Rows) != 1 || p.Rows[0].EmployeeNo != "E01" || p.Rows[0].Gender != "F" {
		t.Errorf("english tsv: rows = %+v", p.Rows)
	}
	x := xlsxFile(t, sheetData{name: "会员", rows: [][]any{
		nil,
		{"工号", "姓名"},
		{"001", "甲"},
		nil,
		{2.0, "乙"},
	}})
	p = parseBytes(t, "r.xlsx", x)
	if len(p.Rows) != 2 || p.Rows[0].Line != 3 || p.Rows[1].Line != 5 || p.Rows[1].EmployeeNo != "2" {
		t.Errorf("xlsx with gaps: rows = %+v", p.Rows)
	}
}

func TestParseUnusableFiles(t *testing.T) {
	emptyBook := xlsxFile(t, sheetData{name: "Sheet1"})
	headerOnly := xlsxFile(t, sheetData{name: "Sheet1", rows: [][]any{{"姓名", "工号"}}})
	tests := []struct {
		name, file string
		data       []byte
		want       string // in the message
	}{
		{"garbage xlsx", "名单.xlsx", []byte("this is not a zip file \x00\x01\x02"), "无法读取 Excel"},
		{"csv without header", "名单.csv", []byte(csvText("张三,000123,机关分工会", "李四,000456,机关分工会")), "找不到表头"},
		{"csv header without 工号", "名单.csv", []byte(csvText("姓名,手机", "张三,13812345678")), "找不到表头"},
		{"empty csv", "名单.csv", nil, "空"},
		{"blank csv", "名单.csv", []byte("\r\n , ,\r\n"), "没有内容"},
		{"header only", "名单.csv", []byte("姓名,工号\r\n"), "没有成员数据"},
		{"txt", "名单.txt", []byte(goodCSV), "不支持的文件类型"},
		{"xls", "名单.xls", []byte(goodCSV), "另存为 .xlsx"},
		{"no extension", "名单", []byte(goodCSV), "不支持的文件类型"},
		{"empty sheet", "名单.xlsx", emptyBook, "没有内容"},
		{"xlsx header only", "名单.xlsx", headerOnly, "没有成员数据"},
		{"binary csv", "名单.csv", []byte{0, 1, 2, 3, 0xff, 0}, "不是有效的 CSV"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems, err := Parse(tt.file, bytes.NewReader(tt.data))
			if err == nil {
				t.Fatalf("no error; rows = %v, problems = %v", rows, problems)
			}
			if rows != nil || problems != nil {
				t.Errorf("rows/problems returned with the error")
			}
			if store.ErrorCode(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), tt.want) {
				t.Errorf("err = %v (code %s), want EINVALID mentioning %q", err, store.ErrorCode(err), tt.want)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in      Row
		want    Row
		reasons int
	}{
		{Row{Name: " 阿依古丽·买买提 ", EmployeeNo: " 00042 "}, Row{Name: "阿依古丽·买买提", EmployeeNo: "00042"}, 0},
		{Row{Name: "甲", EmployeeNo: "123.0", Mobile: "13812345678.0"}, Row{Name: "甲", EmployeeNo: "123", Mobile: "13812345678"}, 0},
		{Row{Name: "甲", EmployeeNo: "1", Mobile: "+86-138-1234-5678", Gender: "Female"}, Row{Name: "甲", EmployeeNo: "1", Mobile: "13812345678", Gender: "F"}, 0},
		{Row{Name: "甲", EmployeeNo: "1", Gender: "男性"}, Row{Name: "甲", EmployeeNo: "1", Gender: "M"}, 0},
		{Row{Name: "甲", EmployeeNo: "1", Mobile: "23812345678"}, Row{}, 1},
		{Row{Name: "甲", EmployeeNo: "1", Mobile: "138123456789"}, Row{}, 1},
		{Row{Name: "甲", EmployeeNo: "1", Email: "a@.cn"}, Row{}, 1},
		{Row{Name: "甲", EmployeeNo: "1", Email: "@a.cn"}, Row{}, 1},
		{Row{Name: "甲", EmployeeNo: "1", Email: "a b@c.cn"}, Row{}, 1},
		{Row{Name: strings.Repeat("长", 65), EmployeeNo: "1"}, Row{}, 1},
		{Row{Name: "甲", EmployeeNo: strings.Repeat("9", 65)}, Row{}, 1},
		{Row{}, Row{}, 2},
	}
	for _, tt := range tests {
		got, reasons := normalize(tt.in)
		if len(reasons) != tt.reasons {
			t.Errorf("normalize(%+v) reasons = %q, want %d", tt.in, reasons, tt.reasons)
			continue
		}
		if tt.reasons == 0 && got != tt.want {
			t.Errorf("normalize(%+v) = %+v, want %+v", tt.in, got, tt.want)
		}
		if again, r := normalize(got); tt.reasons == 0 && (again != got || len(r) != 0) {
			t.Errorf("normalize is not idempotent on %+v", got)
		}
	}
}
