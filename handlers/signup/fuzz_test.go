package signup

import (
	"os"
	"strings"
	"testing"
	"time"
)

// FuzzActivitiesYAML reads any text as an activities file: no panic, a refusal is a message in
// Chinese, and every activity it accepts passes the form's checks.
func FuzzActivitiesYAML(f *testing.F) {
	example, err := os.ReadFile("../../examples/activity-badminton.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	for _, s := range []string{"", "---\n---\n", "title: x\n", "title: [1, 2]\nstarts: 2024-13-01 25:00\n", "items:\n  - 男单 99999999999999999999\n",
		"title: a\nkind: sport\nstarts: 2027-04-01 09:00\nends: 2027-04-01 08:00\nsignup_closes: 2027-03-31 18:00\n", "&a [*a]", "title: !!binary AAAA\n",
		"unknown_key: 1\n", "title: \"\\u0000\\u202e\"\n"} {
		f.Add(s)
	}
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data string) {
		acts, err := ParseActivitiesYAML(strings.NewReader(data), loc)
		if err != nil {
			if msg := err.Error(); msg == "" || strings.Contains(msg, "yaml:") {
				t.Fatalf("refusal not worded for the officer: %q", msg)
			}
			return
		}
		for _, a := range acts {
			if err := validateActivity(a); err != nil {
				t.Fatalf("accepted an activity the form refuses: %v", err)
			}
		}
	})
}
