package cli

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/unionbot/unionbot/store"
)

// backupCommand is `unionbot backup -o FILE`.
func backupCommand() *command {
	var out string
	return &command{name: "backup", usage: "backup -o FILE [-config PATH]",
		help: "Write a consistent copy of the SQLite database to FILE while the bot runs (SQLite's VACUUM INTO), then check\n" +
			"the copy (PRAGMA integrity_check). MySQL/MariaDB: use mariadb-dump --single-transaction instead (README).",
		flags: func(fs *flag.FlagSet) { fs.StringVar(&out, "o", "", "the backup file to write (must not exist)") },
		run: func(ctx context.Context, e *env, args []string) error {
			if out == "" || len(args) > 0 {
				return usageError{"backup takes -o FILE and no arguments"}
			}
			c, err := validConfig(e)
			if err != nil {
				return err
			}
			// Opened without migrating: a backup changes nothing, not even the schema.
			db, err := store.Open(ctx, c.Database.Driver, c.Database.DSN)
			if err != nil {
				return err
			}
			defer db.Close()
			if err := db.Backup(ctx, out); err != nil {
				return err
			}
			cp, err := store.Open(ctx, store.SQLite, out)
			if err != nil {
				return err
			}
			defer cp.Close()
			res, err := cp.IntegrityCheck(ctx)
			if err != nil {
				return err
			}
			if res != "ok" {
				return fmt.Errorf("the copy %s failed its integrity check: %s", out, res)
			}
			st, err := os.Stat(out)
			if err != nil {
				return err
			}
			fmt.Fprintf(e.stdout, "backup written to %s (%d bytes), integrity check: ok\n", out, st.Size())
			return nil
		}}
}
