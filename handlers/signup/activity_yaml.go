package signup

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/unionbot/unionbot/store"
)

// The activity file format (`unionbot activities create -f FILE`; examples/activity-badminton.yaml
// shows every key). One activity per YAML document; several documents separated by "---"
// create several activities at once, all or none. Times are "2006-01-02 15:04" in the
// configured time zone; kinds, entry modes and allocations may be written in English or
// Chinese; items are lines in the form's format (ItemLineHint) or mappings.

// yamlActivity is one activity as written in the file.
type yamlActivity struct {
	Title          string     `yaml:"title"`
	Kind           yamlEnum   `yaml:"kind"`
	Description    string     `yaml:"description"`
	Place          string     `yaml:"place"`
	Start          yamlTime   `yaml:"start"`
	End            yamlTime   `yaml:"end"`
	SignupOpens    yamlTime   `yaml:"signup_opens"`
	SignupCloses   yamlTime   `yaml:"signup_closes"`
	CancelDeadline yamlTime   `yaml:"cancel_deadline"`
	Capacity       yamlInt    `yaml:"capacity"`
	BranchQuota    yamlInt    `yaml:"branch_quota"`
	EntryMode      yamlEnum   `yaml:"entry_mode"`
	OneItem        bool       `yaml:"one_item_per_person"`
	Allocation     yamlEnum   `yaml:"allocation"`
	BranchConfirm  bool       `yaml:"branch_confirm"`
	Insurance      bool       `yaml:"insurance"`
	MinEntries     yamlInt    `yaml:"min_entries"`
	Sensitive      bool       `yaml:"sensitive"`
	Eligibility    yamlElig   `yaml:"eligibility"`
	Items          []yamlItem `yaml:"items"`
	PublishChats   []string   `yaml:"publish_chats"`
	NotifyAll      bool       `yaml:"notify_all"`
}

type yamlElig struct {
	MembersOnly *bool    `yaml:"members_only"`
	WomenOnly   bool     `yaml:"women_only"`
	Branches    []string `yaml:"branches"`
	AgeMin      int      `yaml:"age_min"`
	AgeMax      int      `yaml:"age_max"`
	AgeRefDate  string   `yaml:"age_ref_date"`
}

// lineError is a problem at a line of the file.
type lineError struct {
	line int
	msg  string
}

func (e *lineError) Error() string { return fmt.Sprintf("第 %d 行：%s", e.line, e.msg) }

func lineErrorf(line int, format string, args ...any) error {
	return &lineError{line: line, msg: fmt.Sprintf(format, args...)}
}

// yamlTime is a local wall-clock time with the line it was written on.
type yamlTime struct {
	raw  string
	line int
}

func (t *yamlTime) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return lineErrorf(n.Line, "时间要写成「2024-04-20 14:00」。")
	}
	t.raw, t.line = strings.TrimSpace(n.Value), n.Line
	return nil
}

// yamlInt is an integer with its line.
type yamlInt struct {
	n    int
	line int
}

func (v *yamlInt) UnmarshalYAML(n *yaml.Node) error {
	v.line = n.Line
	if err := n.Decode(&v.n); err != nil {
		return lineErrorf(n.Line, "「%s」不是整数。", n.Value)
	}
	return nil
}

// yamlEnum is a keyword (English or Chinese) with its line.
type yamlEnum struct {
	raw  string
	line int
}

func (v *yamlEnum) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return lineErrorf(n.Line, "这里要写一个词。")
	}
	v.raw, v.line = strings.TrimSpace(n.Value), n.Line
	return nil
}

// yamlItem is an item: a line like "混双 8 2-2 女1", or a mapping.
type yamlItem struct {
	item *store.ActivityItem
}

func (v *yamlItem) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		it, err := ParseItemLine(n.Value)
		if err != nil {
			return lineErrorf(n.Line, "%s", store.ErrorMessage(err))
		}
		v.item = it
		return nil
	case yaml.MappingNode:
		var m struct {
			Name     string `yaml:"name"`
			Capacity int    `yaml:"capacity"`
			Team     string `yaml:"team"`
			MinWomen int    `yaml:"min_women"`
			Gender   string `yaml:"gender"`
		}
		if err := n.Decode(&m); err != nil {
			return err
		}
		it := &store.ActivityItem{Name: strings.TrimSpace(m.Name), Capacity: m.Capacity, MinWomen: m.MinWomen}
		if it.Name == "" {
			return lineErrorf(n.Line, "项目缺少 name。")
		}
		if m.Team != "" {
			lo, hi, ok := parseRange(m.Team)
			if !ok {
				if n, err := parseInt(m.Team); err == nil && n > 0 {
					lo, hi, ok = n, n, true
				}
			}
			if !ok {
				return lineErrorf(n.Line, "项目「%s」的 team「%s」要写成「2-2」或「3-5」。", it.Name, m.Team)
			}
			it.TeamMin, it.TeamMax = lo, hi
		}
		switch strings.TrimSpace(m.Gender) {
		case "":
		case "M", "男", "限男":
			it.Gender = "M"
		case "F", "女", "限女":
			it.Gender = "F"
		default:
			return lineErrorf(n.Line, "项目「%s」的 gender 要写 M（限男）或 F（限女）。", it.Name)
		}
		v.item = it
		return nil
	}
	return lineErrorf(n.Line, "项目要写成一行（如「混双 8 2-2 女1」）或带 name 的映射。")
}

