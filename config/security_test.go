package config

import (
	"strings"
	"testing"
)

func TestSecurityDataKey(t *testing.T) {
	tests := []struct {
		key     string
		problem bool
		warn    bool
	}{
		{"", false, true},
		{"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", false, false},
		{"c2hvcnQ=", true, false},
		{"not base64!", true, false},
	}
	for _, tc := range tests {
		var ps Problems
		s := Security{DataKey: tc.key}
		s.validate(&ps)
		if (len(ps) > 0) != tc.problem || (len(ps) > 0 && !strings.Contains(ps.Error(), "security.data_key")) {
			t.Errorf("%q: problems %v", tc.key, ps)
		}
		if (len(s.Warnings()) > 0) != tc.warn {
			t.Errorf("%q: warnings %v", tc.key, s.Warnings())
		}
	}
}
