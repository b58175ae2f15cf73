package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// cli runs the binary's entry point in-process.
func cli(t *testing.T, environ []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = Run(context.Background(), args, &out, &errb, environ)
	return code, out.String(), errb.String()
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		t.Run(c.name, func(t *testing.T) {
			code, out, _ := cli(t, nil, c.name, "-help")
			if code != 0 || !strings.Contains(out, "Usage: unionbot "+c.usage) || !strings.Contains(out, "-config") {
				t.Errorf("%s -help: code %d\n%s", c.name, code, out)
			}
		})
	}
	if code, out, _ := cli(t, nil, "help"); code != 0 || !strings.Contains(out, "members import FILE") {
		t.Errorf("help: %d %s", code, out)
	}
	if code, _, errOut := cli(t, nil, "frobnicate"); code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %d %s", code, errOut)
	}
	if code, out, _ := cli(t, nil, "version"); code != 0 || !strings.HasPrefix(out, "unionbot ") {
		t.Errorf("version: %d %s", code, out)
	}
}

// cliEnv is the environment of a command-line test on a fresh database of the dialect.
func cliEnv(t *testing.T, dialect string) ([]string, *store.DB) {
	t.Helper()
	db, dsn := storetest.OpenDSN(t, dialect)
	return []string{"UNIONBOT_DATABASE_DRIVER=" + dialect, "UNIONBOT_DATABASE_DSN=" + dsn,
		"UNIONBOT_ADMINS=ou_admin1,ou_admin2", "UNIONBOT_LOG_LEVEL=error"}, db
}

func count(t *testing.T, db *store.DB, query string) int {
	t.Helper()
	var n int
	if err := db.Get(context.Background(), &n, query); err != nil {
		t.Fatal(err)
	}
	return n
}
