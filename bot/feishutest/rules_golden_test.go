package feishutest

import (
	"os"
	"path/filepath"
	"testing"
)

// Every card of the bot's golden files passes the card rules: the emulator, which enforces
// them, shows the bot's real cards.
func TestGoldenCardsPassTheRules(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../card/testdata/*.golden.json", "../../handlers/*/testdata/*.golden.json"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	if len(files) < 10 {
		t.Fatalf("only %d golden cards", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if p := cardProblem(b); p != "" {
			t.Errorf("%s: %s", f, p)
		}
	}
}
