// Package config loads, validates and prints unionbot's configuration.
//
// The configuration is built in three layers, each overriding the one
// before it:
//
//  1. built-in defaults (Default),
//  2. an optional YAML file (see config.example.yaml at the repository root),
//  3. environment variables named UNIONBOT_ + the upper-cased key path joined
//     by "_", e.g. UNIONBOT_FEISHU_APP_SECRET for feishu.app_secret.
//
// Load performs the layering and reports malformed input (unknown keys,
// values of the wrong type); Validate and ValidateServe check that the
// result is usable. Masked renders the effective configuration with secrets
// hidden, for the check-config subcommand.
package config

import (
	"fmt"
	"os"
	"strings"
	"time"

	// Embed the IANA time zone database so that Asia/Shanghai and friends
	// load on minimal machines and containers without /usr/share/zoneinfo.
	_ "time/tzdata"
)

// EnvPrefix is the prefix of every environment variable that overrides a
// configuration key.
const EnvPrefix = "UNIONBOT_"

// Config is unionbot's whole configuration.
//
// Fields carry a yaml tag naming their key; string fields additionally
// tagged secret:"true" (masked entirely) or secret:"dsn" (only the password
// part is masked) are hidden by Masked.
type Config struct {
	// Feishu holds the credentials and connection settings of the Feishu
	// (Lark) app.
	Feishu Feishu `yaml:"feishu"`
	// Server configures the HTTP listener (webhook events, health checks).
	Server Server `yaml:"server"`
	// Database selects the SQL database.
	Database Database `yaml:"database"`
	// Timezone is the IANA time zone used for schedules and for displaying
	// times, default Asia/Shanghai.
	Timezone string `yaml:"timezone"`
	// Admins lists the open_ids (ou_...) of users holding the admin role.
	Admins []string `yaml:"admins"`
	// Log configures the process log.
	Log Log `yaml:"log"`
	// Outbox configures the rate-limited sender of outgoing messages.
	Outbox Outbox `yaml:"outbox"`
	// Bot configures event and card-callback handling.
	Bot Bot `yaml:"bot"`
	// Security holds the key that encrypts sensitive data at rest.
	Security Security `yaml:"security"`
	// Jobs configures the scheduled-job engine and its reminders.
	Jobs Jobs `yaml:"jobs"`
	// Signup configures activities and sign-ups.
	Signup Signup `yaml:"signup"`
	// Tasks configures the ten-task tracker (十件实事) and its reminder cadence.
	Tasks Tasks `yaml:"tasks"`
	// Privacy configures the retention of sensitive records and their purge.
	Privacy Privacy `yaml:"privacy"`
	// LegalAid configures legal aid (法律援助).
	LegalAid LegalAid `yaml:"legal_aid"`
	// Proposals configures the handling of staff-congress proposals and their reminders.
	Proposals Proposals `yaml:"proposals"`
	// Aid configures the aid requests (帮扶申请): kinds, ceilings, materials, 公示.
	Aid Aid `yaml:"aid"`

	// loc caches the location loaded by Validate for Location.
	loc *time.Location
}

// Feishu holds the Feishu (Lark) app credentials and connection settings.
type Feishu struct {
	// AppID is the app's App ID (cli_...) from the developer console.
	AppID string `yaml:"app_id"`
	// AppSecret is the app's App Secret.
	AppSecret string `yaml:"app_secret" secret:"true"`
	// Mode is how events are received: "websocket" (default, long
	// connection, no public URL needed) or "webhook" (HTTP callbacks).
	Mode string `yaml:"mode"`
	// BaseURL is the Open Platform origin, default https://open.feishu.cn
	// (Lark: https://open.larksuite.com).
	BaseURL string `yaml:"base_url"`
	// VerificationToken is the event subscription Verification Token;
	// required in webhook mode.
	VerificationToken string `yaml:"verification_token" secret:"true"`
	// EncryptKey is the event subscription Encrypt Key; required in
	// webhook mode.
	EncryptKey string `yaml:"encrypt_key" secret:"true"`
}

// Server configures the HTTP listener.
type Server struct {
	// Addr is the host:port to listen on, default 127.0.0.1:8080.
	Addr string `yaml:"addr"`
}

// Database selects the SQL database.
type Database struct {
	// Driver is "sqlite" (default) or "mysql".
	Driver string `yaml:"driver"`
	// DSN is the data source name: a file path for sqlite (default
	// data/unionbot.db), or user:password@tcp(host:port)/dbname?params for
	// mysql. The password part is secret.
	DSN string `yaml:"dsn" secret:"dsn"`
}

// Log configures the process log.
type Log struct {
	// Level is one of debug, info (default), warn, error.
	Level string `yaml:"level"`
	// Format is json (default) or text.
	Format string `yaml:"format"`
}

// Outbox configures the rate-limited sender of outgoing messages.
type Outbox struct {
	// RatePerSecond is the app-wide send rate, default 50.
	RatePerSecond float64 `yaml:"rate_per_second"`
	// PerReceiverPerSecond is the send rate to any one receiver, default 5.
	PerReceiverPerSecond float64 `yaml:"per_receiver_per_second"`
	// RetryFor is how long a message failing transiently (429, 5xx, timeouts,
	// refused connections) is retried, from its first failure, default 24h.
	RetryFor time.Duration `yaml:"retry_for"`
	// MaxAttempts is the least number of attempts before a message failing
	// transiently is given up (once RetryFor has passed too), default 12.
	MaxAttempts int `yaml:"max_attempts"`
	// PollInterval is how often the outbox table is polled, default 500ms.
	PollInterval time.Duration `yaml:"poll_interval"`
	// Workers is the number of concurrent senders, default 8.
	Workers int `yaml:"workers"`
}

