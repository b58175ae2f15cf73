package roster

import (
	"strconv"
	"strings"
	"time"
)

// birthLayouts are the ways offices write a date of birth (and the way excelize shows a cell
// with Excel's default date format, mm-dd-yy).
var birthLayouts = []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006.1.2", "20060102", "2006年1月2日", "01-02-06", "1/2/06", "1/2/2006"}

// parseBirthDate normalises the 出生日期 cell to "2006-01-02". An empty cell is fine (""); an
// Excel date serial number (days since 1899-12-30) is accepted. ok is false for anything else,
// or a date outside 1900 to today.
func parseBirthDate(s string) (string, bool) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), "'"))
	if s == "" {
		return "", true
	}
	var d time.Time
	if n, err := strconv.Atoi(s); err == nil && n > 0 && n < 100000 && len(s) <= 5 {
		d = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC).AddDate(0, 0, n)
	} else {
		found := false
		for _, l := range birthLayouts {
			if t, err := time.Parse(l, s); err == nil {
				d, found = t, true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	if d.Year() < 1900 || d.After(time.Now()) {
		return "", false
	}
	return d.Format(time.DateOnly), true
}
