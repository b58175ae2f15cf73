// Package deploy holds the files that ship unionbot (the systemd unit, the secrets template);
// the Dockerfile and compose files are at the repository's root. Its test checks them for the
// directives the README promises, on every machine: CI also builds the image where a Docker
// daemon answers and runs systemd-analyze verify on the unit where it is installed (.ci/run).
package deploy

import (
	"bufio"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDockerfile: two stages, a static build, a distroless or scratch final stage, a non-root
// user, and the health check by the binary itself (no curl in the image).
func TestDockerfile(t *testing.T) {
	df := read(t, "../Dockerfile")
	var froms []string
	var final []string // the final stage's instructions
	var body strings.Builder
	for _, line := range strings.Split(df, "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		body.WriteString(line + "\n")
		if strings.HasPrefix(line, "FROM ") {
			froms = append(froms, line)
			final = nil
		}
		final = append(final, line)
	}
	if len(froms) < 2 {
		t.Errorf("not a multi-stage build: %v", froms)
	}
	if !strings.Contains(df, "CGO_ENABLED=0") {
		t.Error("the binary is not built static (CGO_ENABLED=0)")
	}
	last := froms[len(froms)-1]
	if !strings.Contains(last, "distroless/static") && !strings.Contains(last, "scratch") {
		t.Errorf("final stage %q is not distroless static or scratch", last)
	}
	user := ""
	var health, entry string
	for _, l := range final {
		switch {
		case strings.HasPrefix(l, "USER "):
			user = strings.TrimSpace(strings.TrimPrefix(l, "USER "))
		case strings.HasPrefix(l, "HEALTHCHECK "):
			health = l
		case strings.HasPrefix(l, "ENTRYPOINT "):
			entry = l
		}
	}
	if strings.Contains(last, ":nonroot") && user == "" {
		user = "nonroot"
	}
	if user == "" || user == "root" || user == "0" || strings.HasPrefix(user, "0:") {
		t.Errorf("the image runs as root (USER %q)", user)
	}
	if !strings.Contains(df, `"unionbot", "healthcheck"`) && !strings.Contains(df, "unionbot healthcheck") {
		t.Errorf("no HEALTHCHECK by `unionbot healthcheck`: %q", health)
	}
	if regexp.MustCompile(`\b(curl|wget)\b`).MatchString(body.String()) {
		t.Error("the Dockerfile uses curl or wget")
	}
	if !strings.Contains(entry, "/usr/local/bin/unionbot") || !strings.Contains(df, "/usr/local/bin/unionbot\n") && !strings.Contains(df, "/usr/local/bin/unionbot ") {
		t.Errorf("the entrypoint %q is not the binary the image copies", entry)
	}
}

// TestCompose: unionbot waits for MariaDB's health, MariaDB has a health check, and the
// long-connection service publishes no port (the webhook override publishes it on the
// loopback only).
func TestCompose(t *testing.T) {
	var c struct {
		Services map[string]struct {
			DependsOn map[string]struct {
				Condition string `yaml:"condition"`
			} `yaml:"depends_on"`
			Healthcheck map[string]any    `yaml:"healthcheck"`
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
			EnvFile     string            `yaml:"env_file"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "../compose.yaml")), &c); err != nil {
		t.Fatal(err)
	}
	bot, db := c.Services["unionbot"], c.Services["mariadb"]
	if bot.DependsOn["mariadb"].Condition != "service_healthy" {
		t.Errorf("unionbot does not wait for MariaDB's health: %+v", bot.DependsOn)
	}
	if db.Healthcheck == nil {
		t.Error("MariaDB has no health check")
	}
	if len(bot.Ports) > 0 {
		t.Errorf("the long-connection service publishes ports: %v", bot.Ports)
	}
	if bot.Environment["UNIONBOT_DATABASE_DRIVER"] != "mysql" || bot.EnvFile == "" {
		t.Errorf("unionbot's environment: %+v, env_file %q", bot.Environment, bot.EnvFile)
	}
	var w struct {
		Services map[string]struct {
			Ports       []string          `yaml:"ports"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal([]byte(read(t, "../compose.webhook.yaml")), &w); err != nil {
		t.Fatal(err)
	}
	wb := w.Services["unionbot"]
	if wb.Environment["UNIONBOT_FEISHU_MODE"] != "webhook" || len(wb.Ports) != 1 || !strings.HasPrefix(wb.Ports[0], "127.0.0.1:") {
		t.Errorf("the webhook override: %+v", wb)
	}
}

// TestSystemdUnit: the hardening and the notify watchdog the README describes.
func TestSystemdUnit(t *testing.T) {
	keys := map[string][]string{}
	sc := bufio.NewScanner(strings.NewReader(read(t, "unionbot.service")))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		if l == "" || l[0] == '#' || l[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			t.Errorf("not a key=value line: %q", l)
			continue
		}
		keys[k] = append(keys[k], v)
	}
	has := func(k, v string) bool { return slices.Contains(keys[k], v) }
	for _, kv := range [][2]string{{"Type", "notify"}, {"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"}, {"PrivateTmp", "yes"},
		{"ProtectHome", "yes"}, {"DynamicUser", "yes"}, {"ReadWritePaths", "/var/lib/unionbot"}, {"StateDirectory", "unionbot"},
		{"CapabilityBoundingSet", ""}} {
		if !has(kv[0], kv[1]) {
			t.Errorf("the unit lacks %s=%s", kv[0], kv[1])
		}
	}
	if len(keys["WatchdogSec"]) == 0 {
		t.Error("no WatchdogSec: the watchdog is off")
	}
	if len(keys["EnvironmentFile"]) == 0 && len(keys["LoadCredential"]) == 0 {
		t.Error("secrets come neither from an environment file nor from LoadCredential")
	}
	if af := strings.Join(keys["RestrictAddressFamilies"], " "); !strings.Contains(af, "AF_UNIX") {
		t.Errorf("RestrictAddressFamilies=%s forbids the notify socket (AF_UNIX)", af)
	}
	if !strings.HasPrefix(strings.Join(keys["ExecStart"], ""), "/usr/local/bin/unionbot serve") {
		t.Errorf("ExecStart=%v", keys["ExecStart"])
	}
}
