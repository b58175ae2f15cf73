// Package store is unionbot's storage: one DB type, one file per aggregate, plain SQL inline.
// It runs on SQLite (modernc.org/sqlite, the embedded default) and MySQL/MariaDB
// (go-sql-driver/mysql), with the same SQL wherever the two agree and a dialect switch where
// they do not. No other package sees the dialect.
//
// # Events and transactions
//
// DB.HandleEvent is the one entry point for an inbound event: it writes the event's
// deduplication key and runs the handler in one transaction, so a crash leaves all of it or
// none, and a redelivery runs nothing. Under load events share transactions (group commit,
// batch.go): the handlers run one after another in one transaction with one commit, because
// the commit (SQLite's WAL write, InnoDB's log flush) is what a short transaction pays for most.
// On SQLite each call runs behind a savepoint, so a failing handler rolls back only its own
// writes; on MySQL, where a savepoint is a round trip, a failing handler rolls the shared
// transaction back and the others run again alone (handlers refuse before they write, so this
// is rare). Policy.Solo keeps long handlers out of shared transactions; Policy.Serial names a
// contended row (a seat counter): its events share transactions one (SQLite) or two (MySQL) at
// a time instead of queueing on the row lock each in a transaction of its own.
//
// In such a transaction the sign-ups of one activity read the activity once: SignupActivity
// locks it on MySQL (FOR UPDATE) and keeps a copy for the transaction's later calls, dropped at
// any write it does not account for (signup_cache.go). With exact counters a sign-up inserts its
// entry with its final seat or waitlist place, so a first-come click is four statements: its
// deduplication key, its entry, the counter's conditional UPDATE and its audit line.
//
// Every statement is one round trip: the MySQL driver interpolates the arguments
// (interpolateParams) instead of preparing on the server, and database/sql's own
// transactions are used as they are. On SQLite the writer is one connection taken in arrival
// order, and the texts it runs are prepared once and kept (stmtcache.go).
//
// # Time
//
// Every instant is written in UTC (Tx.Now and the helpers convert) and read
// back in UTC; MySQL sessions run with time_zone '+00:00' and the driver with loc=UTC, SQLite
// stores the "sqlite" text format. Calendar dates (a deadline's day) are DATE values in the
// union's time zone, passed as "2006-01-02" strings. On SQLite instants are text in Go's
// time.String form ("2024-03-08 01:30:15.123456 +0000 UTC"), which reads back in UTC and sorts
// in time order because every stored instant is UTC. Callers convert instants to the configured
// zone for display.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"github.com/unionbot/unionbot/store/secret"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialects.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// DB is the database. On SQLite writes go through a single connection, taken in arrival
// order through a channel (goroutines blocked on a channel are served first in, first out;
// database/sql hands a freed connection to a random waiter, and SQLite's own busy handler
// sleeps), while reads use a pool; on MySQL both are one pool.
type DB struct {
	w       *sqlx.DB
	r       *sqlx.DB
	wlock   chan struct{} // SQLite: the write connection's queue (first come, first served)
	Dialect string
	batch   batchState  // group commit (batch.go)
	members memberCache // the router's member lookups (membercache.go)
	wstmts  stmtCache   // SQLite: the writer's prepared statements (stmtcache.go)
	health  writeHealth // whether writes fail (unavailable.go)
	probing sync.Mutex  // held by Ready's write probe
	rstmts  stmtCache   // SQLite: the readers' prepared statements
	// Now is the clock. Tests replace it; it must return increasing times.
	Now func() time.Time
	// keys seal sensitive outbox messages (SetKeyring; nil: none configured).
	keys *secret.Keyring
}

