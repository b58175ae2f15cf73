package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"

	"github.com/unionbot/unionbot/store"
)

// Row is one member line of a roster, normalised: Gender is "M", "F" or "", Mobile is 11
// digits or "", and 工号 (EmployeeNo) is text with its leading zeros. Line is the line (the
// Excel row number) in the file, for messages to the officer.
type Row struct {
	Line       int
	Name       string
	EmployeeNo string
	Branch     string
	Gender     string
	Mobile     string
	Email      string
	BirthDate  string // "2006-01-02" or "" (the optional 出生日期 column)
}

// Problem is a roster line that was not used, with the reason in Chinese for the officer,
// e.g. "第 7 行：手机号格式不正确（应为 11 位，以 1 开头）". Line is 0 for a problem that
// concerns no single line.
type Problem struct {
	Line   int
	Reason string
}

// Parsed is a parsed roster: the usable rows, the rows that were not used, and notes about the
// file as a whole (ignored columns, skipped title rows), all in Chinese.
type Parsed struct {
	Rows     []Row
	Problems []Problem
	Warnings []string
}

// MaxFileSize is the largest roster file Parse reads (20 MB: tens of thousands of members).
const MaxFileSize = 20 << 20

// Field limits, from the members table (VARCHAR(64) 工号, VARCHAR(191) elsewhere). A value
// beyond them would abort the whole import's transaction, so it is a row problem instead.
const (
	maxNameRunes   = 64
	maxNoRunes     = 64
	maxBranchRunes = 100
	maxEmailRunes  = 191
)

// headerSearchRows is how many non-empty rows may precede the header: offices often put a
// title row ("2024 年会员名单") above it.
const headerSearchRows = 10

// Column keys.
const (
	colName   = "name"
	colNo     = "employee_no"
	colBranch = "branch"
	colGender = "gender"
	colMobile = "mobile"
	colEmail  = "email"
	colBirth  = "birth_date"
)

// columnLabels are the Chinese names of the columns, for messages.
var columnLabels = map[string]string{
	colName: "姓名", colNo: "工号", colBranch: "分工会", colGender: "性别", colMobile: "手机", colEmail: "邮箱", colBirth: "出生日期",
}

// headerAliases maps a normalised header cell (see headerKey) to a column key.
var headerAliases = map[string]string{
	"姓名":         colName,
	"name":       colName,
	"工号":         colNo,
	"职工号":        colNo,
	"教工号":        colNo,
	"employeeno": colNo,
	"分工会":        colBranch,
	"部门":         colBranch,
	"单位":         colBranch,
	"branch":     colBranch,
	"性别":         colGender,
	"gender":     colGender,
	"手机":         colMobile,
	"手机号":        colMobile,
	"手机号码":       colMobile,
	"电话":         colMobile,
	"联系电话":       colMobile,
	"mobile":     colMobile,
	"邮箱":         colEmail,
	"电子邮箱":       colEmail,
	"邮件":         colEmail,
	"电子邮件":       colEmail,
	"email":      colEmail,
	"出生日期":       colBirth,
	"出生年月日":      colBirth,
	"生日":         colBirth,
	"birthdate":  colBirth,
	"birthday":   colBirth,
}

// requiredMarks are suffixes and markers around a header name that carry no meaning here.
var requiredMarks = strings.NewReplacer("*", "", "＊", "", "（必填）", "", "(必填)", "", "（选填）", "", "(选填)", "",
	"_", "", "-", "")

// headerKey normalises a header cell for matching: no spaces of any width, no "*" markers, no
// "_"/"-", lower case.
func headerKey(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' {
			return -1
		}
		return r
	}, s)
	return strings.ToLower(requiredMarks.Replace(s))
}

// Parse reads a roster. It returns an error (and no rows) when the file cannot be used at
// all: unknown extension, not a valid xlsx/csv, no header row with at least 姓名 and 工号, an
// empty sheet. Rows that fail a check are returned as problems; the other rows are returned
// normalised. ParseRoster also returns the file-level warnings.
func Parse(filename string, r io.Reader) ([]Row, []Problem, error) {
	p, err := ParseRoster(filename, r)
	if err != nil {
		return nil, nil, err
	}
	return p.Rows, p.Problems, nil
}

