package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/unionbot/unionbot/app"
)

// serveCommand is `unionbot serve`, the default command.
func serveCommand() *command {
	return &command{name: "serve", usage: "serve [-config PATH]", help: "Run the bot until SIGINT or SIGTERM (the default command).", run: cmdServe}
}

func cmdServe(ctx context.Context, e *env, args []string) error {
	if len(args) > 0 {
		return usageError{"unexpected argument " + args[0]}
	}
	c, err := loadConfig(e)
	if err != nil {
		return err
	}
	if err := c.ValidateServe(); err != nil {
		return fmt.Errorf("the configuration is not ready to serve:\n%w", err)
	}
	now, start, err := fakeClock(e.environ)
	if err != nil {
		return err
	}
	m := &app.Main{Config: c, Log: app.NewLogger(c, e.stderr), Version: Version, Now: now}
	if now != nil {
		m.Log.Warn("TEST CLOCK: this process runs at a fake time ("+envFakeNow+"); never in production",
			"fake_now", start.Format(time.RFC3339))
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	return m.Run(ctx)
}
