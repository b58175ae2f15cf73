package app

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// BenchmarkStartToReady starts the real binary (built once with go build) in webhook mode
// against a fake Feishu, each iteration on a fresh database (so the time includes creating
// it and applying every migration), and measures exec → first 200 from /readyz. After the
// last iteration's instance is ready it stays idle for 2 s and its VmRSS is read from
// /proc/PID/status. Every instance gets SIGTERM and must exit 0 within 10 s.
//
// Metrics: ms-to-ready (mean), max-ms-to-ready, idle-rss-MB, ms-to-exit (mean, SIGTERM →
// exit, not part of ns/op).
func BenchmarkStartToReady(b *testing.B) {
	if runtime.GOOS != "linux" {
		b.Skip("reads /proc/PID/status")
	}
	bin := filepath.Join(b.TempDir(), "unionbot")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	if out, err := exec.Command(gobin, "build", "-o", bin, "github.com/unionbot/unionbot").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	fake := feishutest.NewT(b)
	for _, dialect := range storetest.Dialects() {
		b.Run(dialect, func(b *testing.B) { benchStart(b, bin, fake, dialect) })
	}
}

func benchStart(b *testing.B, bin string, fake *feishutest.Server, dialect string) {
	var ready, exit []time.Duration
	var rssKB int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dsn := filepath.Join(b.TempDir(), "data", "unionbot.db") // fresh file, directory created by the store
		if dialect == store.MySQL {
			dsn = storetest.CreateMySQLDatabase(b)
		}
		addr := freeAddr(b)
		cmd := exec.Command(bin, "serve")
		cmd.Dir = b.TempDir() // no ./config.yaml to pick up
		cmd.Env = append(withoutUnionbotEnv(os.Environ()),
			"UNIONBOT_FEISHU_APP_ID="+fake.AppID(),
			"UNIONBOT_FEISHU_APP_SECRET="+fake.AppSecret(),
			"UNIONBOT_FEISHU_BASE_URL="+fake.URL(),
			"UNIONBOT_FEISHU_MODE=webhook",
			"UNIONBOT_FEISHU_VERIFICATION_TOKEN=vt_bench",
			"UNIONBOT_FEISHU_ENCRYPT_KEY=ek_bench_key",
			"UNIONBOT_DATABASE_DRIVER="+dialect,
			"UNIONBOT_DATABASE_DSN="+dsn,
			"UNIONBOT_SERVER_ADDR="+addr,
		)
		var stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stderr, &stderr
		client := &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
		b.StartTimer()

		t0 := time.Now()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		if err := waitReady(client, "http://"+addr+"/readyz", exited, 10*time.Second); err != nil {
			cmd.Process.Kill()
			b.Fatalf("iteration %d: %v\n%s", i, err, stderr.String())
		}
		ready = append(ready, time.Since(t0))

		b.StopTimer()
		if i == b.N-1 {
			time.Sleep(2 * time.Second) // idle
			kb, err := vmRSS(cmd.Process.Pid)
			if err != nil {
				b.Fatal(err)
			}
			rssKB = kb
		}
		t1 := time.Now()
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				b.Fatalf("iteration %d: exit after SIGTERM: %v\n%s", i, err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			b.Fatalf("iteration %d: still running 10 s after SIGTERM\n%s", i, stderr.String())
		}
		exit = append(exit, time.Since(t1))
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(ms(mean(ready)), "ms-to-ready")
	b.ReportMetric(ms(slices.Max(ready)), "max-ms-to-ready")
	b.ReportMetric(float64(rssKB)/1024, "idle-rss-MB")
	b.ReportMetric(ms(mean(exit)), "ms-to-exit")
}

// waitReady polls url every millisecond until it answers 200, the process exits, or timeout.
func waitReady(client *http.Client, url string, exited <-chan error, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before ready: %v", err)
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(time.Millisecond)
	}
	return fmt.Errorf("not ready within %v", timeout)
}

// vmRSS reads the resident set size of a process in kB.
func vmRSS(pid int) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// freeAddr returns a 127.0.0.1 address with a port that was free a moment ago.
func freeAddr(b testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func withoutUnionbotEnv(env []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool { return strings.HasPrefix(kv, "UNIONBOT_") })
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(len(ds))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
