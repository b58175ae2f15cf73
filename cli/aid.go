package cli

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/unionbot/unionbot/handlers/aid"
	"github.com/unionbot/unionbot/store"
)

// aidCommand is `unionbot aid ledger|enrol|families`.
func aidCommand() *command {
	var file, out string
	var year int
	return &command{name: "aid", usage: "aid ledger -year Y -o FILE | aid enrol -year Y -f FILE | aid families -f FILE [-config PATH]",
		help: "Aid requests (帮扶申请):\n" +
			"  ledger    write the year's ledger for finance as Excel (per kind, per 分工会, per month, totals)\n" +
			"  enrol     enrol the members listed in FILE (one 工号 a line) in the mutual-aid fund (大病互助) for the year\n" +
			"  families  declare families from FILE: each line lists the 工号 of one family, separated by spaces or commas\n" +
			"A file naming an unknown 工号 changes nothing; the line is named.",
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&file, "f", "", "the input file (UTF-8)")
			fs.StringVar(&out, "o", "", "the Excel file to write (ledger)")
			fs.IntVar(&year, "year", 0, "the calendar year (default: this year)")
		},
		run: func(ctx context.Context, e *env, args []string) error { return cmdAid(ctx, e, args, file, out, year) },
	}
}

func cmdAid(ctx context.Context, e *env, args []string, file, out string, year int) error {
	if len(args) != 1 {
		return usageError{"want: aid ledger|enrol|families"}
	}
	switch args[0] {
	case "ledger":
		if out == "" {
			return usageError{"want: aid ledger -year Y -o FILE"}
		}
	case "enrol", "families":
		if file == "" {
			return usageError{"want: aid " + args[0] + " -f FILE"}
		}
	default:
		return usageError{"unknown aid subcommand " + args[0]}
	}
	c, db, err := openDB(ctx, e)
	if err != nil {
		return err
	}
	defer db.Close()
	if year == 0 {
		year = time.Now().In(c.Location()).Year()
	}
	if year < 2000 || year > 2100 {
		return usageError{"-year must be a year like 2027"}
	}
	if args[0] == "ledger" {
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			return tx.AuditRead(ctx, store.Viewing{Viewer: operator(), Entity: "aid_ledger", EntityID: int64(year), What: "export"})
		}); err != nil {
			return err // fail closed: no export without its read-audit row
		}
		name, data, err := aid.LedgerFile(ctx, db, c.Aid.Kinds, year)
		if err != nil {
			return err
		}
		if err := os.WriteFile(out, data, 0o600); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "wrote %s (%s, %d bytes)\n", out, name, len(data))
		return nil
	}
	text, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	lines := aidLines(text)
	var fee int64
	for _, k := range c.Aid.Kinds {
		if k.Enrolment() {
			fee = k.EnrolmentFeeFen
			break
		}
	}
	if args[0] == "enrol" && fee == 0 {
		return fmt.Errorf("no kind in aid.kinds has an enrolment_fee: nothing to enrol in")
	}
	var added, already, families int
	err = db.InTx(ctx, func(tx *store.Tx) error {
		var bad []string
		ids := make([][]int64, len(lines))
		for i, l := range lines {
			for _, no := range l.nos {
				m, err := tx.MemberByEmployeeNo(ctx, no)
				if err != nil {
					if store.ErrorCode(err) == store.ENOTFOUND {
						bad = append(bad, fmt.Sprintf("第 %d 行：找不到工号 %s", l.n, no))
						continue
					}
					return err
				}
				ids[i] = append(ids[i], m.ID)
			}
			if args[0] == "families" && len(l.nos) < 2 {
				bad = append(bad, fmt.Sprintf("第 %d 行：一个家庭至少两位会员", l.n))
			}
		}
		if len(bad) > 0 {
			return fmt.Errorf("%s: %s (nothing was changed)", file, strings.Join(bad, "；"))
		}
		for i, l := range lines {
			if args[0] == "families" {
				nos := slices.Sorted(slices.Values(l.nos))
				if err := tx.DeclareAidFamily(ctx, "F"+nos[0], ids[i], operator()); err != nil {
					return err
				}
				families++
				continue
			}
			for _, id := range ids[i] {
				ok, err := tx.EnrolAid(ctx, year, id, fee, operator())
				if err != nil {
					return err
				}
				if ok {
					added++
				} else {
					already++
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if args[0] == "families" {
		fmt.Fprintf(e.stdout, "declared %d families from %s\n", families, file)
	} else {
		fmt.Fprintf(e.stdout, "%d: enrolled %d members, %d were enrolled already\n", year, added, already)
	}
	return nil
}

type aidLine struct {
	n   int
	nos []string
}

// aidLines reads 工号 lists, one group a line; blank lines and # comments are skipped.
func aidLines(text []byte) []aidLine {
	var out []aidLine
	sc := bufio.NewScanner(bytes.NewReader(bytes.TrimPrefix(text, []byte("\xef\xbb\xbf"))))
	n := 0
	for sc.Scan() {
		n++
		line, _, _ := strings.Cut(sc.Text(), "#")
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == '，' || r == ' ' || r == '\t' || r == '、' })
		if len(f) > 0 {
			out = append(out, aidLine{n: n, nos: f})
		}
	}
	return out
}
