package store

import (
	"context"
	"database/sql/driver"
	"fmt"
	"strconv"
	"strings"

	"github.com/go-sql-driver/mysql"
)

// Fewer round trips per transaction on MySQL. database/sql begins a transaction with its own
// round trip (START TRANSACTION) and ends it with another (COMMIT). On a 2-core machine a
// round trip costs mariadbd a thread wake-up and a context switch whatever the statement, and
// a unionbot transaction is only three to six statements, so those two are a third of the
// work. The connections are therefore wrapped (the DSN enables multiStatements):
//
//   - BeginTx sends nothing; the transaction's first statement goes out as
//     "START TRANSACTION; <statement>" in one round trip (the driver reports the results of the
//     last statement of such a text, and a query's rows are those of its SELECT);
//   - the statements Tx.ExecLast held back go out with the COMMIT (Tx.commitLast), after
//     which database/sql's Commit sends nothing more;
//   - a transaction that never ran a statement commits and rolls back without a round trip;
//   - a deduplication key claimed with Tx.ClaimEvent goes out in front of the next statement
//     (claim.go), and Tx.ExecAll's statements go out together, with a result for each.
//
// Non-default transaction options (isolation, read-only) take the driver's own path.

// lazyConnector wraps go-sql-driver's connector.
type lazyConnector struct{ driver.Connector }

// mysqlConn is what go-sql-driver's connection implements and database/sql uses.
type mysqlConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

func (c lazyConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	mc, ok := conn.(mysqlConn)
	if !ok {
		conn.Close()
		return nil, fmt.Errorf("store: unexpected mysql connection type %T", conn)
	}
	return &lazyConn{mysqlConn: mc}, nil
}

// commitsKey marks the context of an Exec whose text ends with COMMIT.
type commitsKey struct{}

// lazyConn is one connection, with the state of its transaction.
type lazyConn struct {
	mysqlConn
	pending   bool   // a transaction has begun and START TRANSACTION has not been sent
	committed bool   // the transaction's last Exec committed it
	held      *Claim // Tx.ClaimEvent: its INSERT goes out in front of the next statement
}

func (c *lazyConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *lazyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	c.drop()
	if opts.Isolation != driver.IsolationLevel(0) || opts.ReadOnly {
		return c.mysqlConn.BeginTx(ctx, opts)
	}
	c.pending, c.committed = true, false
	return (*lazyTx)(c), nil
}

// begin returns query with the pending START TRANSACTION in front of it.
func (c *lazyConn) begin(query string) string {
	if !c.pending {
		return query
	}
	c.pending = false
	return "START TRANSACTION;\n" + query
}

// carry puts the held claim's INSERT in front of query and its arguments in front of args, and
// returns the claim (nil when none is held).
func (c *lazyConn) carry(query string, args []driver.NamedValue, extra string) (string, []driver.NamedValue, *Claim, error) {
	h := c.held
	if h == nil {
		return query, args, nil, nil
	}
	c.held = nil
	all := make([]driver.NamedValue, 0, len(h.args)+len(args))
	for _, v := range h.args {
		nv := driver.NamedValue{Value: v}
		if err := c.mysqlConn.CheckNamedValue(&nv); err != nil {
			h.state = claimUnknown
			return "", nil, nil, fmt.Errorf("store: claim argument: %w", err)
		}
		all = append(all, nv)
	}
	all = append(all, args...)
	for i := range all {
		all[i].Ordinal = i + 1
	}
	return h.query + ";\n" + extra + query, all, h, nil
}

// carriable reports whether the held claim can go out with query: its text is interpolated
// by the driver as a whole, so a statement without arguments of its own must not hold a
// literal '?'.
func carriable(query string, args []driver.NamedValue) bool {
	return len(args) > 0 || !strings.Contains(query, "?")
}

// sendHeld sends the held claim on its own (with START TRANSACTION when it is pending). The
// context carries none of the caller's marks (a COMMIT, ExecAll's results).
func (c *lazyConn) sendHeld() error {
	_, err := c.ExecContext(context.Background(), "DO 0", nil)
	return err
}

