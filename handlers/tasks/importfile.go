package tasks

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
	"github.com/unionbot/unionbot/schema/seed"
	"github.com/unionbot/unionbot/store"
)

// The task file: a year's tasks in YAML, for `unionbot tasks import -f FILE` and the embedded
// seed (schema/seed/2024-tasks.yaml). See examples/tasks-2024.yaml.
type fileSpec struct {
	Year  int        `yaml:"year"`
	Units []unitSpec `yaml:"units"`
	Tasks []taskSpec `yaml:"tasks"`
}

type unitSpec struct {
	Name string `yaml:"name"`
	Head string `yaml:"head"` // 工号 of the unit's head
}

type taskSpec struct {
	Number       int             `yaml:"number"`
	Title        string          `yaml:"title"`
	Goal         string          `yaml:"goal"`
	LeadUnit     string          `yaml:"lead_unit"`
	PartnerUnits []string        `yaml:"partner_units"`
	Leader       string          `yaml:"leader"`    // 分管校领导, as named
	LeaderNo     string          `yaml:"leader_no"` // the leader's 工号, when a member
	Start        string          `yaml:"start"`
	Deadline     string          `yaml:"deadline"`
	Owners       []string        `yaml:"owners"` // 工号 of the responsible members
	Milestones   []milestoneSpec `yaml:"milestones"`
}

type milestoneSpec struct {
	Name    string `yaml:"name"`
	Planned string `yaml:"planned"`
}

// ImportError is a task file that cannot be imported: every problem found, each naming its
// line. Nothing was written.
type ImportError struct {
	File     string
	Problems []string
}

func (e *ImportError) Error() string {
	return fmt.Sprintf("%s：发现 %d 个问题，未导入任何任务：\n  %s", e.File, len(e.Problems), strings.Join(e.Problems, "\n  "))
}

// ImportReport says what an import did.
type ImportReport struct {
	Year    int
	Created []string // "1. title"
	Skipped []string // tasks whose number existed already: left unchanged
	Units   int      // lead-unit heads recorded
}

// String is the report for the operator, in Chinese.
func (r *ImportReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d 年：新建 %d 项任务，%d 项已存在未改动。\n", r.Year, len(r.Created), len(r.Skipped))
	for _, s := range r.Created {
		fmt.Fprintf(&b, "  新建 %s\n", s)
	}
	for _, s := range r.Skipped {
		fmt.Fprintf(&b, "  已存在 %s\n", s)
	}
	if r.Units > 0 {
		fmt.Fprintf(&b, "登记牵头单位负责人 %d 个。\n", r.Units)
	}
	if len(r.Created) == 0 {
		b.WriteString("没有任何改动。\n")
	}
	return b.String()
}

// Importer loads task files into the database.
type Importer struct {
	DB    *store.DB
	Loc   *time.Location
	Actor string // for the history and the audit trail, e.g. "cli:alice"
}

// Seed loads the embedded ten tasks of year. Seeding twice changes nothing the second time
// (and the report says so). The seed may hold deadlines already past (a plan published after
// its first deadline), so it is exempt from the "deadline not before today" rule.
func (im *Importer) Seed(ctx context.Context, year int) (*ImportReport, error) {
	data, ok := seed.Tasks(year)
	if !ok {
		return nil, fmt.Errorf("没有 %d 年的内置任务数据（现有：2024）。请用 tasks import -f FILE 导入", year)
	}
	return im.load(ctx, fmt.Sprintf("%d-tasks.yaml", year), data, true)
}

// Import loads a task file. Every problem (malformed YAML, unknown keys, bad dates, unknown
// 工号, a deadline before today, a number used twice) is reported with its line and nothing is
// imported. Tasks whose number exists already in the year are left unchanged and reported.
func (im *Importer) Import(ctx context.Context, name string, r io.Reader) (*ImportReport, error) {
	return im.ImportOpts(ctx, name, r, false)
}

// ImportOpts is Import; allowPast accepts deadlines before today (to record a past year's
// plan, like the seed).
func (im *Importer) ImportOpts(ctx context.Context, name string, r io.Reader, allowPast bool) (*ImportReport, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, err
	}
	return im.load(ctx, name, data, allowPast)
}

