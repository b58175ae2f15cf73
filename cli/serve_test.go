package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestServeWithoutCredentialsNamesTheKeys(t *testing.T) {
	code, _, errOut := cli(t, []string{"UNIONBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "x.db")}, "serve", "-config", "")
	if code != 1 {
		t.Errorf("code = %d, want 1", code)
	}
	for _, want := range []string{"feishu.app_id", "feishu.app_secret", "UNIONBOT_FEISHU_APP_SECRET", "Creating the Feishu app"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("message lacks %q:\n%s", want, errOut)
		}
	}
}

func TestWebhookModeWithoutSecretsRefusesToStart(t *testing.T) {
	env := []string{"UNIONBOT_FEISHU_APP_ID=cli_x", "UNIONBOT_FEISHU_APP_SECRET=secret-secret", "UNIONBOT_FEISHU_MODE=webhook"}
	code, _, errOut := cli(t, env, "serve")
	if code != 1 || !strings.Contains(errOut, "feishu.encrypt_key") || !strings.Contains(errOut, "feishu.verification_token") {
		t.Errorf("code %d:\n%s", code, errOut)
	}
}

// TestFakeNowNeedsItsSafety: the test clock (UNIONBOT_FAKE_NOW) alone makes serve refuse to
// start, naming the hook, before anything is opened; with UNIONBOT_FAKE_NOW_ALLOW=test a bad
// time is refused too. faults/time_test.go runs the binary with both.
func TestFakeNowNeedsItsSafety(t *testing.T) {
	base := []string{"UNIONBOT_FEISHU_APP_ID=cli_x", "UNIONBOT_FEISHU_APP_SECRET=secret-secret",
		"UNIONBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "x.db")}
	code, _, errOut := cli(t, append(base, "UNIONBOT_FAKE_NOW=2027-03-05T18:00:00+08:00"), "serve", "-config", "")
	if code != 1 || !strings.Contains(errOut, "UNIONBOT_FAKE_NOW") || !strings.Contains(errOut, "refusing to start") {
		t.Errorf("code %d:\n%s", code, errOut)
	}
	code, _, errOut = cli(t, append(base, "UNIONBOT_FAKE_NOW=friday", "UNIONBOT_FAKE_NOW_ALLOW=test"), "serve", "-config", "")
	if code != 1 || !strings.Contains(errOut, "RFC 3339") {
		t.Errorf("code %d:\n%s", code, errOut)
	}
}
