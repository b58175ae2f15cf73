package store

import (
	"context"
	"errors"
	"fmt"
	"os"
)

// Backup writes a consistent copy of a SQLite database to path (which must not exist) while
// the bot keeps running: VACUUM INTO reads one snapshot in a read transaction (WAL mode lets
// the writer go on meanwhile) and writes it compacted, as a single file without a WAL. On
// MySQL it is refused: use mariadb-dump --single-transaction (README, Operations).
func (db *DB) Backup(ctx context.Context, path string) error {
	const op = "store.Backup"
	if db.Dialect != SQLite {
		return &Error{Code: EINVALID, Op: op, Message: "backup copies SQLite databases only; back up MySQL/MariaDB with mariadb-dump --single-transaction (see README, Operations)"}
	}
	if _, err := os.Stat(path); err == nil {
		return &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("%s already exists: choose a new file", path)}
	} else if !errors.Is(err, os.ErrNotExist) {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if _, err := db.r.ExecContext(ctx, `VACUUM INTO ?`, path); err != nil {
		os.Remove(path)
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return nil
}

// IntegrityCheck runs SQLite's PRAGMA integrity_check and returns its answer ("ok" when the
// database is sound); on MySQL it returns "ok" (InnoDB checks its pages itself).
func (db *DB) IntegrityCheck(ctx context.Context) (string, error) {
	if db.Dialect != SQLite {
		return "ok", nil
	}
	var rows []string
	if err := db.r.SelectContext(ctx, &rows, `PRAGMA integrity_check`); err != nil {
		return "", &Error{Code: EINTERNAL, Op: "store.IntegrityCheck", Err: err}
	}
	if len(rows) == 1 {
		return rows[0], nil
	}
	return fmt.Sprint(rows), nil
}
