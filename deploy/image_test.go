package deploy

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// dockerfile is what TestImageRootfs reads of the Dockerfile: the build stage's go build
// flags, and the final stage's environment, user, working directory, entry point, command
// and health check.
type dockerfile struct {
	ldflags     string
	env         []string
	uid, gid    int
	workdir     string
	entrypoint  []string
	cmd         []string
	healthcheck []string
	chowned     []string // directories the final stage copies with --chown (created owned by the user)
}

// parseDockerfile joins continued lines and reads the instructions TestImageRootfs needs.
func parseDockerfile(t *testing.T, text string) dockerfile {
	t.Helper()
	var lines []string
	var cur strings.Builder
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if cur.Len() == 0 && (l == "" || strings.HasPrefix(l, "#")) {
			continue
		}
		if strings.HasSuffix(l, "\\") {
			cur.WriteString(strings.TrimSuffix(l, "\\") + " ")
			continue
		}
		cur.WriteString(l)
		lines = append(lines, cur.String())
		cur.Reset()
	}
	var d dockerfile
	stage := 0
	jsonArgs := func(l, instr string) []string {
		var out []string
		if err := json.Unmarshal([]byte(strings.TrimSpace(strings.TrimPrefix(l, instr))), &out); err != nil {
			t.Fatalf("%s is not in the exec (JSON) form: %q", instr, l)
		}
		return out
	}
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "FROM "):
			stage++
			d.env, d.uid, d.gid, d.workdir = nil, 0, 0, "/"
		case strings.HasPrefix(l, "RUN ") && strings.Contains(l, "go build"):
			if !strings.Contains(l, "CGO_ENABLED=0") || !strings.Contains(l, "-trimpath") {
				t.Errorf("the build is not CGO_ENABLED=0 -trimpath: %q", l)
			}
			m := regexp.MustCompile(`-ldflags="([^"]*)"`).FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("no -ldflags in %q", l)
			}
			d.ldflags = strings.ReplaceAll(m[1], "${VERSION}", "image-test")
		case strings.HasPrefix(l, "ENV "):
			for _, kv := range strings.Fields(strings.TrimPrefix(l, "ENV ")) {
				d.env = append(d.env, kv)
			}
		case strings.HasPrefix(l, "USER "):
			ids := strings.SplitN(strings.TrimSpace(strings.TrimPrefix(l, "USER ")), ":", 2)
			uid, err1 := strconv.Atoi(ids[0])
			gid, err2 := strconv.Atoi(ids[len(ids)-1])
			if err1 != nil || err2 != nil {
				t.Fatalf("USER must be numeric (uid:gid) for a distroless image: %q", l)
			}
			d.uid, d.gid = uid, gid
		case strings.HasPrefix(l, "WORKDIR "):
			d.workdir = strings.TrimSpace(strings.TrimPrefix(l, "WORKDIR "))
		case strings.HasPrefix(l, "COPY ") && strings.Contains(l, "--chown="):
			f := strings.Fields(l)
			d.chowned = append(d.chowned, f[len(f)-1])
		case strings.HasPrefix(l, "ENTRYPOINT "):
			d.entrypoint = jsonArgs(l, "ENTRYPOINT")
		case strings.HasPrefix(l, "CMD "):
			d.cmd = jsonArgs(l, "CMD")
		case strings.HasPrefix(l, "HEALTHCHECK "):
			i := strings.Index(l, " CMD ")
			if i < 0 {
				t.Fatalf("HEALTHCHECK without CMD: %q", l)
			}
			d.healthcheck = jsonArgs(l[i+1:], "CMD")
		}
	}
	if stage < 2 || d.ldflags == "" || len(d.entrypoint) == 0 || len(d.healthcheck) == 0 {
		t.Fatalf("Dockerfile not understood: %+v", d)
	}
	return d
}

