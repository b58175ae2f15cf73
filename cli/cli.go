// Package cli is unionbot's command line: one subcommand per command group, each in its own
// file, run by Run. main.go calls Run and exits with its code; the tests call Run in-process.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"strings"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/store"
)

// command is one subcommand.
type command struct {
	name, usage, help string
	run               func(ctx context.Context, e *env, args []string) error
	flags             func(fs *flag.FlagSet) // the command's own flags, besides -config and -help
}

// env is what a subcommand runs with.
type env struct {
	stdout, stderr io.Writer
	environ        []string
	configPath     string
	showHelp       bool
}

// usageError is a wrong invocation: the usage is printed and the exit code is 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// commands lists the subcommands in the order of the usage.
func commands() []*command {
	return []*command{
		serveCommand(),
		migrateCommand(),
		checkConfigCommand(),
		membersCommand(),
		rolesCommand(),
		jobsCommand(),
		holidaysCommand(),
		tasksCommand(),
		activitiesCommand(),
		proposalsCommand(),
		departmentsCommand(),
		keysCommand(),
		aidCommand(),
		emulatorCommand(),
		backupCommand(),
		healthcheckCommand(),
		versionCommand(),
	}
}

// Run parses args and runs a subcommand; it returns the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	e := &env{stdout: stdout, stderr: stderr, environ: environ}
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	if name == "help" {
		printUsage(stdout)
		return 0
	}
	var cmd *command
	for _, c := range commands() {
		if c.name == name {
			cmd = c
		}
	}
	if cmd == nil {
		fmt.Fprintf(stderr, "unionbot: unknown command %q\n\n", name)
		printUsage(stderr)
		return 2
	}
	fs := flag.NewFlagSet("unionbot "+cmd.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&e.configPath, "config", "", "configuration file (default ./config.yaml when present)")
	fs.BoolVar(&e.showHelp, "help", false, "show help")
	fs.BoolVar(&e.showHelp, "h", false, "show help")
	if cmd.flags != nil {
		cmd.flags(fs)
	}
	pos, err := parseInterspersed(fs, args)
	if err != nil || e.showHelp {
		w := stdout
		if err != nil {
			w = stderr
			fmt.Fprintf(w, "unionbot %s: %v\n\n", cmd.name, err)
		}
		fmt.Fprintf(w, "Usage: unionbot %s\n\n%s\n\nFlags:\n", cmd.usage, cmd.help)
		fs.SetOutput(w)
		fs.PrintDefaults()
		if err != nil {
			return 2
		}
		return 0
	}
	if err := cmd.run(ctx, e, pos); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(stderr, "unionbot %s: %s\nUsage: unionbot %s\n", cmd.name, ue.msg, cmd.usage)
			return 2
		}
		// Said in the user's words when the error is one that carries them (a *store.Error
		// with a message), without the Go operation names in front.
		msg := err.Error()
		if se, ok := err.(*store.Error); ok && store.ErrorMessage(se) != "" {
			msg = se.Message
		}
		fmt.Fprintf(stderr, "unionbot %s: %s\n", cmd.name, msg)
		return 1
	}
	return 0
}

// parseInterspersed parses flags wherever they appear among the positional arguments.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printUsage(w io.Writer) {
	fmt.Fprintf(w, "unionbot %s: a Feishu bot for a university trade union.\n\nUsage:\n", Version)
	for _, c := range commands() {
		fmt.Fprintf(w, "  unionbot %s\n", c.usage)
	}
	fmt.Fprintln(w, "\nRun 'unionbot COMMAND -help' for a command's help. Configuration: config.example.yaml and README.md.")
}

// loadConfig reads the configuration for a subcommand.
func loadConfig(e *env) (*config.Config, error) {
	path := e.configPath
	if path == "" {
		path = config.DefaultPath()
	}
	if path == "" {
		for _, kv := range e.environ {
			if v, ok := strings.CutPrefix(kv, "UNIONBOT_CONFIG="); ok {
				path = v
			}
		}
	}
	return config.Load(path, e.environ)
}

func validConfig(e *env) (*config.Config, error) {
	c, err := loadConfig(e)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("invalid configuration:\n%w", err)
	}
	return c, nil
}

// openDB loads and validates the configuration and opens the database, for the subcommands
// that work on the data. Close the database when done.
func openDB(ctx context.Context, e *env) (*config.Config, *store.DB, error) {
	c, err := validConfig(e)
	if err != nil {
		return nil, nil, err
	}
	db, err := app.OpenDB(ctx, c, processLogger(c, e))
	if err != nil {
		return nil, nil, err
	}
	return c, db, nil
}

// processLogger is the command's logger, also made the process default, so that code logging
// through slog's default logs as serve does (JSON on stderr unless log.format says text).
func processLogger(c *config.Config, e *env) *slog.Logger {
	log := app.NewLogger(c, e.stderr)
	slog.SetDefault(log)
	return log
}

// operator names the operator in the audit trail.
func operator() string {
	if u, err := user.Current(); err == nil {
		return "cli:" + u.Username
	}
	return "cli"
}
