package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
)

// The statement cache's tests use a table of their own on a bare SQLite database (storetest
// imports this package, so an internal test cannot use it).

const (
	scInsert = `INSERT INTO sc (name, n) VALUES (?, ?)`
	scByID   = `SELECT name FROM sc WHERE id = ?`
	scFrom   = `SELECT name FROM sc WHERE n >= ? ORDER BY id`
	scIDs    = `SELECT id FROM sc WHERE id >= ? ORDER BY id`
	scCount  = `SELECT COUNT(*) FROM sc`
)

func scOpen(t *testing.T) *DB {
	t.Helper()
	db := scOpenNoCleanup(t)
	t.Cleanup(func() { db.Close() })
	return db
}

func scOpenNoCleanup(t *testing.T) *DB {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, SQLite, filepath.Join(t.TempDir(), "sc.db"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE sc (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// scReady is the number of prepared statements in c, and the number of its entries.
func scReady(c *stmtCache) (ready, entries int) {
	c.m.Range(func(_, v any) bool {
		entries++
		if v.(*cachedStmt).stmt.Load() != nil {
			ready++
		}
		return true
	})
	return ready, entries
}

// scCached returns the writer's prepared statement for query, after the preparations under
// way have ended; it fails the test if there is none.
func scCached(t *testing.T, db *DB, query string) *sqlx.Stmt {
	t.Helper()
	db.wstmts.pending.Wait()
	v, ok := db.wstmts.m.Load(query)
	if !ok || v.(*cachedStmt).stmt.Load() == nil {
		t.Fatalf("no prepared statement for %q", query)
	}
	return v.(*cachedStmt).stmt.Load()
}

// scInsertRows inserts names[i] with n = i in one transaction.
func scInsertRows(t *testing.T, db *DB, names ...string) {
	t.Helper()
	ctx := context.Background()
	err := db.InTx(ctx, func(tx *Tx) error {
		for i, name := range names {
			if _, err := tx.ExecContext(ctx, scInsert, name, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func scNames(prefix string, n int) []string {
	names := make([]string, n)
	for i := range names {
		names[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return names
}

// TestStmtCacheSameResults runs the same texts many times, cached, and compares with the same
// queries run uncached; the caches hold one statement per text.
func TestStmtCacheSameResults(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	scInsertRows(t, db, scNames("a", 50)...) // the first run of the text prepares it for the next
	stmt := scCached(t, db, scInsert)
	scInsertRows(t, db, scNames("b", 50)...) // cached
	if got := scCached(t, db, scInsert); got != stmt {
		t.Fatal("the insert was prepared again")
	}
	if ready, entries := scReady(&db.wstmts); ready != 1 || entries != 1 {
		t.Fatalf("writer cache: %d statements, %d entries; want 1, 1", ready, entries)
	}

	for round := 0; round < 3; round++ {
		for id := 1; id <= 101; id++ { // 101: no row
			var got, want string
			errGot := db.Get(ctx, &got, scByID, id)
			errWant := db.r.GetContext(ctx, &want, scByID, id)
			if got != want || (errGot == nil) != (errWant == nil) {
				t.Fatalf("Get id %d: cached %q, %v; uncached %q, %v", id, got, errGot, want, errWant)
			}
		}
		for n := 0; n <= 50; n += 7 {
			var got, want []string
			if err := db.Select(ctx, &got, scFrom, n); err != nil {
				t.Fatal(err)
			}
			if err := db.r.SelectContext(ctx, &want, scFrom, n); err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) || len(got) != 2*(50-n) {
				t.Fatalf("Select n >= %d: cached %d rows, uncached %d", n, len(got), len(want))
			}
		}
	}
	if ready, entries := scReady(&db.rstmts); ready != 2 || entries != 2 {
		t.Fatalf("reader cache: %d statements, %d entries; want 2, 2", ready, entries)
	}

	// The Tx methods, once the writer has prepared the texts.
	check := func() {
		err := db.InTx(ctx, func(tx *Tx) error {
			for id := 1; id <= 101; id += 5 {
				var got, want string
				errGot := tx.GetContext(ctx, &got, scByID, id)
				errWant := tx.Tx.GetContext(ctx, &want, scByID, id)
				if got != want || (errGot == nil) != (errWant == nil) {
					return fmt.Errorf("tx Get id %d: cached %q, %v; uncached %q, %v", id, got, errGot, want, errWant)
				}
				var row string
				if err := tx.QueryRowxContext(ctx, scByID, id).Scan(&row); (err == nil) != (errWant == nil) || row != want {
					return fmt.Errorf("tx QueryRowx id %d: %q, %v; want %q", id, row, err, want)
				}
			}
			var got, want []string
			if err := tx.SelectContext(ctx, &got, scFrom, 10); err != nil {
				return err
			}
			if err := tx.Tx.SelectContext(ctx, &want, scFrom, 10); err != nil {
				return err
			}
			if !slices.Equal(got, want) || len(got) != 80 {
				return fmt.Errorf("tx Select: cached %d rows, uncached %d", len(got), len(want))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	check() // uncached: the texts are new to the writer
	scCached(t, db, scByID)
	scCached(t, db, scFrom)
	check()
	check()
	if ready, entries := scReady(&db.wstmts); ready != 3 || entries != 3 {
		t.Fatalf("writer cache: %d statements, %d entries; want 3, 3", ready, entries)
	}
}

// TestStmtCacheBound: past the bound, new texts run uncached and still give their results.
func TestStmtCacheBound(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	db.rstmts.limit = 3
	db.wstmts.limit = 2
	for round := 0; round < 3; round++ {
		for k := 0; k < 10; k++ {
			var got int
			if err := db.Get(ctx, &got, fmt.Sprintf(`SELECT ? + %d`, k), 100); err != nil {
				t.Fatal(err)
			}
			if got != 100+k {
				t.Fatalf("SELECT ? + %d: %d", k, got)
			}
		}
		err := db.InTx(ctx, func(tx *Tx) error {
			for k := 0; k < 5; k++ {
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`INSERT INTO sc (name, n) VALUES (?, %d)`, k), fmt.Sprint(round, "-", k)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		db.wstmts.pending.Wait()
	}
	if ready, entries := scReady(&db.rstmts); ready != 3 || entries != 3 {
		t.Fatalf("reader cache: %d statements, %d entries; want 3, 3", ready, entries)
	}
	if ready, entries := scReady(&db.wstmts); ready != 2 || entries != 2 {
		t.Fatalf("writer cache: %d statements, %d entries; want 2, 2", ready, entries)
	}
	var n int
	if err := db.Get(ctx, &n, scCount); err != nil || n != 15 {
		t.Fatalf("%d rows (%v), want 15", n, err)
	}
}

// TestStmtCacheUniqueViolation: a cached statement's error is the driver's, as uncached.
func TestStmtCacheUniqueViolation(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	scInsertRows(t, db, "x")
	scCached(t, db, scInsert)
	err := db.InTx(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, scInsert, "x", 1)
		return err
	})
	if !isUniqueViolation(err) {
		t.Fatalf("duplicate in a transaction: %v, not a unique violation", err)
	}
	// Outside a transaction (DB.exec), and the statement works again afterwards.
	if _, err := db.exec(ctx, scInsert, "y", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := db.exec(ctx, scInsert, "y", 3); !isUniqueViolation(err) {
		t.Fatalf("duplicate outside a transaction: %v, not a unique violation", err)
	}
	if _, err := db.exec(ctx, scInsert, "z", 4); err != nil {
		t.Fatal(err)
	}
	scInsertRows(t, db, "w")
	var names []string
	if err := db.Select(ctx, &names, `SELECT name FROM sc ORDER BY id`); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(names, []string{"x", "y", "z", "w"}) {
		t.Fatalf("rows %q", names)
	}
}

// TestStmtCacheRollback: a cached statement run in a rolled-back transaction leaves no row,
// stays prepared and works in the next one.
func TestStmtCacheRollback(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	scInsertRows(t, db, "first")
	stmt := scCached(t, db, scInsert)
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, scInsert, "gone", 1); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM sc WHERE name = 'gone'`); err != nil || n != 1 {
		t.Fatalf("inside the transaction: %d rows (%v), want 1", n, err)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM sc WHERE name = 'gone'`); err != nil || n != 0 {
		t.Fatalf("after the rollback: %d rows (%v), want 0", n, err)
	}
	scInsertRows(t, db, "gone")
	if err := db.Get(ctx, &n, scCount); err != nil || n != 2 {
		t.Fatalf("%d rows (%v), want 2", n, err)
	}
	if scCached(t, db, scInsert) != stmt {
		t.Fatal("the insert was prepared again")
	}
}

// TestStmtCacheOpenRows: while a transaction's rows of a cached text are open, the same text
// runs uncached in it and does not disturb them.
func TestStmtCacheOpenRows(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	scInsertRows(t, db, scNames("r", 10)...)
	var ids []int
	_ = db.InTx(ctx, func(tx *Tx) error { return tx.SelectContext(ctx, &ids, scIDs, 1) })
	scCached(t, db, scIDs)
	err := db.InTx(ctx, func(tx *Tx) error {
		rows, err := tx.QueryxContext(ctx, scIDs, 1)
		if err != nil {
			return err
		}
		defer rows.Close()
		var outer []int
		for rows.Next() {
			var id int
			if err := rows.Scan(&id); err != nil {
				return err
			}
			outer = append(outer, id)
			var inner []int
			if err := tx.SelectContext(ctx, &inner, scIDs, id); err != nil {
				return err
			}
			if len(inner) != 11-id || inner[0] != id {
				return fmt.Errorf("inner query from %d: %v", id, inner)
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if !slices.Equal(outer, ids) {
			return fmt.Errorf("outer rows %v, want %v", outer, ids)
		}
		// Closed (Next returned false): the cached statement serves the text again.
		if s, _ := tx.db.writeStmt(scIDs); s == nil {
			return fmt.Errorf("the statement is still taken after its rows were closed")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestStmtCacheConcurrent: readers on the reader pool while writer transactions run, all
// through cached statements (go test -race).
func TestStmtCacheConcurrent(t *testing.T) {
	db := scOpen(t)
	ctx := context.Background()
	scInsertRows(t, db, "seed")
	var n int
	_ = db.InTx(ctx, func(tx *Tx) error { return tx.GetContext(ctx, &n, scCount) })
	scCached(t, db, scInsert)
	scCached(t, db, scCount)

	const writers, txs, readers = 4, 50, 8
	done := make(chan struct{})
	errs := make(chan error, writers+readers)
	var wg, rg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < txs; i++ {
				err := db.InTx(ctx, func(tx *Tx) error {
					var before, after int
					if err := tx.GetContext(ctx, &before, scCount); err != nil {
						return err
					}
					for j := 0; j < 3; j++ {
						if _, err := tx.ExecContext(ctx, scInsert, fmt.Sprintf("w%d-%d-%d", w, i, j), i); err != nil {
							return err
						}
					}
					if err := tx.GetContext(ctx, &after, scCount); err != nil {
						return err
					}
					if after != before+3 {
						return fmt.Errorf("count %d after 3 inserts on %d", after, before)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for r := 0; r < readers; r++ {
		rg.Add(1)
		go func() {
			defer rg.Done()
			last := 0
			for {
				select {
				case <-done:
					return
				default:
				}
				var n int
				if err := db.Get(ctx, &n, scCount); err != nil {
					errs <- err
					return
				}
				if n < last || (n-1)%3 != 0 {
					errs <- fmt.Errorf("reader saw %d rows after %d", n, last)
					return
				}
				last = n
				var names []string
				if err := db.Select(ctx, &names, scFrom, txs-1); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(done)
	rg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := db.Get(ctx, &n, scCount); err != nil || n != 1+writers*txs*3 {
		t.Fatalf("%d rows (%v), want %d", n, err, 1+writers*txs*3)
	}
}

// TestStmtCacheClose: DB.Close ends a preparation still waiting for the writer (held here by
// an open transaction) and closes the cached statements.
func TestStmtCacheClose(t *testing.T) {
	db := scOpenNoCleanup(t)
	ctx := context.Background()
	var n int
	if err := db.Get(ctx, &n, scCount); err != nil {
		t.Fatal(err)
	}
	tx, err := db.BeginTx(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, scInsert, "a", 1); err != nil { // starts its preparation
		t.Fatal(err)
	}
	closed := make(chan error, 1)
	go func() { closed <- db.Close() }()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("DB.Close did not return")
	}
	tx.Rollback()
	for _, c := range []*stmtCache{&db.wstmts, &db.rstmts} {
		if ready, _ := scReady(c); ready != 0 {
			t.Fatalf("%d statements left after Close", ready)
		}
	}
}

// TestStmtCacheMySQL: nothing is cached on MySQL.
func TestStmtCacheMySQL(t *testing.T) {
	if os.Getenv("UNIONBOT_TEST_MYSQL") == "off" {
		t.Skip("UNIONBOT_TEST_MYSQL=off")
	}
	dsn := os.Getenv("UNIONBOT_TEST_MYSQL_DSN")
	if dsn == "" {
		dsn = "root@tcp(127.0.0.1:3306)/"
	}
	ctx := context.Background()
	db, err := Open(ctx, MySQL, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < 3; i++ {
		var got int
		if err := db.Get(ctx, &got, `SELECT ? + 1`, i); err != nil || got != i+1 {
			t.Fatalf("SELECT ? + 1: %d, %v", got, err)
		}
		err := db.InTx(ctx, func(tx *Tx) error {
			if err := tx.GetContext(ctx, &got, `SELECT ? + 2`, i); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `DO ?`, i)
			return err
		})
		if err != nil || got != i+2 {
			t.Fatalf("in a transaction: %d, %v", got, err)
		}
	}
	db.wstmts.pending.Wait()
	for _, c := range []*stmtCache{&db.wstmts, &db.rstmts} {
		if _, entries := scReady(c); entries != 0 {
			t.Fatalf("%d entries in a MySQL cache", entries)
		}
	}
}
