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
