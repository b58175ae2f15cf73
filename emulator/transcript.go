package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// A Transcript is a conversation saved from the page: what the personas did (messages, clicks,
// form submits, clock moves, faults), each step with what the bot answered. Replaying it on a
// fresh emulator does the same steps and compares the answers, so a saved transcript is a
// regression test (see testdata/*.transcript.json and TestTranscripts).
type Transcript struct {
	Start string `json:"start"` // the emulated time at the start
	Steps []Step `json:"steps"`
}

// Step is one thing a persona (or the page) did, and what the bot answered.
type Step struct {
	At   string      `json:"at"`   // emulated time, "2006-01-02 15:04:05"
	Kind string      `json:"kind"` // send, action, clock, fault
	As   string      `json:"as,omitempty"`
	Chat string      `json:"chat,omitempty"` // "p2p" or a group chat id
	Text string      `json:"text,omitempty"` // send
	File *Attachment `json:"file,omitempty"` // send: a photo or file instead of a text
	// Card finds the clicked card again on replay: the callback value it carried (JSON), in
	// the step's chat.
	Card   string         `json:"card,omitempty"`
	Action *ActionRequest `json:"action,omitempty"`
	To     string         `json:"to,omitempty"`   // clock
	Mode   string         `json:"mode,omitempty"` // fault
	// Answer is every message the bot sent, or changed, after the step, normalised (ids
	// replaced) and sorted.
	Answer []string `json:"answer"`

	seq int64 // the feed's sequence number before the step
}

const stepTime = "2006-01-02 15:04:05"

// record appends a step to the transcript being recorded.
func (e *Emulator) record(s Step) {
	e.recMu.Lock()
	defer e.recMu.Unlock()
	e.closeStepLocked()
	_, _, s.seq = e.feed.since(1 << 62)
	s.At = e.clock.Now().Format(stepTime)
	e.steps = append(e.steps, s)
}

// closeStepLocked takes the answers of the last step: what changed since it began. e.recMu
// must be held.
func (e *Emulator) closeStepLocked() {
	if n := len(e.steps); n > 0 && e.steps[n-1].Answer == nil {
		e.steps[n-1].Answer = e.answersSince(e.steps[n-1].seq)
	}
}

// chatLabel is how a transcript names a chat: "p2p" for a persona's own chat, else its id.
func (e *Emulator) chatLabel(p Persona, chat string) string {
	if chat == p.Chat {
		return "p2p"
	}
	return chat
}

var (
	reIDs     = regexp.MustCompile(`\b(om|oc|ou|on|c|bm|file_v3|img_v3)[-_][0-9a-zA-Z_]{6,}`)
	reRefused = regexp.MustCompile(`refused-\d+`)
)

// normalise makes an answer comparable across runs: ids are replaced by their kind.
func (e *Emulator) normalise(en Entry) string {
	chat := en.Chat
	for _, p := range e.personas {
		if p.Chat == en.Chat {
			chat = "p2p:" + p.EmployeeNo
		}
	}
	s := reIDs.ReplaceAllStringFunc(en.Content, func(id string) string {
		if id == ChatUnion || id == ChatOfficers || strings.HasPrefix(id, "ou_demo_") {
			return id
		}
		return strings.SplitN(id, "_", 2)[0] + "_*"
	})
	return chat + " " + en.MsgType + " " + reRefused.ReplaceAllString(s, "refused-*")
}

// answersSince returns the normalised answers (the bot's and the platform's refusals) changed
// after seq, sorted.
func (e *Emulator) answersSince(seq int64) []string {
	es, _, _ := e.feed.since(seq)
	out := []string{}
	for _, en := range es {
		if en.From == "bot" || en.From == "platform" {
			out = append(out, e.normalise(en))
		}
	}
	slices.Sort(out)
	return out
}

