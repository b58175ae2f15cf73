package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
)

// writeFile writes content to a config.yaml in a fresh temp directory and
// returns its path.
func writeFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad loads path and environ and fails the test on error.
func mustLoad(t *testing.T, path string, environ ...string) *Config {
	t.Helper()
	c, err := Load(path, environ)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return c
}

// serveable returns a default configuration that passes ValidateServe.
func serveable() *Config {
	c := Default()
	c.Feishu.AppID = "cli_a1b2c3d4e5f6a7b8"
	c.Feishu.AppSecret = "s3cretAppSecretValue"
	return c
}

func TestDefault(t *testing.T) {
	c := Default()
	tests := []struct {
		key       string
		got, want any
	}{
		{"feishu.mode", c.Feishu.Mode, "websocket"},
		{"feishu.base_url", c.Feishu.BaseURL, "https://open.feishu.cn"},
		{"feishu.app_id", c.Feishu.AppID, ""},
		{"server.addr", c.Server.Addr, "127.0.0.1:8080"},
		{"database.driver", c.Database.Driver, "sqlite"},
		{"database.dsn", c.Database.DSN, "data/unionbot.db"},
		{"timezone", c.Timezone, "Asia/Shanghai"},
		{"admins", len(c.Admins), 0},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "json"},
		{"outbox.rate_per_second", c.Outbox.RatePerSecond, 50.0},
		{"outbox.per_receiver_per_second", c.Outbox.PerReceiverPerSecond, 5.0},
		{"outbox.max_attempts", c.Outbox.MaxAttempts, 12},
		{"outbox.poll_interval", c.Outbox.PollInterval, 500 * time.Millisecond},
		{"outbox.workers", c.Outbox.Workers, 8},
		{"bot.card_deadline", c.Bot.CardDeadline, 2 * time.Second},
		{"bot.dedup_retention", c.Bot.DedupRetention, 168 * time.Hour},
		{"bot.rate_per_second", c.Bot.RatePerSecond, 2.0},
		{"bot.rate_burst", c.Bot.RateBurst, 20},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
	if err := c.Validate(); err != nil {
		t.Errorf("defaults do not validate: %v", err)
	}
	if got := mustLoad(t, ""); !reflect.DeepEqual(got, Default()) {
		t.Errorf("Load(\"\", nil) differs from Default():\n%s", got.Masked())
	}
}

