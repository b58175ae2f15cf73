package secret

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

func b64(b byte) string { return base64.StdEncoding.EncodeToString(key(b)) }

func ring(t *testing.T, active string, keys map[string][]byte) *Keyring {
	t.Helper()
	k, err := NewKeyring(active, keys)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(7)})
	ref := Ref{Table: "signup_entries", Column: "id_cipher", Row: 42}
	const id = "11010519491231002X"
	s1, err := k.Seal(ref, id)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := k.Seal(ref, id)
	if s1 == s2 {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if !strings.HasPrefix(s1, "v2:k1:") || KeyID(s1) != "k1" {
		t.Errorf("sealed value %q does not carry its key id", s1)
	}
	if strings.Contains(s1, id) || strings.Contains(s1, "1101") {
		t.Errorf("sealed value shows the plaintext: %s", s1)
	}
	got, err := k.Open(ref, s1)
	if err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	// The place is bound in: another row, column or table does not open it.
	for _, other := range []Ref{
		{Table: "signup_entries", Column: "id_cipher", Row: 43},
		{Table: "signup_entries", Column: "phone", Row: 42},
		{Table: "proposals", Column: "id_cipher", Row: 42},
	} {
		if _, err := k.Open(other, s1); err == nil {
			t.Errorf("opened at %s a value sealed for %s", other, ref)
		}
	}
	otherKey := ring(t, "k1", map[string][]byte{"k1": key(8)})
	if _, err := otherKey.Open(ref, s1); err == nil {
		t.Error("opened with another key")
	}
	tampered := s1[:len(s1)-2] + "AA"
	if _, err := k.Open(ref, tampered); err == nil {
		t.Error("opened a tampered value")
	}
	// Editing the key id does not help: it is bound in too.
	k2 := ring(t, "k1", map[string][]byte{"k1": key(7), "k9": key(7)})
	if _, err := k2.Open(ref, strings.Replace(s1, "v2:k1:", "v2:k9:", 1)); err == nil {
		t.Error("opened a value whose key id was edited")
	}
}

func TestRotation(t *testing.T) {
	ref := Ref{Table: "t", Column: "c", Row: 1}
	old := ring(t, "k1", map[string][]byte{"k1": key(1)})
	s, _ := old.Seal(ref, "secret text")
	next := ring(t, "k2", map[string][]byte{"k2": key(2), "k1": key(1)})
	if got, err := next.Open(ref, s); err != nil || got != "secret text" {
		t.Fatalf("old value under the new ring: %q, %v", got, err)
	}
	s2, _ := next.Seal(ref, "secret text")
	if KeyID(s2) != "k2" {
		t.Errorf("new values sealed with %q, want the active k2", KeyID(s2))
	}
	without := ring(t, "k2", map[string][]byte{"k2": key(2)})
	if _, err := without.Open(ref, s); err == nil || !strings.Contains(err.Error(), `"k1"`) {
		t.Errorf("a value of a removed key: %v, want an error naming k1", err)
	}
}

func TestLegacyValues(t *testing.T) {
	v1, err := LegacySeal(key(7), "signup.id_number", "110105194912310021")
	if err != nil {
		t.Fatal(err)
	}
	if KeyID(v1) != LegacyKeyID {
		t.Errorf("KeyID(v1) = %q", KeyID(v1))
	}
	// The legacy key may now be an old key of the ring: every key is tried.
	k := ring(t, "k2", map[string][]byte{"k2": key(9), "k1": key(7)})
	ref := Ref{Table: "signup_entries", Column: "id_cipher", Row: 5, Legacy: "signup.id_number"}
	if got, err := k.Open(ref, v1); err != nil || got != "110105194912310021" {
		t.Fatalf("v1 value: %q, %v", got, err)
	}
	ref.Legacy = "proposal.phone"
	if _, err := k.Open(ref, v1); err == nil {
		t.Error("a v1 value opened under another purpose")
	}
	ref.Legacy = ""
	if _, err := k.Open(ref, v1); err == nil {
		t.Error("a v1 value opened in a column that never held v1 values")
	}
}

func TestBytes(t *testing.T) {
	k := ring(t, "k1", map[string][]byte{"k1": key(3)})
	ref := Ref{Table: "aid_materials", Column: "data", Row: 9}
	data := []byte{0, 1, 2, 0xff, 0xfe}
	s, err := k.SealBytes(ref, data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := k.OpenBytes(ref, s)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("OpenBytes = %v, %v", got, err)
	}
}

func TestConfigKeys(t *testing.T) {
	tests := []struct {
		name    string
		key     string
		active  string
		old     []string
		wantNil bool
		wantErr bool
	}{
		{"none", "", "k1", nil, true, false},
		{"blank", "   ", "k1", nil, true, false},
		{"one", b64(7), "k1", nil, false, false},
		{"url alphabet", base64.RawURLEncoding.EncodeToString(key(1)), "k1", nil, false, false},
		{"with old", b64(7), "k2", []string{"k1:" + b64(1)}, false, false},
		{"short", base64.StdEncoding.EncodeToString([]byte("short")), "k1", nil, false, true},
		{"not base64", "not base64 !!!", "k1", nil, false, true},
		{"bad active id", b64(7), "k:1", nil, false, true},
		{"v1 as id", b64(7), "v1", nil, false, true},
		{"old without id", b64(7), "k2", []string{b64(1)}, false, true},
		{"old twice", b64(7), "k2", []string{"k1:" + b64(1), "k1:" + b64(2)}, false, true},
		{"old is active id", b64(7), "k2", []string{"k2:" + b64(1)}, false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, err := FromConfig(tc.key, tc.active, tc.old)
			if (err != nil) != tc.wantErr || (k == nil) != (tc.wantNil || tc.wantErr) {
				t.Errorf("FromConfig = %v, %v", k, err)
			}
		})
	}
	var none *Keyring
	if _, err := none.Seal(Ref{}, "y"); err != ErrNoKey {
		t.Errorf("nil ring Seal: %v", err)
	}
	if _, err := none.Open(Ref{}, "v2:k1:xx"); err != ErrNoKey {
		t.Errorf("nil ring Open: %v", err)
	}
	if none.Enabled() || none.ActiveID() != "" {
		t.Error("nil ring enabled")
	}
}
