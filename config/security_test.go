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
		s := Security{DataKey: tc.key, DataKeyID: "k1"}
		s.validate(&ps)
		if (len(ps) > 0) != tc.problem || (len(ps) > 0 && !strings.Contains(ps.Error(), "security.data_key")) {
			t.Errorf("%q: problems %v", tc.key, ps)
		}
		if (len(s.Warnings()) > 0) != tc.warn {
			t.Errorf("%q: warnings %v", tc.key, s.Warnings())
		}
	}
}

func TestSecurityKeys(t *testing.T) {
	const k1 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	const k2 = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4="
	tests := []struct {
		name    string
		s       Security
		problem string // the key named, "" for none
	}{
		{"active and old", Security{DataKey: k2, DataKeyID: "k2", OldKeys: []string{"k1:" + k1}}, ""},
		{"bad id", Security{DataKey: k2, DataKeyID: "k:2"}, "security.data_key_id"},
		{"old without id", Security{DataKey: k2, DataKeyID: "k2", OldKeys: []string{k1}}, "security.old_keys"},
		{"old reuses the active id", Security{DataKey: k2, DataKeyID: "k2", OldKeys: []string{"k2:" + k1}}, "security.old_keys"},
		{"old without active", Security{DataKeyID: "k2", OldKeys: []string{"k1:" + k1}}, "security.old_keys"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ps Problems
			tc.s.validate(&ps)
			if tc.problem == "" {
				if len(ps) > 0 {
					t.Fatalf("problems %v", ps)
				}
				k, err := tc.s.Keyring()
				if err != nil || k.ActiveID() != "k2" || len(k.IDs()) != 2 {
					t.Fatalf("Keyring = %v, %v", k, err)
				}
				return
			}
			if !strings.Contains(ps.Error(), tc.problem) {
				t.Errorf("problems %v, want one about %s", ps, tc.problem)
			}
		})
	}
	c := Default()
	if c.Security.DataKeyID != "k1" {
		t.Errorf("default data_key_id %q, want k1", c.Security.DataKeyID)
	}
	c.Security.DataKey, c.Security.OldKeys = k2, []string{"k0:" + k1}
	out := c.Masked()
	if strings.Contains(out, k1) || strings.Contains(out, k2) || !strings.Contains(out, "k0:") {
		t.Errorf("masked configuration shows a key or hides the old key's id:\n%s", out)
	}
}
