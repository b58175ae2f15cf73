package config

import (
	"fmt"
	"math"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Problem is one invalid configuration key.
type Problem struct {
	// Key is the dotted key path, e.g. "feishu.mode" or "admins[2]".
	Key string
	// Msg says what is wrong and what is expected.
	Msg string
}

// String formats the problem as "key: msg".
func (p Problem) String() string { return p.Key + ": " + p.Msg }

// Problems is the error returned by Validate and ValidateServe: every
// problem found, roughly in the order of the configuration file.
type Problems []Problem

// Error lists the problems, one per line.
func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Limits checked by Validate.
const (
	// MinCardDeadline is the smallest accepted bot.card_deadline.
	MinCardDeadline = 100 * time.Millisecond
	// MaxCardDeadline is the largest accepted bot.card_deadline, leaving
	// margin below Feishu's 3 s limit for answering a card callback.
	MaxCardDeadline = 2500 * time.Millisecond
	// MinDedupRetention is the smallest accepted bot.dedup_retention:
	// Feishu redelivers an unacknowledged event for up to 7h10m.
	MinDedupRetention = 7*time.Hour + 10*time.Minute
)

// appendf adds a problem for key.
func appendf(ps *Problems, key, format string, args ...any) {
	*ps = append(*ps, Problem{Key: key, Msg: fmt.Sprintf(format, args...)})
}

// Validate checks that every value is well-formed and that the values fit
// together, returning all problems at once as Problems (nil when there are
// none). It does not require the Feishu credentials; ValidateServe does.
// On success it caches the time zone for Location.
func (c *Config) Validate() error {
	var ps Problems
	c.loc = nil

	// feishu
	f := &c.Feishu
	if f.AppID != "" && !strings.HasPrefix(strings.TrimSpace(f.AppID), "cli_") {
		appendf(&ps, "feishu.app_id", "must be the App ID from the Feishu developer console, which starts with \"cli_\", got %q", f.AppID)
	}
	for _, s := range []struct{ key, val string }{
		{"feishu.app_id", f.AppID},
		{"feishu.app_secret", f.AppSecret},
		{"feishu.verification_token", f.VerificationToken},
		{"feishu.encrypt_key", f.EncryptKey},
	} {
		if s.val != strings.TrimSpace(s.val) {
			appendf(&ps, s.key, "has leading or trailing whitespace; copy the value again without it")
		}
	}
	switch f.Mode {
	case ModeWebSocket:
	case ModeWebhook:
		const why = "without it the SDK cannot verify that events come from Feishu and accepts forged requests"
		if f.VerificationToken == "" {
			appendf(&ps, "feishu.verification_token", "is required when feishu.mode is %q: %s; copy the Verification Token from the developer console (Events & Callbacks > Encryption Strategy), or set %s", ModeWebhook, why, EnvVar("feishu.verification_token"))
		}
		if f.EncryptKey == "" {
			appendf(&ps, "feishu.encrypt_key", "is required when feishu.mode is %q: %s; copy the Encrypt Key from the developer console (Events & Callbacks > Encryption Strategy), or set %s", ModeWebhook, why, EnvVar("feishu.encrypt_key"))
		}
	default:
		appendf(&ps, "feishu.mode", "must be %q or %q, got %q", ModeWebSocket, ModeWebhook, f.Mode)
	}
	if msg := checkBaseURL(f.BaseURL); msg != "" {
		appendf(&ps, "feishu.base_url", "%s", msg)
	}

	// server
	if msg := checkAddr(c.Server.Addr); msg != "" {
		appendf(&ps, "server.addr", "%s", msg)
	}

	// database
	switch c.Database.Driver {
	case DriverSQLite:
		if c.Database.DSN == "" {
			appendf(&ps, "database.dsn", "must not be empty: give the SQLite file path, e.g. %q", defaultDSN)
		}
	case DriverMySQL:
		if c.Database.DSN == "" {
			appendf(&ps, "database.dsn", "must not be empty: give a MySQL DSN such as %q", "unionbot:PASSWORD@tcp(127.0.0.1:3306)/unionbot?charset=utf8mb4&parseTime=true&loc=UTC")
		} else if _, err := mysql.ParseDSN(c.Database.DSN); err != nil {
			// The driver's messages never repeat the DSN, so the password
			// cannot leak here.
			appendf(&ps, "database.dsn", "is not a valid MySQL DSN (user:password@tcp(host:port)/dbname?params): %v", err)
		}
	default:
		appendf(&ps, "database.driver", "must be %q or %q, got %q", DriverSQLite, DriverMySQL, c.Database.Driver)
	}

	// timezone
	loc, err := loadLocation(c.Timezone)
	if err != nil {
		appendf(&ps, "timezone", "%v", err)
	}

	// admins
	for i, id := range c.Admins {
		if !strings.HasPrefix(id, "ou_") || len(id) <= len("ou_") || strings.ContainsFunc(id, isSpaceOrControl) {
			appendf(&ps, fmt.Sprintf("admins[%d]", i), "must be a user's open_id, which starts with \"ou_\", got %q", id)
		}
	}

	// log
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		appendf(&ps, "log.level", "must be one of \"debug\", \"info\", \"warn\", \"error\", got %q", c.Log.Level)
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		appendf(&ps, "log.format", "must be \"json\" or \"text\", got %q", c.Log.Format)
	}

	// outbox
	o := &c.Outbox
	if !(o.RatePerSecond > 0) || math.IsInf(o.RatePerSecond, 0) {
		appendf(&ps, "outbox.rate_per_second", "must be a number greater than 0, got %v", o.RatePerSecond)
	}
	if !(o.PerReceiverPerSecond > 0) || math.IsInf(o.PerReceiverPerSecond, 0) {
		appendf(&ps, "outbox.per_receiver_per_second", "must be a number greater than 0, got %v", o.PerReceiverPerSecond)
	}
	if o.RetryFor < time.Minute {
		appendf(&ps, "outbox.retry_for", "must be at least 1m, got %s", formatDuration(o.RetryFor))
	}
	if o.MaxAttempts < 1 {
		appendf(&ps, "outbox.max_attempts", "must be at least 1, got %d", o.MaxAttempts)
	}
	if o.PollInterval <= 0 {
		appendf(&ps, "outbox.poll_interval", "must be greater than 0, got %s", formatDuration(o.PollInterval))
	}
	if o.Workers < 1 {
		appendf(&ps, "outbox.workers", "must be at least 1, got %d", o.Workers)
	}

	// bot
	if d := c.Bot.CardDeadline; d < MinCardDeadline || d > MaxCardDeadline {
		appendf(&ps, "bot.card_deadline", "must be between %s and %s (Feishu waits at most 3s for a card callback), got %s", formatDuration(MinCardDeadline), formatDuration(MaxCardDeadline), formatDuration(d))
	}
	if c.Bot.RatePerSecond < 0 || c.Bot.RateBurst < 0 {
		appendf(&ps, "bot.rate_per_second", "the rate limit must not be negative (0 turns it off), got %v per second, burst %d", c.Bot.RatePerSecond, c.Bot.RateBurst)
	}
	if d := c.Bot.DedupRetention; d < MinDedupRetention {
		appendf(&ps, "bot.dedup_retention", "must be at least %s (Feishu redelivers unacknowledged events for up to 7h10m), got %s", formatDuration(MinDedupRetention), formatDuration(d))
	}

	c.Security.validate(&ps)
	c.Jobs.validate(&ps)
	c.Signup.validate(&ps)
	c.Tasks.validate(&ps)
	c.Privacy.validate(&ps)
	c.LegalAid.validate(&ps)
	c.Proposals.validate(&ps)
	c.Aid.validate(&ps)

	if len(ps) > 0 {
		return ps
	}
	c.loc = loc
	return nil
}

