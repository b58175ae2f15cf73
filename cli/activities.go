package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/store"
)

// activitiesCommand is `unionbot activities create -f FILE [-publish]` and `activities list`.
func activitiesCommand() *command {
	var file string
	var publish, allowPast bool
	return &command{
		name:  "activities",
		usage: "activities create -f FILE [-publish] [-allow-past] | activities list [-config PATH]",
		help: "Create sign-up activities from a YAML file (see examples/activity-badminton.yaml; times in the\n" +
			"configured time zone): all of the file or, on any problem, none, with the line named. They are drafts\n" +
			"an officer publishes in chat (活动管理), unless -publish opens them and sends their cards at once.\n" +
			"A file whose activities already exist (same title and start) is refused naming them, as is one whose\n" +
			"sign-up closes or whose start is past, unless -allow-past (to record a past activity).\n" +
			"list shows every activity with its status and seats.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "f", "", "the YAML file of activities")
			fs.BoolVar(&publish, "publish", false, "publish the activities at once (open sign-up, send the cards)")
			fs.BoolVar(&allowPast, "allow-past", false, "accept activities whose sign-up closes or whose start is past")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 || (args[0] != "create" && args[0] != "list") {
				return usageError{"want: activities create -f FILE, or activities list"}
			}
			if args[0] == "create" && file == "" {
				return usageError{"activities create needs -f FILE"}
			}
			c, db, err := openDB(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			if args[0] == "list" {
				return listActivities(ctx, e, db, c.Location())
			}
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			o := signup.CreateOptions{Publish: publish, DefaultChats: c.Signup.DefaultChats, Actor: operator(), Loc: c.Location()}
			if !allowPast {
				o.Now = time.Now()
			}
			acts, err := signup.CreateFromYAML(ctx, db, f, o)
			var past *signup.PastError
			if errors.As(err, &past) {
				return fmt.Errorf("%s: %w\n要录入已经过去的活动，请加 -allow-past。(nothing was created)", file, err)
			}
			if err != nil {
				return fmt.Errorf("%s: %w (nothing was created)", file, err)
			}
			for _, a := range acts {
				fmt.Fprintf(e.stdout, "created activity %d %s (%s)\n", a.ID, a.Title, a.Status)
			}
			return nil
		},
	}
}

func listActivities(ctx context.Context, e *env, db *store.DB, loc *time.Location) error {
	acts, err := db.Activities(ctx)
	if err != nil {
		return err
	}
	rows := [][]string{{"ID", "STATUS", "TITLE", "STARTS", "SIGNUP_CLOSES", "CONFIRMED", "CAPACITY"}}
	for _, a := range acts {
		capacity := "unlimited"
		if a.Capacity > 0 {
			capacity = fmt.Sprint(a.Capacity)
		}
		rows = append(rows, []string{fmt.Sprint(a.ID), a.Status, a.Title, a.StartsAt.In(loc).Format("2006-01-02 15:04"),
			a.SignupClosesAt.In(loc).Format("2006-01-02 15:04"), fmt.Sprint(a.Confirmed), capacity})
	}
	return writeTable(e.stdout, rows)
}