func TestLoadFileOverlay(t *testing.T) {
	path := writeFile(t, `
feishu:
  app_id: cli_union2024
  mode: webhook
  encrypt_key: enc-key-123
  verification_token: vtok-456
database:
  driver: mysql
  dsn: "unionbot:pw@tcp(db.example.edu.cn:3306)/unionbot?parseTime=true"
timezone: Asia/Urumqi
admins:
  - ou_chair
  - ou_office
log:
  format: text
outbox:
  rate_per_second: 20.5
  workers: 3
  poll_interval: 250ms
bot:
  card_deadline: 1500ms
  dedup_retention: 72h
`)
	c := mustLoad(t, path)
	tests := []struct {
		key       string
		got, want any
	}{
		{"feishu.app_id", c.Feishu.AppID, "cli_union2024"},
		{"feishu.mode", c.Feishu.Mode, "webhook"},
		{"feishu.encrypt_key", c.Feishu.EncryptKey, "enc-key-123"},
		{"feishu.verification_token", c.Feishu.VerificationToken, "vtok-456"},
		{"database.driver", c.Database.Driver, "mysql"},
		{"database.dsn", c.Database.DSN, "unionbot:pw@tcp(db.example.edu.cn:3306)/unionbot?parseTime=true"},
		{"timezone", c.Timezone, "Asia/Urumqi"},
		{"admins", strings.Join(c.Admins, ","), "ou_chair,ou_office"},
		{"log.format", c.Log.Format, "text"},
		{"outbox.rate_per_second", c.Outbox.RatePerSecond, 20.5},
		{"outbox.workers", c.Outbox.Workers, 3},
		{"outbox.poll_interval", c.Outbox.PollInterval, 250 * time.Millisecond},
		{"bot.card_deadline", c.Bot.CardDeadline, 1500 * time.Millisecond},
		{"bot.dedup_retention", c.Bot.DedupRetention, 72 * time.Hour},
		// Keys absent from the file keep their defaults.
		{"log.level", c.Log.Level, "info"},
		{"server.addr", c.Server.Addr, "127.0.0.1:8080"},
		{"outbox.max_attempts", c.Outbox.MaxAttempts, 12},
		{"feishu.base_url", c.Feishu.BaseURL, "https://open.feishu.cn"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

func TestLoadFileEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		content string
		check   func(c *Config) (got, want any)
	}{
		{"empty file", "", func(c *Config) (any, any) { return c.Log.Level, "info" }},
		{"comments only", "# nothing\n", func(c *Config) (any, any) { return c.Outbox.Workers, 8 }},
		{"null keeps default", "outbox:\n  workers:\nlog:\n  level: ~\n", func(c *Config) (any, any) {
			return [2]any{c.Outbox.Workers, c.Log.Level}, [2]any{8, "info"}
		}},
		{"empty section keeps defaults", "bot:\n", func(c *Config) (any, any) { return c.Bot.CardDeadline, 2 * time.Second }},
		{"explicit empty string", "database:\n  dsn: \"\"\n", func(c *Config) (any, any) { return c.Database.DSN, "" }},
		{"number as string field", "feishu:\n  app_id: 12345\n", func(c *Config) (any, any) { return c.Feishu.AppID, "12345" }},
		{"empty list", "admins: []\n", func(c *Config) (any, any) { return len(c.Admins), 0 }},
		{"anchors and aliases", "outbox:\n  workers: &n 3\n  max_attempts: *n\n", func(c *Config) (any, any) {
			return [2]int{c.Outbox.Workers, c.Outbox.MaxAttempts}, [2]int{3, 3}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Load(writeFile(t, tt.content), nil)
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if got, want := tt.check(c); got != want {
				t.Errorf("got %v, want %v", got, want)
			}
		})
	}
}

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the error, in any order
	}{
		{
			name:    "unknown key names key and line",
			content: "feishu:\n  app_id: cli_x\n  app_secert: abc\n",
			want:    []string{`config.yaml line 3: unknown key "feishu.app_secert" (did you mean "feishu.app_secret"?)`},
		},
		{
			name:    "unknown top-level key",
			content: "log:\n  level: info\nlogging: true\n",
			want:    []string{`config.yaml line 3: unknown key "logging"`},
		},
		{
			name:    "misplaced key",
			content: "app_id: cli_x\n",
			want:    []string{`config.yaml line 1: unknown key "app_id" (did you mean "feishu.app_id"?)`},
		},
		{
			name:    "all unknown keys at once",
			content: "feishu:\n  modee: webhook\nbot:\n  card_dedline: 1s\n",
			want:    []string{`line 2: unknown key "feishu.modee"`, `line 4: unknown key "bot.card_dedline"`},
		},
		{
			name:    "bad integer",
			content: "outbox:\n  workers: abc\n",
			want:    []string{`config.yaml line 2: outbox.workers: invalid value "abc": must be an integer`},
		},
		{
			name:    "integer duration",
			content: "outbox:\n  poll_interval: 500\n",
			want:    []string{`line 2: outbox.poll_interval: invalid value "500": must be a duration`},
		},
		{
			name:    "bad duration",
			content: "bot:\n  card_deadline: 2 seconds\n",
			want:    []string{`line 2: bot.card_deadline: invalid value "2 seconds": must be a duration`},
		},
		{
			name:    "section is not a mapping",
			content: "feishu: cli_x\n",
			want:    []string{`line 1: "feishu" must be a mapping of keys, got a single value`},
		},
		{
			name:    "list is not a list",
			content: "admins: ou_a\n",
			want:    []string{`line 1: admins: must be a list`},
		},
		{
			name:    "duplicate key",
			content: "log:\n  level: info\n  level: debug\n",
			want:    []string{`line 3: duplicate key "log.level" (first set on line 2)`},
		},
		{
			name:    "syntax error",
			content: "feishu:\n  app_id: [\n",
			want:    []string{"config.yaml: yaml:"},
		},
		{
			name:    "two documents",
			content: "log:\n  level: info\n---\nlog:\n  level: debug\n",
			want:    []string{"second YAML document"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeFile(t, tt.content), nil)
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, want := range tt.want {
				if got := err.Error(); !strings.Contains(got, want) {
					t.Errorf("got error\n%s\nwant it to contain\n%s", got, want)
				}
			}
		})
	}

	t.Run("missing file", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"), nil)
		if got, want := errors.Is(err, os.ErrNotExist), true; got != want {
			t.Errorf("errors.Is(err, os.ErrNotExist) = %v, want %v (err %v)", got, want, err)
		}
	})
}

