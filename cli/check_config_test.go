package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckConfigMasksSecrets(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.yaml")
	os.WriteFile(path, []byte("feishu:\n  app_id: cli_a1b2c3\n  mode: webhook\n  verification_token: vt-0123456789ab\n"), 0o600)
	env := []string{"UNIONBOT_FEISHU_APP_SECRET=SuperSecretAppSecret99", "UNIONBOT_FEISHU_ENCRYPT_KEY=EncryptKeyValue42",
		"UNIONBOT_DATABASE_DRIVER=mysql", "UNIONBOT_DATABASE_DSN=unionbot:dbpassw0rd@tcp(127.0.0.1:3306)/unionbot"}
	code, out, errOut := cli(t, env, "check-config", "-config", path)
	if code != 0 {
		t.Fatalf("code %d: %s", code, errOut)
	}
	for _, secret := range []string{"SuperSecretAppSecret99", "EncryptKeyValue42", "vt-0123456789ab", "dbpassw0rd"} {
		if strings.Contains(out, secret) {
			t.Errorf("check-config printed the secret %q", secret)
		}
	}
	if !strings.Contains(out, "cli_a1b2c3") || !strings.Contains(out, "configuration OK") {
		t.Errorf("output:\n%s", out)
	}
	code, _, errOut = cli(t, []string{"UNIONBOT_FEISHU_MODE=hook"}, "check-config")
	if code != 1 || !strings.Contains(errOut, "feishu.mode") {
		t.Errorf("bad mode: %d %s", code, errOut)
	}
}