// drop forgets a claim that was never sent (its transaction ended without a statement).
func (c *lazyConn) drop() {
	if c.held != nil {
		c.held.state = claimUnknown
		c.held = nil
	}
}

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if h, ok := ctx.Value(holdKey{}).(*Claim); ok {
		if c.held != nil {
			return nil, fmt.Errorf("store: a transaction claims one event")
		}
		c.held = h
		return driver.RowsAffected(0), nil
	}
	commits := ctx.Value(commitsKey{}) != nil
	if c.held != nil && (commits || !carriable(query, args)) {
		// A claim is never sent with a COMMIT: the COMMIT must not happen for a redelivery.
		h := c.held
		if err := c.sendHeld(); err != nil {
			return nil, err
		}
		if commits && h.state == claimDup {
			return nil, ErrDuplicateEvent
		}
	}
	skip := 0 // statements in front of the caller's: START TRANSACTION, the claim
	if c.pending {
		skip++
	}
	query, args, h, err := c.carry(query, args, "")
	if err != nil {
		return nil, err
	}
	if h != nil {
		skip++
	}
	res, err := c.mysqlConn.ExecContext(ctx, c.begin(query), args)
	if err != nil {
		if h != nil {
			h.state = claimUnknown
		}
		return nil, err
	}
	if commits {
		c.committed = true
	}
	out, want := ctx.Value(resultsKey{}).(*[]Result)
	if h == nil && !want {
		return res, nil
	}
	mr, ok := res.(mysql.Result)
	if !ok {
		return nil, fmt.Errorf("store: mysql result of type %T", res)
	}
	ids, ns := mr.AllLastInsertIds(), mr.AllRowsAffected()
	if len(ns) < skip+1 {
		return nil, fmt.Errorf("store: %d results for %d statements", len(ns), skip+1)
	}
	if h != nil {
		h.settle(ns[skip-1])
	}
	if want { // Tx.ExecAll: one result per statement of the caller's text
		for i := skip; i < len(ns); i++ {
			*out = append(*out, Result{LastInsertID: ids[i], RowsAffected: ns[i]})
		}
	}
	return res, nil
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if c.held != nil && (!isSelect(query) || !carriable(query, args)) {
		if err := c.sendHeld(); err != nil {
			return nil, err
		}
	}
	// The claim's INSERT IGNORE, then its row count as a result set of its own, then the query:
	// the driver skips the results without rows and stops at the row count.
	query, args, h, err := c.carry(query, args, "SELECT ROW_COUNT();\n")
	if err != nil {
		return nil, err
	}
	rows, err := c.mysqlConn.QueryContext(ctx, c.begin(query), args)
	if h == nil || err != nil {
		if h != nil {
			h.state = claimUnknown
		}
		return rows, err
	}
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		rows.Close()
		h.state = claimUnknown
		return nil, fmt.Errorf("store: claim row count: %w", err)
	}
	var n int64
	switch v := dest[0].(type) {
	case int64:
		n = v
	case []byte:
		n, err = strconv.ParseInt(string(v), 10, 64)
	default:
		err = fmt.Errorf("unexpected %T", v)
	}
	if err != nil {
		rows.Close()
		h.state = claimUnknown
		return nil, fmt.Errorf("store: claim row count: %w", err)
	}
	h.settle(n)
	next, ok := rows.(driver.RowsNextResultSet)
	if !ok {
		rows.Close()
		return nil, fmt.Errorf("store: mysql rows of type %T", rows)
	}
	if err := next.NextResultSet(); err != nil {
		rows.Close()
		return nil, err
	}
	return rows, nil
}

// isSelect reports whether query is a SELECT (its rows can follow the claim's row count).
func isSelect(query string) bool {
	q := strings.TrimLeft(query, " \t\r\n(")
	return len(q) >= 6 && strings.EqualFold(q[:6], "SELECT")
}

// PrepareContext: a server-side statement cannot carry the START TRANSACTION, so it is sent
// on its own first (unionbot does not prepare on MySQL; this keeps the wrapper correct).
func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	if c.held != nil {
		if err := c.sendHeld(); err != nil {
			return nil, err
		}
	}
	if c.pending {
		c.pending = false
		if _, err := c.mysqlConn.ExecContext(ctx, "START TRANSACTION", nil); err != nil {
			return nil, err
		}
	}
	return c.mysqlConn.PrepareContext(ctx, query)
}

func (c *lazyConn) Prepare(query string) (driver.Stmt, error) {
	return c.PrepareContext(context.Background(), query)
}

func (c *lazyConn) ResetSession(ctx context.Context) error {
	c.pending, c.committed = false, false
	c.drop()
	return c.mysqlConn.ResetSession(ctx)
}

// lazyTx ends a lazyConn's transaction.
type lazyTx lazyConn

func (t *lazyTx) Commit() error { return t.end("COMMIT") }

func (t *lazyTx) Rollback() error { return t.end("ROLLBACK") }

func (t *lazyTx) end(stmt string) error {
	c := (*lazyConn)(t)
	if c.held != nil && stmt == "COMMIT" {
		h := c.held
		if err := c.sendHeld(); err != nil {
			c.end("ROLLBACK")
			return err
		}
		if h.state == claimDup {
			c.end("ROLLBACK")
			return ErrDuplicateEvent
		}
	}
	c.drop()
	pending, committed := c.pending, c.committed
	c.pending, c.committed = false, false
	if pending || (committed && stmt == "COMMIT") {
		return nil // nothing was sent, or the COMMIT went out with the last statements
	}
	_, err := c.mysqlConn.ExecContext(context.Background(), stmt, nil)
	return err
}

// end is lazyTx.end for the connection.
func (c *lazyConn) end(stmt string) error { return (*lazyTx)(c).end(stmt) }
