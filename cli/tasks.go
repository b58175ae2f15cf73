package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
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
	return ownersHint(ctx, e, db, rep.Year)
}

// unreachableTasks counts the open tasks of year that no reminder can reach: without a
// responsible member, or whose responsible members have never talked to the bot (no open_id).
func unreachableTasks(ctx context.Context, db *store.DB, year int) (unowned, silent int, err error) {
	ts, err := db.TasksByYear(ctx, year)
	if err != nil {
		return 0, 0, err
	}
	for _, t := range ts {
		if t.Done() {
			continue
		}
		if len(t.Owners) == 0 {
			unowned++
			continue
		}
		reachable := false
		for _, m := range t.Owners {
			reachable = reachable || (m.Active && m.OpenID != "")
		}
		if !reachable {
			silent++
		}
	}
	return unowned, silent, nil
}

// ownersHint tells, in Chinese like the import report, that year's tasks will get no
// reminders and how to assign them; nothing when every open task has a reachable owner.
func ownersHint(ctx context.Context, e *env, db *store.DB, year int) error {
	unowned, silent, err := unreachableTasks(ctx, db, year)
	if err != nil || unowned+silent == 0 {
		return err
	}
	if unowned > 0 {
		fmt.Fprintf(e.stdout, "提示：%d 项任务还没有责任人，到期提醒无人可发（jobs run 会显示 0 reminders enqueued）。\n", unowned)
		fmt.Fprintln(e.stdout, "指定责任人：在飞书里给机器人发「实事」，打开任务卡片，点「指定责任人 / 时限 / 节点」；"+
			"或在载入当年任务时改用 unionbot tasks import -f 文件，在每项任务的 owners 中写责任人工号（已存在的任务编号不会被改动）。")
	}
	if silent > 0 {
		fmt.Fprintf(e.stdout, "提示：%d 项任务的责任人还没有给机器人发过消息，收不到提醒；他们发一条消息后即可收到。\n", silent)
	}
	return nil
}
