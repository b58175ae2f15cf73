// Command unionbot is a Feishu (Lark) bot for a university trade union (工会): activity
// sign-ups and the ten-task tracker (十件实事) in chat, on a job engine for reminders, with
// everything kept in SQL (SQLite, or MySQL/MariaDB).
//
//	unionbot [serve]                            run the bot (the default)
//	unionbot migrate                            apply the database migrations
//	unionbot check-config                       validate and print the configuration, secrets masked
//	unionbot members import FILE [-dry-run]     import a member roster (.xlsx or .csv)
//	unionbot roles grant|revoke WHO ROLE        grant or revoke a role
//	unionbot roles list                         list who holds which role
//	unionbot activities create -f FILE [-publish] | list
//	                                            create sign-up activities from YAML, or list them
//	unionbot jobs list | run NAME [-at TIME]    list the scheduled jobs, or run one
//	unionbot holidays import -f FILE [-dry-run] | show [YEAR]
//	                                            enter or show a year's holiday arrangement
//	unionbot tasks seed YEAR | import -f FILE [-allow-past]
//	                                            load a year's ten tasks
//	unionbot version                            print the version
//	unionbot help                               list the commands (COMMAND -help for one)
//
// Every command takes -config PATH; flags may come before or after the arguments. The
// commands are in package cli, one file per command group; the program they start (the
// wiring of configuration, store, bot, handlers, jobs and transports) is package app.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/unionbot/unionbot/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}
