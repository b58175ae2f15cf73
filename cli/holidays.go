package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/unionbot/unionbot/jobs/workday"
	"github.com/unionbot/unionbot/store"
)

// holidaysCommand is `unionbot holidays import -f FILE` and `unionbot holidays show [YEAR]`.
func holidaysCommand() *command {
	var file string
	var dryRun bool
	return &command{name: "holidays", usage: "holidays import -f FILE [-dry-run] | holidays show [YEAR] [-config PATH]",
		help: "Enter a year's holiday arrangement (days off and 调休 working days) from a file, replacing that year's\n" +
			"earlier entries, or show a year's arrangement. One line per day or range:\n" +
			"  2027-01-01 休 元旦\n  2027-02-06..2027-02-12 休 春节\n  2027-02-07 班 春节调休\n" +
			"A file with any bad line changes nothing; the line is named.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "f", "", "the arrangement file (UTF-8)")
			fs.BoolVar(&dryRun, "dry-run", false, "check the file and report, change nothing")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdHolidays(ctx, e, args, file, dryRun) },
	}
}

func cmdHolidays(ctx context.Context, e *env, args []string, file string, dryRun bool) error {
	if len(args) == 0 {
		return usageError{"want: holidays import -f FILE, or holidays show [YEAR]"}
	}
	switch args[0] {
	case "import":
		if file == "" || len(args) != 1 {
			return usageError{"want: holidays import -f FILE"}
		}
	case "show":
		if len(args) > 2 {
			return usageError{"want: holidays show [YEAR]"}
		}
	default:
		return usageError{"unknown holidays subcommand " + args[0]}
	}
	var text []byte
	if args[0] == "import" {
		var err error
		if text, err = os.ReadFile(file); err != nil {
			return err
		}
	}
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	cal := workday.New(c.Location(), db)
	if err := cal.Reload(ctx); err != nil {
		return err
	}
	if args[0] == "show" {
		year := time.Now().In(c.Location()).Year()
		if len(args) == 2 {
			if year, err = strconv.Atoi(args[1]); err != nil || year < 2000 || year > 2100 {
				return usageError{"YEAR must be a year like 2027"}
			}
		}
		fmt.Fprint(e.stdout, workday.Describe(cal, year))
		return nil
	}
	days, err := workday.ParseArrangement(string(text))
	if err != nil {
		return fmt.Errorf("%s: %s (nothing was imported)", file, store.ErrorMessage(err))
	}
	if dryRun {
		fmt.Fprintf(e.stdout, "（试运行：未写入数据库）%s: %d days read\n", file, len(days))
		return nil
	}
	var res workday.ImportResult
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var err error
		res, err = workday.Import(ctx, tx, days, operator(), "file:"+file)
		return err
	})
	if err != nil {
		return err
	}
	if err := cal.Reload(ctx); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "imported %s: years %v, %d days off, %d working days (%d earlier entries replaced)\n",
		file, res.Years, res.Off, res.Work, res.Replaced)
	for _, y := range res.Years {
		fmt.Fprint(e.stdout, workday.Describe(cal, y))
	}
	return nil
}