// Bot configures event and card-callback handling.
type Bot struct {
	// CardDeadline is the deadline for a card-callback handler, default 2s
	// (Feishu waits at most 3 s for the answer).
	CardDeadline time.Duration `yaml:"card_deadline"`
	// DedupRetention is how long processed event IDs are remembered to drop
	// redeliveries, default 168h (7 days); at least 7h10m, Feishu's
	// redelivery window.
	DedupRetention time.Duration `yaml:"dedup_retention"`
	// RatePerSecond and RateBurst limit the events one member sends (messages and card
	// clicks): a burst of RateBurst, then RatePerSecond; over it the member is told
	// 操作太频繁，请稍后再试 and nothing is done. 0 turns the limit off. Default 2 and 20.
	RatePerSecond float64 `yaml:"rate_per_second"`
	RateBurst     int     `yaml:"rate_burst"`
}

// Default values, also documented in config.example.yaml.
const (
	defaultMode           = ModeWebSocket
	defaultBaseURL        = "https://open.feishu.cn"
	defaultAddr           = "127.0.0.1:8080"
	defaultDriver         = DriverSQLite
	defaultDSN            = "data/unionbot.db"
	defaultTimezone       = "Asia/Shanghai"
	defaultLogLevel       = "info"
	defaultLogFormat      = "json"
	defaultRate           = 50
	defaultPerReceiver    = 5
	defaultMaxAttempts    = 12
	defaultRetryFor       = 24 * time.Hour
	defaultPollInterval   = 500 * time.Millisecond
	defaultWorkers        = 8
	defaultCardDeadline   = 2 * time.Second
	defaultDedupRetention = 168 * time.Hour
)

// Accepted values of Feishu.Mode.
const (
	// ModeWebSocket receives events over the SDK's long connection.
	ModeWebSocket = "websocket"
	// ModeWebhook receives events as HTTP callbacks on Server.Addr.
	ModeWebhook = "webhook"
)

// Accepted values of Database.Driver.
const (
	// DriverSQLite stores data in a local SQLite file.
	DriverSQLite = "sqlite"
	// DriverMySQL stores data in a MySQL server.
	DriverMySQL = "mysql"
)

// Default returns a configuration with every default filled in.
func Default() *Config {
	c := &Config{Timezone: defaultTimezone}
	c.Feishu.Mode = defaultMode
	c.Feishu.BaseURL = defaultBaseURL
	c.Server.Addr = defaultAddr
	c.Database.Driver = defaultDriver
	c.Database.DSN = defaultDSN
	c.Log.Level = defaultLogLevel
	c.Log.Format = defaultLogFormat
	c.Outbox.RatePerSecond = defaultRate
	c.Outbox.PerReceiverPerSecond = defaultPerReceiver
	c.Outbox.MaxAttempts = defaultMaxAttempts
	c.Outbox.RetryFor = defaultRetryFor
	c.Outbox.PollInterval = defaultPollInterval
	c.Outbox.Workers = defaultWorkers
	c.Bot.CardDeadline = defaultCardDeadline
	c.Bot.DedupRetention = defaultDedupRetention
	c.Bot.RatePerSecond, c.Bot.RateBurst = 2, 20
	c.Security.setDefaults()
	c.Jobs.setDefaults()
	c.Signup.setDefaults()
	c.Tasks.setDefaults()
	c.Privacy.setDefaults()
	c.LegalAid.setDefaults()
	c.Proposals.setDefaults()
	c.Aid.setDefaults()
	return c
}

// defaultFile is the file DefaultPath looks for.
const defaultFile = "./config.yaml"

// DefaultPath returns "./config.yaml" when that file exists in the working
// directory, else "" (meaning: defaults and environment variables only).
func DefaultPath() string {
	if fi, err := os.Stat(defaultFile); err == nil && !fi.IsDir() {
		return defaultFile
	}
	return ""
}

// EnvVar returns the environment variable that overrides the dotted key,
// e.g. EnvVar("feishu.app_secret") == "UNIONBOT_FEISHU_APP_SECRET".
func EnvVar(key string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// Location returns the time zone named by Timezone. Call it after Validate
// succeeded, which loads and caches the zone; calling it with a timezone
// that does not load is a programming error and panics.
func (c *Config) Location() *time.Location {
	if c.loc != nil && c.loc.String() == c.Timezone {
		return c.loc
	}
	loc, err := loadLocation(c.Timezone)
	if err != nil {
		panic(fmt.Sprintf("config: Location called with an invalid timezone (call Validate first): %v", err))
	}
	return loc
}

// loadLocation is time.LoadLocation minus the names that would silently
// make the bot depend on the host's settings ("" is UTC, "Local" is the
// machine's zone).
func loadLocation(name string) (*time.Location, error) {
	switch name {
	case "":
		return nil, fmt.Errorf("must name an IANA time zone such as %q", defaultTimezone)
	case "Local":
		return nil, fmt.Errorf("\"Local\" depends on the host's settings; name an IANA time zone such as %q", defaultTimezone)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q (expected an IANA name such as %q)", name, defaultTimezone)
	}
	return loc, nil
}
