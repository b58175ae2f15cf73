package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/unionbot/unionbot/handlers/proposals"
)

// departmentsCommand is `unionbot departments import -f FILE`.
func departmentsCommand() *command {
	var file string
	return &command{
		name:  "departments",
		usage: "departments import -f FILE [-config PATH]",
		help: "Create or update the departments that answer proposals (承办单位) from a YAML file (see\n" +
			"examples/departments.yaml) or an Excel workbook (.xlsx: a first sheet with the columns 承办单位,\n" +
			"联系人工号 and, optionally, 分管校领导工号; one department a row, several contacts separated by 、):\n" +
			"each with its contact persons and 分管校领导 by 工号. The contacts hold the role 承办联系人 for\n" +
			"their department only. A file with any problem changes nothing and lists them.",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&file, "f", "", "the departments file (.xlsx, or YAML in UTF-8)") },
		run: func(ctx context.Context, e *env, args []string) error {
			if len(args) != 1 || args[0] != "import" || file == "" {
				return usageError{"want: departments import -f FILE"}
			}
			_, db, err := openDB(ctx, e)
			if err != nil {
				return err
			}
			defer db.Close()
			f, err := os.Open(file)
			if err != nil {
				return err
			}
			defer f.Close()
			created, updated, err := proposals.ImportDepartmentsFile(ctx, db, file, f, operator())
			if err != nil {
				return fmt.Errorf("%s: %w（未导入）", file, err)
			}
			fmt.Fprintf(e.stdout, "承办单位：新建 %d 个，更新 %d 个\n", created, updated)
			return nil
		},
	}
}
