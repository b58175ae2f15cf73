package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestValidateProblems(t *testing.T) {
	tests := []struct {
		name    string
		mutate  func(c *Config)
		wantKey string
		wantMsg string // substring of the message
	}{
		{"mode", func(c *Config) { c.Feishu.Mode = "hook" }, "feishu.mode", `must be "websocket" or "webhook", got "hook"`},
		{"app_id prefix", func(c *Config) { c.Feishu.AppID = "a1b2c3" }, "feishu.app_id", `starts with "cli_"`},
		{"secret whitespace", func(c *Config) { c.Feishu.AppSecret = "abcdef\n" }, "feishu.app_secret", "whitespace"},
		{"base_url relative", func(c *Config) { c.Feishu.BaseURL = "open.feishu.cn" }, "feishu.base_url", "absolute http(s) URL"},
		{"base_url scheme", func(c *Config) { c.Feishu.BaseURL = "ftp://open.feishu.cn" }, "feishu.base_url", "absolute http(s) URL"},
		{"base_url empty", func(c *Config) { c.Feishu.BaseURL = "" }, "feishu.base_url", "absolute http(s) URL"},
		{"base_url trailing slash", func(c *Config) { c.Feishu.BaseURL = "https://open.feishu.cn/" }, "feishu.base_url", "trailing slash"},
		{"addr no port", func(c *Config) { c.Server.Addr = "127.0.0.1" }, "server.addr", "must be host:port"},
		{"addr bad port", func(c *Config) { c.Server.Addr = "127.0.0.1:http" }, "server.addr", "port must be a number"},
		{"addr port range", func(c *Config) { c.Server.Addr = ":70000" }, "server.addr", "port must be a number"},
		{"driver", func(c *Config) { c.Database.Driver = "postgres" }, "database.driver", `must be "sqlite" or "mysql", got "postgres"`},
		{"sqlite dsn empty", func(c *Config) { c.Database.DSN = "" }, "database.dsn", "must not be empty"},
		{"mysql dsn malformed", func(c *Config) {
			c.Database.Driver = "mysql"
			c.Database.DSN = "unionbot:pw@tcp(127.0.0.1:3306)"
		}, "database.dsn", "not a valid MySQL DSN"},
		{"timezone unknown", func(c *Config) { c.Timezone = "Asia/Beijing" }, "timezone", `unknown time zone "Asia/Beijing"`},
		{"timezone empty", func(c *Config) { c.Timezone = "" }, "timezone", "must name an IANA time zone"},
		{"timezone Local", func(c *Config) { c.Timezone = "Local" }, "timezone", "host's settings"},
		{"admin not open_id", func(c *Config) { c.Admins = []string{"ou_ok", "on_union_id"} }, "admins[1]", `must be a user's open_id, which starts with "ou_", got "on_union_id"`},
		{"admin bare prefix", func(c *Config) { c.Admins = []string{"ou_"} }, "admins[0]", "open_id"},
		{"admin with space", func(c *Config) { c.Admins = []string{"ou_a ou_b"} }, "admins[0]", "open_id"},
		{"log level", func(c *Config) { c.Log.Level = "verbose" }, "log.level", `must be one of "debug", "info", "warn", "error", got "verbose"`},
		{"log format", func(c *Config) { c.Log.Format = "xml" }, "log.format", `must be "json" or "text", got "xml"`},
		{"rate zero", func(c *Config) { c.Outbox.RatePerSecond = 0 }, "outbox.rate_per_second", "greater than 0"},
		{"rate negative", func(c *Config) { c.Outbox.RatePerSecond = -1 }, "outbox.rate_per_second", "greater than 0"},
		{"per receiver zero", func(c *Config) { c.Outbox.PerReceiverPerSecond = 0 }, "outbox.per_receiver_per_second", "greater than 0"},
		{"max attempts", func(c *Config) { c.Outbox.MaxAttempts = 0 }, "outbox.max_attempts", "at least 1, got 0"},
		{"poll interval", func(c *Config) { c.Outbox.PollInterval = 0 }, "outbox.poll_interval", "greater than 0"},
		{"workers", func(c *Config) { c.Outbox.Workers = 0 }, "outbox.workers", "at least 1, got 0"},
		{"card deadline low", func(c *Config) { c.Bot.CardDeadline = 50 * time.Millisecond }, "bot.card_deadline", "between 100ms and 2.5s"},
		{"card deadline high", func(c *Config) { c.Bot.CardDeadline = 3 * time.Second }, "bot.card_deadline", "got 3s"},
		{"dedup retention", func(c *Config) { c.Bot.DedupRetention = 7 * time.Hour }, "bot.dedup_retention", "at least 7h10m"},
		{"webhook without encrypt_key", func(c *Config) {
			c.Feishu.Mode = "webhook"
			c.Feishu.VerificationToken = "vtok"
		}, "feishu.encrypt_key", "accepts forged requests"},
		{"webhook without verification_token", func(c *Config) {
			c.Feishu.Mode = "webhook"
			c.Feishu.EncryptKey = "ekey"
		}, "feishu.verification_token", "UNIONBOT_FEISHU_VERIFICATION_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(c)
			err := c.Validate()
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("got error %v (%T), want Problems", err, err)
			}
			if got, want := len(ps), 1; got != want {
				t.Fatalf("got %d problems, want %d:\n%v", got, want, err)
			}
			if got, want := ps[0].Key, tt.wantKey; got != want {
				t.Errorf("key: got %q, want %q", got, want)
			}
			if got, want := ps[0].Msg, tt.wantMsg; !strings.Contains(got, want) {
				t.Errorf("msg: got %q, want it to contain %q", got, want)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
	}{
		{"defaults", func(c *Config) {}},
		{"lark base_url", func(c *Config) { c.Feishu.BaseURL = "https://open.larksuite.com" }},
		{"all interfaces", func(c *Config) { c.Server.Addr = ":8080" }},
		{"ipv6", func(c *Config) { c.Server.Addr = "[::1]:8080" }},
		{"mysql", func(c *Config) {
			c.Database.Driver = "mysql"
			c.Database.DSN = "unionbot:secret@tcp(127.0.0.1:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC"
		}},
		{"webhook with keys", func(c *Config) {
			c.Feishu.Mode = "webhook"
			c.Feishu.EncryptKey = "ekey"
			c.Feishu.VerificationToken = "vtok"
		}},
		{"admins", func(c *Config) { c.Admins = []string{"ou_7d8a6e6df7621556ce0d21922b676706ccs"} }},
		{"card deadline bounds", func(c *Config) { c.Bot.CardDeadline = 2500 * time.Millisecond }},
		{"dedup minimum", func(c *Config) { c.Bot.DedupRetention = 7*time.Hour + 10*time.Minute }},
		{"other zone", func(c *Config) { c.Timezone = "Asia/Hong_Kong" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.mutate(c)
			if err := c.Validate(); err != nil {
				t.Errorf("got %v, want nil", err)
			}
		})
	}
}

func TestValidateReportsAllProblems(t *testing.T) {
	c := Default()
	c.Feishu.Mode = "hook"
	c.Log.Level = "loud"
	c.Outbox.Workers = 0
	err := c.Validate()
	want := strings.Join([]string{
		`feishu.mode: must be "websocket" or "webhook", got "hook"`,
		`log.level: must be one of "debug", "info", "warn", "error", got "loud"`,
		`outbox.workers: must be at least 1, got 0`,
	}, "\n")
	if err == nil {
		t.Fatal("got nil error")
	}
	if got := err.Error(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestWebhookWithoutKeysRefused(t *testing.T) {
	c := serveable()
	c.Feishu.Mode = "webhook"
	err := c.ValidateServe()
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("got %v, want Problems", err)
	}
	var keys []string
	for _, p := range ps {
		keys = append(keys, p.Key)
	}
	if got, want := strings.Join(keys, ","), "feishu.verification_token,feishu.encrypt_key"; got != want {
		t.Errorf("got keys %s, want %s", got, want)
	}
}

func TestValidateServe(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(c *Config)
		want   []string // substrings; nil means no error
		absent []string
	}{
		{"both missing", func(c *Config) { c.Feishu.AppID, c.Feishu.AppSecret = "", "" }, []string{
			"feishu.app_id: is required", "UNIONBOT_FEISHU_APP_ID",
			"feishu.app_secret: is required", "UNIONBOT_FEISHU_APP_SECRET",
			`see README section "Creating the Feishu app"`,
		}, nil},
		{"secret missing", func(c *Config) { c.Feishu.AppSecret = "" }, []string{"feishu.app_secret", "UNIONBOT_FEISHU_APP_SECRET"}, []string{"feishu.app_id"}},
		{"plus Validate problems", func(c *Config) { c.Feishu.AppID = ""; c.Log.Format = "xml" }, []string{"feishu.app_id", "log.format"}, nil},
		{"complete", func(c *Config) {}, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := serveable()
			tt.mutate(c)
			err := c.ValidateServe()
			if tt.want == nil {
				if err != nil {
					t.Fatalf("got %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, want := range tt.want {
				if got := err.Error(); !strings.Contains(got, want) {
					t.Errorf("got\n%s\nwant it to contain %q", got, want)
				}
			}
			for _, absent := range tt.absent {
				if got := err.Error(); strings.Contains(got, absent) {
					t.Errorf("got\n%s\nwant it not to contain %q", got, absent)
				}
			}
		})
	}
	t.Run("Validate alone does not require credentials", func(t *testing.T) {
		if err := Default().Validate(); err != nil {
			t.Errorf("got %v, want nil", err)
		}
	})
}

func TestLocation(t *testing.T) {
	tests := []struct{ zone, want string }{
		{"Asia/Shanghai", "Asia/Shanghai"},
		{"Asia/Urumqi", "Asia/Urumqi"},
		{"UTC", "UTC"},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			c := Default()
			c.Timezone = tt.zone
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if got := c.Location().String(); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	t.Run("offset", func(t *testing.T) {
		c := Default()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		_, off := time.Date(2024, 9, 10, 12, 0, 0, 0, c.Location()).Zone()
		if got, want := off, 8*3600; got != want {
			t.Errorf("Asia/Shanghai offset: got %d, want %d", got, want)
		}
	})
	t.Run("timezone changed after Validate", func(t *testing.T) {
		c := Default()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		c.Timezone = "Europe/Berlin"
		if got, want := c.Location().String(), "Europe/Berlin"; got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("invalid panics", func(t *testing.T) {
		c := Default()
		c.Timezone = "Mars/Olympus"
		defer func() {
			if recover() == nil {
				t.Error("got no panic")
			}
		}()
		c.Location()
	})
}
