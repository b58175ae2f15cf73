package store

import (
	"context"
	"database/sql/driver"
	"fmt"
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
//   - a transaction that never ran a statement commits and rolls back without a round trip.
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
	pending   bool // a transaction has begun and START TRANSACTION has not been sent
	committed bool // the transaction's last Exec committed it
}

func (c *lazyConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *lazyConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
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

func (c *lazyConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	res, err := c.mysqlConn.ExecContext(ctx, c.begin(query), args)
	if err == nil && ctx.Value(commitsKey{}) != nil {
		c.committed = true
	}
	return res, err
}

func (c *lazyConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	return c.mysqlConn.QueryContext(ctx, c.begin(query), args)
}

// PrepareContext: a server-side statement cannot carry the START TRANSACTION, so it is sent
// on its own first (unionbot does not prepare on MySQL; this keeps the wrapper correct).
func (c *lazyConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
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
	return c.mysqlConn.ResetSession(ctx)
}

// lazyTx ends a lazyConn's transaction.
type lazyTx lazyConn

func (t *lazyTx) Commit() error { return t.end("COMMIT") }

func (t *lazyTx) Rollback() error { return t.end("ROLLBACK") }

func (t *lazyTx) end(stmt string) error {
	c := (*lazyConn)(t)
	pending, committed := c.pending, c.committed
	c.pending, c.committed = false, false
	if pending || (committed && stmt == "COMMIT") {
		return nil // nothing was sent, or the COMMIT went out with the last statements
	}
	_, err := c.mysqlConn.ExecContext(context.Background(), stmt, nil)
	return err
}