func TestEnvOverridesFile(t *testing.T) {
	path := writeFile(t, `
feishu:
  app_secret: from-file
server:
  addr: 127.0.0.1:9000
outbox:
  rate_per_second: 10
  workers: 2
`)
	c := mustLoad(t, path,
		"PATH=/usr/bin",
		"UNIONBOT_FEISHU_APP_SECRET=from-env",
		"UNIONBOT_SERVER_ADDR=:8443",
		"UNIONBOT_OUTBOX_RATE_PER_SECOND=42.5",
		"UNIONBOT_DATABASE_DSN=/var/lib/unionbot/union.db",
		"UNIONBOT_LOG_LEVEL=", // empty: ignored
		"UNIONBOT_NOT_A_KEY=1",
	)
	tests := []struct {
		key       string
		got, want any
	}{
		{"feishu.app_secret", c.Feishu.AppSecret, "from-env"},
		{"server.addr", c.Server.Addr, ":8443"},
		{"outbox.rate_per_second", c.Outbox.RatePerSecond, 42.5},
		{"database.dsn", c.Database.DSN, "/var/lib/unionbot/union.db"},
		{"outbox.workers (file, no env)", c.Outbox.Workers, 2},
		{"log.level (empty env ignored)", c.Log.Level, "info"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}

	t.Run("last duplicate wins", func(t *testing.T) {
		c := mustLoad(t, "", "UNIONBOT_LOG_LEVEL=warn", "UNIONBOT_LOG_LEVEL=debug")
		if got, want := c.Log.Level, "debug"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

func TestDurations(t *testing.T) {
	tests := []struct {
		name string
		file string
		env  []string
		got  func(c *Config) time.Duration
		want time.Duration
	}{
		{"file ms", "outbox:\n  poll_interval: 500ms\n", nil, func(c *Config) time.Duration { return c.Outbox.PollInterval }, 500 * time.Millisecond},
		{"file quoted", "bot:\n  card_deadline: \"1.5s\"\n", nil, func(c *Config) time.Duration { return c.Bot.CardDeadline }, 1500 * time.Millisecond},
		{"file hours", "bot:\n  dedup_retention: 168h\n", nil, func(c *Config) time.Duration { return c.Bot.DedupRetention }, 168 * time.Hour},
		{"file compound", "bot:\n  dedup_retention: 7h10m\n", nil, func(c *Config) time.Duration { return c.Bot.DedupRetention }, 7*time.Hour + 10*time.Minute},
		{"env", "", []string{"UNIONBOT_OUTBOX_POLL_INTERVAL=2s"}, func(c *Config) time.Duration { return c.Outbox.PollInterval }, 2 * time.Second},
		{"env over file", "bot:\n  card_deadline: 1s\n", []string{"UNIONBOT_BOT_CARD_DEADLINE=750ms"}, func(c *Config) time.Duration { return c.Bot.CardDeadline }, 750 * time.Millisecond},
		{"env hours", "", []string{"UNIONBOT_BOT_DEDUP_RETENTION=240h"}, func(c *Config) time.Duration { return c.Bot.DedupRetention }, 240 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.file != "" {
				path = writeFile(t, tt.file)
			}
			c := mustLoad(t, path, tt.env...)
			if got := tt.got(c); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []string
	}{
		{"bad int", []string{"UNIONBOT_OUTBOX_WORKERS=abc"}, []string{`environment variable UNIONBOT_OUTBOX_WORKERS (outbox.workers): invalid value "abc": must be an integer`}},
		{"bad float", []string{"UNIONBOT_OUTBOX_RATE_PER_SECOND=fast"}, []string{"UNIONBOT_OUTBOX_RATE_PER_SECOND", "must be a number"}},
		{"nan", []string{"UNIONBOT_OUTBOX_RATE_PER_SECOND=NaN"}, []string{"UNIONBOT_OUTBOX_RATE_PER_SECOND", "must be a number"}},
		{"bad duration", []string{"UNIONBOT_BOT_CARD_DEADLINE=2"}, []string{"UNIONBOT_BOT_CARD_DEADLINE", "must be a duration"}},
		{"all at once", []string{"UNIONBOT_OUTBOX_WORKERS=x", "UNIONBOT_OUTBOX_MAX_ATTEMPTS=y"}, []string{"UNIONBOT_OUTBOX_WORKERS", "UNIONBOT_OUTBOX_MAX_ATTEMPTS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load("", tt.env)
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, want := range tt.want {
				if got := err.Error(); !strings.Contains(got, want) {
					t.Errorf("got error %q, want it to contain %q", got, want)
				}
			}
		})
	}

	t.Run("file and env errors together", func(t *testing.T) {
		_, err := Load(writeFile(t, "bogus: 1\n"), []string{"UNIONBOT_OUTBOX_WORKERS=x"})
		for _, want := range []string{`unknown key "bogus"`, "UNIONBOT_OUTBOX_WORKERS"} {
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("got error %v, want it to contain %q", err, want)
			}
		}
	})
}

func TestListEnv(t *testing.T) {
	tests := []struct {
		name  string
		value string
		want  []string
	}{
		{"one", "ou_a", []string{"ou_a"}},
		{"several", "ou_a,ou_b,ou_c", []string{"ou_a", "ou_b", "ou_c"}},
		{"spaces trimmed", " ou_a , ou_b ,ou_c ", []string{"ou_a", "ou_b", "ou_c"}},
		{"empty items dropped", "ou_a,,ou_b,", []string{"ou_a", "ou_b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, "admins: [ou_from_file]\n")
			c := mustLoad(t, path, "UNIONBOT_ADMINS="+tt.value)
			if got := c.Admins; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEveryKeyOverridableByEnv sets, for every leaf key, its environment
// variable to a value different from the default and checks that Load
// applies it — so a newly added key is covered without touching this test.
func TestEveryKeyOverridableByEnv(t *testing.T) {
	def := Default()
	for _, l := range leaves(reflect.ValueOf(def)) {
		t.Run(l.key, func(t *testing.T) {
			var s string
			var want any
			if _, ok := l.field.Addr().Interface().(structured); ok {
				// A list of mappings is set in the file only; the variable is refused by name.
				if _, err := Load("", []string{EnvVar(l.key) + "=x"}); err == nil || !strings.Contains(err.Error(), "set it in the configuration file") {
					t.Errorf("%s: got %v, want a refusal naming the file", EnvVar(l.key), err)
				}
				return
			}
			switch {
			case l.field.Kind() == reflect.Bool:
				s, want = strconv.FormatBool(!l.field.Bool()), !l.field.Bool()
			case l.field.Type() == durationType:
				d := time.Duration(l.field.Int()) + 1234*time.Millisecond
				s, want = d.String(), d
			case l.field.Kind() == reflect.String:
				s = "env-value-" + l.key
				want = s
			case l.field.Kind() == reflect.Int:
				n := l.field.Int() + 7
				s, want = strconv.FormatInt(n, 10), int(n)
			case l.field.Kind() == reflect.Float64:
				f := l.field.Float() + 0.5
				s, want = strconv.FormatFloat(f, 'g', -1, 64), f
			case l.field.Kind() == reflect.Slice:
				s, want = "ou_env1, ou_env2", []string{"ou_env1", "ou_env2"}
			default:
				t.Fatalf("test does not know how to set a %s; extend it", l.field.Type())
			}
			c := mustLoad(t, "", EnvVar(l.key)+"="+s)
			var got any
			for _, gl := range leaves(reflect.ValueOf(c)) {
				if gl.key == l.key {
					got = gl.field.Interface()
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s=%s: got %v, want %v", EnvVar(l.key), s, got, want)
			}
			if reflect.DeepEqual(got, l.field.Interface()) {
				t.Errorf("value did not change from the default %v", got)
			}
		})
	}
}

func TestEnvNames(t *testing.T) {
	tests := []struct{ key, want string }{
		{"feishu.app_secret", "UNIONBOT_FEISHU_APP_SECRET"},
		{"database.dsn", "UNIONBOT_DATABASE_DSN"},
		{"server.addr", "UNIONBOT_SERVER_ADDR"},
		{"outbox.rate_per_second", "UNIONBOT_OUTBOX_RATE_PER_SECOND"},
		{"admins", "UNIONBOT_ADMINS"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			if got := EnvVar(tt.key); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("unique", func(t *testing.T) {
		seen := map[string]string{}
		for _, l := range leaves(reflect.ValueOf(Default())) {
			name := EnvVar(l.key)
			if other, dup := seen[name]; dup {
				t.Errorf("keys %q and %q share the variable %s", other, l.key, name)
			}
			seen[name] = l.key
		}
	})
}

func TestDefaultPath(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if got, want := DefaultPath(), ""; got != want {
		t.Errorf("without config.yaml: got %q, want %q", got, want)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("log:\n  level: debug\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, want := DefaultPath(), "./config.yaml"; got != want {
		t.Errorf("with config.yaml: got %q, want %q", got, want)
	}
	if got, want := mustLoad(t, DefaultPath()).Log.Level, "debug"; got != want {
		t.Errorf("loaded log.level: got %q, want %q", got, want)
	}
}
