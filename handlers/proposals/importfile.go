package proposals

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

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
	Departments []struct {
		Name     string   `yaml:"name"`
		Contacts []string `yaml:"contacts"` // 工号 of the contact persons
		Leader   string   `yaml:"leader"`   // 工号 of the 分管校领导
	} `yaml:"departments"`
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
