package secret

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

func testKey() string { return base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, KeySize)) }

func TestSealOpen(t *testing.T) {
	b, err := FromBase64(testKey())
	if err != nil {
		t.Fatal(err)
	}
	const id = "11010519491231002X"
	s1, err := b.Seal("signup.id_number", id)
	if err != nil {
		t.Fatal(err)
	}
	s2, _ := b.Seal("signup.id_number", id)
	if s1 == s2 {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if strings.Contains(s1, id) || strings.Contains(s1, "1101") {
		t.Errorf("sealed value shows the plaintext: %s", s1)
	}
	got, err := b.Open("signup.id_number", s1)
	if err != nil || got != id {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := b.Open("aid.detail", s1); err == nil {
		t.Error("opened under another purpose")
	}
	other, _ := New(bytes.Repeat([]byte{8}, KeySize))
	if _, err := other.Open("signup.id_number", s1); err == nil {
		t.Error("opened with another key")
	}
	tampered := s1[:len(s1)-2] + "AA"
	if _, err := b.Open("signup.id_number", tampered); err == nil {
		t.Error("opened a tampered value")
	}
}

func TestKeys(t *testing.T) {
	tests := []struct {
		key     string
		wantNil bool
		wantErr bool
	}{
		{"", true, false},
		{"   ", true, false},
		{testKey(), false, false},
		{base64.RawURLEncoding.EncodeToString(bytes.Repeat([]byte{1}, KeySize)), false, false},
		{base64.StdEncoding.EncodeToString([]byte("short")), false, true},
		{"not base64 !!!", false, true},
	}
	for _, tc := range tests {
		b, err := FromBase64(tc.key)
		if (err != nil) != tc.wantErr || (b == nil) != (tc.wantNil || tc.wantErr) {
			t.Errorf("FromBase64(%q) = %v, %v", tc.key, b, err)
		}
	}
	var none *Box
	if _, err := none.Seal("x", "y"); err != ErrNoKey {
		t.Errorf("nil box Seal: %v", err)
	}
	if none.Enabled() {
		t.Error("nil box enabled")
	}
}
