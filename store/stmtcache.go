package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"

	"github.com/jmoiron/sqlx"
)

// Prepared statements, on SQLite only.
//
// modernc.org/sqlite keeps a prepared statement's compiled program (its sqlite3_stmt) and
// resets it between executions, while a plain Exec or Query compiles the SQL text, runs it
// and throws the program away: SQLite's parser and planner were the largest single cost of a
// webhook. So the store keeps one prepared statement per query text and pool: the readers'
// for DB.Get and DB.Select, the writer's for DB.exec and the Tx methods of txctx.go.
//
// A transaction runs a cached statement through Tx.StmtxContext. database/sql then uses the
// driver statement already prepared on the transaction's connection (on SQLite the writer
// has one connection) instead of preparing the text again, and closing the transaction's
// copy of the statement, which the commit or rollback does, leaves the cached one prepared.
//
// A driver statement runs one query at a time. Outside a transaction database/sql gives each
// run a connection of its own; inside one every statement runs on the transaction's
// connection, so a text whose rows a Tx.QueryxContext left open runs uncached until they are
// closed, and a Tx.QueryRowxContext row must be scanned before its text runs again.
//
// The writer's statements are prepared outside any transaction: inside one, the writer's
// only connection is taken, and preparing on the pool would wait for it forever. A text the
// writer has not seen before runs uncached, and a goroutine prepares it in the writer's turn
// (lockWriter) for the next time. The readers' statements are prepared on first use.
//
// A cache holds at most stmtCacheSize texts; past that a new text runs uncached (some
// queries are built with IN lists whose length varies with the data). A text that fails to
// prepare keeps running uncached, so that its error comes from the usual path.
//
// On MySQL nothing is cached: with interpolateParams every statement is one round trip, and
// a server-side prepared statement would add one.

// stmtCacheSize is the most query texts a pool's cache holds.
const stmtCacheSize = 512

// stmtCache is one pool's prepared statements by query text. The zero value is empty and
// ready for use.
type stmtCache struct {
	m     sync.Map     // query text -> *cachedStmt
	n     atomic.Int32 // entries in m
	limit int32        // the most entries; 0 means stmtCacheSize (tests lower it)

	mu      sync.Mutex // guards adding entries, closed, ctx and cancel
	closed  bool
	ctx     context.Context // done once the cache is closed: ends a preparation's wait for the writer
	cancel  context.CancelFunc
	pending sync.WaitGroup // preparations not yet published
}

// cachedStmt is one query text's entry.
type cachedStmt struct {
	stmt atomic.Pointer[sqlx.Stmt] // nil while it is being prepared, if that failed, and once closed
	open atomic.Pointer[sqlx.Rows] // writer: rows of the statement a Tx.QueryxContext returned
}

// entry returns query's entry, or nil when there is none and none can be added (the cache is
// closed or full). fresh reports that the entry was just added: the caller must prepare the
// statement and publish it.
func (c *stmtCache) entry(query string) (e *cachedStmt, fresh bool) {
	if v, ok := c.m.Load(query); ok {
		return v.(*cachedStmt), false
	}
	limit := c.limit
	if limit <= 0 {
		limit = stmtCacheSize
	}
	if c.n.Load() >= limit {
		return nil, false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, false
	}
	if v, ok := c.m.Load(query); ok {
		return v.(*cachedStmt), false
	}
	if c.n.Load() >= limit {
		return nil, false
	}
	if c.ctx == nil {
		c.ctx, c.cancel = context.WithCancel(context.Background())
	}
	e = &cachedStmt{}
	c.m.Store(query, e)
	c.n.Add(1)
	c.pending.Add(1)
	return e, true
}

// publish stores the outcome of preparing e's statement. After a failure the entry stays
// empty, and its text runs uncached.
func (c *stmtCache) publish(e *cachedStmt, s *sqlx.Stmt, err error) {
	defer c.pending.Done()
	if err != nil {
		return
	}
	c.mu.Lock()
	closed := c.closed
	if !closed {
		e.stmt.Store(s)
	}
	c.mu.Unlock()
	if closed {
		s.Close()
	}
}

// close closes the cached statements, after the preparations under way have ended.
func (c *stmtCache) close() {
	c.mu.Lock()
	c.closed = true
	if c.cancel != nil {
		c.cancel()
	}
	c.mu.Unlock()
	c.pending.Wait()
	c.m.Range(func(_, v any) bool {
		if s := v.(*cachedStmt).stmt.Swap(nil); s != nil {
			s.Close()
		}
		return true
	})
}

// closeStmts closes both caches (DB.Close).
func (db *DB) closeStmts() {
	db.wstmts.close()
	db.rstmts.close()
}

// readStmt returns the readers' prepared statement for query, preparing it on first use, or
// nil to run query uncached.
func (db *DB) readStmt(query string) *sqlx.Stmt {
	if db.wlock == nil { // MySQL
		return nil
	}
	e, fresh := db.rstmts.entry(query)
	if e == nil {
		return nil
	}
	if fresh {
		s, err := db.r.PreparexContext(context.Background(), query)
		db.rstmts.publish(e, s, err)
	}
	return e.stmt.Load()
}

// writeStmt returns the writer's prepared statement for query and its entry, or nil to run
// query uncached: always on MySQL; on SQLite while the statement is being prepared (a text
// seen for the first time starts that) and while rows of it are open.
func (db *DB) writeStmt(query string) (*sqlx.Stmt, *cachedStmt) {
	if db.wlock == nil { // MySQL
		return nil, nil
	}
	e, fresh := db.wstmts.entry(query)
	if e == nil {
		return nil, nil
	}
	if fresh {
		go db.prepareWriter(e, query)
		return nil, nil
	}
	s := e.stmt.Load()
	if s == nil || e.busy() {
		return nil, nil
	}
	return s, e
}

// prepareWriter prepares e's statement on the writer in its turn, outside any transaction.
func (db *DB) prepareWriter(e *cachedStmt, query string) {
	release, err := db.lockWriter(db.wstmts.ctx)
	if err != nil { // the cache was closed
		db.wstmts.publish(e, nil, err)
		return
	}
	s, err := db.w.PreparexContext(context.Background(), query)
	release()
	db.wstmts.publish(e, s, err)
}

// busy reports whether rows of e's statement that a Tx.QueryxContext returned are still open.
func (e *cachedStmt) busy() bool {
	r := e.open.Load()
	if r == nil {
		return false
	}
	if _, err := r.Columns(); err == nil { // Columns fails once the rows are closed
		return true
	}
	e.open.CompareAndSwap(r, nil)
	return false
}

// cachedGet is DB.Get's body: the readers' prepared statement when there is one.
func (db *DB) cachedGet(ctx context.Context, dest any, query string, args ...any) error {
	if s := db.readStmt(query); s != nil {
		return s.GetContext(ctx, dest, args...)
	}
	return db.r.GetContext(ctx, dest, query, args...)
}

// cachedSelect is DB.Select's body: the readers' prepared statement when there is one.
func (db *DB) cachedSelect(ctx context.Context, dest any, query string, args ...any) error {
	if s := db.readStmt(query); s != nil {
		return s.SelectContext(ctx, dest, args...)
	}
	return db.r.SelectContext(ctx, dest, query, args...)
}

// cachedExec runs a write statement outside a transaction (DB.exec, in the writer's turn):
// the writer's prepared statement when there is one.
func (db *DB) cachedExec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if s, _ := db.writeStmt(query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return db.w.ExecContext(ctx, query, args...)
}
