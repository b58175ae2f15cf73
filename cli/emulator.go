package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/unionbot/unionbot/emulator"
)

// emulatorCommand is `unionbot emulator`: the bot in a browser, against a fake Feishu.
func emulatorCommand() *command {
	var o emulator.Options
	var replay string
	return &command{name: "emulator", usage: "emulator [-data DIR] [-reset] [-addr 127.0.0.1:8090] [-replay FILE]",
		help: "Run the bot for real against an in-process fake Feishu Open Platform, with demo data, and chat with it\n" +
			"in a browser (模拟环境): no Feishu app needed. Data are kept in their own SQLite file under -data.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.Dir, "data", "data/emulator", "the emulator's data directory (never the production database)")
			fs.BoolVar(&o.Reset, "reset", false, "start afresh: delete the emulator's data and load the demo again")
			fs.StringVar(&o.Addr, "addr", "127.0.0.1:8090", "where to serve the page (loopback unless told otherwise)")
			fs.StringVar(&replay, "replay", "", "replay a transcript saved from the page on a fresh emulator and report the steps whose answers differ")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError{"unexpected argument " + args[0]}
			}
			o.Log = slog.New(slog.NewJSONHandler(e.stderr, nil))
			if replay != "" {
				return replayTranscript(ctx, e, replay)
			}
			em, err := emulator.New(ctx, o)
			if err != nil {
				return err
			}
			if err := em.Start(ctx); err != nil {
				em.Close()
				return err
			}
			fmt.Fprintf(e.stdout, "模拟环境已启动：在浏览器中打开 %s （Ctrl-C 退出）\n", em.URL())
			<-ctx.Done()
			return em.Close()
		},
	}
}

// replayTranscript replays a saved transcript on a fresh emulator in a temporary directory.
func replayTranscript(ctx context.Context, e *env, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var tr emulator.Transcript
	if err := json.Unmarshal(b, &tr); err != nil {
		return fmt.Errorf("%s: not a transcript: %w", path, err)
	}
	start, err := emulator.ParseTime(tr.Start, emulator.DemoStart.Location())
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	dir, err := os.MkdirTemp("", "unionbot-replay-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	em, err := emulator.New(ctx, emulator.Options{Dir: dir, Addr: "127.0.0.1:0", Start: start,
		Log: slog.New(slog.NewJSONHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return err
	}
	defer em.Close()
	if err := em.Start(ctx); err != nil {
		return err
	}
	mis, err := em.Replay(ctx, tr)
	if err != nil {
		return err
	}
	for _, m := range mis {
		fmt.Fprintln(e.stdout, m)
	}
	if len(mis) > 0 {
		return fmt.Errorf("%d of %d steps answered differently", len(mis), len(tr.Steps))
	}
	fmt.Fprintf(e.stdout, "%d steps replayed, every answer as recorded\n", len(tr.Steps))
	return nil
}