// ParseRoster is Parse with the warnings about the file (ignored columns, skipped title rows).
// Its errors are *store.Error with code EINVALID and a Chinese message for the officer.
func ParseRoster(filename string, r io.Reader) (*Parsed, error) {
	ext := strings.ToLower(filepath.Ext(filename))
	switch ext {
	case ".xlsx", ".xlsm", ".csv":
	case ".xls", ".et", ".wps":
		return nil, invalid(nil, "不支持旧版 Excel 文件（%s）：请在 Excel 或 WPS 中另存为 .xlsx 后再导入", ext)
	default:
		return nil, invalid(nil, "不支持的文件类型“%s”：请使用 .xlsx 或 .csv 文件", ext)
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &store.Error{Code: store.EINTERNAL, Op: "roster.Parse", Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, invalid(nil, "文件过大（超过 %d MB）", MaxFileSize>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, invalid(nil, "文件是空的")
	}
	var recs []record
	if ext == ".csv" {
		recs, err = readCSV(data)
	} else {
		recs, err = readXLSX(data)
	}
	if err != nil {
		return nil, err
	}
	return parseTable(recs)
}

// invalid is a file-level error for the officer.
func invalid(cause error, format string, args ...any) error {
	return &store.Error{Code: store.EINVALID, Op: "roster.Parse", Message: fmt.Sprintf(format, args...), Err: cause}
}

// record is one line of the file: its number and its cells.
type record struct {
	line  int
	cells []string
}

// readXLSX reads the roster sheet of a workbook: the sheet named 会员 or 名单 when there is
// one, the first sheet otherwise. Cells are read as displayed (so a 工号 formatted "000000"
// keeps its zeros); a number Excel would display in scientific notation is read raw.
func readXLSX(data []byte) ([]record, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 256 << 20})
	if err != nil {
		return nil, invalid(err, "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid(nil, "Excel 文件中没有工作表")
	}
	sheet := rosterSheet(sheets)
	rows, err := f.GetRows(sheet)
	if err != nil {
		return nil, invalid(err, "无法读取工作表“%s”", sheet)
	}
	raw, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, invalid(err, "无法读取工作表“%s”", sheet)
	}
	recs := make([]record, 0, len(rows))
	for i, row := range rows {
		for j, v := range row {
			if scientific.MatchString(strings.TrimSpace(v)) && i < len(raw) && j < len(raw[i]) {
				row[j] = raw[i][j]
			}
		}
		recs = append(recs, record{line: i + 1, cells: row})
	}
	return recs, nil
}

// rosterSheet picks the sheet named 会员, else the one named 名单, else the first.
func rosterSheet(sheets []string) string {
	for _, want := range []string{"会员", "名单"} {
		for _, s := range sheets {
			if strings.TrimSpace(s) == want {
				return s
			}
		}
	}
	return sheets[0]
}

// scientific matches a number displayed in scientific notation (1.38123E+10).
var scientific = regexp.MustCompile(`^-?\d+(\.\d+)?[eE][+-]?\d+$`)

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// decodeText returns the text of a CSV file: UTF-8 with or without BOM, UTF-16 with BOM
// (Excel's "Unicode text"), or else GB18030 (a superset of GBK), which Excel writes on Chinese
// Windows.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, utf8BOM):
		return string(data[len(utf8BOM):]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder().String(string(data))
	case utf8.Valid(data):
		return string(data), nil
	default:
		return simplifiedchinese.GB18030.NewDecoder().String(string(data))
	}
}

// readCSV reads a CSV file (commas, or tabs when the first line has tabs and no commas;
// quoted fields may span lines). A record's line is the file line where it starts.
func readCSV(data []byte) ([]record, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, invalid(err, "无法识别 CSV 文件的编码：请另存为 UTF-8 编码的 CSV")
	}
	if strings.ContainsRune(text, 0) {
		return nil, invalid(nil, "不是有效的 CSV 文本文件")
	}
	first, _, _ := strings.Cut(text, "\n")
	cr := csv.NewReader(strings.NewReader(text))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	if strings.Contains(first, "\t") && !strings.Contains(first, ",") {
		cr.Comma = '\t'
	}
	var recs []record
	for {
		cells, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, invalid(err, "CSV 文件格式错误（第 %d 行）", pe.StartLine)
			}
			return nil, invalid(err, "CSV 文件格式错误")
		}
		line, _ := cr.FieldPos(0)
		recs = append(recs, record{line: line, cells: cells})
	}
	return recs, nil
}

