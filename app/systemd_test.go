package app

import (
	"context"
	"log/slog"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// TestSystemdNotify: under systemd (NOTIFY_SOCKET, WATCHDOG_USEC) serve says READY=1 once it
// serves, pings WATCHDOG=1 while the database answers, and says STOPPING=1 when it stops. The
// socket is a fake systemd: a unixgram socket in a temporary directory.
func TestSystemdNotify(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "notify")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: sock, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	got := make(chan string, 1000)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				return
			}
			got <- string(buf[:n])
		}
	}()
	fake := feishutest.NewT(t)
	cfg := e2eConfig(t, fake, config.ModeWebhook, store.SQLite)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &Main{Config: cfg, Log: slog.New(slog.NewTextHandler(testWriter{t}, nil)),
		Environ: []string{"NOTIFY_SOCKET=" + sock, "WATCHDOG_USEC=200000"}}
	if err := m.Open(ctx); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	next := func(what string) string {
		t.Helper()
		select {
		case s := <-got:
			return s
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s within 10 s", what)
			return ""
		}
	}
	if s := next("READY=1"); s != "READY=1\nSTATUS=serving" {
		t.Fatalf("first notification %q, want READY=1", s)
	}
	for i := 0; i < 3; i++ {
		if s := next("WATCHDOG=1"); s != "WATCHDOG=1" {
			t.Fatalf("got %q, want WATCHDOG=1", s)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for {
		s := next("STOPPING=1")
		if s == "STOPPING=1" {
			break
		}
		if s != "WATCHDOG=1" {
			t.Fatalf("got %q while stopping", s)
		}
	}
}
