package faults

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// mariadb is a MariaDB server of the test's own: its data directory in a temporary directory,
// its own socket and a free port on 127.0.0.1, root without a password (--skip-grant-tables).
// The test stops and starts it at will; the machine's own server is never touched.
type mariadb struct {
	t    *testing.T
	dir  string
	port string
	logs *syncBuffer
	cmd  *exec.Cmd
	done chan struct{}
}

// startMariaDB initialises a data directory (mariadb-install-db) and starts the server on it.
func startMariaDB(t *testing.T) *mariadb {
	t.Helper()
	dir := t.TempDir()
	out, err := exec.Command("mariadb-install-db", "--no-defaults", "--datadir="+filepath.Join(dir, "data"), "--user=root",
		"--auth-root-authentication-method=normal", "--skip-test-db").CombinedOutput()
	if err != nil {
		t.Fatalf("mariadb-install-db (the MariaDB leg needs the MariaDB server installed): %v\n%s", err, out)
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	m := &mariadb{t: t, dir: dir, port: port, logs: &syncBuffer{}}
	m.start()
	t.Cleanup(m.kill)
	return m
}

// start starts mariadbd on the data directory and port, and waits until it answers.
func (m *mariadb) start() {
	m.t.Helper()
	cmd := exec.Command("/usr/sbin/mariadbd", "--no-defaults", "--datadir="+filepath.Join(m.dir, "data"), "--user=root",
		"--bind-address=127.0.0.1", "--port="+m.port, "--socket="+filepath.Join(m.dir, "mariadb.sock"),
		"--pid-file="+filepath.Join(m.dir, "mariadb.pid"), "--skip-grant-tables", "--skip-log-bin",
		"--innodb-buffer-pool-size=32M", "--max-connections=300", "--log-error="+filepath.Join(m.dir, "error.log"))
	cmd.Stdout, cmd.Stderr = m.logs, m.logs
	if err := cmd.Start(); err != nil {
		m.t.Fatalf("mariadbd: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	m.cmd, m.done = cmd, done
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			b, _ := os.ReadFile(filepath.Join(m.dir, "error.log"))
			m.t.Fatalf("mariadbd exited at start:\n%s\n%s", m.logs.String(), tail(string(b), 30))
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	m.t.Fatalf("mariadbd did not answer within 60 s: %v", err)
}

// kill stops the server the hard way (SIGKILL, as a crash or a power cut of the database
// host does) and waits until it is gone: its port refuses connections.
func (m *mariadb) kill() {
	if m.cmd == nil {
		return
	}
	m.cmd.Process.Signal(syscall.SIGKILL)
	<-m.done
	m.cmd = nil
}

// dsn is the DSN of database name on the server ("" for none).
func (m *mariadb) dsn(name string) string {
	cfg := mysql.NewConfig()
	cfg.User, cfg.Net, cfg.Addr, cfg.DBName = "root", "tcp", "127.0.0.1:"+m.port, name
	return cfg.FormatDSN()
}

// createDatabase creates an empty database and returns its DSN.
func (m *mariadb) createDatabase(name string) string {
	m.t.Helper()
	db, err := sql.Open("mysql", m.dsn(""))
	if err != nil {
		m.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("CREATE DATABASE %s CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci", name)); err != nil {
		m.t.Fatal(err)
	}
	return m.dsn(name)
}
