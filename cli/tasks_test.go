package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
)

// TestTasksCommand seeds the 2024 tasks twice (the second time changes nothing), refuses a
// malformed file naming its line, and imports a file with -allow-past.
func TestTasksCommand(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "t.db")
	env := []string{"UNIONBOT_DATABASE_DSN=" + dsn}
	code, out, errOut := cli(t, env, "tasks", "seed", "2024", "-config", "")
	if code != 0 || !strings.Contains(out, "新建 10 项任务") || !strings.Contains(out, "隆重开展庆祝三八国际劳动妇女节系列活动") {
		t.Fatalf("seed: %d\n%s\n%s", code, out, errOut)
	}
	if !strings.Contains(out, "提示：10 项任务还没有责任人") || !strings.Contains(out, "点「指定责任人 / 时限 / 节点」") || !strings.Contains(out, "tasks import -f") {
		t.Errorf("seed should say the tasks have no owners and how to assign them:\n%s", out)
	}
	if code, out, _ := cli(t, env, "tasks", "seed", "2024", "-config", ""); code != 0 || !strings.Contains(out, "10 项已存在未改动") || !strings.Contains(out, "没有任何改动") {
		t.Errorf("second seed: %d\n%s", code, out)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("year: 2023\ntasks:\n  - number: 1\n    title: 好\n    deadline: 2023-12-31\n  - numbr: 2\n"), 0o644)
	code, _, errOut = cli(t, env, "tasks", "import", "-f", bad, "-config", "")
	if code != 1 || !strings.Contains(errOut, "第 6 行：未知的字段「numbr」") || !strings.Contains(errOut, "未导入任何任务") {
		t.Errorf("bad file: %d\n%s", code, errOut)
	}
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("year: 2023\ntasks:\n  - number: 1\n    title: 好\n    deadline: 2023-12-31\n"), 0o644)
	if code, _, errOut := cli(t, env, "tasks", "import", "-f", good, "-config", ""); code != 1 || !strings.Contains(errOut, "已经过去") {
		t.Errorf("past deadline: %d\n%s", code, errOut)
	}
	if code, out, errOut := cli(t, env, "tasks", "import", "-f", good, "-allow-past", "-config", ""); code != 0 || !strings.Contains(out, "2023 年：新建 1 项任务") {
		t.Errorf("import -allow-past: %d\n%s\n%s", code, out, errOut)
	}
	if code, _, errOut := cli(t, env, "tasks", "import", "-config", ""); code != 2 || !strings.Contains(errOut, "tasks import -f FILE") {
		t.Errorf("no file: %d %s", code, errOut)
	}
	db, err := store.Open(context.Background(), store.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	db.Get(context.Background(), &n, `SELECT COUNT(*) FROM tasks`)
	if n != 11 {
		t.Errorf("tasks = %d, want 11", n)
	}
}

// A task job that enqueued nothing says why when the year's tasks have nobody to remind (no
// owner, or owners who never messaged the bot), and how to assign them; it says nothing when
// every open task has a reachable owner or for a year without tasks.
func TestTaskJobsOwnersHint(t *testing.T) {
	dir := t.TempDir()
	dsn := filepath.Join(dir, "t.db")
	env := []string{"UNIONBOT_DATABASE_DSN=" + dsn}
	if code, out, errOut := cli(t, env, "tasks", "seed", "2024", "-config", ""); code != 0 {
		t.Fatalf("seed: %d\n%s\n%s", code, out, errOut)
	}
	const noOwner = "10 open tasks of 2024 have no responsible member (责任人)"
	code, out, errOut := cli(t, env, "jobs", "run", "tasks.deadlines", "-at", "2024-12-20T10:00", "-config", "")
	if code != 0 || !strings.Contains(out, "tasks.deadlines at 2024-12-20 10:00:00: ok, 0 reminders enqueued") ||
		!strings.Contains(out, noOwner) || !strings.Contains(out, "指定责任人") || !strings.Contains(out, "tasks import -f FILE") {
		t.Errorf("deadlines without owners: %d\n%s\n%s", code, out, errOut)
	}
	// the chair's digest does not go to owners; a year without tasks has nothing to say
	if code, out, _ := cli(t, env, "jobs", "run", "tasks.digest", "-at", "2024-12-20T10:00", "-config", ""); code != 0 || strings.Contains(out, "responsible") {
		t.Errorf("digest: %d\n%s", code, out)
	}
	if code, out, _ := cli(t, env, "jobs", "run", "tasks.monthly", "-at", "2025-12-20T10:00", "-config", ""); code != 0 || !strings.Contains(out, "0 reminders enqueued") || strings.Contains(out, "responsible") {
		t.Errorf("a year without tasks: %d\n%s", code, out)
	}

	// Owners from the sample roster have not messaged the bot yet.
	dsn = filepath.Join(dir, "u.db")
	env = []string{"UNIONBOT_DATABASE_DSN=" + dsn}
	if code, out, errOut := cli(t, env, "members", "import", "../examples/roster.csv", "-config", ""); code != 0 {
		t.Fatalf("roster: %d\n%s\n%s", code, out, errOut)
	}
	code, out, errOut = cli(t, env, "tasks", "import", "-f", "../examples/tasks-2024.yaml", "-allow-past", "-config", "")
	if code != 0 || !strings.Contains(out, "提示：3 项任务的责任人还没有给机器人发过消息") || strings.Contains(out, "还没有责任人") {
		t.Errorf("import with silent owners: %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = cli(t, env, "jobs", "run", "tasks.monthly", "-at", "2024-12-20T10:00", "-config", "")
	if code != 0 || !strings.Contains(out, "3 open tasks of 2024 have only responsible members who never messaged the bot") || strings.Contains(out, "no responsible member") {
		t.Errorf("monthly with silent owners: %d\n%s", code, out)
	}
	// Once every member has an open_id, there is nothing to explain.
	db, err := store.Open(context.Background(), store.SQLite, dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.SQL().ExecContext(context.Background(), `UPDATE members SET open_id = 'ou_' || id`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if code, out, _ := cli(t, env, "jobs", "run", "tasks.monthly", "-at", "2024-12-21T10:00", "-config", ""); code != 0 || strings.Contains(out, "responsible") {
		t.Errorf("monthly with reachable owners: %d\n%s", code, out)
	}
}
