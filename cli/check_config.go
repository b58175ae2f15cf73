package cli

import (
	"context"
	"fmt"
	"strings"
)

// checkConfigCommand is `unionbot check-config`.
func checkConfigCommand() *command {
	return &command{name: "check-config", usage: "check-config [-config PATH]", help: "Validate the configuration and print it with secrets masked.", run: cmdCheckConfig}
}

func cmdCheckConfig(ctx context.Context, e *env, args []string) error {
	c, err := loadConfig(e)
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, c.Masked())
	if err := c.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	for _, w := range c.Security.Warnings() {
		fmt.Fprintf(e.stdout, "\n# warning: %s\n", w)
	}
	if err := c.ValidateServe(); err != nil {
		fmt.Fprintf(e.stdout, "\n# valid, but not ready to serve:\n# %s\n", strings.ReplaceAll(err.Error(), "\n", "\n# "))
		return nil
	}
	fmt.Fprintln(e.stdout, "\n# configuration OK")
	return nil
}
