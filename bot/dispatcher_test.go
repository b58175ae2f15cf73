package bot

import (
	"io"
	"log/slog"
	"os"
	"testing"
)

// TestDispatcherPrintsNothing: building the dispatcher writes nothing to stdout (the SDK's
// "event-dispatch is ready" line would be the only unstructured line of the process).
func TestDispatcherPrintsNothing(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	NewDispatcher(NewRouter(Options{}), "token", "key", slog.New(slog.NewJSONHandler(io.Discard, nil)))
	os.Stdout = saved
	w.Close()
	out, _ := io.ReadAll(r)
	if len(out) != 0 {
		t.Errorf("the dispatcher printed %q to stdout", out)
	}
}
