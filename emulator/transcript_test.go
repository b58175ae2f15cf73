package emulator

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The transcripts in testdata are regression tests: each is replayed on a fresh emulator and
// every step must get the answers it got when it was saved. UNIONBOT_UPDATE_TRANSCRIPTS=1
// records testdata/demo.transcript.json again from the script below.

func TestTranscripts(t *testing.T) {
	if os.Getenv("UNIONBOT_UPDATE_TRANSCRIPTS") == "1" {
		recordDemoTranscript(t)
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "*.transcript.json"))
	if len(files) == 0 {
		t.Fatal("no transcripts in testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var tr Transcript
			if err := json.Unmarshal(b, &tr); err != nil {
				t.Fatal(err)
			}
			start, err := time.ParseInLocation(stepTime, tr.Start, DemoStart.Location())
			if err != nil {
				t.Fatal(err)
			}
			e := startAt(t, start)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			e.settle(ctx)
			mis, err := e.Replay(ctx, tr)
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range mis {
				t.Error(m)
			}
			if len(mis) > 0 {
				t.Log("the bot answers differently from the transcript; if the change is intended, record it again:\n" +
					"  UNIONBOT_UPDATE_TRANSCRIPTS=1 go test ./emulator -run TestTranscripts")
			}
		})
	}
}

func startAt(t *testing.T, start time.Time) *Emulator {
	t.Helper()
	e, err := New(context.Background(), Options{Dir: t.TempDir(), Addr: "127.0.0.1:0", Start: start,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Start(context.Background()); err != nil {
		e.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// recordDemoTranscript plays a short session through the page's API and saves it.
func recordDemoTranscript(t *testing.T) {
	e := start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	e.settle(ctx)
	e.recMu.Lock()
	e.steps = nil // the session starts now
	e.recMu.Unlock()
	member, officer, other := persona(t, e, "0203"), persona(t, e, "0101"), persona(t, e, "0305")
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		e.settle(ctx)
	}
	_, err := e.Send(ctx, SendRequest{As: member.OpenID, Chat: member.Chat, Text: "菜单"})
	step(err)
	menu := e.Messages(member.Chat)
	_, err = e.Act(ctx, ActionRequest{As: member.OpenID, MessageID: menu[len(menu)-1].ID, Tag: "button",
		Value: buttonValue(t, menu[len(menu)-1].Content, "我的信息")})
	step(err)
	card, err := e.WaitMessage(ctx, ChatUnion, func(m Entry) bool { return strings.Contains(m.Content, "春季健步走") })
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Act(ctx, ActionRequest{As: other.OpenID, MessageID: card.ID, Tag: "button", Value: buttonValue(t, card.Content, "报名")})
	step(err)
	_, err = e.Send(ctx, SendRequest{As: officer.OpenID, Chat: ChatOfficers, Text: "活动"})
	step(err)
	_, err = e.SetClock(ctx, time.Date(2024, 4, 25, 9, 15, 0, 0, DemoStart.Location()))
	step(err)
	tr := e.Transcript(ctx)
	b, _ := json.MarshalIndent(tr, "", "  ")
	if err := os.WriteFile(filepath.Join("testdata", "demo.transcript.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}
