package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/unionbot/unionbot/handlers/tasks"
)

// tasksCommand is `unionbot tasks seed YEAR` and `unionbot tasks import -f FILE`.
func tasksCommand() *command {
	var file string
	var allowPast bool
	return &command{name: "tasks", usage: "tasks seed YEAR | tasks import -f FILE [-allow-past] [-config PATH]",
		help: "Load a year's ten tasks (十件实事): `seed 2024` loads the tasks of the 2024 work plan shipped with unionbot;\n" +
			"`import -f FILE` loads a YAML task file (see examples/tasks-2024.yaml: owners, unit heads and leaders by 工号,\n" +
			"milestones, deadlines). A file with any problem is refused with every problem's line and nothing is imported.\n" +
			"Tasks whose number exists in the year already are left unchanged, so loading twice changes nothing.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "f", "", "the task file (YAML, UTF-8)")
			fs.BoolVar(&allowPast, "allow-past", false, "accept deadlines before today (to record a past year's plan)")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdTasks(ctx, e, args, file, allowPast) },
	}
}

func cmdTasks(ctx context.Context, e *env, args []string, file string, allowPast bool) error {
	if len(args) == 0 {
		return usageError{"want: tasks seed YEAR, or tasks import -f FILE"}
	}
	var year int
	switch args[0] {
	case "seed":
		if len(args) != 2 {
			return usageError{"want: tasks seed YEAR"}
		}
		y, err := strconv.Atoi(args[1])
		if err != nil {
			return usageError{"not a year: " + args[1]}
		}
		year = y
	case "import":
		if len(args) != 1 || file == "" {
			return usageError{"want: tasks import -f FILE"}
		}
	default:
		return usageError{"unknown tasks subcommand " + args[0]}
	}
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	im := &tasks.Importer{DB: db, Loc: c.Location(), Actor: operator()}
	var rep *tasks.ImportReport
	if year != 0 {
		rep, err = im.Seed(ctx, year)
	} else {
		var f *os.File
		if f, err = os.Open(file); err != nil {
			return err
		}
		defer f.Close()
		rep, err = im.ImportOpts(ctx, file, f, allowPast)
	}
	if err != nil {
		return err
	}
	fmt.Fprint(e.stdout, rep.String())
	return nil
}