// TestImageRootfs runs what the image holds the way the container runtime would, without a
// Docker daemon (none answers on the development machine, and no registry is reachable to
// pull the base images): the binary is built with the Dockerfile's own flags (CGO off,
// -trimpath, its -ldflags) into a root file system as bare as distroless/static (the binary,
// CA certificates, /etc/passwd, /tmp and the data directory; no shell, no libc, no time-zone
// files: the binary embeds them), and started there in a chroot as the image's user, with the
// image's environment, working directory, entry point and command. Only server.addr is moved
// to a free loopback port and the Feishu credentials point at the fake platform. It asserts:
// the health check command fails while the bot is down and passes once it runs; the bot
// answers a chat message over the long connection; its SQLite file is created in /data by
// the non-root user; SIGTERM stops it cleanly. It needs root (chroot, setuid), as CI has.
func TestImageRootfs(t *testing.T) {
	if os.Geteuid() != 0 {
		if os.Getenv("CI") == "true" {
			t.Fatal("this test needs root (chroot and a change of user), which CI has")
		}
		t.Skip("needs root (chroot and a change of user)")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	text, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := parseDockerfile(t, string(text))

	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(root, d.entrypoint[0])
	build := exec.Command("go", "build", "-trimpath", "-ldflags="+d.ldflags, "-o", bin, "..")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mkdir := func(dir string, mode os.FileMode, uid, gid int) {
		p := filepath.Join(root, dir)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(p, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	mkdir("/tmp", 0o1777, 0, 0)
	mkdir("/etc/ssl/certs", 0o755, 0, 0)
	for _, dir := range d.chowned {
		mkdir(dir, 0o755, d.uid, d.gid)
	}
	// Walk up from the binary so every directory on its path is traversable.
	for p := filepath.Dir(bin); p != root; p = filepath.Dir(p) {
		os.Chmod(p, 0o755)
	}
	if ca, err := os.ReadFile("/etc/ssl/certs/ca-certificates.crt"); err == nil {
		os.WriteFile(filepath.Join(root, "/etc/ssl/certs/ca-certificates.crt"), ca, 0o644)
	}
	passwd := "root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:" + strconv.Itoa(d.uid) + ":" + strconv.Itoa(d.gid) + ":nonroot:/home/nonroot:/sbin/nologin\n"
	if err := os.WriteFile(filepath.Join(root, "/etc/passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	// Nothing else: a dynamically linked binary would not even start here.
	for _, p := range []string{"/bin/sh", "/lib", "/lib64", "/usr/lib", "/usr/share/zoneinfo"} {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Fatalf("the root file system has %s", p)
		}
	}

	fake := feishutest.NewT(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	env := []string{}
	for _, kv := range d.env {
		if !strings.HasPrefix(kv, "UNIONBOT_SERVER_ADDR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "UNIONBOT_SERVER_ADDR="+addr, "UNIONBOT_FEISHU_APP_ID="+fake.AppID(),
		"UNIONBOT_FEISHU_APP_SECRET="+fake.AppSecret(), "UNIONBOT_FEISHU_BASE_URL="+fake.URL(), "UNIONBOT_OUTBOX_POLL_INTERVAL=100ms")
	logs := &logBuffer{}
	run := func(args []string, out io.Writer) *exec.Cmd {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env, cmd.Dir = env, d.workdir
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Chroot: root,
			Credential: &syscall.Credential{Uid: uint32(d.uid), Gid: uint32(d.gid), Groups: []uint32{}}}
		return cmd
	}
	healthy := func() (bool, string) {
		var out strings.Builder
		err := run(d.healthcheck, &out).Run()
		return err == nil, out.String()
	}

	if ok, out := healthy(); ok {
		t.Fatalf("the health check passes with the bot down: %s", out)
	}
	serve := run(append(append([]string{}, d.entrypoint...), d.cmd...), logs)
	if err := serve.Start(); err != nil {
		t.Fatalf("start in the root file system: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() { serve.Process.Kill() })
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ok, _ := healthy(); ok {
			break
		}
		select {
		case err := <-exited:
			t.Fatalf("the bot exited: %v\n%s", err, logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("not healthy within 60 s:\n%s", logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A chat message over the long connection (the image's default mode) is answered.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := fake.WaitConnected(ctx, 1); err != nil {
		t.Fatalf("no long connection: %v\n%s", err, logs.String())
	}
	ack, err := fake.PushEvent(ctx, feishutest.MessageEvent(feishutest.MessageOpts{SenderOpenID: "ou_image", Text: "菜单"}))
	if err != nil || ack.Code != 200 {
		t.Fatalf("push: %+v %v\n%s", ack, err, logs.String())
	}
	if _, err := fake.WaitMessages(ctx, 1); err != nil {
		t.Fatalf("no reply: %v\n%s", err, logs.String())
	}

	// The database is the image's UNIONBOT_DATABASE_DSN, written by the image's user.
	dsn := ""
	for _, kv := range d.env {
		if v, ok := strings.CutPrefix(kv, "UNIONBOT_DATABASE_DSN="); ok {
			dsn = v
		}
	}
	st, err := os.Stat(filepath.Join(root, dsn))
	if err != nil {
		t.Fatalf("no database at %s: %v", dsn, err)
	}
	if sys := st.Sys().(*syscall.Stat_t); int(sys.Uid) != d.uid {
		t.Errorf("%s is owned by uid %d, want %d", dsn, sys.Uid, d.uid)
	}

	serve.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30 s after SIGTERM:\n%s", logs.String())
	}
}

// logBuffer collects the bot's output, written by exec's copying goroutine and read by the test.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
