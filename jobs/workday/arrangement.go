package workday

import (
	"bufio"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/unionbot/unionbot/store"
)

// The arrangement format: what an admin pastes in chat (节假日导入) or passes to
// `unionbot holidays import -f FILE`. One day or range per line:
//
//	# 2027 年部分节假日安排（国务院办公厅通知）
//	2027-01-01 休 元旦
//	2027-02-06..2027-02-12 休 春节
//	2027-02-07 班 春节调休
//
// A line is a date (YYYY-MM-DD) or a range FROM..TO (both included, at most 31 days), then
// 休 (a day off; also 假, off) or 班 (a working day; also work), then an optional name. Blank
// lines and lines starting with # are ignored. A day may appear only once (a 调休 day inside a
// holiday range is contradictory, and the line is refused).

// MaxRange is the longest range one line may cover.
const MaxRange = 31

// ParseArrangement reads an arrangement from a file: one entry a line. It accepts all of it
// or nothing: the first bad line is an EINVALID error naming the line, in Chinese.
func ParseArrangement(text string) ([]store.HolidayOverride, error) {
	var recs []record
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(strings.TrimPrefix(sc.Text(), "\ufeff"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		recs = append(recs, record{label: fmt.Sprintf("第 %d 行", n), fields: strings.Fields(line)})
	}
	if err := sc.Err(); err != nil {
		return nil, store.Errorf(store.EINVALID, "第 %d 行之后无法读取：%v", n, err)
	}
	return parseRecords(recs)
}

// ParseArrangementText reads an arrangement typed or pasted in chat, where line breaks are
// lost: a new entry starts at every word that begins with a digit (names must not), and a
// word starting with # begins a comment up to the next entry. Errors name the entry
// ("第 2 条").
func ParseArrangementText(text string) ([]store.HolidayOverride, error) {
	var recs []record
	comment := false
	for _, w := range strings.Fields(text) {
		switch {
		case w[0] >= '0' && w[0] <= '9':
			comment = false
			recs = append(recs, record{label: fmt.Sprintf("第 %d 条", len(recs)+1), fields: []string{w}})
		case strings.HasPrefix(w, "#"):
			comment = true
		case comment:
		case len(recs) == 0:
			return nil, store.Errorf(store.EINVALID, "「%s」：每条应以日期开头，如「2027-01-01 休 元旦」", w)
		default:
			r := &recs[len(recs)-1]
			r.fields = append(r.fields, w)
		}
	}
	return parseRecords(recs)
}

type record struct {
	label  string // "第 3 行" or "第 3 条"
	fields []string
}

func parseRecords(recs []record) ([]store.HolidayOverride, error) {
	var out []store.HolidayOverride
	seen := map[string]string{} // day -> label
	for _, r := range recs {
		f := r.fields
		line := strings.Join(f, " ")
		if len(f) < 2 {
			return nil, store.Errorf(store.EINVALID, "%s「%s」格式不对：应为「日期 休/班 名称」，如「2027-01-01 休 元旦」", r.label, line)
		}
		from, to, err := parseSpan(f[0])
		if err != nil {
			return nil, store.Errorf(store.EINVALID, "%s「%s」：%v", r.label, line, err)
		}
		var work bool
		switch strings.ToLower(f[1]) {
		case "休", "假", "休息", "放假", "off", "holiday":
		case "班", "上班", "work", "workday":
			work = true
		default:
			return nil, store.Errorf(store.EINVALID, "%s「%s」：「%s」应为「休」或「班」", r.label, line, f[1])
		}
		name := strings.Join(f[2:], " ")
		if len([]rune(name)) > 60 {
			return nil, store.Errorf(store.EINVALID, "%s：名称太长（最多 60 个字）", r.label)
		}
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			key := d.Format(Layout)
			if prev, dup := seen[key]; dup {
				return nil, store.Errorf(store.EINVALID, "%s：%s 已在%s出现过", r.label, key, prev)
			}
			seen[key] = r.label
			out = append(out, store.HolidayOverride{Day: key, Workday: work, Name: name})
		}
	}
	if len(out) == 0 {
		return nil, store.Errorf(store.EINVALID, "没有找到任何日期。每条一行，如「2027-01-01 休 元旦」或「2027-02-07 班 春节调休」")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Day < out[j].Day })
	return out, nil
}

// parseSpan reads "2027-01-01" or "2027-02-10..2027-02-17" (dates as UTC midnights).
func parseSpan(s string) (from, to time.Time, err error) {
	a, b, isRange := strings.Cut(s, "..")
	if from, err = parseDate(a); err != nil {
		return
	}
	to = from
	if isRange {
		if to, err = parseDate(b); err != nil {
			return
		}
		if to.Before(from) {
			return from, to, fmt.Errorf("结束日期 %s 早于开始日期 %s", b, a)
		}
		if days := int(to.Sub(from).Hours()/24) + 1; days > MaxRange {
			return from, to, fmt.Errorf("一行最多 %d 天，这一行有 %d 天", MaxRange, days)
		}
	}
	return from, to, nil
}

func parseDate(s string) (time.Time, error) {
	for _, layout := range []string{Layout, "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 2000 || t.Year() > 2100 {
				return t, fmt.Errorf("年份 %d 不合理", t.Year())
			}
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("日期「%s」无法识别，应写成 2027-01-01 这样的格式", s)
}

// ImportResult says what an import did.
type ImportResult struct {
	Years    []int // the years whose overrides were replaced
	Off      int   // days off written
	Work     int   // working days written
	Replaced int   // earlier overrides of those years removed
}

// Import replaces the overrides of every year the days fall in with the days, in tx, and
// audits it. actor is who did it (an open_id or "cli:<user>"), source where it came from.
// Call the calendars' Reload after the transaction commits.
func Import(ctx context.Context, tx *store.Tx, days []store.HolidayOverride, actor, source string) (ImportResult, error) {
	var res ImportResult
	years := map[int]bool{}
	for i := range days {
		var y int
		fmt.Sscanf(days[i].Day, "%d", &y)
		years[y] = true
		days[i].CreatedBy, days[i].Source = actor, source
		if days[i].Workday {
			res.Work++
		} else {
			res.Off++
		}
	}
	for y := range years {
		res.Years = append(res.Years, y)
	}
	sort.Ints(res.Years)
	for _, y := range res.Years {
		n, err := tx.DeleteHolidayOverrides(ctx, fmt.Sprintf("%04d-01-01", y), fmt.Sprintf("%04d-12-31", y))
		if err != nil {
			return res, err
		}
		res.Replaced += n
	}
	if err := tx.PutHolidayOverrides(ctx, days); err != nil {
		return res, err
	}
	detail := fmt.Sprintf("years %v: %d days off, %d working days, %d earlier overrides replaced; source %s",
		res.Years, res.Off, res.Work, res.Replaced, source)
	if err := tx.Audit(ctx, actor, "holidays", fmt.Sprint(res.Years), "import", detail); err != nil {
		return res, err
	}
	return res, nil
}
