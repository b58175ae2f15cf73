// Package golden compares what a test produced with a file in the test package's testdata
// directory. Run the tests with -update to rewrite the files with the current output (then
// read the diff before committing it). It is test support: production code must not import it.
package golden

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata with the current output")

// Card compares a card's JSON, indented, with testdata/NAME.golden.json.
func Card(t testing.TB, name string, c interface{ JSON() ([]byte, error) }) {
	t.Helper()
	b, err := c.JSON()
	if err != nil {
		t.Fatalf("JSON: %v", err)
	}
	var got bytes.Buffer
	if err := json.Indent(&got, b, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	got.WriteByte('\n')
	File(t, name+".golden.json", got.Bytes())
}

// File compares got with testdata/NAME, or writes it there with -update.
func File(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (run the test with -update if the change is intended)\ngot:\n%s", path, got)
	}
}
