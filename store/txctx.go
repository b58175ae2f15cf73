package store

import (
	"context"
	"database/sql"
	"strings"

	"github.com/jmoiron/sqlx"
)

// On SQLite a write transaction, once begun, runs to its end even when the caller's context
// is cancelled (at shutdown, or a handler's deadline): the statements of a transaction on the
// single writer are short, and cancelling one midway makes the driver interrupt it and
// database/sql discard the connection, which can leave SQLite's write lock held by a
// connection nobody uses any more, so that every later write waits for its busy timeout. The
// wait for the writer's turn (lockWriter) still honours the context. On MySQL the context is
// passed through unchanged.

func (tx *Tx) stmtCtx(ctx context.Context) context.Context {
	if tx.stmtBase != nil { // a shared transaction (batch.go)
		return tx.stmtBase
	}
	if tx.db.wlock != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// stmt returns the transaction's copy of the writer's prepared statement for query, or nil
// to run query uncached (see stmtcache.go).
func (tx *Tx) stmt(ctx context.Context, query string) (*sqlx.Stmt, *cachedStmt) {
	s, e := tx.db.writeStmt(query)
	if s == nil {
		return nil, nil
	}
	return tx.Tx.StmtxContext(ctx, s), e
}

// ExecContext is sqlx.Tx's, with the context rule above and a prepared statement.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	ctx = tx.stmtCtx(ctx)
	if s, _ := tx.stmt(ctx, query); s != nil {
		res, err = s.ExecContext(ctx, args...)
	} else {
		res, err = tx.Tx.ExecContext(ctx, query, args...)
	}
	tx.seq++ // even a failed statement may have changed something (a multi-row one, halfway)
	if err == nil {
		tx.writes++ // a statement that failed changed nothing
	}
	return res, err
}

// GetContext is sqlx.Tx's, with the context rule above and a prepared statement.
func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	tx.countWrite(query)
	ctx = tx.stmtCtx(ctx)
	if s, _ := tx.stmt(ctx, query); s != nil {
		return s.GetContext(ctx, dest, args...)
	}
	return tx.Tx.GetContext(ctx, dest, query, args...)
}

// SelectContext is sqlx.Tx's, with the context rule above and a prepared statement.
func (tx *Tx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	tx.countWrite(query)
	ctx = tx.stmtCtx(ctx)
	if s, _ := tx.stmt(ctx, query); s != nil {
		return s.SelectContext(ctx, dest, args...)
	}
	return tx.Tx.SelectContext(ctx, dest, query, args...)
}

// QueryRowxContext is sqlx.Tx's, with the context rule above and a prepared statement. Scan
// the row before running the same query text again in the transaction.
func (tx *Tx) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	tx.countWrite(query)
	ctx = tx.stmtCtx(ctx)
	if s, _ := tx.stmt(ctx, query); s != nil {
		return s.QueryRowxContext(ctx, args...)
	}
	return tx.Tx.QueryRowxContext(ctx, query, args...)
}

// QueryxContext is sqlx.Tx's, with the context rule above and a prepared statement. While
// the rows are open, the same query text runs uncached in the transaction.
func (tx *Tx) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	tx.countWrite(query)
	ctx = tx.stmtCtx(ctx)
	if s, e := tx.stmt(ctx, query); s != nil {
		rows, err := s.QueryxContext(ctx, args...)
		if err == nil {
			e.open.Store(rows)
		}
		return rows, err
	}
	return tx.Tx.QueryxContext(ctx, query, args...)
}

// NamedExecContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error) {
	tx.writes++
	tx.seq++
	return tx.Tx.NamedExecContext(tx.stmtCtx(ctx), query, arg)
}

// countWrite counts a query that writes (an INSERT or UPDATE with RETURNING) as a write.
func (tx *Tx) countWrite(query string) {
	q := strings.TrimLeft(query, " \t\r\n(")
	if len(q) < 6 || !strings.EqualFold(q[:6], "SELECT") {
		tx.writes++
		tx.seq++
	}
}
