package cli

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestBackupWhileWriting: `unionbot backup -o FILE` copies the SQLite database while another
// connection keeps writing; the copy opens, passes integrity_check, and holds a consistent
// snapshot: every row written before the backup began, and of the rows written during it an
// unbroken run (no row without the rows before it).
func TestBackupWhileWriting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "unionbot.db")
	environ := []string{"UNIONBOT_DATABASE_DSN=" + path}
	if code, _, errb := cli(t, environ, "migrate"); code != 0 {
		t.Fatalf("migrate: %s", errb)
	}
	db, err := store.Open(ctx, store.SQLite, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	write := func(i int) error {
		return db.InTx(ctx, func(tx *store.Tx) error { return tx.Audit(ctx, "writer", "backup", fmt.Sprint(i), "write", "") })
	}
	for i := 1; i <= 200; i++ {
		if err := write(i); err != nil {
			t.Fatal(err)
		}
	}
	var n atomic.Int64
	n.Store(200)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 201; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if err := write(i); err != nil {
				t.Error(err)
				return
			}
			n.Store(int64(i))
		}
	}()
	time.Sleep(20 * time.Millisecond)
	out := filepath.Join(dir, "backup.db")
	code, stdout, errb := cli(t, environ, "backup", "-o", out)
	time.Sleep(20 * time.Millisecond)
	close(stop)
	wg.Wait()
	if code != 0 || !strings.Contains(stdout, "integrity check: ok") {
		t.Fatalf("backup: %d %s %s", code, stdout, errb)
	}
	if code, _, errb := cli(t, environ, "backup", "-o", out); code != 1 || !strings.Contains(errb, "already exists") {
		t.Errorf("a second backup to the same file: %d %s", code, errb)
	}

	// The restore: the copy is a database unionbot opens as it is.
	cp, err := store.Open(ctx, store.SQLite, out)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if res, err := cp.IntegrityCheck(ctx); err != nil || res != "ok" {
		t.Fatalf("integrity_check of the copy: %q %v", res, err)
	}
	var ids []string
	if err := cp.Select(ctx, &ids, `SELECT entity_id FROM audit_log WHERE actor = 'writer'`); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		seen[id] = true
	}
	copied := len(ids)
	if copied < 200 || int64(copied) > n.Load() {
		t.Fatalf("the copy holds %d rows; 200 were written before the backup, %d in all", copied, n.Load())
	}
	for i := 1; i <= copied; i++ {
		if !seen[fmt.Sprint(i)] {
			t.Fatalf("the copy holds %d rows but not row %d: not one snapshot", copied, i)
		}
	}
	if code, _, errb := cli(t, []string{"UNIONBOT_DATABASE_DSN=" + out}, "migrate"); code != 0 {
		t.Errorf("unionbot on the restored copy: %s", errb)
	}
	t.Logf("backup while writing: %d of %d rows in the copy", copied, n.Load())
}

// TestBackupRefusesMySQL: on MySQL, backup says to use mariadb-dump.
func TestBackupRefusesMySQL(t *testing.T) {
	if !contains(storetest.Dialects(), store.MySQL) {
		return // UNIONBOT_TEST_MYSQL=off: the MariaDB leg is off on this machine
	}
	dsn := storetest.CreateMySQLDatabase(t)
	code, _, errb := cli(t, []string{"UNIONBOT_DATABASE_DRIVER=mysql", "UNIONBOT_DATABASE_DSN=" + dsn}, "backup", "-o", filepath.Join(t.TempDir(), "x"))
	if code != 1 || !strings.Contains(errb, "mariadb-dump --single-transaction") {
		t.Errorf("backup on MySQL: %d %s", code, errb)
	}
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
