package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseYuan(t *testing.T) {
	for s, want := range map[string]int64{"2000": 200000, "0.5": 50, "1200.05": 120005, "0": 0} {
		if got, err := ParseYuan(s); err != nil || got != want {
			t.Errorf("ParseYuan(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.234", "1e3", "二千"} {
		if _, err := ParseYuan(s); err == nil {
			t.Errorf("ParseYuan(%q) accepted", s)
		}
	}
	for fen, want := range map[int64]string{200000: "2000", 150: "1.50", 5: "0.05"} {
		if got := FormatYuan(fen); got != want {
			t.Errorf("FormatYuan(%d) = %q, want %q", fen, got, want)
		}
	}
}

// TestAidFormula: 大病互助 pays 60 % of the year's self-paid costs above 5,000 元.
func TestAidFormula(t *testing.T) {
	f := DefaultAidKinds().Kind("critical").Formula
	for paid, want := range map[int64]int64{400000: 0, 500000: 0, 2000000: 900000, 3000000: 1500000, 500001: 0, 500002: 1} {
		if got := f.MaxForYear(paid); got != want {
			t.Errorf("MaxForYear(%d) = %d, want %d", paid, got, want)
		}
	}
}

// TestAidKindsFile: kinds are read from the file with amounts in 元; an unknown key, a bad
// amount, a duplicate code or a bad applicant mode are named.
func TestAidKindsFile(t *testing.T) {
	load := func(body string) (*Config, error) {
		p := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(p, nil)
		if err == nil {
			err = c.Validate()
		}
		return c, err
	}
	c, err := load("aid:\n  kinds:\n    - {code: med, name: 医疗, applicants: [self], per_time: \"1500.5\", per_year: 3000, formula: {percent: 50, above: 100}}\n")
	if err != nil {
		t.Fatal(err)
	}
	k := c.Aid.Kinds.Kind("med")
	if k == nil || k.PerTimeFen != 150050 || k.PerYearFen != 300000 || k.Formula.AboveFen != 10000 || !k.MayApply(AidBySelf) || k.MayApply(AidByOfficer) {
		t.Errorf("got %+v", k)
	}
	for body, want := range map[string]string{
		"aid:\n  kinds:\n    - {code: a, name: x, applicants: [self], ceiling: 3}\n":                                   `unknown key "ceiling"`,
		"aid:\n  kinds:\n    - {code: a, name: x, applicants: [self], per_time: abc}\n":                                "per_time",
		"aid:\n  kinds:\n    - {code: a, name: x, applicants: [self]}\n    - {code: a, name: y, applicants: [self]}\n": `code "a" is used twice`,
		"aid:\n  kinds:\n    - {code: a, name: x, applicants: [boss]}\n":                                               "neither self nor officer",
		"aid:\n  kinds:\n    - {code: a, name: x, applicants: [self], per_time: 5, per_year: 1}\n":                     "must not exceed per_year",
	} {
		if _, err := load(body); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want %q", body, err, want)
		}
	}
}