// clean trims spaces of every width (including the full-width space and NBSP) and stray
// zero-width characters.
func clean(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || r == '\u200b' || r == '\ufeff' })
}

// blank reports whether every cell of a record is empty.
func blank(cells []string) bool {
	for _, c := range cells {
		if clean(c) != "" {
			return false
		}
	}
	return true
}

// parseTable finds the header, maps the columns and checks every data row.
func parseTable(recs []record) (*Parsed, error) {
	p := &Parsed{}
	var cols map[string]int
	headerAt := -1
	seen := 0
	for i, rec := range recs {
		if blank(rec.cells) {
			continue
		}
		if seen++; seen > headerSearchRows {
			break
		}
		c, unknown, dups := mapHeader(rec.cells)
		if _, ok := c[colName]; !ok {
			continue
		}
		if _, ok := c[colNo]; !ok {
			continue
		}
		cols, headerAt = c, i
		if seen > 1 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("表头在第 %d 行，其上方的 %d 行（标题等）已忽略", rec.line, seen-1))
		}
		if len(unknown) > 0 {
			p.Warnings = append(p.Warnings, fmt.Sprintf("以下列无法识别，已忽略：%s", strings.Join(unknown, "、")))
		}
		for _, d := range dups {
			p.Warnings = append(p.Warnings, fmt.Sprintf("“%s”列出现多次，只使用第一列", columnLabels[d]))
		}
		break
	}
	if seen == 0 {
		return nil, invalid(nil, "文件中没有内容（工作表为空）")
	}
	if headerAt < 0 {
		return nil, invalid(nil, "找不到表头：第一行应为列名，至少包含“姓名”和“工号”两列")
	}
	first := map[string]int{} // upper-cased 工号 → first line
	data := 0
	for _, rec := range recs[headerAt+1:] {
		if blank(rec.cells) {
			continue
		}
		data++
		get := func(col string) string {
			if i, ok := cols[col]; ok && i < len(rec.cells) {
				return rec.cells[i]
			}
			return ""
		}
		row, reasons := normalize(Row{Line: rec.line, Name: get(colName), EmployeeNo: get(colNo), Branch: get(colBranch),
			Gender: get(colGender), Mobile: get(colMobile), Email: get(colEmail), BirthDate: get(colBirth)})
		reasons = append(reasons, checkDuplicate(first, row)...)
		if len(reasons) > 0 {
			p.Problems = append(p.Problems, problem(rec.line, reasons))
			continue
		}
		p.Rows = append(p.Rows, row)
	}
	if data == 0 {
		return nil, invalid(nil, "名单中没有成员数据（只有表头）")
	}
	return p, nil
}

// mapHeader maps the cells of a candidate header row to column keys. It returns the columns'
// indexes (the first of duplicates), the unknown non-empty headers and the duplicated keys.
func mapHeader(cells []string) (cols map[string]int, unknown, dups []string) {
	cols = map[string]int{}
	for i, c := range cells {
		k := headerKey(c)
		if k == "" {
			continue
		}
		col, ok := headerAliases[k]
		if !ok {
			unknown = append(unknown, "“"+clean(c)+"”")
			continue
		}
		if _, dup := cols[col]; dup {
			dups = append(dups, col)
			continue
		}
		cols[col] = i
	}
	return cols, unknown, dups
}

// checkDuplicate records a row's 工号 and reports a repeat, naming the first line. 工号 are
// compared without case, as MySQL's unique key does.
func checkDuplicate(first map[string]int, row Row) []string {
	if row.EmployeeNo == "" {
		return nil
	}
	key := strings.ToUpper(row.EmployeeNo)
	if line, ok := first[key]; ok {
		return []string{fmt.Sprintf("工号 %s 与第 %d 行重复", row.EmployeeNo, line)}
	}
	first[key] = row.Line
	return nil
}

