package schema_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/pressly/goose/v3"

	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// openAt opens a fresh database of the dialect migrated up to version (0: all).
func openAt(t *testing.T, dialect string, version int64) (*store.DB, *goose.Provider) {
	t.Helper()
	ctx := context.Background()
	dsn := filepath.Join(t.TempDir(), "db.sqlite")
	gd := goose.DialectSQLite3
	if dialect == store.MySQL {
		dsn, gd = storetest.CreateMySQLDatabase(t), goose.DialectMySQL
	}
	db, err := store.Open(ctx, dialect, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	fsys, err := schema.Files(dialect)
	if err != nil {
		t.Fatal(err)
	}
	p, err := goose.NewProvider(gd, db.SQL(), fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if version > 0 {
		_, err = p.UpTo(ctx, version)
	} else {
		_, err = p.Up(ctx)
	}
	if err != nil {
		t.Fatal(err)
	}
	return db, p
}

func newest(p *goose.Provider) int64 {
	s := p.ListSources()
	return s[len(s)-1].Version
}

// TestOldBinaryRefusesNewerSchema: a database whose goose version is ahead of this binary's
// migrations (a newer unionbot migrated it) is refused at start with a message saying so,
// and nothing is changed.
func TestOldBinaryRefusesNewerSchema(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			db, p := openAt(t, dialect, 0)
			ahead := newest(p) + 1
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO goose_db_version (version_id, is_applied) VALUES (?, ?)`, ahead, true); err != nil {
				t.Fatal(err)
			}
			_, err := schema.Migrate(ctx, db.SQL(), dialect)
			want := fmt.Sprintf("the database is at schema version %d, this unionbot knows versions up to %d", ahead, newest(p))
			if !errors.Is(err, schema.ErrTooNew) || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "A newer unionbot migrated it") {
				t.Fatalf("migrate on a newer database: %v", err)
			}
			if v, err := schema.Version(ctx, db.SQL(), dialect); err != nil || v != ahead {
				t.Errorf("version after the refusal: %d %v", v, err)
			}
		})
	}
}

// TestUpgradeWhileOldReplicaRuns: a database one migration behind, an old replica writing to
// it all along, and three new replicas starting at once: the migration is applied once (under
// the lock on MySQL; SQLite has one process), every new replica starts, and the old replica's
// writes all succeed and are there.
func TestUpgradeWhileOldReplicaRuns(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			_, p := openAt(t, dialect, 0)
			target := newest(p)
			db, _ := openAt(t, dialect, target-1)

			stop := make(chan struct{})
			var writes atomic.Int64
			var oldErr error
			var failed atomic.Bool
			var wg sync.WaitGroup
			wg.Add(1)
			go func() { // the old replica: writes to tables it knows
				defer wg.Done()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					if err := db.InTx(ctx, func(tx *store.Tx) error {
						return tx.Audit(ctx, "old-replica", "test", fmt.Sprint(i), "write", "")
					}); err != nil {
						oldErr = err
						failed.Store(true)
						return
					}
					writes.Add(1)
				}
			}()
			for writes.Load() < 5 && !failed.Load() {
				time.Sleep(time.Millisecond)
			}
			migrators := 3
			if dialect == store.SQLite {
				migrators = 1
			}
			errs := make(chan error, migrators)
			var applied atomic.Int64
			var mwg sync.WaitGroup
			for range migrators {
				mwg.Add(1)
				go func() {
					defer mwg.Done()
					res, err := schema.Migrate(ctx, db.SQL(), dialect)
					applied.Add(int64(len(res)))
					errs <- err
				}()
			}
			mwg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Errorf("a new replica failed to start: %v", err)
				}
			}
			for n := writes.Load(); writes.Load() < n+5 && !failed.Load(); {
				time.Sleep(time.Millisecond)
			}
			close(stop)
			wg.Wait()
			if oldErr != nil {
				t.Fatalf("the old replica's write failed during the upgrade: %v", oldErr)
			}
			if applied.Load() != 1 {
				t.Errorf("migrations applied %d times in all, want 1", applied.Load())
			}
			if v, err := schema.Version(ctx, db.SQL(), dialect); err != nil || v != target {
				t.Errorf("version after the upgrade: %d %v, want %d", v, err, target)
			}
			var n int64
			if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM audit_log WHERE actor = 'old-replica'`); err != nil || n != writes.Load() {
				t.Errorf("the old replica's rows: %d (%v), want %d", n, err, writes.Load())
			}
		})
	}
}

// TestMigrationLockIsPerDatabase: the migration lock is named after the database (locks are
// server-wide in MySQL), so a database migrates while another database on the same server
// holds its own lock: another deployment, or the tests' databases migrating side by side.
func TestMigrationLockIsPerDatabase(t *testing.T) {
	if !slices.Contains(storetest.Dialects(), store.MySQL) {
		t.Skip("MySQL only (UNIONBOT_TEST_MYSQL=off)")
	}
	ctx := context.Background()
	other, err := mysql.ParseDSN(storetest.CreateMySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	holder, err := sql.Open("mysql", other.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	conn, err := holder.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// The other database is being migrated: its lock is held (and the single server-wide lock
	// that binaries before this change took, which made every database wait for every other).
	for _, name := range []string{"unionbot_migrate:" + other.DBName, "unionbot_migrate"} {
		var got int
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 120)", name).Scan(&got); err != nil || got != 1 {
			t.Fatalf("take the lock %s: %d %v", name, got, err)
		}
	}
	db, err := store.Open(ctx, store.MySQL, storetest.CreateMySQLDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := schema.Migrate(ctx, db.SQL(), store.MySQL); err != nil {
		t.Fatalf("migrate while another database holds its lock: %v", err)
	}
}