func (im *Importer) load(ctx context.Context, name string, data []byte, allowPast bool) (*ImportReport, error) {
	bad := &ImportError{File: name}
	var spec fileSpec
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&spec); err != nil {
		if errors.Is(err, io.EOF) {
			bad.Problems = append(bad.Problems, "文件为空")
		} else {
			bad.Problems = append(bad.Problems, yamlProblem(data, err)...)
		}
		return nil, bad
	}
	var doc yaml.Node
	yaml.Unmarshal(data, &doc) // parsed above; only for line numbers
	lines := newLineFinder(&doc)
	today := im.DB.Now().In(im.Loc).Format(time.DateOnly)
	rep := &ImportReport{Year: spec.Year}
	err := im.DB.InTx(ctx, func(tx *store.Tx) error {
		bad.Problems = nil
		if spec.Year < 2000 || spec.Year > 2100 {
			bad.add(lines.at("year"), "year 应为年度，如 2024，收到 %d", spec.Year)
		}
		if len(spec.Tasks) == 0 {
			bad.add(lines.at("tasks"), "没有任何任务（tasks 为空）")
		}
		type unitHead struct {
			name string
			id   int64
		}
		var heads []unitHead
		for i, u := range spec.Units {
			line := lines.at("units", i)
			if strings.TrimSpace(u.Name) == "" {
				bad.add(line, "单位缺少 name")
				continue
			}
			if u.Head == "" {
				continue
			}
			m, err := tx.MemberByEmployeeNo(ctx, u.Head)
			if err != nil {
				bad.add(lines.at("units", i, "head"), "找不到工号为 %s 的成员（%s 的负责人）", u.Head, u.Name)
				continue
			}
			heads = append(heads, unitHead{u.Name, m.ID})
		}
		numbers := map[int]int{}
		var tasks []*store.Task
		for i, ts := range spec.Tasks {
			line := lines.at("tasks", i)
			if prev, dup := numbers[ts.Number]; dup {
				bad.add(lines.at("tasks", i, "number"), "序号 %d 与第 %d 行的任务重复", ts.Number, prev)
				continue
			}
			numbers[ts.Number] = line
			t := &store.Task{Year: spec.Year, Number: ts.Number, Title: ts.Title, Goal: strings.TrimSpace(ts.Goal),
				LeadUnit: strings.TrimSpace(ts.LeadUnit), PartnerUnits: strings.Join(ts.PartnerUnits, "、"),
				Leader: strings.TrimSpace(ts.Leader), StartDate: ts.Start, Deadline: ts.Deadline}
			ok := true
			if ts.LeaderNo != "" {
				m, err := tx.MemberByEmployeeNo(ctx, ts.LeaderNo)
				if err != nil {
					bad.add(lines.at("tasks", i, "leader_no"), "找不到工号为 %s 的成员（分管校领导）", ts.LeaderNo)
					ok = false
				} else {
					t.LeaderMemberID = m.ID
					if t.Leader == "" {
						t.Leader = m.Name
					}
				}
			}
			for j, no := range ts.Owners {
				m, err := tx.MemberByEmployeeNo(ctx, no)
				if err != nil {
					bad.add(lines.at("tasks", i, "owners", j), "找不到工号为 %s 的成员（责任人）", no)
					ok = false
					continue
				}
				t.Owners = append(t.Owners, m)
			}
			for j, ms := range ts.Milestones {
				t.Milestones = append(t.Milestones, &store.Milestone{Name: ms.Name, Planned: ms.Planned})
				if p, okd := store.ParseDate(ms.Planned); okd {
					if d, okd := store.ParseDate(ts.Deadline); okd && p > d {
						bad.add(lines.at("tasks", i, "milestones", j, "planned"), "节点「%s」的计划日期 %s 晚于完成时限 %s", ms.Name, p, d)
						ok = false
					}
				}
			}
			if err := store.ValidateTask(t, today, allowPast); err != nil {
				key := "number"
				switch msg := store.ErrorMessage(err); {
				case strings.Contains(msg, "任务名称"):
					key = "title"
				case strings.Contains(msg, "完成时限"):
					key = "deadline"
				case strings.Contains(msg, "开始日期"):
					key = "start"
				case strings.Contains(msg, "节点"):
					key = "milestones"
				}
				bad.add(lines.at("tasks", i, key), "第 %d 项：%s", ts.Number, strings.TrimSuffix(store.ErrorMessage(err), "。"))
				ok = false
			}
			if ok {
				tasks = append(tasks, t)
			}
		}
		if len(bad.Problems) > 0 {
			return bad
		}
		for _, h := range heads {
			if err := tx.SetUnitHead(ctx, h.name, h.id, im.Actor); err != nil {
				return err
			}
			rep.Units++
		}
		for _, t := range tasks {
			label := fmt.Sprintf("%d. %s", t.Number, t.Title)
			exists, err := tx.TaskExists(ctx, t.Year, t.Number)
			if err != nil {
				return err
			}
			if exists {
				rep.Skipped = append(rep.Skipped, label)
				continue
			}
			if err := tx.CreateTask(ctx, t, im.Actor, "", today, allowPast); err != nil {
				return err
			}
			rep.Created = append(rep.Created, label)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (e *ImportError) add(line int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if line > 0 {
		msg = fmt.Sprintf("第 %d 行：%s", line, msg)
	}
	e.Problems = append(e.Problems, msg)
}

// yamlProblem turns a YAML decoding error into problems that name their lines in Chinese.
func yamlProblem(data []byte, err error) []string {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, 0, len(te.Errors))
		for _, e := range te.Errors {
			out = append(out, translateYAML(e))
		}
		return out
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return []string{translateYAML(syntaxLine(data, msg))}
}

// syntaxLine corrects the line of a YAML syntax error. The parser reports where the construct
// around the problem began, often a line early; the first line at which the file's beginning
// stops parsing, with the same complaint, is where the problem is.
func syntaxLine(data []byte, msg string) string {
	_, what, ok := strings.Cut(msg, ": ")
	if !ok || !strings.HasPrefix(msg, "line ") {
		return msg
	}
	lines := strings.SplitAfter(string(data), "\n")
	var prefix strings.Builder
	for i, l := range lines {
		prefix.WriteString(l)
		var v any
		err := yaml.Unmarshal([]byte(prefix.String()), &v)
		if err == nil {
			continue
		}
		if _, w, _ := strings.Cut(strings.TrimPrefix(err.Error(), "yaml: "), ": "); w == what {
			return fmt.Sprintf("line %d: %s", i+1, what)
		}
		break
	}
	return msg
}

// translateYAML rewrites "line 7: field x not found in type ..." as "第 7 行：..." and keeps
// the parser's own explanation.
func translateYAML(msg string) string {
	var line int
	var rest string
	if n, _ := fmt.Sscanf(msg, "line %d:", &line); n == 1 {
		_, rest, _ = strings.Cut(msg, ":")
		rest = strings.TrimSpace(rest)
		switch {
		case strings.HasPrefix(rest, "field ") && strings.Contains(rest, " not found"):
			f := strings.TrimPrefix(rest, "field ")
			f = f[:strings.Index(f, " not found")]
			rest = "未知的字段「" + f + "」"
		case strings.HasPrefix(rest, "cannot unmarshal"):
			if te, ok := yamlmsg.TypeError(rest); ok {
				rest = te
			} else {
				rest = "取值类型不对（" + rest + "）"
			}
		default:
			rest = "格式错误（" + rest + "）"
		}
		return fmt.Sprintf("第 %d 行：%s", line, rest)
	}
	return "格式错误：" + msg
}

// lineFinder finds the line of a path (keys and sequence indexes) in a YAML document.
type lineFinder struct{ root *yaml.Node }

func newLineFinder(doc *yaml.Node) lineFinder {
	if doc.Kind == yaml.DocumentNode && len(doc.Content) > 0 {
		return lineFinder{doc.Content[0]}
	}
	return lineFinder{doc}
}

// at returns the line of the value at path, or of the deepest node found on the way (0 when
// nothing is found).
func (f lineFinder) at(path ...any) int {
	n := f.root
	line := 0
	if n != nil {
		line = n.Line
	}
	for _, p := range path {
		if n == nil {
			break
		}
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						next = n.Content[i+1]
						line = n.Content[i].Line
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		n = next
	}
	return line
}
