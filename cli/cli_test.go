package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
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

func TestMembersImportAndRolesFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	env := []string{"UNIONBOT_DATABASE_DSN=" + filepath.Join(dir, "u.db")}
	csv := filepath.Join(dir, "roster.csv")
	os.WriteFile(csv, []byte("姓名,工号,分工会,性别,手机\n张三,000123,信息工程学院分工会,男,13812341234\n李四,000124,机关分工会,女,12345\n"), 0o600)

	// Flags after the arguments; a dry run first.
	code, out, errOut := cli(t, env, "members", "import", csv, "-dry-run")
	if code != 0 || !strings.Contains(out, "试运行") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errOut)
	}
	db, err := store.Open(context.Background(), store.SQLite, filepath.Join(dir, "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.CountMembers(context.Background()); n != 0 {
		t.Fatalf("dry run imported %d members", n)
	}
	code, out, errOut = cli(t, env, "members", "import", csv)
	if code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "第 3 行") || !strings.Contains(out, "手机") {
		t.Errorf("report does not name the bad row:\n%s", out)
	}
	if n, _ := db.CountMembers(context.Background()); n != 1 {
		t.Errorf("imported %d members, want 1 (the good row)", n)
	}
	if code, _, errOut := cli(t, env, "members", "import", filepath.Join(dir, "missing.xlsx")); code != 1 || errOut == "" {
		t.Errorf("missing file: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, env, "members", "export"); code != 2 {
		t.Errorf("members export: code %d, want 2 (usage)", code)
	}

	code, out, errOut = cli(t, env, "roles", "grant", "000123", "工会干事")
	if code != 0 || !strings.Contains(out, "done") {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}
	code, out, _ = cli(t, env, "roles", "list", "-config", "")
	if code != 0 || !strings.Contains(out, "officer") || !strings.Contains(out, "张三") || !strings.Contains(out, "cli:") {
		t.Errorf("list: %d\n%s", code, out)
	}
	if code, _, errOut := cli(t, env, "roles", "grant", "000123", "pope"); code != 1 || !strings.Contains(errOut, "unknown role") {
		t.Errorf("bad role: %d %s", code, errOut)
	}
	if code, out, _ := cli(t, env, "migrate"); code != 0 || !strings.Contains(out, "database at version") {
		t.Errorf("migrate: %d %s", code, out)
	}
}