// Open connects to the database. driver is "sqlite" or "mysql"; for SQLite the DSN is a file
// path (its directory is created), for MySQL a go-sql-driver DSN to which the time-zone and
// charset settings unionbot relies on are added.
func Open(ctx context.Context, driver, dsn string) (*DB, error) {
	db := &DB{Dialect: driver, Now: time.Now}
	switch driver {
	case SQLite:
		if dsn == "" {
			return nil, fmt.Errorf("store: empty sqlite path")
		}
		if dir := filepath.Dir(dsn); dir != "" {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("store: create database directory: %w", err)
			}
		}
		q := url.Values{}
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "busy_timeout(10000)")
		q.Add("_pragma", "foreign_keys(1)")
		// FULL: a commit is on disk (the WAL fsynced) before it returns, as InnoDB's default
		// innodb_flush_log_at_trx_commit=1 does on MySQL. An event is acked to Feishu only after
		// its transaction commits, and Feishu does not send an acked event again, so under
		// NORMAL a power cut could lose a sign-up the member was already told was confirmed.
		// Group commit (batch.go) shares one fsync among the events of a burst.
		q.Add("_pragma", "synchronous(FULL)")
		// Temporary files in memory: above all the sub-journal, where SQLite copies each page a
		// savepoint will change (a shared transaction sets one per call, batch.go).
		q.Add("_pragma", "temp_store(MEMORY)")
		q.Set("_txlock", "immediate")
		full := "file:" + dsn + "?" + q.Encode()
		w, err := sqlx.Open("sqlite", full)
		if err != nil {
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		w.SetMaxOpenConns(1)
		w.SetConnMaxIdleTime(0)
		db.wlock = make(chan struct{}, 1)
		r, err := sqlx.Open("sqlite", full)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("store: open sqlite: %w", err)
		}
		r.SetMaxOpenConns(8)
		// Keep them all: database/sql keeps two idle by default, and a reader opened afresh
		// costs a file open and its statements prepared again.
		r.SetMaxIdleConns(8)
		db.w, db.r = w, r
	case MySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("store: parse mysql dsn: %w", err)
		}
		cfg.ParseTime = true
		cfg.Loc = time.UTC
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		cfg.Params["time_zone"] = "'+00:00'"
		cfg.Collation = "utf8mb4_unicode_ci"
		cfg.Params["charset"] = "utf8mb4"
		// One round trip per statement instead of prepare, execute and close; safe with the
		// utf8mb4 connection charset set above.
		cfg.InterpolateParams = true
		conn, err := mysql.NewConnector(cfg)
		if err != nil {
			return nil, fmt.Errorf("store: open mysql: %w", err)
		}
		w := sqlx.NewDb(sql.OpenDB(conn), "mysql")
		w.SetMaxOpenConns(64)
		w.SetMaxIdleConns(64)
		w.SetConnMaxLifetime(30 * time.Minute)
		db.w, db.r = w, w
	default:
		return nil, fmt.Errorf("store: unknown driver %q (want sqlite or mysql)", driver)
	}
	if err := db.Ping(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// SQL returns the writer pool, for migrations and tools.
func (db *DB) SQL() *sql.DB { return db.w.DB }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.w.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// Close closes the database.
func (db *DB) Close() error {
	db.closeStmts()
	err := db.w.Close()
	if db.r != db.w {
		if e := db.r.Close(); err == nil {
			err = e
		}
	}
	return err
}

// now is the store's clock in UTC at microsecond precision (MySQL keeps DATETIME(6)).
func (db *DB) now() time.Time { return utc(db.Now()) }

// utc normalises an instant for storage: UTC, microseconds, no monotonic reading.
func utc(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Tx is a write transaction. Every service method takes one; the handler's writes, its
// deduplication key and its outbound messages share it, so they commit or vanish together.
type Tx struct {
	*sqlx.Tx
	db          *DB
	now         time.Time
	afterCommit []func()
	enqueued    int             // outbox messages queued so far, to keep their order
	release     func()          // gives the SQLite writer to the next in line
	writes      int             // write statements run by the current call (HandleEvent, Writes)
	seq         int             // write statements run by the transaction (signupCache's validity)
	stmtBase    context.Context // a shared transaction's statements run under it (batch.go)
	signup      *signupCache    // the activity its sign-ups read (signup_cache.go)
}

// Now is the transaction's time: one instant for every row it writes.
func (tx *Tx) Now() time.Time { return tx.now }

// AfterCommit registers f to run once the transaction has committed (e.g. to wake the outbox
// worker). It does not run on rollback.
func (tx *Tx) AfterCommit(f func()) { tx.afterCommit = append(tx.afterCommit, f) }

// BeginTx starts a write transaction. Callers follow the idiom
//
//	tx, err := db.BeginTx(ctx)
//	if err != nil { return err }
//	defer tx.Rollback()
//	... ; return tx.Commit()
func (db *DB) BeginTx(ctx context.Context) (*Tx, error) {
	release, err := db.lockWriter(ctx)
	if err != nil {
		return nil, err
	}
	txctx := ctx
	if db.wlock != nil {
		txctx = context.WithoutCancel(ctx) // see txctx.go
	}
	tx, err := db.w.BeginTxx(txctx, nil)
	if err != nil {
		release()
		db.noteFailure(err)
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return &Tx{Tx: tx, db: db, now: db.now(), release: release}, nil
}

// lockWriter waits for the SQLite write connection's turn; on MySQL it is a no-op.
func (db *DB) lockWriter(ctx context.Context) (release func(), err error) {
	if db.wlock == nil {
		return func() {}, nil
	}
	select {
	case db.wlock <- struct{}{}:
		var once sync.Once
		return func() { once.Do(func() { <-db.wlock }) }, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("store: waiting for the writer: %w", ctx.Err())
	}
}

// exec runs one write statement outside a transaction, in the writer's queue.
func (db *DB) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	release, err := db.lockWriter(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if db.wlock != nil {
		ctx = context.WithoutCancel(ctx) // see txctx.go
	}
	return db.cachedExec(ctx, query, args...)
}

// execRetry is exec retrying a deadlock or lock timeout a few times, as InTx does.
func (db *DB) execRetry(ctx context.Context, query string, args ...any) (sql.Result, error) {
	var (
		res sql.Result
		err error
	)
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			d := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
			select {
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-time.After(d):
			}
		}
		res, err = db.exec(ctx, query, args...)
		if !retryable(err) {
			return res, err
		}
	}
	return res, err
}

// Commit commits and then runs the after-commit hooks.
func (tx *Tx) Commit() error {
	err := tx.Tx.Commit()
	tx.release()
	if err != nil {
		tx.db.noteFailure(err)
		return fmt.Errorf("store: commit: %w", err)
	}
	for _, f := range tx.afterCommit {
		f()
	}
	return nil
}

// Rollback rolls back; after a commit it is a no-op (safe to defer).
func (tx *Tx) Rollback() error {
	err := tx.Tx.Rollback()
	tx.release()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

// InTx runs fn in a write transaction and commits when fn returns nil. A deadlock or a lock
// timeout (which the database resolves by aborting one side) is retried a few times, so fn must
// have no effect outside the transaction.
func (db *DB) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if attempt > 0 {
			d := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(5*time.Millisecond)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(d):
			}
		}
		err = db.inTx(ctx, fn)
		if !retryable(err) {
			break
		}
	}
	db.noteFailure(err) // a statement's (a commit's is noted by Commit)
	return err
}

