package config

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Aid configures the aid requests (帮扶申请): the kinds of aid with their ceilings and rules,
// the limits on materials, and the 公示.
type Aid struct {
	// Kinds are the kinds of aid members may ask for. Empty in the file: the default set
	// (DefaultAidKinds). Set only in the configuration file (a list of mappings, see
	// config.example.yaml), not from the environment.
	Kinds AidKinds `yaml:"kinds"`
	// MaterialMaxMB is the largest material (a photo or file sent into the 1:1 chat) accepted,
	// in MB (1 to 50). Default 10. Materials are stored sealed in the database.
	MaterialMaxMB int `yaml:"material_max_mb"`
	// MaterialTypes are the accepted file name extensions of materials (images always count as
	// "jpg"/"png" by their content). Default: jpg, jpeg, png, pdf, doc, docx, xls, xlsx.
	MaterialTypes []string `yaml:"material_types"`
	// MaterialsPerCase is the most materials one request may hold. Default 20.
	MaterialsPerCase int `yaml:"materials_per_case"`
	// PublicityChat is the group chat_id (oc_...) 公示 cards are posted to; empty: kinds that
	// require a 公示 cannot be approved with one (they are approved without and say so).
	PublicityChat string `yaml:"publicity_chat"`
	// PublicityWorkdays is how many workdays a 公示 lasts (at least 1). Default 5.
	PublicityWorkdays int `yaml:"publicity_workdays"`
	// PublicityShowAmount shows the approved amount on 公示 cards. Default false (name,
	// 分工会 and kind only).
	PublicityShowAmount bool `yaml:"publicity_show_amount"`
	// Schedule is the cron spec of the job aid.jobs (fetching materials left behind, ending
	// 公示 on time). Default every minute.
	Schedule string `yaml:"schedule"`
}

// Applicant modes of an aid kind: who may open a request of it.
const (
	AidBySelf    = "self"    // the member themselves
	AidByOfficer = "officer" // an officer on a member's behalf
)

// AidKind is one kind of aid. Amounts are in fen (分): 2000 元 is 200000.
type AidKind struct {
	// Code is the kind's stable key, stored with each request (ascii, e.g. "medical").
	Code string
	// Name is the kind as members read it (医疗补助).
	Name string
	// Applicants says who may open a request: AidBySelf, AidByOfficer or both.
	Applicants []string
	// Materials are the materials asked for (发票/医保结算单, 诊断证明 ...).
	Materials []string
	// PerTimeFen is the most one request may be approved for; 0: no ceiling.
	PerTimeFen int64
	// PerYearFen is the most one member may be approved for in a calendar year; 0: none.
	PerYearFen int64
	// Formula, when set, bounds the yearly total by the self-paid costs.
	Formula *AidFormula
	// OnePerFamily allows one request a calendar year per family (members declared as one).
	OnePerFamily bool
	// Publicity requires a 公示 (with the member's separate consent) after approval.
	Publicity bool
	// EnrolmentFeeFen > 0 makes the kind a mutual-aid fund: only members enrolled for the
	// year may claim (the fee is shown; enrolment is recorded by officers).
	EnrolmentFeeFen int64
	// Emergency lets officers open and approve a request directly (送温暖, a death).
	Emergency bool
}

// AidFormula bounds what a member may get in a calendar year from their self-paid costs:
// Percent % of the year's self-paid costs above AboveFen (大病互助: 60 % above 5,000 元),
// and never more than the kind's PerYearFen.
type AidFormula struct {
	Percent  int64
	AboveFen int64
}

// MaxForYear is the most the formula allows for a year whose self-paid costs total selfPaid.
func (f *AidFormula) MaxForYear(selfPaid int64) int64 {
	if selfPaid <= f.AboveFen {
		return 0
	}
	return (selfPaid - f.AboveFen) * f.Percent / 100
}