// Keywords accepted for the enumerations, English or Chinese.
var (
	kindWords = map[string]string{"体育": store.KindSport, "文化": store.KindCulture, "关爱": store.KindCare,
		"培训": store.KindTraining, "休养": store.KindTrip}
	modeWords = map[string]string{"个人": store.ModeIndividual, "个人报名": store.ModeIndividual, "组队": store.ModeTeam,
		"组队报名": store.ModeTeam, "分工会": store.ModeUnit, "分工会名单": store.ModeUnit, "单位": store.ModeUnit}
	allocWords = map[string]string{"先到先得": store.AllocFirstCome, "抽签": store.AllocLottery}
)

func enumValue(v yamlEnum, words map[string]string, def string) string {
	if v.raw == "" {
		return def
	}
	if w, ok := words[v.raw]; ok {
		return w
	}
	return v.raw
}

// ParseActivitiesYAML reads activities from a YAML file (one per document). Times are read in
// loc. Every activity is validated; the first problem is returned naming its line (in
// Chinese), and then no activity is returned.
func ParseActivitiesYAML(r io.Reader, loc *time.Location) ([]*store.Activity, error) {
	dec := yaml.NewDecoder(r)
	var out []*store.Activity
	for {
		var doc yaml.Node
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, yamlError(err)
		}
		if len(doc.Content) == 0 || (doc.Content[0].Kind == yaml.ScalarNode && doc.Content[0].Tag == "!!null") {
			continue // an empty document
		}
		root := doc.Content[0]
		if root.Kind != yaml.MappingNode {
			return nil, lineErrorf(root.Line, "每个活动要写成「键: 值」的映射（参见 examples/activity-badminton.yaml）。")
		}
		var y yamlActivity
		if err := decodeStrict(root, &y); err != nil {
			return nil, yamlError(err)
		}
		a, err := y.activity(root.Line, loc)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil, errors.New("文件里没有活动。")
	}
	return out, nil
}

// decodeStrict decodes an activity's mapping, refusing keys the format does not have (naming
// the line): Node.Decode does not apply the decoder's KnownFields.
func decodeStrict(n *yaml.Node, v *yamlActivity) error {
	if err := checkKnownKeys(n); err != nil {
		return err
	}
	return n.Decode(v)
}