func (db *DB) inTx(ctx context.Context, fn func(tx *Tx) error) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// retryable reports whether err is a transient lock conflict.
func retryable(err error) bool {
	if err == nil {
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1213 || me.Number == 1205 // deadlock, lock wait timeout
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		c := se.Code() & 0xff
		return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
	}
	return false
}

// isUniqueViolation reports whether err is a unique-key violation.
func isUniqueViolation(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// insertIgnore is the dialect's "insert unless the key exists".
func (tx *Tx) insertIgnore() string {
	if tx.db.Dialect == MySQL {
		return "INSERT IGNORE"
	}
	return "INSERT OR IGNORE"
}

// Get runs a read query on the read pool and scans one row into dest.
func (db *DB) Get(ctx context.Context, dest any, query string, args ...any) error {
	return db.cachedGet(ctx, dest, query, args...)
}

// Select runs a read query on the read pool and scans the rows into dest.
func (db *DB) Select(ctx context.Context, dest any, query string, args ...any) error {
	return db.cachedSelect(ctx, dest, query, args...)
}

// likeEscape escapes LIKE wildcards in s for `LIKE ? ESCAPE '!'` (a backslash would need
// different quoting in MySQL and SQLite).
func likeEscape(s string) string {
	return strings.NewReplacer(`!`, `!!`, `%`, `!%`, `_`, `!_`).Replace(s)
}
