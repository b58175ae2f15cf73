package store

import (
	"context"
	"database/sql"

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
	if tx.db.wlock != nil {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// ExecContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return tx.Tx.ExecContext(tx.stmtCtx(ctx), query, args...)
}

// GetContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) GetContext(ctx context.Context, dest any, query string, args ...any) error {
	return tx.Tx.GetContext(tx.stmtCtx(ctx), dest, query, args...)
}

// SelectContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) SelectContext(ctx context.Context, dest any, query string, args ...any) error {
	return tx.Tx.SelectContext(tx.stmtCtx(ctx), dest, query, args...)
}

// QueryRowxContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) QueryRowxContext(ctx context.Context, query string, args ...any) *sqlx.Row {
	return tx.Tx.QueryRowxContext(tx.stmtCtx(ctx), query, args...)
}

// QueryxContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) QueryxContext(ctx context.Context, query string, args ...any) (*sqlx.Rows, error) {
	return tx.Tx.QueryxContext(tx.stmtCtx(ctx), query, args...)
}

// NamedExecContext is sqlx.Tx's, with the context rule above.
func (tx *Tx) NamedExecContext(ctx context.Context, query string, arg any) (sql.Result, error) {
	return tx.Tx.NamedExecContext(tx.stmtCtx(ctx), query, arg)
}
