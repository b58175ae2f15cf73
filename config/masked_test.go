package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func TestMaskedHidesSecrets(t *testing.T) {
	c := serveable()
	c.Feishu.AppSecret = "AppSecretZq8WvTTx91"
	c.Feishu.VerificationToken = "VerifTokenPp3MmZZ72"
	c.Feishu.EncryptKey = "EncryptKeyKk5RrYY53"
	c.Database.Driver = "mysql"
	c.Database.DSN = "unionbot:DbPassw0rd!Xy@tcp(10.0.0.5:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC"
	out := c.Masked()

	for _, secret := range []string{c.Feishu.AppSecret, c.Feishu.VerificationToken, c.Feishu.EncryptKey, "DbPassw0rd!Xy", "DbPassw0rd"} {
		if strings.Contains(out, secret) {
			t.Errorf("Masked output contains the secret %q:\n%s", secret, out)
		}
	}
	tests := []struct{ name, want string }{
		{"app_secret", "app_secret: '****91'"},
		{"verification_token", "verification_token: '****72'"},
		{"encrypt_key", "encrypt_key: '****53'"},
		{"dsn", "dsn: unionbot:****@tcp(10.0.0.5:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC"},
		{"app_id shown", "app_id: cli_a1b2c3d4e5f6a7b8"},
		{"duration", "dedup_retention: 168h\n"},
		{"short duration", "poll_interval: 500ms\n"},
		{"float", "rate_per_second: 50\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Errorf("got\n%s\nwant it to contain %q", out, tt.want)
			}
		})
	}
}

func TestMaskedEmptyAndShortSecrets(t *testing.T) {
	c := Default()
	c.Feishu.AppSecret = "abc"
	out := c.Masked()
	tests := []struct{ name, want string }{
		{"short secret fully hidden", "app_secret: '****'\n"},
		{"empty secret visibly empty", `verification_token: ""`},
		{"empty encrypt_key", `encrypt_key: ""`},
		{"empty app_id", `app_id: ""`},
		{"no admins", "admins: []\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(out, tt.want) {
				t.Errorf("got\n%s\nwant it to contain %q", out, tt.want)
			}
		})
	}
	if strings.Contains(out, "abc") {
		t.Errorf("short secret leaked:\n%s", out)
	}
}

// TestMaskedRoundTrip checks that Masked output is a valid configuration
// file: loading it gives back the configuration, secrets aside.
func TestMaskedRoundTrip(t *testing.T) {
	c := serveable()
	c.Admins = []string{"ou_a1", "ou_b2"}
	c.Bot.DedupRetention = 7*time.Hour + 10*time.Minute
	c.Outbox.RatePerSecond = 12.5
	path := filepath.Join(t.TempDir(), "masked.yaml")
	if err := os.WriteFile(path, []byte(c.Masked()), 0o600); err != nil {
		t.Fatal(err)
	}
	got := mustLoad(t, path)
	got.Feishu.AppSecret = c.Feishu.AppSecret
	if !reflect.DeepEqual(got, c) {
		t.Errorf("round trip differs:\ngot\n%s\nwant\n%s", got.Masked(), c.Masked())
	}
}

func TestMaskDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"unionbot:secret@tcp(127.0.0.1:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC", "unionbot:****@tcp(127.0.0.1:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC"},
		{"u:p@ss:w/rd@tcp(db:3306)/union", "u:****@tcp(db:3306)/union"},
		{"u:pw@unix(/var/run/mysqld/mysqld.sock)/union", "u:****@unix(/var/run/mysqld/mysqld.sock)/union"},
		{"u:pw@/union", "u:****@/union"},
		{"u@tcp(db:3306)/union", "u@tcp(db:3306)/union"},
		{"u:@tcp(db:3306)/union", "u:@tcp(db:3306)/union"},
		{"data/unionbot.db", "data/unionbot.db"},
		{"file:data/unionbot.db?_pragma=busy_timeout(5000)", "file:data/unionbot.db?_pragma=busy_timeout(5000)"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.dsn, func(t *testing.T) {
			if got := MaskDSN(tt.dsn); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{500 * time.Millisecond, "500ms"},
		{2 * time.Second, "2s"},
		{90 * time.Second, "1m30s"},
		{10 * time.Minute, "10m"},
		{168 * time.Hour, "168h"},
		{7*time.Hour + 10*time.Minute, "7h10m"},
		{0, "0s"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := formatDuration(tt.d); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
			back, err := time.ParseDuration(tt.want)
			if err != nil || back != tt.d {
				t.Errorf("ParseDuration(%q) = %v, %v; want %v", tt.want, back, err, tt.d)
			}
		})
	}
}

// examplePath is config.example.yaml at the repository root.
const examplePath = "../config.example.yaml"

// TestExampleFile keeps config.example.yaml in step with Config: it must
// load and validate, its values must be the defaults, and every key must
// appear with a comment naming its default and its environment variable.
func TestExampleFile(t *testing.T) {
	c, err := Load(examplePath, nil)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Errorf("example values differ from Default():\ngot\n%s\nwant\n%s", c.Masked(), Default().Masked())
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}

	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	for _, l := range leaves(reflect.ValueOf(Default())) {
		t.Run(l.key, func(t *testing.T) {
			keyNode := findKey(doc.Content[0], strings.Split(l.key, "."))
			if keyNode == nil {
				t.Fatalf("key %q missing from %s", l.key, examplePath)
			}
			comment := keyNode.HeadComment
			if comment == "" {
				t.Fatalf("key %q has no comment above it", l.key)
			}
			def := leafNode(l.field, "").Value
			_, structuredLeaf := l.field.Addr().Interface().(structured)
			switch {
			case structuredLeaf:
				def = "the list below"
			case l.field.Kind() == reflect.Slice:
				def = "[]"
			case def == "":
				def = `""`
			}
			for _, want := range []string{"Default: " + def, "Env: " + EnvVar(l.key)} {
				if !strings.Contains(comment, want) {
					t.Errorf("comment of %q lacks %q:\n%s", l.key, want, comment)
				}
			}
		})
	}
	t.Run("mysql example", func(t *testing.T) {
		want := "unionbot:secret@tcp(127.0.0.1:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC"
		if !strings.Contains(string(data), want) {
			t.Errorf("example lacks the MySQL DSN %q", want)
		}
	})
}

// findKey returns the key node at path in the mapping n, or nil.
func findKey(n *yaml.Node, path []string) *yaml.Node {
	if n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != path[0] {
			continue
		}
		if len(path) == 1 {
			return n.Content[i]
		}
		return findKey(n.Content[i+1], path[1:])
	}
	return nil
}
