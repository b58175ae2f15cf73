package cli

import (
	"context"
	"flag"
	"fmt"
	"log/slog"

	"github.com/unionbot/unionbot/emulator"
)

// emulatorCommand is `unionbot emulator`: the bot in a browser, against a fake Feishu.
func emulatorCommand() *command {
	var o emulator.Options
	return &command{name: "emulator", usage: "emulator [-data DIR] [-reset] [-addr 127.0.0.1:8090]",
		help: "Run the bot for real against an in-process fake Feishu Open Platform, with demo data, and chat with it\n" +
			"in a browser (模拟环境): no Feishu app needed. Data are kept in their own SQLite file under -data.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&o.Dir, "data", "data/emulator", "the emulator's data directory (never the production database)")
			fs.BoolVar(&o.Reset, "reset", false, "start afresh: delete the emulator's data and load the demo again")
			fs.StringVar(&o.Addr, "addr", "127.0.0.1:8090", "where to serve the page (loopback unless told otherwise)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) > 0 {
				return usageError{"unexpected argument " + args[0]}
			}
			o.Log = slog.New(slog.NewJSONHandler(e.stderr, nil))
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
