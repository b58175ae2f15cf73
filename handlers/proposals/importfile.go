package proposals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
	"gopkg.in/yaml.v3"

	"github.com/unionbot/unionbot/internal/yamlmsg"
	"github.com/unionbot/unionbot/store"
)

// sessionSpec is a congress session in YAML (examples/proposal-session.yaml).
type sessionSpec struct {
	Name                string   `yaml:"name"`
	Code                string   `yaml:"code"`
	Opens               string   `yaml:"opens"`    // 2006-01-02 15:04 in the union's zone
	Closes              string   `yaml:"closes"`   // 2006-01-02 15:04
	Congress            string   `yaml:"congress"` // 2006-01-02
	MinCosigners        *int     `yaml:"min_cosigners"`
	Categories          []string `yaml:"categories"`
	ReplyWorkdays       int      `yaml:"reply_workdays"`
	RatingWorkdays      int      `yaml:"rating_workdays"`
	CosignersRate       bool     `yaml:"cosigners_rate"`
	PublicAfterRegister bool     `yaml:"public_after_register"`
	LateAsSuggestion    *bool    `yaml:"late_as_suggestion"`
	ReplyReview         bool     `yaml:"reply_review"`
}

// departmentsSpec is the departments file (examples/departments.yaml).
type departmentsSpec struct {
	Departments []departmentSpec `yaml:"departments"`
}

// departmentSpec is one department of a departments file.
type departmentSpec struct {
	Name     string   `yaml:"name"`
	Contacts []string `yaml:"contacts"` // 工号 of the contact persons
	Leader   string   `yaml:"leader"`   // 工号 of the 分管校领导
}

// decodeStrict decodes YAML refusing unknown fields, with the problem's line in Chinese.
func decodeStrict(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		var te *yaml.TypeError
		msgs := []string{strings.TrimPrefix(err.Error(), "yaml: ")}
		if errors.As(err, &te) {
			msgs = te.Errors
		}
		for i, m := range msgs {
			var line int
			if n, _ := fmt.Sscanf(m, "line %d:", &line); n == 1 {
				_, rest, _ := strings.Cut(m, ": ")
				if f, ok := strings.CutPrefix(rest, "field "); ok && strings.Contains(f, " not found") {
					rest = "未知的字段「" + f[:strings.Index(f, " not found")] + "」"
				} else if te, ok := yamlmsg.TypeError(rest); ok {
					rest = te
				} else {
					rest = "格式错误（" + rest + "）"
				}
				msgs[i] = fmt.Sprintf("第 %d 行：%s", line, rest)
			}
		}
		return store.Errorf(store.EINVALID, "%s", strings.Join(msgs, "；"))
	}
	return nil
}

// parseClock reads "2006-01-02 15:04" in loc.
func parseClock(s string, loc *time.Location) (time.Time, bool) {
	t, err := time.ParseInLocation("2006-01-02 15:04", strings.TrimSpace(s), loc)
	return t, err == nil
}

// CreateSessionFromYAML creates a congress session from a YAML file (times in loc), audited as
// actor. A file with any problem creates nothing; the error says what, in Chinese.
func CreateSessionFromYAML(ctx context.Context, db *store.DB, r io.Reader, loc *time.Location, actor string) (*store.ProposalSession, error) {
	var sp sessionSpec
	if err := decodeStrict(r, &sp); err != nil {
		return nil, err
	}
	s := &store.ProposalSession{Name: sp.Name, Code: sp.Code, CongressDate: sp.Congress, ReplyWorkdays: sp.ReplyWorkdays,
		RatingWorkdays: sp.RatingWorkdays, CosignersRate: sp.CosignersRate, PublicAfterRegister: sp.PublicAfterRegister,
		LateAsSuggestion: true, ReplyReview: sp.ReplyReview, CategoriesText: strings.Join(sp.Categories, "\n")}
	s.MinCosigners = store.DefaultMinCosigners
	if sp.MinCosigners != nil {
		s.MinCosigners = *sp.MinCosigners
	}
	if sp.LateAsSuggestion != nil {
		s.LateAsSuggestion = *sp.LateAsSuggestion
	}
	var ok bool
	if s.OpensAt, ok = parseClock(sp.Opens, loc); !ok {
		return nil, store.Errorf(store.EINVALID, "征集开始时间 opens 无效：%q（格式 2027-03-01 08:00）。", sp.Opens)
	}
	if s.ClosesAt, ok = parseClock(sp.Closes, loc); !ok {
		return nil, store.Errorf(store.EINVALID, "征集截止时间 closes 无效：%q（格式 2027-03-31 18:00）。", sp.Closes)
	}
	err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposalSession(ctx, s, actor) })
	if err != nil {
		return nil, err
	}
	return s, nil
}