// problem formats the reasons of one line.
func problem(line int, reasons []string) Problem {
	if line <= 0 {
		return Problem{Line: line, Reason: strings.Join(reasons, "；")}
	}
	return Problem{Line: line, Reason: fmt.Sprintf("第 %d 行：%s", line, strings.Join(reasons, "；"))}
}

var (
	mobilePattern = regexp.MustCompile(`^1[3-9]\d{9}$`)
	numberPoint0  = regexp.MustCompile(`^(\d+)\.0+$`)
)

// textCell undoes what spreadsheets do to identifiers: the CSV ="..." guard, a leading
// apostrophe, and a trailing ".0" from a number cell.
func textCell(s string) string {
	s = clean(s)
	if strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) && len(s) >= 3 {
		s = clean(s[2 : len(s)-1])
	}
	s = clean(strings.TrimPrefix(s, "'"))
	if m := numberPoint0.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return s
}

// normalize cleans and checks one row; it returns the reasons it cannot be used (in Chinese).
// It is idempotent, so Import re-checks rows that did not come from Parse.
func normalize(r Row) (Row, []string) {
	var reasons []string
	r.Name = clean(r.Name)
	switch n := utf8.RuneCountInString(r.Name); {
	case n == 0:
		reasons = append(reasons, "姓名为空")
	case n > maxNameRunes:
		reasons = append(reasons, fmt.Sprintf("姓名过长（最多 %d 个字）", maxNameRunes))
	}
	r.EmployeeNo = textCell(r.EmployeeNo)
	switch n := utf8.RuneCountInString(r.EmployeeNo); {
	case n == 0:
		reasons = append(reasons, "工号为空")
	case n > maxNoRunes:
		reasons = append(reasons, fmt.Sprintf("工号过长（最多 %d 个字符）", maxNoRunes))
	}
	r.Branch = clean(r.Branch)
	if utf8.RuneCountInString(r.Branch) > maxBranchRunes {
		reasons = append(reasons, fmt.Sprintf("分工会名称过长（最多 %d 个字）", maxBranchRunes))
	}
	switch strings.ToLower(clean(r.Gender)) {
	case "":
		r.Gender = ""
	case "男", "男性", "m", "male":
		r.Gender = "M"
	case "女", "女性", "f", "female":
		r.Gender = "F"
	default:
		reasons = append(reasons, "性别无法识别（应为“男”或“女”，或留空）")
	}
	r.Mobile = normalizeMobile(r.Mobile)
	if r.Mobile != "" && !mobilePattern.MatchString(r.Mobile) {
		reasons = append(reasons, "手机号格式不正确（应为 11 位，以 1 开头）")
	}
	r.Email = clean(r.Email)
	if r.Email != "" && !validEmail(r.Email) {
		reasons = append(reasons, "邮箱格式不正确（应形如 name@example.edu.cn）")
	}
	if b, ok := parseBirthDate(r.BirthDate); ok {
		r.BirthDate = b
	} else {
		reasons = append(reasons, "出生日期无法识别（应形如 1980-05-01，或留空）")
	}
	return r, reasons
}

// normalizeMobile strips spaces, dashes and a +86 prefix.
func normalizeMobile(s string) string {
	s = textCell(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '-' || r == '－' || r == '—' {
			return -1
		}
		return r
	}, s)
	s = strings.TrimPrefix(s, "+86")
	return strings.TrimPrefix(s, "＋86")
}

// validEmail checks the shape of an address: one "@", something before it, and a domain with
// a dot and no empty label after it. Feishu decides whether the address exists.
func validEmail(s string) bool {
	if utf8.RuneCountInString(s) > maxEmailRunes || strings.ContainsFunc(s, unicode.IsSpace) || strings.Count(s, "@") != 1 {
		return false
	}
	local, domain, _ := strings.Cut(s, "@")
	if local == "" || !strings.Contains(domain, ".") {
		return false
	}
	for _, label := range strings.Split(domain, ".") {
		if label == "" {
			return false
		}
	}
	return true
}
