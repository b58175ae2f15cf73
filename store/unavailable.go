package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"
	sqlite "modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports whether err says that the database cannot be used at the moment,
// rather than that the statement or its data were wrong: the server is gone or refuses
// connections (MySQL), or the disk refuses writes (SQLite: full, an I/O error, read-only).
// An event whose transaction failed so is not answered: Feishu delivers it again later.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_PROTOCOL:
			return true
		}
		return false
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1040, // too many connections
			1053, // server shutdown in progress
			1077, // normal shutdown
			1152, // aborted connection
			1927, // connection was killed
			1290, // --read-only
			1836, // read-only mode
			4031: // the client was disconnected for inactivity
			return true
		}
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the caller gave up (a deadline is also a net.Error: checked first)
	}
	var ne *net.OpError
	return errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EIO) || errors.As(err, &ne)
}

// writeHealth remembers whether writes fail because the database is unavailable
// (Unavailable), and since when: a database can answer a ping and take reads while it refuses
// every write (SQLite on a full disk), which /readyz must still report. Only an event's commit
// ends the failure (or Ready's probe, when no event came for a while): small writes such as
// the outbox's bookkeeping can still fit where an event's commit does not (a WAL with a little
// room left), and must not make /readyz say yes while events fail.
type writeHealth struct {
	mu     sync.Mutex
	failed error     // the last failure; nil once an event committed after it
	at     time.Time // when it failed
}

// noteFailure records a write's failure, when it says the database cannot be used (a handler's
// refusal or a constraint says nothing about the database).
func (db *DB) noteFailure(err error) {
	if !Unavailable(err) {
		return
	}
	db.health.mu.Lock()
	db.health.failed, db.health.at = err, time.Now()
	db.health.mu.Unlock()
}

// noteCommitted records that a write begun after the last failure committed: writes work.
func (db *DB) noteCommitted() {
	db.health.mu.Lock()
	db.health.failed = nil
	db.health.mu.Unlock()
}

// noteCommittedSince records that an event's transaction committed, its attempt having begun
// at began: it ends a failure only when it began after it. An event already under way when
// writes began to fail (a commit that still found room, in the last of a WAL on a full disk)
// says nothing about the writes that follow.
func (db *DB) noteCommittedSince(began time.Time) {
	db.health.mu.Lock()
	if db.health.failed != nil && began.After(db.health.at) {
		db.health.failed = nil
	}
	db.health.mu.Unlock()
}

// probeAfter is how long after the last failed write Ready answers "not ready" without trying:
// while events keep failing, a probe could fit where their larger commits do not, and /readyz
// would flicker.
const probeAfter = 5 * time.Second

// Ready reports whether the database can be used: it answers (Ping) and, when a write failed
// because the database was unavailable and none has committed since, the failure is over
// probeAfter old and a probe write commits now. The probe is a transaction that writes a row
// and deletes it again, so it needs what any commit needs (on SQLite: room in the WAL, and
// the file's disk); only one runs at a time.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.Ping(ctx); err != nil {
		return err
	}
	db.health.mu.Lock()
	failed, at := db.health.failed, db.health.at
	db.health.mu.Unlock()
	if failed == nil {
		return nil
	}
	notReady := func(err error) error {
		return fmt.Errorf("store: writes failing since %s: %w", at.UTC().Format(time.RFC3339), err)
	}
	if time.Since(at) < probeAfter || !db.probing.TryLock() {
		return notReady(failed)
	}
	defer db.probing.Unlock()
	if err := db.probeWrite(ctx); err != nil {
		return notReady(err)
	}
	db.noteCommitted()
	return nil
}

// probeWrite commits a transaction that writes a row and deletes it: nobody ever sees the
// row, but the commit writes the touched pages like any other.
func (db *DB) probeWrite(ctx context.Context) error {
	tx, err := db.BeginTx(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO job_leases (name, holder, expires_at) VALUES ('readyz.probe', '', ?)`, tx.Now()); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM job_leases WHERE name = 'readyz.probe'`); err != nil {
		return err
	}
	return tx.Commit()
}
