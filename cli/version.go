package cli

import (
	"context"
	"fmt"
)

// Version is set at build time with -ldflags "-X github.com/unionbot/unionbot/cli.Version=...".
var Version = "dev"

// versionCommand is `unionbot version`.
func versionCommand() *command {
	return &command{name: "version", usage: "version", help: "Print the version.", run: func(_ context.Context, e *env, _ []string) error {
		fmt.Fprintln(e.stdout, "unionbot", Version)
		return nil
	}}
}
