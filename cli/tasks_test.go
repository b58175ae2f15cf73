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
