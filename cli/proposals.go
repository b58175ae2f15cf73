package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strconv"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/store"
)

// proposalsCommand is `unionbot proposals sessions create -f FILE` and `unionbot proposals
// export -session ID -o FILE`.
func proposalsCommand() *command {
	var file, session, out string
	return &command{
		name:  "proposals",
		usage: "proposals sessions create -f FILE | proposals export -session ID -o FILE [-config PATH]",
		help: "sessions create: create a congress session (届次) that collects staff-congress proposals from a\n" +
			"YAML file (see examples/proposal-session.yaml; times in the configured time zone): collection opens\n" +
			"and closes, the 大会 date, the minimum 附议, the categories, the reply and rating windows in workdays.\n" +
			"A file with any problem creates nothing and says why.\n" +
			"export: write a session's statistics workbook (.xlsx: 统计, 提案汇编, one sheet per department),\n" +
			"computed from the records now; the session by id, name or code.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "f", "", "the session file (YAML, UTF-8)")
			fs.StringVar(&session, "session", "", "export: the session's id, name (第四届第三次) or code (4-3)")
			fs.StringVar(&out, "o", "", "export: the workbook to write (.xlsx)")
		},
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) == 1 && args[0] == "export" {
				if session == "" || out == "" {
					return usageError{"want: proposals export -session ID -o FILE"}
				}
				return exportProposals(ctx, e, session, out)
			}
			if len(args) != 2 || args[0] != "sessions" || args[1] != "create" || file == "" {
				return usageError{"want: proposals sessions create -f FILE, or proposals export -session ID -o FILE"}
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

// exportProposals writes the statistics workbook of the session named by id, name or code.
func exportProposals(ctx context.Context, e *env, session, out string) error {
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	var data []byte
	var s *store.ProposalSession
	err = db.InTx(ctx, func(tx *store.Tx) (err error) {
		if id, perr := strconv.ParseInt(session, 10, 64); perr == nil {
			s, err = tx.ProposalSessionByID(ctx, id)
		} else {
			s, err = tx.ProposalSessionByName(ctx, session)
		}
		if err != nil {
			return err
		}
		data, err = proposals.BuildWorkbook(ctx, tx, s, c.Location())
		return err
	})
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o600); err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "已导出「%s」的提案统计到 %s\n", s.Name, out)
	return nil
}