// ValidateServe is Validate plus the checks needed to run the bot: the
// Feishu app_id and app_secret must be set.
func (c *Config) ValidateServe() error {
	var ps Problems
	if err := c.Validate(); err != nil {
		ps = err.(Problems)
	}
	var missing Problems
	for _, s := range []struct{ key, val string }{
		{"feishu.app_id", c.Feishu.AppID},
		{"feishu.app_secret", c.Feishu.AppSecret},
	} {
		if s.val == "" {
			appendf(&missing, s.key, "is required to run the bot; set it in the config file or via %s (see README section \"Creating the Feishu app\")", EnvVar(s.key))
		}
	}
	ps = append(missing, ps...)
	if len(ps) > 0 {
		return ps
	}
	return nil
}

// checkBaseURL returns why s is not an absolute http(s) URL, or "".
func checkBaseURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "https" && u.Scheme != "http"):
		return fmt.Sprintf("must be an absolute http(s) URL such as %q (Lark: %q), got %q", defaultBaseURL, "https://open.larksuite.com", s)
	case u.User != nil || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, "/"):
		return fmt.Sprintf("must be a plain origin such as %q, without a trailing slash, query or credentials, got %q", defaultBaseURL, u.Redacted())
	}
	return ""
}

// checkAddr returns why s is not a host:port listen address, or "".
func checkAddr(s string) string {
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("must be host:port such as %q or \":8080\", got %q", defaultAddr, s)
	}
	if _, err := strconv.ParseUint(port, 10, 16); err != nil {
		return fmt.Sprintf("port must be a number from 0 (any free port) to 65535, got %q", s)
	}
	return ""
}

func isSpaceOrControl(r rune) bool {
	return r <= ' ' || r == 0x7f
}
