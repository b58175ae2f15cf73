package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
)

func TestMembersImportAndRolesFromTheCommandLine(t *testing.T) {
	dir := t.TempDir()
	env := []string{"UNIONBOT_DATABASE_DSN=" + filepath.Join(dir, "u.db")}
	csv := filepath.Join(dir, "roster.csv")
	os.WriteFile(csv, []byte("姓名,工号,分工会,性别,手机\n张三,000123,信息工程学院分工会,男,13812341234\n李四,000124,机关分工会,女,12345\n"), 0o600)

	// Flags after the arguments; a dry run first.
	code, out, errOut := cli(t, env, "members", "import", csv, "-dry-run")
	if code != 0 || !strings.Contains(out, "试运行") {
		t.Fatalf("dry run: %d\n%s\n%s", code, out, errOut)
	}
	db, err := store.Open(context.Background(), store.SQLite, filepath.Join(dir, "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n, _ := db.CountMembers(context.Background()); n != 0 {
		t.Fatalf("dry run imported %d members", n)
	}
	code, out, errOut = cli(t, env, "members", "import", csv)
	if code != 0 {
		t.Fatalf("import: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "第 3 行") || !strings.Contains(out, "手机") {
		t.Errorf("report does not name the bad row:\n%s", out)
	}
	if n, _ := db.CountMembers(context.Background()); n != 1 {
		t.Errorf("imported %d members, want 1 (the good row)", n)
	}
	if code, _, errOut := cli(t, env, "members", "import", filepath.Join(dir, "missing.xlsx")); code != 1 || errOut == "" {
		t.Errorf("missing file: %d %s", code, errOut)
	}
	// A file that is not a roster is refused in the user's words, without Go's prefixes.
	notRoster := filepath.Join(dir, "notes.csv")
	os.WriteFile(notRoster, []byte("会议,时间\n教代会,周五\n"), 0o600)
	if code, _, errOut := cli(t, env, "members", "import", notRoster); code != 1 || !strings.Contains(errOut, "表头") ||
		strings.Contains(errOut, "roster.") || strings.Contains(errOut, "invalid") {
		t.Errorf("not a roster: %d %s", code, errOut)
	}
	if code, _, _ := cli(t, env, "members", "export"); code != 2 {
		t.Errorf("members export: code %d, want 2 (usage)", code)
	}

	code, out, errOut = cli(t, env, "roles", "grant", "000123", "工会干事")
	if code != 0 || !strings.Contains(out, "done") {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}
	code, out, _ = cli(t, env, "roles", "list", "-config", "")
	if code != 0 || !strings.Contains(out, "officer") || !strings.Contains(out, "张三") || !strings.Contains(out, "cli:") {
		t.Errorf("list: %d\n%s", code, out)
	}
	if code, _, errOut := cli(t, env, "roles", "grant", "000123", "pope"); code != 1 || !strings.Contains(errOut, "unknown role") {
		t.Errorf("bad role: %d %s", code, errOut)
	}
	if code, out, _ := cli(t, env, "migrate"); code != 0 || !strings.Contains(out, "database at version") {
		t.Errorf("migrate: %d %s", code, out)
	}
}

// `members list` shows every member with their open_id, newest first, in columns aligned by
// display width; the sample roster imports cleanly.
func TestMembersList(t *testing.T) {
	dir := t.TempDir()
	env := []string{"UNIONBOT_DATABASE_DSN=" + filepath.Join(dir, "u.db")}
	if code, out, errOut := cli(t, env, "members", "import", "../examples/roster.csv"); code != 0 || !strings.Contains(out, "40") {
		t.Fatalf("import the sample roster: %d\n%s\n%s", code, out, errOut)
	}
	db, err := store.Open(context.Background(), store.SQLite, filepath.Join(dir, "u.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// A first-time sender, as the bot registers them: an open_id and a placeholder name.
	err = db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.CreateMember(context.Background(), &store.Member{OpenID: "ou_newcomer", Name: "新成员", Active: true, Placeholder: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, out, errOut := cli(t, env, "roles", "grant", "0001", "管理员"); code != 0 {
		t.Fatalf("grant: %d %s %s", code, out, errOut)
	}
	code, out, errOut := cli(t, env, "members", "list")
	if code != 0 {
		t.Fatalf("list: %d %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 42 || !strings.HasPrefix(lines[1], "新成员") || !strings.HasSuffix(lines[1], "ou_newcomer") {
		t.Fatalf("list:\n%s", out)
	}
	// Aligned by display width: the open_id column starts at the same column on every line.
	col := func(line, field string) int { return displayWidth(line[:strings.Index(line, field)]) }
	want := col(lines[0], "OPEN_ID")
	if got := col(lines[1], "ou_"); got != want {
		t.Errorf("misaligned (%d, want %d):\n%s\n%s", got, want, lines[0], lines[1])
	}
	// and the roles column after a branch name of any width
	want = col(lines[0], "ROLES")
	var admins int
	for _, l := range lines[2:] {
		if strings.Contains(l, "admin") {
			admins++
			if col(l, "admin") != want {
				t.Errorf("misaligned roles: %q", l)
			}
		}
	}
	if admins != 1 {
		t.Errorf("%d admins listed, want 1:\n%s", admins, out)
	}
}
