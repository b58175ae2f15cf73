package tasks_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// FuzzTasksImport imports any bytes as a year's tasks file into SQLite: no panic, and a file
// it refuses leaves nothing written.
func FuzzTasksImport(f *testing.F) {
	example, err := os.ReadFile("../../examples/tasks-2024.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(example)
	for _, s := range []string{"", "year: 2030\ntasks: []\n", "year: 99999999999999999999\n", "year: 2030\ntasks:\n  - number: 1\n    title: x\n    deadline: 2030-02-30\n",
		"year: 2030\ntasks:\n  - number: 1\n    title: x\n    deadline: 2030-12-31\n    owners: [\"0001\", 7, null]\n    milestones: [{title: a, due: 2030-13-01}]\n",
		"year: 2030\ntasks:\n  - number: 1\n    title: x\n    deadline: 2030-12-31\n  - number: 1\n    title: y\n    deadline: 2030-12-31\n",
		"&a [*a, *a]", "year: 2030\nextra: 1\n", "\x00\xff"} {
		f.Add([]byte(s))
	}
	db := storetest.Open(f, "sqlite")
	member(f, db, "ou_fuzz_owner", "王建国", "0001")
	im := &tasks.Importer{DB: db, Loc: shanghai, Actor: "cli:fuzz"}
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		before := fingerprint(t, db, "tasks", "task_owners", "task_milestones", "task_history", "audit_log")
		_, err := im.ImportOpts(ctx, "fuzz.yaml", bytes.NewReader(data), true)
		if err == nil {
			return
		}
		if msg := err.Error(); msg == "" || strings.Contains(msg, "yaml:") {
			t.Fatalf("refusal not worded for the officer: %q", msg)
		}
		if after := fingerprint(t, db, "tasks", "task_owners", "task_milestones", "task_history", "audit_log"); after != before {
			t.Fatalf("a refused file wrote: %s → %s", before, after)
		}
	})
}

// fingerprint is the row counts of tables.
func fingerprint(t testing.TB, db *store.DB, tables ...string) string {
	var parts []string
	for _, tb := range tables {
		var n int
		if err := db.Get(context.Background(), &n, "SELECT COUNT(*) FROM "+tb); err != nil {
			t.Fatal(err)
		}
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "/")
}