// MayApply reports whether mode (AidBySelf, AidByOfficer) may open a request of k.
func (k *AidKind) MayApply(mode string) bool { return slices.Contains(k.Applicants, mode) }

// Enrolment reports whether k is a fund only enrolled members may claim from.
func (k *AidKind) Enrolment() bool { return k.EnrolmentFeeFen > 0 }

// AidKinds is the list of kinds, decoded from and encoded to YAML with amounts in 元.
type AidKinds []AidKind

// Kind returns the kind with code, or nil.
func (ks AidKinds) Kind(code string) *AidKind {
	for i := range ks {
		if ks[i].Code == code {
			return &ks[i]
		}
	}
	return nil
}

// aidKindYAML is a kind as written in the file: amounts in 元 (up to two decimals).
type aidKindYAML struct {
	Code       string   `yaml:"code"`
	Name       string   `yaml:"name"`
	Applicants []string `yaml:"applicants"`
	Materials  []string `yaml:"materials"`
	PerTime    string   `yaml:"per_time"`
	PerYear    string   `yaml:"per_year"`
	Formula    *struct {
		Percent int64  `yaml:"percent"`
		Above   string `yaml:"above"`
	} `yaml:"formula"`
	OnePerFamily bool   `yaml:"one_per_family"`
	Publicity    bool   `yaml:"publicity"`
	EnrolmentFee string `yaml:"enrolment_fee"`
	Emergency    bool   `yaml:"emergency"`
}

var yuanPattern = regexp.MustCompile(`^[0-9]{1,9}(\.[0-9]{1,2})?$`)

// ParseYuan reads an amount in 元 ("2000", "0.5", "1200.50") as fen.
func ParseYuan(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if !yuanPattern.MatchString(s) {
		return 0, fmt.Errorf("%q is not an amount in 元 (digits, at most two decimals)", s)
	}
	whole, frac, _ := strings.Cut(s, ".")
	w, _ := strconv.ParseInt(whole, 10, 64)
	frac = (frac + "00")[:2]
	f, _ := strconv.ParseInt(frac, 10, 64)
	return w*100 + f, nil
}

// FormatYuan writes fen as 元: 200000 is "2000", 150 is "1.50".
func FormatYuan(fen int64) string {
	sign := ""
	if fen < 0 {
		sign, fen = "-", -fen
	}
	if fen%100 == 0 {
		return fmt.Sprintf("%s%d", sign, fen/100)
	}
	return fmt.Sprintf("%s%d.%02d", sign, fen/100, fen%100)
}

func optYuan(s string) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return 0, nil
	}
	return ParseYuan(s)
}

// UnmarshalYAML decodes the kinds strictly: an unknown key or a bad amount is an error.
func (ks *AidKinds) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return errors.New("must be a list of kinds (mappings with code, name, ...)")
	}
	var out AidKinds
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: each kind must be a mapping", item.Line)
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			if !slices.Contains(aidKindKeys, item.Content[i].Value) {
				return fmt.Errorf("line %d: unknown key %q of a kind (known: %s)", item.Content[i].Line, item.Content[i].Value, strings.Join(aidKindKeys, ", "))
			}
		}
		var y aidKindYAML
		if err := item.Decode(&y); err != nil {
			return fmt.Errorf("line %d: %v", item.Line, err)
		}
		if len(y.Materials) == 0 {
			y.Materials = nil
		}
		if len(y.Applicants) == 0 {
			y.Applicants = nil
		}
		k := AidKind{Code: y.Code, Name: y.Name, Applicants: y.Applicants, Materials: y.Materials,
			OnePerFamily: y.OnePerFamily, Publicity: y.Publicity, Emergency: y.Emergency}
		var err error
		for _, a := range []struct {
			s   string
			dst *int64
			key string
		}{{y.PerTime, &k.PerTimeFen, "per_time"}, {y.PerYear, &k.PerYearFen, "per_year"}, {y.EnrolmentFee, &k.EnrolmentFeeFen, "enrolment_fee"}} {
			if *a.dst, err = optYuan(a.s); err != nil {
				return fmt.Errorf("line %d: %s: %v", item.Line, a.key, err)
			}
		}
		if y.Formula != nil {
			above, err := optYuan(y.Formula.Above)
			if err != nil {
				return fmt.Errorf("line %d: formula.above: %v", item.Line, err)
			}
			k.Formula = &AidFormula{Percent: y.Formula.Percent, AboveFen: above}
		}
		out = append(out, k)
	}
	*ks = out
	return nil
}

