package emulator

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
)

// BenchmarkStart is the time from `unionbot emulator` on a fresh data directory (the demo
// imports included) to a page that answers.
func BenchmarkStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		e, err := New(ctx, Options{Dir: b.TempDir(), Addr: "127.0.0.1:0", Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Start(ctx); err != nil {
			b.Fatal(err)
		}
		resp, err := http.Get(e.URL() + "/api/state")
		if err != nil || resp.StatusCode != 200 {
			b.Fatal(resp, err)
		}
		resp.Body.Close()
		b.StopTimer()
		e.Close()
		b.StartTimer()
	}
}
