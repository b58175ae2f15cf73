// Package workday knows which days are working days for the union, in its time zone:
//
//	workday(d) = override(d) ?? statutory(d) ?? Monday to Friday
//
// The statutory calendar (holidays and 调休 working weekends announced by the State Council)
// comes from github.com/6tail/lunar-go, which carries data through 2026. Later years are
// entered by admins as overrides (table holiday_overrides), which also win over the statutory
// data for any day (a university may close an extra day). Overrides are cached in memory;
// Reload reads them again (after an edit, and on every job wake-up).
//
// Dates are time.Time values at midnight in the calendar's zone; any instant may be passed,
// it is reduced to its date in the zone first.
package workday

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"github.com/unionbot/unionbot/store"
)

// Layout is the date layout of overrides and of the statutory calendar's days.
const Layout = "2006-01-02"

// Where a day's status comes from.
const (
	SourceOverride  = "override"  // entered by an admin
	SourceStatutory = "statutory" // the State Council's arrangement (lunar-go)
	SourceWeek      = "week"      // the Monday-to-Friday rule
)

// Day is one day's status.
type Day struct {
	Date    time.Time // midnight in the calendar's zone
	Workday bool
	Name    string // the holiday's name ("春节"), or for a 调休 day its holiday's name; "" otherwise
	Source  string // SourceOverride, SourceStatutory or SourceWeek
}

// Calendar answers workday questions. It is safe for concurrent use.
type Calendar struct {
	loc *time.Location
	db  *store.DB

	mu        sync.RWMutex
	overrides map[string]store.HolidayOverride
	statutory map[int]map[string]statutoryDay // by year, filled on first use
}

type statutoryDay struct {
	work bool
	name string
}

// New returns a calendar in loc whose overrides are read from db (nil: no overrides). Call
// Reload to read them.
func New(loc *time.Location, db *store.DB) *Calendar {
	return &Calendar{loc: loc, db: db, overrides: map[string]store.HolidayOverride{}, statutory: map[int]map[string]statutoryDay{}}
}

// Loc is the calendar's time zone.
func (c *Calendar) Loc() *time.Location { return c.loc }

// Reload reads the overrides from the database again.
func (c *Calendar) Reload(ctx context.Context) error {
	if c.db == nil {
		return nil
	}
	rows, err := c.db.HolidayOverrides(ctx)
	if err != nil {
		return fmt.Errorf("workday: load overrides: %w", err)
	}
	m := make(map[string]store.HolidayOverride, len(rows))
	for _, r := range rows {
		m[r.Day] = r
	}
	c.mu.Lock()
	c.overrides = m
	c.mu.Unlock()
	return nil
}

// Date reduces an instant to its date (midnight) in the calendar's zone.
func (c *Calendar) Date(t time.Time) time.Time {
	t = t.In(c.loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, c.loc)
}

// Parse reads a "2006-01-02" date in the calendar's zone.
func (c *Calendar) Parse(s string) (time.Time, error) {
	return time.ParseInLocation(Layout, s, c.loc)
}

// Day returns the status of d's date.
func (c *Calendar) Day(d time.Time) Day {
	d = c.Date(d)
	key := d.Format(Layout)
	c.mu.RLock()
	o, ok := c.overrides[key]
	c.mu.RUnlock()
	if ok {
		return Day{Date: d, Workday: o.Workday, Name: o.Name, Source: SourceOverride}
	}
	if s, ok := c.statutoryYear(d.Year())[key]; ok {
		return Day{Date: d, Workday: s.work, Name: s.name, Source: SourceStatutory}
	}
	wd := d.Weekday()
	return Day{Date: d, Workday: wd != time.Saturday && wd != time.Sunday, Source: SourceWeek}
}

// IsWorkday reports whether d's date is a working day.
func (c *Calendar) IsWorkday(d time.Time) bool { return c.Day(d).Workday }

