package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/handlers/roster"
)

// membersCommand is `unionbot members import FILE [-dry-run]`.
func membersCommand() *command {
	var dryRun bool
	return &command{name: "members", usage: "members import FILE [-dry-run] [-config PATH]",
		help: "Import a member roster (.xlsx or .csv with columns 姓名, 工号, 分工会, 性别, 手机 or 邮箱).\nRows that cannot be used are listed with the reason; a file that cannot be read changes nothing.",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&dryRun, "dry-run", false, "check the file and report, change nothing")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdMembers(ctx, e, args, dryRun) },
	}
}

func cmdMembers(ctx context.Context, e *env, args []string, dryRun bool) error {
	if len(args) != 2 || args[0] != "import" {
		return usageError{"want: members import FILE"}
	}
	c, err := validConfig(e)
	if err != nil {
		return err
	}
	f, err := os.Open(args[1])
	if err != nil {
		return err
	}
	defer f.Close()
	log := app.NewLogger(c, e.stderr)
	db, err := app.OpenDB(ctx, c, log)
	if err != nil {
		return err
	}
	defer db.Close()
	var res roster.Resolver
	if c.Feishu.AppID != "" && c.Feishu.AppSecret != "" {
		res = roster.NewFeishuResolver(app.NewLarkClient(c, log))
	}
	rep, err := roster.ImportFile(ctx, db, args[1], f, res, operator(), dryRun)
	if err != nil {
		return err
	}
	if dryRun {
		fmt.Fprintln(e.stdout, "（试运行：未写入数据库）")
	}
	fmt.Fprint(e.stdout, rep.String())
	return nil
}