var aidKindKeys = []string{"code", "name", "applicants", "materials", "per_time", "per_year", "formula",
	"one_per_family", "publicity", "enrolment_fee", "emergency"}

// MarshalYAML writes the kinds as the file does (amounts in 元), for check-config.
func (ks AidKinds) MarshalYAML() (any, error) {
	out := make([]map[string]any, 0, len(ks))
	for _, k := range ks {
		m := map[string]any{"code": k.Code, "name": k.Name, "applicants": k.Applicants, "materials": k.Materials,
			"per_time": FormatYuan(k.PerTimeFen), "per_year": FormatYuan(k.PerYearFen),
			"one_per_family": k.OnePerFamily, "publicity": k.Publicity, "emergency": k.Emergency}
		if k.Formula != nil {
			m["formula"] = map[string]any{"percent": k.Formula.Percent, "above": FormatYuan(k.Formula.AboveFen)}
		}
		if k.EnrolmentFeeFen > 0 {
			m["enrolment_fee"] = FormatYuan(k.EnrolmentFeeFen)
		}
		out = append(out, m)
	}
	return out, nil
}

// DefaultAidKinds is the working default set: one school's rules, to be replaced by the
// union's own 办法 in the configuration file.
func DefaultAidKinds() AidKinds {
	both := []string{AidBySelf, AidByOfficer}
	return AidKinds{
		{Code: "hardship", Name: "困难补助", Applicants: both, Materials: []string{"收入证明", "家庭困难情况说明"},
			PerTimeFen: 300000, PerYearFen: 500000, OnePerFamily: true, Publicity: true},
		{Code: "medical", Name: "医疗补助", Applicants: both, Materials: []string{"发票/医保结算单", "诊断证明"},
			PerTimeFen: 200000, PerYearFen: 500000},
		{Code: "critical", Name: "大病互助", Applicants: both, Materials: []string{"发票/医保结算单", "诊断证明", "出院小结"},
			PerTimeFen: 3000000, PerYearFen: 3000000, Formula: &AidFormula{Percent: 60, AboveFen: 500000}, EnrolmentFeeFen: 12000},
		{Code: "education", Name: "助学", Applicants: both, Materials: []string{"录取通知书或学籍证明", "收入证明"},
			PerTimeFen: 200000, PerYearFen: 200000, OnePerFamily: true, Publicity: true},
		{Code: "visit_hospital", Name: "慰问（住院）", Applicants: both, Materials: []string{"住院证明或出院小结"},
			PerTimeFen: 100000, PerYearFen: 200000},
		{Code: "visit_wedding", Name: "慰问（结婚）", Applicants: both, Materials: []string{"结婚证"},
			PerTimeFen: 60000, PerYearFen: 60000, OnePerFamily: true},
		{Code: "visit_birth", Name: "慰问（生育）", Applicants: both, Materials: []string{"出生医学证明"},
			PerTimeFen: 60000, PerYearFen: 60000, OnePerFamily: true},
		{Code: "visit_bereavement", Name: "慰问（丧事）", Applicants: both, Materials: []string{"死亡证明"},
			PerTimeFen: 200000, PerYearFen: 200000, OnePerFamily: true, Emergency: true},
		{Code: "warmth", Name: "送温暖", Applicants: []string{AidByOfficer}, PerTimeFen: 100000, PerYearFen: 100000,
			OnePerFamily: true, Emergency: true},
	}
}