// settle waits until the conversations have not changed for a while: the bot has answered and
// the outbox has delivered.
func (e *Emulator) settle(ctx context.Context) {
	const quiet = 700 * time.Millisecond
	_, _, seq := e.feed.since(1 << 62)
	for {
		w, cancel := context.WithTimeout(ctx, quiet)
		e.feed.wait(w, seq)
		cancel()
		_, _, now := e.feed.since(1 << 62)
		if now == seq || ctx.Err() != nil {
			return
		}
		seq = now
	}
}

// Transcript returns the conversation recorded since the start, each step with its answers.
func (e *Emulator) Transcript(ctx context.Context) Transcript {
	e.settle(ctx)
	e.recMu.Lock()
	defer e.recMu.Unlock()
	e.closeStepLocked()
	tr := Transcript{Start: e.started.Format(stepTime), Steps: slices.Clone(e.steps)}
	if n := len(e.steps); n > 0 {
		e.steps[n-1].Answer = nil // the last step may still get answers
	}
	return tr
}

// Mismatch is a replayed step whose answers differ from the transcript's.
type Mismatch struct {
	Step      int
	Want, Got []string
}

func (m Mismatch) String() string {
	return fmt.Sprintf("step %d:\nwant %q\ngot  %q", m.Step+1, m.Want, m.Got)
}

// Replay does a transcript's steps on this emulator (a fresh one, started at the
// transcript's start) and returns the steps whose answers differ.
func (e *Emulator) Replay(ctx context.Context, tr Transcript) ([]Mismatch, error) {
	loc := e.main.Config.Location()
	var out []Mismatch
	for i, s := range tr.Steps {
		at, err := time.ParseInLocation(stepTime, s.At, loc)
		if err != nil {
			return out, fmt.Errorf("step %d: %w", i+1, err)
		}
		e.settle(ctx)
		if s.Kind != "clock" {
			e.clock.Set(at) // the step happens when it happened (no job is due in seconds)
		}
		_, _, seq := e.feed.since(1 << 62)
		if err := e.replayStep(ctx, s); err != nil {
			return out, fmt.Errorf("step %d (%s): %w", i+1, s.Kind, err)
		}
		e.settle(ctx)
		if got := e.answersSince(seq); !slices.Equal(got, s.Answer) {
			out = append(out, Mismatch{Step: i, Want: s.Answer, Got: got})
		}
	}
	return out, nil
}

func (e *Emulator) replayStep(ctx context.Context, s Step) error {
	p, _ := e.persona(openIDOf(s.As))
	chat := s.Chat
	if chat == "p2p" {
		chat = p.Chat
	}
	switch s.Kind {
	case "send":
		_, err := e.Send(ctx, SendRequest{As: p.OpenID, Chat: chat, Text: s.Text, File: s.File})
		return err
	case "action":
		msgs := e.feed.messages(chat)
		for i := len(msgs) - 1; i >= 0; i-- {
			if strings.Contains(msgs[i].Content, s.Card) {
				a := *s.Action
				a.As, a.MessageID = p.OpenID, msgs[i].ID
				_, err := e.Act(ctx, a)
				return err
			}
		}
		return fmt.Errorf("no card with %s in %s", s.Card, s.Chat)
	case "clock":
		t, err := ParseTime(s.To, e.main.Config.Location())
		if err != nil {
			return err
		}
		_, err = e.SetClock(ctx, t)
		return err
	case "fault":
		return e.SetFault(s.Mode, 30*time.Second)
	}
	return fmt.Errorf("unknown step kind %q", s.Kind)
}

// cardKey is what finds a clicked card again: its callback value as the card carries it.
func cardKey(value any) string {
	if value == nil {
		return ""
	}
	b, _ := json.Marshal(value)
	return string(b)
}

func (e *Emulator) apiTranscript(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	w.Header().Set("Content-Disposition", `attachment; filename="emulator.transcript.json"`)
	writeJSON(w, http.StatusOK, e.Transcript(ctx))
}
