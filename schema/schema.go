// Package schema holds unionbot's database migrations, one directory per SQL dialect,
// embedded into the binary and applied with goose. `unionbot serve` applies them at start and
// `unionbot migrate` applies them on demand; applying them twice is a no-op.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed sqlite/*.sql mysql/*.sql
var migrations embed.FS

// Files returns the migration files for a dialect ("sqlite" or "mysql").
func Files(dialect string) (fs.FS, error) {
	switch dialect {
	case "sqlite", "mysql":
		return fs.Sub(migrations, dialect)
	}
	return nil, fmt.Errorf("schema: unknown dialect %q", dialect)
}

// Result is one applied migration.
type Result struct {
	Version int64
	Name    string
}

// Migrate brings the database up to the newest schema. On MySQL it holds a named lock while it
// runs, so replicas starting together migrate one after another instead of racing.
func Migrate(ctx context.Context, db *sql.DB, dialect string) ([]Result, error) {
	fsys, err := Files(dialect)
	if err != nil {
		return nil, err
	}
	gd := goose.DialectSQLite3
	if dialect == "mysql" {
		gd = goose.DialectMySQL
		conn, err := db.Conn(ctx)
		if err != nil {
			return nil, fmt.Errorf("schema: connect: %w", err)
		}
		defer conn.Close()
		var got sql.NullInt64
		// The lock is named after the database: locks are server-wide, and other databases on
		// the same server (another deployment, the tests' own) migrate independently.
		const lock = "CONCAT('unionbot_migrate:', COALESCE(DATABASE(), ''))"
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK("+lock+", 60)").Scan(&got); err != nil || got.Int64 != 1 {
			return nil, fmt.Errorf("schema: could not take the migration lock within 60 s (another replica migrating?): %v", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK("+lock+")")
	}
	p, err := goose.NewProvider(gd, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return nil, fmt.Errorf("schema: %w", err)
	}
	if err := refuseNewer(ctx, p); err != nil {
		return nil, err
	}
	res, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("schema: migrate: %w", err)
	}
	out := make([]Result, 0, len(res))
	for _, r := range res {
		out = append(out, Result{Version: r.Source.Version, Name: r.Source.Path})
	}
	return out, nil
}

// Version reports the newest applied migration version (0 for an empty database).
func Version(ctx context.Context, db *sql.DB, dialect string) (int64, error) {
	fsys, err := Files(dialect)
	if err != nil {
		return 0, err
	}
	gd := goose.DialectSQLite3
	if dialect == "mysql" {
		gd = goose.DialectMySQL
	}
	p, err := goose.NewProvider(gd, db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return 0, err
	}
	return p.GetDBVersion(ctx)
}

// ErrTooNew is returned by Migrate when the database was migrated by a newer unionbot than
// this binary: it would not know the schema it runs on.
var ErrTooNew = errors.New("schema: database newer than this binary")

// refuseNewer fails when the database holds a migration newer than this binary's newest one
// (an old binary started after an upgrade, or a rollback of the binary alone).
func refuseNewer(ctx context.Context, p *goose.Provider) error {
	sources := p.ListSources()
	if len(sources) == 0 {
		return nil
	}
	newest := sources[len(sources)-1].Version
	dbv, err := p.GetDBVersion(ctx)
	if err != nil {
		return fmt.Errorf("schema: read the database version: %w", err)
	}
	if dbv > newest {
		return fmt.Errorf("%w: the database is at schema version %d, this unionbot knows versions up to %d. "+
			"A newer unionbot migrated it: run that version (or newer). Going back needs the backup taken before the upgrade",
			ErrTooNew, dbv, newest)
	}
	return nil
}