func checkKnownKeys(n *yaml.Node) error {
	known := map[string]map[string]bool{
		"": {"title": true, "kind": true, "description": true, "place": true, "start": true, "end": true,
			"signup_opens": true, "signup_closes": true, "cancel_deadline": true, "capacity": true, "branch_quota": true,
			"entry_mode": true, "one_item_per_person": true, "allocation": true, "branch_confirm": true,
			"insurance": true, "min_entries": true, "sensitive": true, "eligibility": true, "items": true,
			"publish_chats": true, "notify_all": true},
		"eligibility": {"members_only": true, "women_only": true, "branches": true, "age_min": true, "age_max": true,
			"age_ref_date": true},
	}
	var walk func(n *yaml.Node, section string) error
	walk = func(n *yaml.Node, section string) error {
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if !known[section][k.Value] {
				return lineErrorf(k.Line, "不认识的键「%s」。", k.Value)
			}
			if section == "" && k.Value == "eligibility" && n.Content[i+1].Kind == yaml.MappingNode {
				if err := walk(n.Content[i+1], "eligibility"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(n, "")
}

// yamlError turns a decoding error into one naming the line.
func yamlError(err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return le
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		// "line 5: cannot unmarshal !!str `abc` into int"
		msg := te.Errors[0]
		var line int
		if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
			return lineErrorf(line, "格式不对（%s）。", strings.TrimSpace(msg[strings.Index(msg, ":")+1:]))
		}
		return fmt.Errorf("格式不对：%s", msg)
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var line int
	if _, e := fmt.Sscanf(msg, "line %d:", &line); e == nil {
		return lineErrorf(line, "YAML 语法错误（%s）。", strings.TrimSpace(msg[strings.Index(msg, ":")+1:]))
	}
	return fmt.Errorf("YAML 语法错误：%s", msg)
}

// activity converts and checks the file's activity; line is where its document starts.
func (y *yamlActivity) activity(line int, loc *time.Location) (*store.Activity, error) {
	a := &store.Activity{
		Title:            strings.TrimSpace(y.Title),
		Kind:             enumValue(y.Kind, kindWords, ""),
		Description:      strings.TrimSpace(y.Description),
		Place:            strings.TrimSpace(y.Place),
		Capacity:         y.Capacity.n,
		BranchQuota:      y.BranchQuota.n,
		EntryMode:        enumValue(y.EntryMode, modeWords, store.ModeIndividual),
		OneItemPerPerson: y.OneItem,
		Allocation:       enumValue(y.Allocation, allocWords, store.AllocFirstCome),
		BranchConfirm:    y.BranchConfirm,
		NeedsInsurance:   y.Insurance,
		MinEntries:       y.MinEntries.n,
		Sensitive:        y.Sensitive,
		MembersOnly:      y.Eligibility.MembersOnly == nil || *y.Eligibility.MembersOnly,
		WomenOnly:        y.Eligibility.WomenOnly,
		Branches:         trimAll(y.Eligibility.Branches),
		AgeMin:           y.Eligibility.AgeMin,
		AgeMax:           y.Eligibility.AgeMax,
		AgeRefDate:       strings.TrimSpace(y.Eligibility.AgeRefDate),
		PublishChats:     trimAll(y.PublishChats),
		NotifyAll:        y.NotifyAll,
	}
	if a.Title == "" {
		return nil, lineErrorf(line, "活动缺少 title。")
	}
	for _, t := range []struct {
		v        yamlTime
		key      string
		dst      *time.Time
		required bool
	}{
		{y.Start, "start", &a.StartsAt, true},
		{y.End, "end", &a.EndsAt, true},
		{y.SignupOpens, "signup_opens", &a.SignupOpensAt, true},
		{y.SignupCloses, "signup_closes", &a.SignupClosesAt, true},
		{y.CancelDeadline, "cancel_deadline", &a.CancelDeadline, false},
	} {
		if t.v.raw == "" {
			if t.required {
				return nil, lineErrorf(line, "活动「%s」缺少 %s（如 2024-04-20 14:00）。", a.Title, t.key)
			}
			continue
		}
		v, err := ParseLocalTime(t.v.raw, loc)
		if err != nil {
			return nil, lineErrorf(t.v.line, "%s", store.ErrorMessage(err))
		}
		*t.dst = v
	}
	for _, it := range y.Items {
		a.Items = append(a.Items, it.item)
	}
	// Checks that can name the line of the value at fault.
	switch {
	case !a.EndsAt.After(a.StartsAt):
		return nil, lineErrorf(y.End.line, "结束时间必须晚于开始时间。")
	case a.SignupClosesAt.After(a.StartsAt):
		return nil, lineErrorf(y.SignupCloses.line, "报名截止时间不能晚于活动开始时间。")
	case !a.SignupClosesAt.After(a.SignupOpensAt):
		return nil, lineErrorf(y.SignupCloses.line, "报名截止时间必须晚于报名开始时间。")
	case a.Capacity < 0:
		return nil, lineErrorf(y.Capacity.line, "名额不能小于 0（0 表示不限）。")
	case a.Capacity > 0 && a.BranchQuota > a.Capacity:
		return nil, lineErrorf(y.BranchQuota.line, "每个分工会的限额（%d）不能大于总名额（%d）。", a.BranchQuota, a.Capacity)
	case y.Kind.raw != "" && store.KindName(a.Kind) == "":
		return nil, lineErrorf(y.Kind.line, "活动类型「%s」无效：可写 sport/体育、culture/文化、care/关爱、training/培训、trip/休养。", y.Kind.raw)
	}
	if err := validateActivity(a); err != nil {
		return nil, lineErrorf(line, "活动「%s」：%s", a.Title, store.ErrorMessage(err))
	}
	return a, nil
}

// validateActivity is the model's Validate plus the checks of this package.
func validateActivity(a *store.Activity) error {
	if err := checkItems(a); err != nil {
		return err
	}
	if err := a.Validate(); err != nil {
		return err
	}
	for _, id := range a.PublishChats {
		if !strings.HasPrefix(id, "oc_") {
			return store.Errorf(store.EINVALID, "发布群「%s」不是群聊 ID（应以 oc_ 开头）。", id)
		}
	}
	return nil
}

// Time layouts accepted for local times, most common first.
var localLayouts = []string{"2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05",
	"2006/01/02 15:04", "2006-1-2 15:04"}

// ParseLocalTime reads a wall-clock time in loc, like "2024-04-20 14:00"; a time with a zone
// (RFC 3339, or the "2024-04-20 14:00 +0800" of Feishu's date-time picker) keeps its zone.
func ParseLocalTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, l := range []string{time.RFC3339, "2006-01-02 15:04 -0700", "2006-01-02 15:04:05 -0700"} {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), nil
		}
	}
	for _, l := range localLayouts {
		if t, err := time.ParseInLocation(l, s, loc); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, store.Errorf(store.EINVALID, "时间「%s」看不懂，请写成「2024-04-20 14:00」。", s)
}

func trimAll(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func parseInt(s string) (int, error) {
	var n int
	_, err := fmt.Sscanf(strings.TrimSpace(s), "%d", &n)
	return n, err
}
