// Package faults is the fault suite: each test builds the real unionbot binary, starts it as a
// child process against the fake Feishu (bot/feishutest) on 127.0.0.1, injects one kind of
// fault (kill -9, a database going away, Feishu misbehaving) under load, and asserts the
// effects exactly: every event acknowledged with 200 had its effect once, every queued
// message reached the platform once. Each test logs a line starting with "FIGURES" that
// RELIABILITY.md's table is written from:
//
//	go test -count=1 -v -run . ./faults/ | grep FIGURES
package faults

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
)

const (
	verificationToken = "vt_faults"
	encryptKey        = "ek_faults_key"
	adminOpenID       = "ou_faults_admin"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds the unionbot binary once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "unionbot-faults-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "unionbot")
		out, err := exec.Command("go", "build", "-o", binPath, "github.com/unionbot/unionbot").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	os.Exit(code)
}

// freeAddr is a loopback address whose port was free a moment ago. The bot keeps it across
// restarts, as a deployment does.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// syncBuffer collects a child's output.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is the bot as a child process, restartable with the same configuration.
type proc struct {
	t    *testing.T
	bin  string
	addr string
	env  []string
	logs *syncBuffer

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// botEnv is the environment of a bot in webhook mode against fake, on the database given.
func botEnv(fake *feishutest.Server, addr, driver, dsn string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"UNIONBOT_FEISHU_APP_ID=" + fake.AppID(),
		"UNIONBOT_FEISHU_APP_SECRET=" + fake.AppSecret(),
		"UNIONBOT_FEISHU_BASE_URL=" + fake.URL(),
		"UNIONBOT_FEISHU_MODE=webhook",
		"UNIONBOT_FEISHU_VERIFICATION_TOKEN=" + verificationToken,
		"UNIONBOT_FEISHU_ENCRYPT_KEY=" + encryptKey,
		"UNIONBOT_SERVER_ADDR=" + addr,
		"UNIONBOT_DATABASE_DRIVER=" + driver,
		"UNIONBOT_DATABASE_DSN=" + dsn,
		"UNIONBOT_ADMINS=" + adminOpenID,
		"UNIONBOT_LOG_LEVEL=info",
		"UNIONBOT_OUTBOX_POLL_INTERVAL=100ms",
		"UNIONBOT_JOBS_QUIET_HOURS=off",
	}
	return append(env, extra...)
}

func newProc(t *testing.T, env []string, addr string) *proc {
	return &proc{t: t, bin: binary(t), addr: addr, env: env, logs: &syncBuffer{}}
}

// start starts the bot and waits until /readyz answers 200; it returns how long that took.
func (p *proc) start() time.Duration {
	p.t.Helper()
	t0 := time.Now()
	cmd := exec.Command(p.bin, "serve", "-config", "")
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	p.mu.Lock()
	p.cmd, p.done = cmd, done
	p.mu.Unlock()
	p.t.Cleanup(func() { p.kill() })
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			p.t.Fatalf("the bot exited at start:\n%s", tail(p.logs.String(), 40))
		default:
		}
		if status, _ := p.get("/readyz"); status == http.StatusOK {
			return time.Since(t0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.t.Fatalf("the bot was not ready within 60 s:\n%s", tail(p.logs.String(), 40))
	return 0
}

// kill sends SIGKILL and waits for the process to be gone.
func (p *proc) kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop sends SIGTERM and waits (a clean shutdown).
func (p *proc) stop() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.cmd = nil
	p.mu.Unlock()
	if cmd == nil {
		return
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Signal(syscall.SIGKILL)
		<-done
	}
}

func (p *proc) get(path string) (int, string) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + p.addr + path)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// webhook is a Feishu-like sender of signed events to the bot.
func (p *proc) webhook() *feishutest.Webhook {
	return &feishutest.Webhook{URL: "http://" + p.addr + "/webhook/event", EncryptKey: encryptKey,
		VerificationToken: verificationToken, Client: &http.Client{Timeout: 10 * time.Second}}
}

// deliver sends one event and reports whether the bot acknowledged it (HTTP 200).
func (p *proc) deliver(ctx context.Context, payload []byte) (bool, int) {
	status, _, err := p.webhook().Send(ctx, payload)
	if err != nil {
		return false, 0
	}
	return status == http.StatusOK, status
}

// run runs a command of the binary (e.g. activities create) to its end.
func (p *proc) run(args ...string) string {
	p.t.Helper()
	cmd := exec.Command(p.bin, append(args, "-config", "")...)
	cmd.Env = p.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("unionbot %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// pid is the running process's id (0 when it is not running).
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}
