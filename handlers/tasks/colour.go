package tasks

import (
	"strconv"
	"strings"
	"time"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// Colour is a task's state on the board (督办 practice).
type Colour string

// Colours, from the most to the least urgent.
const (
	Red    Colour = "red"    // overdue (past the deadline and not done)
	Yellow Colour = "yellow" // behind the expected pace by more than the margin
	Blue   Colour = "blue"   // the deadline is near
	Normal Colour = "normal" // open and on track
	Green  Colour = "green"  // done
)

// colourOrder sorts colours for counts and digests.
var colourOrder = []Colour{Red, Yellow, Blue, Normal, Green}

// Info is how a colour is shown.
type colourInfo struct {
	Emoji, Name string
	Header      card.Color
}

var colours = map[Colour]colourInfo{
	Red:    {"🔴", "逾期", card.Red},
	Yellow: {"🟡", "滞后", card.Yellow},
	Blue:   {"🔵", "临近时限", card.Blue},
	Normal: {"⚪", "正常", card.Wathet},
	Green:  {"🟢", "已完成", card.Green},
}

// Pace is the board's rule set: tasks.near_days and tasks.pace_margin.
type Pace struct {
	NearDays int // blue when the deadline is at most this many days away
	Margin   int // yellow when expected progress exceeds progress by more than this (points)
}

// Judge is a task's colour on a day, with the figures behind it.
type Judge struct {
	Colour      Colour
	Expected    int // the progress expected by now, in percent (elapsed share of the time)
	DaysLeft    int // days to the deadline (negative: overdue)
	OverdueDays int // calendar days past the deadline (0 when not overdue)
}

// Colour judges a task on today. The order is: done (green), overdue (red), behind pace
// (yellow), deadline near (blue), on track (normal). Expected progress is the elapsed share of
// the time from the task's start (its year's first day unless set) to its deadline, counting
// today as elapsed.
func (p Pace) Colour(t *store.Task, today time.Time) Judge {
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, today.Location())
		return d
	}
	today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, today.Location())
	deadline, start := day(t.Deadline), day(t.StartDate)
	j := Judge{DaysLeft: daysBetween(today, deadline)}
	total := daysBetween(start, deadline) + 1
	elapsed := daysBetween(start, today) + 1
	switch {
	case elapsed <= 0:
		j.Expected = 0
	case elapsed >= total:
		j.Expected = 100
	default:
		j.Expected = elapsed * 100 / total
	}
	switch {
	case t.Done():
		j.Colour = Green
	case j.DaysLeft < 0:
		j.Colour, j.OverdueDays = Red, -j.DaysLeft
	case j.Expected-t.Progress > p.Margin:
		j.Colour = Yellow
	case j.DaysLeft <= p.NearDays:
		j.Colour = Blue
	default:
		j.Colour = Normal
	}
	return j
}

// daysBetween counts calendar days from a to b (dates at midnight in one zone).
func daysBetween(a, b time.Time) int {
	ad := time.Date(a.Year(), a.Month(), a.Day(), 12, 0, 0, 0, time.UTC)
	bd := time.Date(b.Year(), b.Month(), b.Day(), 12, 0, 0, 0, time.UTC)
	return int(bd.Sub(ad).Hours() / 24)
}

// Bar is a ten-cell text progress bar: ▓▓▓▓░░░░░░ 40%.
func Bar(progress int) string {
	progress = max(0, min(100, progress))
	n := (progress + 5) / 10
	return strings.Repeat("▓", n) + strings.Repeat("░", 10-n) + " " + strconv.Itoa(progress) + "%"
}
