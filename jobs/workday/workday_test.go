package workday_test

import (
	"context"
	"testing"
	"time"

	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var shanghai, _ = time.LoadLocation("Asia/Shanghai")

func day(s string) time.Time {
	d, err := time.ParseInLocation(workday.Layout, s, shanghai)
	if err != nil {
		panic(err)
	}
	return d
}

// TestStatutory checks the calendar against the State Council's 2024 and 2026 arrangements.
func TestStatutory(t *testing.T) {
	c := workday.New(shanghai, nil)
	tests := []struct {
		day  string
		work bool
		why  string
	}{
		// 2026 (DOMAIN.md).
		{"2026-01-01", false, "元旦"}, {"2026-01-02", false, "元旦"}, {"2026-01-03", false, "元旦 (Saturday)"},
		{"2026-01-04", true, "调休 Sunday"}, {"2026-01-05", true, "plain Monday"},
		{"2026-02-13", true, "Friday before 春节"}, {"2026-02-14", true, "调休 Saturday"},
		{"2026-02-15", false, "春节"}, {"2026-02-16", false, "春节"}, {"2026-02-17", false, "春节"},
		{"2026-02-18", false, "春节"}, {"2026-02-19", false, "春节"}, {"2026-02-20", false, "春节"},
		{"2026-02-21", false, "春节"}, {"2026-02-22", false, "春节"}, {"2026-02-23", false, "春节"},
		{"2026-02-24", true, "after 春节"}, {"2026-02-28", true, "调休 Saturday"},
		{"2026-04-04", false, "清明"}, {"2026-04-06", false, "清明 Monday"},
		{"2026-05-01", false, "劳动节"}, {"2026-05-05", false, "劳动节"}, {"2026-05-09", true, "调休 Saturday"},
		{"2026-06-19", false, "端午"}, {"2026-09-20", true, "调休 Sunday"},
		{"2026-09-25", false, "中秋"}, {"2026-10-01", false, "国庆"}, {"2026-10-07", false, "国庆"},
		{"2026-10-08", true, "after 国庆"}, {"2026-10-10", true, "调休 Saturday"}, {"2026-10-11", false, "plain Sunday"},
		// 2024.
		{"2024-02-04", true, "调休 Sunday"}, {"2024-02-10", false, "春节"}, {"2024-02-17", false, "春节"},
		{"2024-02-18", true, "调休 Sunday"}, {"2024-04-04", false, "清明"}, {"2024-04-07", true, "调休 Sunday"},
		{"2024-05-01", false, "劳动节"}, {"2024-05-11", true, "调休 Saturday"}, {"2024-06-10", false, "端午"},
		{"2024-09-14", true, "调休 Saturday"}, {"2024-09-17", false, "中秋"}, {"2024-09-29", true, "调休 Sunday"},
		{"2024-10-07", false, "国庆"}, {"2024-10-12", true, "调休 Saturday"}, {"2024-03-25", true, "plain Monday"},
		{"2024-03-23", false, "plain Saturday"},
	}
	for _, tt := range tests {
		if got := c.IsWorkday(day(tt.day)); got != tt.work {
			t.Errorf("IsWorkday(%s) = %v, want %v (%s)", tt.day, got, tt.work, tt.why)
		}
	}
	for y, want := range map[int]bool{2000: false, 2002: true, 2024: true, 2026: true, 2027: false} {
		if got := c.HasYear(y); got != want {
			t.Errorf("HasYear(%d) = %v, want %v", y, got, want)
		}
	}
	if d := c.Day(day("2026-02-17")); d.Name != "春节" || d.Source != workday.SourceStatutory {
		t.Errorf("Day(2026-02-17) = %+v", d)
	}
}

func TestArithmetic(t *testing.T) {
	c := workday.New(shanghai, nil)
	f := func(tm time.Time) string { return tm.Format(workday.Layout) }
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"PrevWorkday of a workday is itself", f(c.PrevWorkday(day("2026-02-13"))), "2026-02-13"},
		{"PrevWorkday inside 春节", f(c.PrevWorkday(day("2026-02-20"))), "2026-02-14"},
		{"PrevWorkday of 25 Oct 2026 (Sunday)", f(c.PrevWorkday(day("2026-10-25"))), "2026-10-23"},
		{"NextWorkday inside 国庆", f(c.NextWorkday(day("2026-10-03"))), "2026-10-08"},
		{"AddWorkdays +3 over 国庆", f(c.AddWorkdays(day("2026-09-29"), 3)), "2026-10-09"},
		{"AddWorkdays +3 over a 调休 Saturday", f(c.AddWorkdays(day("2026-10-08"), 3)), "2026-10-12"},
		{"AddWorkdays -1 from a Monday", f(c.AddWorkdays(day("2024-03-25"), -1)), "2024-03-22"},
		{"AddWorkdays 0", f(c.AddWorkdays(day("2024-03-23"), 0)), "2024-03-23"},
		{"an instant is reduced to its local date", f(c.PrevWorkday(time.Date(2024, 3, 24, 17, 0, 0, 0, time.UTC))), "2024-03-25"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	for _, tt := range []struct {
		a, b string
		n    int
	}{
		{"2026-09-30", "2026-10-08", 1}, {"2026-10-08", "2026-09-30", -1}, {"2024-03-22", "2024-03-29", 5},
		{"2024-03-25", "2024-03-25", 0}, {"2026-02-13", "2026-02-28", 6},
	} {
		if got := c.WorkdaysBetween(day(tt.a), day(tt.b)); got != tt.n {
			t.Errorf("WorkdaysBetween(%s, %s) = %d, want %d", tt.a, tt.b, got, tt.n)
		}
	}
	for d := day("2024-01-01"); d.Year() == 2024; d = d.AddDate(0, 0, 1) {
		for _, n := range []int{1, 3, 5} {
			if got := c.WorkdaysBetween(d, c.AddWorkdays(d, n)); got != n {
				t.Fatalf("WorkdaysBetween(%s, AddWorkdays(%d)) = %d", f(d), n, got)
			}
		}
	}
	// 2024: 262 weekdays, 19 of them holidays, plus 8 调休 weekend days = 251 working days.
	n := c.WorkdaysBetween(day("2023-12-31"), day("2024-12-31"))
	if n != 251 {
		t.Errorf("workdays in 2024 = %d, want 251", n)
	}
}

func TestOverrides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		c := workday.New(shanghai, db)
		if err := c.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		if c.HasYear(2027) {
			t.Fatal("2027 has data before any override")
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.PutHolidayOverrides(ctx, []store.HolidayOverride{
				{Day: "2027-01-01", Workday: false, Name: "元旦", Source: "test", CreatedBy: "ou_admin"},
				{Day: "2027-02-07", Workday: true, Name: "春节调休", Source: "test", CreatedBy: "ou_admin"},
				{Day: "2026-10-08", Workday: false, Name: "校庆", Source: "test", CreatedBy: "ou_admin"}, // wins over statutory
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if !c.IsWorkday(day("2027-01-01")) {
			t.Error("overrides used before Reload")
		}
		if err := c.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		for s, want := range map[string]bool{"2027-01-01": false, "2027-02-07": true, "2026-10-08": false, "2027-01-04": true} {
			if got := c.IsWorkday(day(s)); got != want {
				t.Errorf("IsWorkday(%s) = %v, want %v", s, got, want)
			}
		}
		if !c.HasYear(2027) || !c.HasOverrides(2027) || c.HasStatutory(2027) {
			t.Error("2027 should have overrides only")
		}
		y := c.Year(2027)
		if len(y) != 2 || y[0].Name != "元旦" || y[1].Source != workday.SourceOverride {
			t.Errorf("Year(2027) = %+v", y)
		}
		if got := c.Year(2026); len(got) < 30 {
			t.Errorf("Year(2026) has %d special days", len(got))
		}
	})
}
