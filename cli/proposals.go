package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/unionbot/unionbot/handlers/proposals"
)

// proposalsCommand is `unionbot proposals sessions create -f FILE`.
func proposalsCommand() *command {
	var file string
	return &command{
		name:  "proposals",
		usage: "proposals sessions create -f FILE [-config PATH]",
		help: "Create a congress session (届次) that collects staff-congress proposals from a YAML file\n" +
			"(see examples/proposal-session.yaml; times in the configured time zone): collection opens and\n" +
			"closes, the 大会 date, the minimum 附议, the categories, the reply and rating windows in workdays.\n" +
			"A file with any problem creates nothing and says why.",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&file, "f", "", "the session file (YAML, UTF-8)") },
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 2 || args[0] != "sessions" || args[1] != "create" || file == "" {
				return usageError{"want: proposals sessions create -f FILE"}
			}
			c, db, err := openDB(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			s, err := proposals.CreateSessionFromYAML(ctx, db, f, c.Location(), operator())
			if err != nil {
				return fmt.Errorf("%s: %w（未创建）", file, err)
			}
			loc := c.Location()
			fmt.Fprintf(e.stdout, "已创建届次「%s」（代码 %s）：征集 %s 至 %s，大会 %s，附议至少 %d 人\n", s.Name, s.Code,
				s.OpensAt.In(loc).Format("2006-01-02 15:04"), s.ClosesAt.In(loc).Format("2006-01-02 15:04"), s.CongressDate, s.MinCosigners)
			return nil
		},
	}
}
