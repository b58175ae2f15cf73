package sdnotify

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"
)

// listen is a fake systemd: a unixgram socket collecting what is sent to it.
func listen(t *testing.T) (string, <-chan string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	c, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	got := make(chan string, 100)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := c.Read(buf)
			if err != nil {
				close(got)
				return
			}
			got <- string(buf[:n])
		}
	}()
	return path, got
}

func TestNotify(t *testing.T) {
	path, got := listen(t)
	n, iv := FromEnv([]string{"NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=2000000", "WATCHDOG_PID=42"}, 42)
	if !n.Enabled() || iv != 2*time.Second {
		t.Fatalf("FromEnv: %+v %v", n, iv)
	}
	if err := n.Notify("READY=1\nSTATUS=serving"); err != nil {
		t.Fatal(err)
	}
	if s := <-got; s != "READY=1\nSTATUS=serving" {
		t.Errorf("got %q", s)
	}
	if _, iv := FromEnv([]string{"NOTIFY_SOCKET=" + path, "WATCHDOG_USEC=2000000", "WATCHDOG_PID=7"}, 42); iv != 0 {
		t.Errorf("a watchdog meant for pid 7 taken by pid 42: %v", iv)
	}
	if n, iv := FromEnv(nil, 1); n.Enabled() || iv != 0 || n.Notify("READY=1") != nil {
		t.Errorf("outside systemd: %+v %v", n, iv)
	}
}

// TestWatchdog: WATCHDOG=1 goes out while the health check passes, none while it fails, and
// again once it passes.
func TestWatchdog(t *testing.T) {
	path, got := listen(t)
	n := Notifier{Socket: path}
	var down atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		n.Watchdog(ctx, 40*time.Millisecond, func(context.Context) error {
			if down.Load() {
				return errors.New("database down")
			}
			return nil
		}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	for i := 0; i < 3; i++ {
		select {
		case s := <-got:
			if s != "WATCHDOG=1" {
				t.Fatalf("got %q", s)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no watchdog ping while healthy")
		}
	}
	down.Store(true)
	time.Sleep(60 * time.Millisecond) // a ping already sent before the switch may still arrive
	for len(got) > 0 {
		<-got
	}
	select {
	case s := <-got:
		t.Fatalf("pinged while the database was down: %q", s)
	case <-time.After(300 * time.Millisecond):
	}
	down.Store(false)
	select {
	case <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("no ping after recovery")
	}
	cancel()
	<-done
}
