package workday

import (
	"fmt"
	"strings"
	"time"
)

var weekdays = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// Describe renders a year's arrangement in Chinese, one holiday a line: its days off (ranges
// joined) and its 调休 working days, and where the data comes from. A year without data says
// so and how to enter it.
func Describe(c *Calendar, year int) string {
	var b strings.Builder
	days := c.Year(year)
	switch {
	case len(days) == 0:
		fmt.Fprintf(&b, "%d 年没有节假日数据：目前按周一至周五上班计算。请管理员在国务院办公厅公布安排后用「节假日导入」录入。\n", year)
		return b.String()
	case c.HasStatutory(year) && c.HasOverrides(year):
		fmt.Fprintf(&b, "%d 年节假日安排（法定数据，含管理员录入的调整）：\n", year)
	case c.HasStatutory(year):
		fmt.Fprintf(&b, "%d 年节假日安排（法定数据）：\n", year)
	default:
		fmt.Fprintf(&b, "%d 年节假日安排（管理员录入）：\n", year)
	}
	type group struct {
		name      string
		off, work []time.Time
	}
	var groups []*group
	byName := map[string]*group{}
	for _, d := range days {
		name := strings.TrimSuffix(d.Name, "调休")
		if name == "" {
			name = "其他"
		}
		g := byName[name]
		if g == nil {
			g = &group{name: name}
			byName[name] = g
			groups = append(groups, g)
		}
		if d.Workday {
			g.work = append(g.work, d.Date)
		} else {
			g.off = append(g.off, d.Date)
		}
	}
	md := func(t time.Time) string { return fmt.Sprintf("%d月%d日", int(t.Month()), t.Day()) }
	for _, g := range groups {
		var parts []string
		if len(g.off) > 0 {
			var spans []string
			for i := 0; i < len(g.off); {
				j := i
				for j+1 < len(g.off) && g.off[j+1].Sub(g.off[j]) <= 25*time.Hour {
					j++
				}
				if i == j {
					spans = append(spans, md(g.off[i]))
				} else {
					spans = append(spans, md(g.off[i])+"至"+md(g.off[j]))
				}
				i = j + 1
			}
			parts = append(parts, strings.Join(spans, "、")+fmt.Sprintf(" 放假（%d 天）", len(g.off)))
		}
		if len(g.work) > 0 {
			var ws []string
			for _, w := range g.work {
				ws = append(ws, md(w)+"（"+weekdays[w.Weekday()]+"）")
			}
			parts = append(parts, strings.Join(ws, "、")+" 上班")
		}
		fmt.Fprintf(&b, "· %s：%s\n", g.name, strings.Join(parts, "；"))
	}
	return b.String()
}
