package cli

import (
	"fmt"
	"strings"
	"time"
)

// The test clock: `serve` runs at a fake time when the fault suite asks for it (faults/time_test.go
// starts the binary on a Friday evening and again on the Tuesday after a holiday). It is a test
// hook and must never be on by accident in production, so it takes two variables: the time, and
// a second one saying that this is a test. The time alone makes `serve` refuse to start (a
// leftover line in an environment file stops the bot loudly instead of shifting its clock);
// both make it start with a warning logged.
const (
	envFakeNow      = "UNIONBOT_FAKE_NOW"       // RFC 3339: the instant the process starts at
	envFakeNowAllow = "UNIONBOT_FAKE_NOW_ALLOW" // must be "test" for envFakeNow to be honoured
)

// fakeClock returns the process clock UNIONBOT_FAKE_NOW asks for: it starts at that instant and
// runs at the real pace. nil when the variable is not set.
func fakeClock(environ []string) (func() time.Time, time.Time, error) {
	var at, allow string
	for _, kv := range environ {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case envFakeNow:
			at = strings.TrimSpace(v)
		case envFakeNowAllow:
			allow = strings.TrimSpace(v)
		}
	}
	if at == "" {
		return nil, time.Time{}, nil
	}
	if allow != "test" {
		return nil, time.Time{}, fmt.Errorf("%s is set (%q): it is a test hook that runs the bot at a fake time; "+
			"refusing to start. Remove it, or set %s=test as well in a test", envFakeNow, at, envFakeNowAllow)
	}
	start, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%s: want an RFC 3339 time such as 2027-03-05T18:00:00+08:00: %w", envFakeNow, err)
	}
	real0 := time.Now()
	return func() time.Time { return start.Add(time.Since(real0)) }, start, nil
}
