package store

import (
	"os"
	"strings"
)

// TEMPORARY (issue 11, side-by-side measurement): switches that turn the store's tricks off,
// read once from UNIONBOT_STORE_TRICKS (comma-separated). Removed once measured.
var tricks = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range strings.Split(os.Getenv("UNIONBOT_STORE_TRICKS"), ",") {
		if f = strings.TrimSpace(f); f != "" {
			m[f] = true
		}
	}
	return m
}()

// Trick reports whether the switch named is set.
func Trick(name string) bool { return tricks[name] }
