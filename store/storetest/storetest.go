// Package storetest gives tests a fresh, migrated database: a SQLite file in a temporary
// directory, or a new MariaDB/MySQL database created for the test and dropped after it.
//
// The MySQL leg is required: it runs against UNIONBOT_TEST_MYSQL_DSN (default
// "root@tcp(127.0.0.1:3306)/", the server's root without a database) and a test fails when
// that server cannot be reached. Set UNIONBOT_TEST_MYSQL=off to leave it out on a machine
// without MariaDB; CI never does.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
)

// Dialects returns the dialects a store test runs on: sqlite and, unless explicitly turned
// off, mysql.
func Dialects() []string {
	if os.Getenv("UNIONBOT_TEST_MYSQL") == "off" {
		return []string{store.SQLite}
	}
	return []string{store.SQLite, store.MySQL}
}

// Each runs f as a subtest once per dialect, each with its own fresh database.
func Each(t *testing.T, f func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, d := range Dialects() {
		t.Run(d, func(t *testing.T) {
			f(t, Open(t, d))
		})
	}
}

// MySQLServerDSN is the DSN of the test MySQL server (without a database name).
func MySQLServerDSN() string {
	if dsn := os.Getenv("UNIONBOT_TEST_MYSQL_DSN"); dsn != "" {
		return dsn
	}
	return "root@tcp(127.0.0.1:3306)/"
}

// Open returns a fresh migrated database of the dialect, closed (and for MySQL dropped) when
// the test ends.
func Open(t testing.TB, dialect string) *store.DB {
	t.Helper()
	db, _ := OpenDSN(t, dialect)
	return db
}

// OpenDSN is Open that also returns the DSN, for tests that start the whole binary on it.
func OpenDSN(t testing.TB, dialect string) (*store.DB, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var dsn string
	switch dialect {
	case store.SQLite:
		dsn = filepath.Join(t.TempDir(), "unionbot.db")
	case store.MySQL:
		dsn = CreateMySQLDatabase(t)
	default:
		t.Fatalf("storetest: unknown dialect %q", dialect)
	}
	db, err := store.Open(ctx, dialect, dsn)
	if err != nil {
		t.Fatalf("storetest: open %s: %v", dialect, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := schema.Migrate(ctx, db.SQL(), dialect); err != nil {
		t.Fatalf("storetest: migrate %s: %v", dialect, err)
	}
	return db, dsn
}

// CreateMySQLDatabase creates an empty database with a random name on the test server,
// drops it when the test ends, and returns its DSN. It fails the test when the server is
// unreachable: the MySQL leg is never skipped silently.
func CreateMySQLDatabase(t testing.TB) string {
	t.Helper()
	cfg, err := mysql.ParseDSN(MySQLServerDSN())
	if err != nil {
		t.Fatalf("storetest: UNIONBOT_TEST_MYSQL_DSN: %v", err)
	}
	cfg.DBName = ""
	root, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatalf("storetest: %v", err)
	}
	defer root.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := root.PingContext(ctx); err != nil {
		t.Fatalf("storetest: MariaDB/MySQL at %s is not reachable (%v). Start it, point UNIONBOT_TEST_MYSQL_DSN at one, or set UNIONBOT_TEST_MYSQL=off to run the SQLite leg only.", cfg.Addr, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "unionbot_test_" + hex.EncodeToString(b)
	if _, err := root.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("storetest: create database: %v", err)
	}
	t.Cleanup(func() {
		r, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			return
		}
		defer r.Close()
		r.Exec("DROP DATABASE IF EXISTS " + name)
	})
	cfg.DBName = name
	return cfg.FormatDSN()
}