const (
	defaultMaterialMaxMB     = 10
	defaultMaterialsPerCase  = 20
	defaultPublicityWorkdays = 5
	defaultAidSchedule       = "@every 1m"
)

var defaultMaterialTypes = []string{"jpg", "jpeg", "png", "pdf", "doc", "docx", "xls", "xlsx"}

func (x *Aid) setDefaults() {
	x.Kinds = DefaultAidKinds()
	x.MaterialMaxMB = defaultMaterialMaxMB
	x.MaterialTypes = slices.Clone(defaultMaterialTypes)
	x.MaterialsPerCase = defaultMaterialsPerCase
	x.PublicityWorkdays = defaultPublicityWorkdays
	x.Schedule = defaultAidSchedule
}

var aidCodePattern = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)

func (x *Aid) validate(ps *Problems) {
	codes, names := map[string]bool{}, map[string]bool{}
	if len(x.Kinds) == 0 {
		appendf(ps, "aid.kinds", "must list at least one kind (leave the key out for the default set)")
	}
	for i, k := range x.Kinds {
		key := fmt.Sprintf("aid.kinds[%d]", i+1)
		switch {
		case !aidCodePattern.MatchString(k.Code):
			appendf(ps, key, "code must be lower-case ascii letters, digits and _ (at most 32), got %q", k.Code)
		case codes[k.Code]:
			appendf(ps, key, "code %q is used twice", k.Code)
		}
		codes[k.Code] = true
		switch {
		case strings.TrimSpace(k.Name) == "":
			appendf(ps, key, "name must not be empty")
		case names[k.Name]:
			appendf(ps, key, "name %q is used twice", k.Name)
		}
		names[k.Name] = true
		if len(k.Applicants) == 0 {
			appendf(ps, key, "applicants must list self and/or officer")
		}
		for _, a := range k.Applicants {
			if a != AidBySelf && a != AidByOfficer {
				appendf(ps, key, "applicants: %q is neither self nor officer", a)
			}
		}
		if k.PerTimeFen > 0 && k.PerYearFen > 0 && k.PerTimeFen > k.PerYearFen {
			appendf(ps, key, "per_time (%s) must not exceed per_year (%s)", FormatYuan(k.PerTimeFen), FormatYuan(k.PerYearFen))
		}
		if f := k.Formula; f != nil && (f.Percent < 1 || f.Percent > 100) {
			appendf(ps, key, "formula.percent must be 1 to 100, got %d", f.Percent)
		}
	}
	if x.MaterialMaxMB < 1 || x.MaterialMaxMB > 50 {
		appendf(ps, "aid.material_max_mb", "must be 1 to 50, got %d", x.MaterialMaxMB)
	}
	if len(x.MaterialTypes) == 0 {
		appendf(ps, "aid.material_types", "must list at least one file name extension")
	}
	if x.MaterialsPerCase < 1 || x.MaterialsPerCase > 100 {
		appendf(ps, "aid.materials_per_case", "must be 1 to 100, got %d", x.MaterialsPerCase)
	}
	if x.PublicityChat != "" && (!strings.HasPrefix(x.PublicityChat, "oc_") || strings.ContainsFunc(x.PublicityChat, isSpaceOrControl)) {
		appendf(ps, "aid.publicity_chat", "must be a group chat_id, which starts with \"oc_\", got %q", x.PublicityChat)
	}
	if x.PublicityWorkdays < 1 || x.PublicityWorkdays > 30 {
		appendf(ps, "aid.publicity_workdays", "must be 1 to 30, got %d", x.PublicityWorkdays)
	}
	checkSpec(ps, "aid.schedule", x.Schedule)
}

// MaterialMaxBytes is MaterialMaxMB in bytes.
func (x *Aid) MaterialMaxBytes() int64 { return int64(x.MaterialMaxMB) << 20 }
