package store

import (
	"context"
	"fmt"
	"strings"
)

// ExecLast runs a write whose result the caller does not need as late as it can: on MySQL it
// is sent with the COMMIT, in one round trip (in a shared transaction, with the call's other
// held-back writes when the call ends), so that row locks taken before it (a seat counter in
// a sign-up rush) are released a round trip sooner and each write costs no round trip of its
// own; on SQLite, in-process, it runs at once. Tx.Audit and Tx.Enqueue of a reply or a plain
// send use it. Nothing later in the same transaction may rely on what it writes (a read would see
// the row as it was on MySQL). An error surfaces from Commit, and then nothing is committed.
func (tx *Tx) ExecLast(ctx context.Context, query string, args ...any) error {
	if tx.db.Dialect != MySQL {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	tx.last = append(tx.last, query)
	tx.lastArgs = append(tx.lastArgs, args...)
	if len(tx.last) >= maxHeld {
		// A bulk transaction (an import auditing every row) would otherwise build one huge
		// text; these writes may go out sooner, never later.
		return tx.sendLast(ctx)
	}
	return nil
}

// maxHeld is how many statements ExecLast holds back at most before sending them.
const maxHeld = 100

// commitLast sends the statements ExecLast held back and the COMMIT in one round trip
// (MySQL, multiStatements). The server stops at the first failing statement, so on an error
// nothing was committed and the caller rolls back. The marked context tells the connection
// that the text commits (mysqltx.go).
func (tx *Tx) commitLast() error {
	return tx.sendLast(context.WithValue(context.Background(), commitsKey{}, true), "COMMIT")
}

// flushLast runs the statements ExecLast held back, without committing: in a shared
// transaction each call's writes are complete before the next call runs.
func (tx *Tx) flushLast(ctx context.Context) error { return tx.sendLast(ctx) }

// sendLast sends the held-back statements, followed by more (the COMMIT), in one text.
func (tx *Tx) sendLast(ctx context.Context, more ...string) error {
	if len(tx.last) == 0 {
		return nil
	}
	q := strings.Join(append(tx.last, more...), ";\n")
	args := tx.lastArgs
	tx.last, tx.lastArgs = nil, nil
	if _, err := tx.Tx.ExecContext(ctx, q, args...); err != nil {
		return fmt.Errorf("store: final statements: %w", err)
	}
	return nil
}

// Result is the outcome of one statement of an ExecAll.
type Result struct {
	LastInsertID int64
	RowsAffected int64
}

// resultsKey marks the context of an Exec whose statements' results the caller wants one by
// one; the value is a *[]Result the connection fills (mysqltx.go).
type resultsKey struct{}

// Stmt is one statement of an ExecAll.
type Stmt struct {
	Query string
	Args  []any
}

// ExecAll runs writes in order and returns each one's result. On MySQL they go out in one
// round trip (multiStatements); the server stops at the first that fails, and so does SQLite,
// which runs them one after another. Use it where a hot path writes several rows whose results
// it needs only after the last: each round trip saved is a thread wake-up in the database. A
// statement with no arguments must not contain a literal '?' (the driver interpolates the
// whole text).
func (tx *Tx) ExecAll(ctx context.Context, stmts ...Stmt) ([]Result, error) {
	out := make([]Result, 0, len(stmts))
	if tx.db.Dialect != MySQL || len(stmts) == 1 {
		for _, s := range stmts {
			res, err := tx.ExecContext(ctx, s.Query, s.Args...)
			if err != nil {
				return out, err
			}
			var r Result
			r.LastInsertID, _ = res.LastInsertId()
			r.RowsAffected, _ = res.RowsAffected()
			out = append(out, r)
		}
		return out, nil
	}
	texts := make([]string, len(stmts))
	var args []any
	for i, s := range stmts {
		texts[i] = s.Query
		args = append(args, s.Args...)
	}
	if len(args) > 0 {
		for _, s := range stmts {
			if len(s.Args) == 0 && strings.Contains(s.Query, "?") {
				return nil, fmt.Errorf("store: ExecAll: a statement without arguments contains '?': %.40s", s.Query)
			}
		}
	}
	if _, err := tx.ExecContext(context.WithValue(ctx, resultsKey{}, &out), strings.Join(texts, ";\n"), args...); err != nil {
		return nil, err
	}
	if len(out) != len(stmts) {
		return nil, fmt.Errorf("store: ExecAll: %d results for %d statements", len(out), len(stmts))
	}
	return out, nil
}
