package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/handlers/roster"
)

// membersCommand is `unionbot members import FILE [-dry-run]` and `unionbot members list`.
func membersCommand() *command {
	var dryRun bool
	return &command{name: "members", usage: "members import FILE [-dry-run] | members list [-config PATH]",
		help: "Import a member roster (.xlsx or .csv with columns 姓名, 工号, 分工会, 性别, 手机 or 邮箱).\nRows that cannot be used are listed with the reason; a file that cannot be read changes nothing.\n" +
			"list shows every member, newest first, with their open_id (a first-time sender of a message to the bot is on top).",
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&dryRun, "dry-run", false, "check the file and report, change nothing")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdMembers(ctx, e, args, dryRun) },
	}
}

func cmdMembers(ctx context.Context, e *env, args []string, dryRun bool) error {
	if len(args) == 1 && args[0] == "list" {
		return listMembers(ctx, e)
	}
	if len(args) != 2 || args[0] != "import" {
		return usageError{"want: members import FILE, or members list"}
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
	log := processLogger(c, e)
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

// listMembers prints every member with their roles and open_id, newest first.
func listMembers(ctx context.Context, e *env) error {
	_, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	members, err := db.Members(ctx)
	if err != nil {
		return err
	}
	holders, err := db.RoleHolders(ctx)
	if err != nil {
		return err
	}
	roles := map[int64][]string{}
	for _, h := range holders {
		roles[h.ID] = append(roles[h.ID], h.Role)
	}
	rows := [][]string{{"NAME", "EMPLOYEE_NO", "BRANCH", "ROLES", "OPEN_ID"}}
	for _, m := range members {
		rows = append(rows, []string{m.Name, m.EmployeeNo, m.BranchName, strings.Join(roles[m.ID], ","), m.OpenID})
	}
	return writeTable(e.stdout, rows)
}