// PrevWorkday returns the latest workday at or before d's date.
func (c *Calendar) PrevWorkday(d time.Time) time.Time {
	d = c.Date(d)
	for !c.IsWorkday(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// NextWorkday returns the earliest workday at or after d's date.
func (c *Calendar) NextWorkday(d time.Time) time.Time {
	d = c.Date(d)
	for !c.IsWorkday(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// AddWorkdays returns the n-th workday after d's date (n > 0) or before it (n < 0); n = 0
// returns d's date itself, workday or not.
func (c *Calendar) AddWorkdays(d time.Time, n int) time.Time {
	d = c.Date(d)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		d = d.AddDate(0, 0, step)
		if c.IsWorkday(d) {
			n--
		}
	}
	return d
}

// WorkdaysBetween counts the workdays after a's date up to and including b's date, so that
// WorkdaysBetween(d, AddWorkdays(d, n)) == n. It is negative when b is before a.
func (c *Calendar) WorkdaysBetween(a, b time.Time) int {
	a, b = c.Date(a), c.Date(b)
	sign := 1
	if b.Before(a) {
		a, b, sign = b, a, -1
	}
	n := 0
	for d := a.AddDate(0, 0, 1); !d.After(b); d = d.AddDate(0, 0, 1) {
		if c.IsWorkday(d) {
			n++
		}
	}
	return sign * n
}

// HasStatutory reports whether the statutory calendar has data for year y.
func (c *Calendar) HasStatutory(y int) bool { return len(c.statutoryYear(y)) > 0 }

// HasOverrides reports whether any override falls in year y.
func (c *Calendar) HasOverrides(y int) bool {
	prefix := fmt.Sprintf("%04d-", y)
	c.mu.RLock()
	defer c.mu.RUnlock()
	for k := range c.overrides {
		if k[:5] == prefix {
			return true
		}
	}
	return false
}

// HasYear reports whether year y has holiday data at all (statutory or entered). Without it
// the calendar falls back to Monday to Friday, which is wrong around every holiday.
func (c *Calendar) HasYear(y int) bool { return c.HasStatutory(y) || c.HasOverrides(y) }

// Year returns the year's special days (holidays and 调休 working days, statutory and
// overridden), by date: every day whose status does not simply follow Monday to Friday, and
// every overridden day.
func (c *Calendar) Year(y int) []Day {
	seen := map[string]bool{}
	var out []Day
	add := func(key string) {
		if seen[key] {
			return
		}
		seen[key] = true
		d, err := c.Parse(key)
		if err != nil {
			return
		}
		out = append(out, c.Day(d))
	}
	for k := range c.statutoryYear(y) {
		add(k)
	}
	prefix := fmt.Sprintf("%04d-", y)
	c.mu.RLock()
	var keys []string
	for k := range c.overrides {
		if k[:5] == prefix {
			keys = append(keys, k)
		}
	}
	c.mu.RUnlock()
	for _, k := range keys {
		add(k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// statutoryYear returns lunar-go's days of year y ("2006-01-02" → status), cached.
func (c *Calendar) statutoryYear(y int) map[string]statutoryDay {
	c.mu.RLock()
	m, ok := c.statutory[y]
	c.mu.RUnlock()
	if ok {
		return m
	}
	m = map[string]statutoryDay{}
	if y >= 1 && y <= 9999 {
		for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
			h := e.Value.(*HolidayUtil.Holiday)
			day := h.GetDay()
			if len(day) == 8 { // older versions return yyyymmdd
				day = day[:4] + "-" + day[4:6] + "-" + day[6:]
			}
			m[day] = statutoryDay{work: h.IsWork(), name: h.GetName()}
		}
	}
	c.mu.Lock()
	c.statutory[y] = m
	c.mu.Unlock()
	return m
}

// With returns a copy of the calendar in which the years of days have exactly days as their
// overrides: what the calendar will say after Import(days) (for showing an import before its
// transaction commits).
func (c *Calendar) With(days []store.HolidayOverride) *Calendar {
	years := map[string]bool{}
	for _, d := range days {
		years[d.Day[:5]] = true
	}
	cp := New(c.loc, c.db)
	c.mu.RLock()
	for k, v := range c.overrides {
		if !years[k[:5]] {
			cp.overrides[k] = v
		}
	}
	c.mu.RUnlock()
	for _, d := range days {
		cp.overrides[d.Day] = d
	}
	return cp
}
