package proposals_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// FuzzProposalFiles reads any bytes as a session file or a departments file, into SQLite: no
// panic, and a file refused leaves nothing written. (The proposal forms themselves are fuzzed
// through the router by app.FuzzCardAction.)
func FuzzProposalFiles(f *testing.F) {
	for _, name := range []string{"../../examples/proposal-session.yaml", "../../examples/departments.yaml"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, strings.Contains(name, "departments"))
	}
	for _, s := range []string{"", "name: x\n", "name: x\ncode: 4-3\nopens: 2027-03-01 08:00\ncloses: 2027-02-01 08:00\ncongress: 2027-04-15\n",
		"name: x\ncode: 4-3\nopens: 2027-03-01 08:00\ncloses: 2027-03-31 18:00\ncongress: 2027-04-15\nmin_cosigners: -1\ncategories: []\n",
		"min_cosigners: 99999999999999999999\n", "departments:\n  - name: 教务处\n    contacts: [\"9999\", 1, null]\n",
		"departments:\n  - name: \"\"\n", "departments:\n  - name: a\n  - name: a\n", "&a [*a]", "departments: {x: 1}\n"} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	db := storetest.Open(f, "sqlite")
	for i, no := range []string{"0001", "0102", "0103", "0104", "0501"} {
		handlertest.NewMember(f, db, handlertest.Person{OpenID: fmt.Sprintf("ou_fuzz_%d", i), Name: fmt.Sprintf("成员%d", i), EmployeeNo: no})
	}
	ctx := context.Background()
	tables := []string{"proposal_sessions", "departments", "department_contacts", "member_roles", "audit_log"}
	f.Fuzz(func(t *testing.T, data []byte, departments bool) {
		before := fingerprint(t, db, tables...)
		var err error
		if departments {
			_, _, err = proposals.ImportDepartments(ctx, db, bytes.NewReader(data), "cli:fuzz")
		} else {
			_, err = proposals.CreateSessionFromYAML(ctx, db, bytes.NewReader(data), shanghai, "cli:fuzz")
		}
		if err == nil {
			return
		}
		if msg := err.Error(); msg == "" || strings.Contains(msg, "yaml:") {
			t.Fatalf("refusal not worded for the officer: %q", msg)
		}
		if after := fingerprint(t, db, tables...); after != before {
			t.Fatalf("a refused file wrote: %s → %s", before, after)
		}
	})
}

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
