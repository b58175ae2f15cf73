package cli

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes buffer safe for the command's goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// `unionbot emulator` serves the page on a loopback address, keeps its data in -data, and stops
// on the signal.
func TestEmulatorCommand(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "emu")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"emulator", "-data", dir, "-addr", "127.0.0.1:0"}, &out, &errb, nil) }()
	url := regexp.MustCompile(`http://127\.0\.0\.1:\d+`)
	deadline := time.Now().Add(30 * time.Second)
	for url.FindString(out.String()) == "" {
		select {
		case code := <-done:
			t.Fatalf("emulator exited with %d: %s %s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no address printed within 30 s: %s", errb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(out.String(), "模拟环境") {
		t.Errorf("stdout = %q", out.String())
	}
	resp, err := http.Get(url.FindString(out.String()) + "/api/state")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("page: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, err := os.Stat(filepath.Join(dir, "unionbot.db")); err != nil {
		t.Errorf("no database in -data: %v", err)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d: %s", code, errb.String())
	}
	// The defaults: loopback on port 8090, data/emulator.
	code, stdout, _ := cli(t, nil, "emulator", "-help")
	if code != 0 || !strings.Contains(stdout, `default "127.0.0.1:8090"`) || !strings.Contains(stdout, `default "data/emulator"`) {
		t.Errorf("emulator -help: %d %s", code, stdout)
	}
}

// `unionbot emulator -replay FILE` replays a saved transcript and says so.
func TestEmulatorReplay(t *testing.T) {
	code, stdout, stderr := cli(t, nil, "emulator", "-replay", "../emulator/testdata/demo.transcript.json")
	if code != 0 || !strings.Contains(stdout, "every answer as recorded") {
		t.Errorf("replay: %d %s %s", code, stdout, stderr)
	}
}