// ImportDepartments creates or updates the departments of a YAML file with their contacts and
// leaders (by 工号), audited as actor; every contact holds the contact role for their
// department. A file with any problem changes nothing; the error lists every problem.
func ImportDepartments(ctx context.Context, db *store.DB, r io.Reader, actor string) (created, updated int, err error) {
	var sp departmentsSpec
	if err := decodeStrict(r, &sp); err != nil {
		return 0, 0, err
	}
	return importDepartments(ctx, db, sp, actor)
}

// ImportDepartmentsFile imports the departments of a file named name: an Excel workbook
// (.xlsx, see DepartmentColumns) or YAML (anything else), as ImportDepartments.
func ImportDepartmentsFile(ctx context.Context, db *store.DB, name string, r io.Reader, actor string) (created, updated int, err error) {
	if !strings.EqualFold(filepath.Ext(name), ".xlsx") {
		return ImportDepartments(ctx, db, r, actor)
	}
	sp, err := departmentsFromXLSX(r)
	if err != nil {
		return 0, 0, err
	}
	return importDepartments(ctx, db, sp, actor)
}

// DepartmentColumns are the header of a departments workbook's first sheet, one department a
// row: its name, the 工号 of its contacts (several separated by 、，, ; or spaces) and the 工号
// of its 分管校领导 (optional; the column may be left out). 工号 cells should be text cells,
// so that leading zeros stay.
var DepartmentColumns = []string{"承办单位", "联系人工号", "分管校领导工号"}

// departmentsFromXLSX reads a departments workbook (DepartmentColumns).
func departmentsFromXLSX(r io.Reader) (departmentsSpec, error) {
	var sp departmentsSpec
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: 64 << 20})
	if err != nil {
		return sp, store.Errorf(store.EINVALID, "无法读取 Excel 文件：文件已损坏或不是 .xlsx 格式。")
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return sp, store.Errorf(store.EINVALID, "Excel 文件中没有工作表。")
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		return sp, store.Errorf(store.EINVALID, "无法读取工作表「%s」。", sheets[0])
	}
	col := map[string]int{}
	if len(rows) > 0 {
		for i, h := range rows[0] {
			col[strings.TrimSpace(h)] = i
		}
	}
	_, hasName := col[DepartmentColumns[0]]
	_, hasContacts := col[DepartmentColumns[1]]
	if !hasName || !hasContacts {
		return sp, store.Errorf(store.EINVALID, "第 1 行应为表头：%s（分管校领导工号可不列）。", strings.Join(DepartmentColumns, "、"))
	}
	cell := func(row []string, name string) string {
		i, ok := col[name]
		if !ok || i >= len(row) {
			return ""
		}
		return strings.TrimSpace(row[i])
	}
	for _, row := range rows[1:] {
		name := cell(row, DepartmentColumns[0])
		contacts := splitNames(cell(row, DepartmentColumns[1]))
		leader := cell(row, DepartmentColumns[2])
		if name == "" && len(contacts) == 0 && leader == "" {
			continue // an empty row
		}
		sp.Departments = append(sp.Departments, departmentSpec{Name: name, Contacts: contacts, Leader: leader})
	}
	return sp, nil
}

func importDepartments(ctx context.Context, db *store.DB, sp departmentsSpec, actor string) (created, updated int, err error) {
	if len(sp.Departments) == 0 {
		return 0, 0, store.Errorf(store.EINVALID, "文件中没有承办单位（departments）。")
	}
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var problems []string
		seen := map[string]bool{}
		var ds []*store.Department
		for i, x := range sp.Departments {
			d := &store.Department{Name: strings.TrimSpace(x.Name)}
			if d.Name == "" {
				problems = append(problems, fmt.Sprintf("第 %d 个单位没有名称", i+1))
				continue
			}
			if seen[d.Name] {
				problems = append(problems, fmt.Sprintf("「%s」重复", d.Name))
			}
			seen[d.Name] = true
			if len(x.Contacts) == 0 {
				problems = append(problems, fmt.Sprintf("「%s」没有联系人", d.Name))
			}
			for _, no := range x.Contacts {
				m, err := tx.MemberByEmployeeNo(ctx, no)
				if err != nil {
					problems = append(problems, fmt.Sprintf("「%s」的联系人工号 %s 不在名册中", d.Name, no))
					continue
				}
				d.Contacts = append(d.Contacts, m)
			}
			if x.Leader != "" {
				m, err := tx.MemberByEmployeeNo(ctx, x.Leader)
				if err != nil {
					problems = append(problems, fmt.Sprintf("「%s」的分管校领导工号 %s 不在名册中", d.Name, x.Leader))
				} else {
					d.LeaderMemberID = m.ID
				}
			}
			ds = append(ds, d)
		}
		if len(problems) > 0 {
			return store.Errorf(store.EINVALID, "%s。", strings.Join(problems, "；"))
		}
		for _, d := range ds {
			isNew, err := tx.SaveDepartment(ctx, d, actor)
			if err != nil {
				return err
			}
			if isNew {
				created++
			} else {
				updated++
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, err
	}
	return created, updated, nil
}
