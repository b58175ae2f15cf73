package cli

import (
	"context"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
)

// TestHealthcheck: `unionbot healthcheck` exits 0 while the running bot's /readyz answers 200,
// and 1 (saying why) once it answers 503 (here: the long connection to Feishu is down) or
// nothing answers at all. It finds the bot at server.addr, as the container's HEALTHCHECK does.
func TestHealthcheck(t *testing.T) {
	fake := feishutest.NewT(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	environ := []string{"UNIONBOT_FEISHU_APP_ID=" + fake.AppID(), "UNIONBOT_FEISHU_APP_SECRET=" + fake.AppSecret(),
		"UNIONBOT_FEISHU_BASE_URL=" + fake.URL(), "UNIONBOT_SERVER_ADDR=" + addr,
		"UNIONBOT_DATABASE_DSN=" + filepath.Join(t.TempDir(), "unionbot.db")}
	if code, _, errb := cli(t, environ, "healthcheck"); code != 1 || !strings.Contains(errb, "not ready") {
		t.Errorf("healthcheck with nothing running: %d %s", code, errb)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"serve"}, &out, &errb, environ) }()
	defer func() {
		cancel()
		if code := <-done; code != 0 {
			t.Errorf("serve exited with %d: %s", code, errb.String())
		}
	}()
	wait := func(want int) string {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			code, stdout, stderr := cli(t, environ, "healthcheck")
			if code == want {
				return stdout + stderr
			}
			if time.Now().After(deadline) {
				t.Fatalf("healthcheck did not exit %d within 20 s: %d %s %s", want, code, stdout, stderr)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	if got := wait(0); !strings.Contains(got, `"database":"ok"`) {
		t.Errorf("ready: %s", got)
	}
	fake.RefuseBootstrap(true)
	fake.DropConnections()
	if got := wait(1); !strings.Contains(got, "503") || !strings.Contains(got, "transport") {
		t.Errorf("not ready: %s", got)
	}
	fake.RefuseBootstrap(false)
	wait(0)
	if localAddr("0.0.0.0:8080") != "127.0.0.1:8080" || localAddr(":9") != "127.0.0.1:9" || localAddr("10.0.0.1:80") != "10.0.0.1:80" {
		t.Error("localAddr")
	}
}
