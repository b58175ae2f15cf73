package store

import (
	"context"
	"fmt"
	"strings"
)

// ExecLast runs a write whose result the caller does not need as late as it can: on MySQL it
// is sent with the COMMIT, in one round trip, so that row locks taken before it (a seat
// counter in a sign-up rush) are released a round trip sooner; on SQLite, in-process, it runs
// at once. Nothing later in the same transaction may rely on what it writes (a read would see
// the row as it was on MySQL). An error surfaces from Commit, and then nothing is committed.
func (tx *Tx) ExecLast(ctx context.Context, query string, args ...any) error {
	if tx.db.Dialect != MySQL {
		_, err := tx.ExecContext(ctx, query, args...)
		return err
	}
	tx.last = append(tx.last, query)
	tx.lastArgs = append(tx.lastArgs, args...)
	return nil
}

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
