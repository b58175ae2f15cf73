package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestActivitiesCLI(t *testing.T) {
	dir := t.TempDir()
	env := []string{"UNIONBOT_DATABASE_DSN=" + filepath.Join(dir, "a.db"), "UNIONBOT_SIGNUP_DEFAULT_CHATS=oc_union"}
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	example, err := os.ReadFile("../examples/activity-badminton.yaml")
	if err != nil {
		t.Fatal(err)
	}

	// A malformed second activity: the line is named and nothing is created, not even the first.
	bad := write("bad.yaml", string(example)+"---\ntitle: 第二个\nkind: sport\nsignup_opens: 2024-04-01 09:00\nsignup_closes: 2024-04-10 09:00\nstart: 2024-05-01 14:00\nend: 2024-05-01 13:00\n")
	code, _, errOut := cli(t, env, "activities", "create", "-f", bad, "-publish", "-config", "")
	endLine := strings.Count(string(example), "\n") + 7
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("bad.yaml: 第 %d 行：结束时间必须晚于开始时间", endLine)) || !strings.Contains(errOut, "nothing was created") {
		t.Errorf("bad file: code %d\n%s", code, errOut)
	}
	unknownBranch := write("branch.yaml", strings.Replace(string(example), "branches: []", "branches: [没有这个分工会]", 1))
	if code, _, errOut := cli(t, env, "activities", "create", "-allow-past", "-f", unknownBranch, "-config", ""); code != 1 || !strings.Contains(errOut, "没有名为「没有这个分工会」的分工会") {
		t.Errorf("unknown branch: code %d\n%s", code, errOut)
	}
	if code, out, _ := cli(t, env, "activities", "list", "-config", ""); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("after refused files the list should be empty: %d\n%s", code, out)
	}

	// The committed example lies in the past: refused, naming what is past, unless -allow-past.
	code, out, errOut := cli(t, env, "activities", "create", "-f", "../examples/activity-badminton.yaml", "-config", "")
	if code != 1 || out != "" || !strings.Contains(errOut, "活动「2024年教职工羽毛球比赛」的开始时间 2024-04-20 14:00 已经过去") ||
		!strings.Contains(errOut, "-allow-past") || !strings.Contains(errOut, "nothing was created") {
		t.Errorf("past example: code %d\n%s%s", code, out, errOut)
	}
	// sign-up closed but the start still ahead is refused too
	closed := write("closed.yaml", strings.NewReplacer("start: 2024-04-20 14:00", "start: 2099-04-20 14:00", "end: 2024-04-20 18:00", "end: 2099-04-20 18:00",
		"cancel_deadline: 2024-04-18 18:00", "cancel_deadline: 2099-04-18 18:00").Replace(string(example)))
	if code, _, errOut := cli(t, env, "activities", "create", "-publish", "-f", closed, "-config", ""); code != 1 || !strings.Contains(errOut, "的报名截止时间 2024-04-15 18:00 已经过去") {
		t.Errorf("closed sign-up: code %d\n%s", code, errOut)
	}
	if code, out, _ := cli(t, env, "activities", "list", "-config", ""); code != 0 || strings.Count(out, "\n") != 1 {
		t.Errorf("after past files the list should be empty: %d\n%s", code, out)
	}

	// The committed example as a draft (-allow-past), then another with -publish.
	code, out, errOut = cli(t, env, "activities", "create", "-allow-past", "-f", "../examples/activity-badminton.yaml", "-config", "")
	if code != 0 || out != "created activity 1 2024年教职工羽毛球比赛 (draft)\n" {
		t.Errorf("create: code %d\n%s%s", code, out, errOut)
	}
	// Running a file again says what exists and creates nothing, not even its new activities.
	again := write("again.yaml", string(example)+"---\n"+strings.Replace(string(example), "title: 2024年教职工羽毛球比赛", "title: 2024年教职工乒乓球比赛", 1))
	code, out, errOut = cli(t, env, "activities", "create", "-allow-past", "-f", again, "-config", "")
	if code != 1 || out != "" || !strings.Contains(errOut, "活动「2024年教职工羽毛球比赛」（2024-04-20 14:00 开始）已经存在（活动 1）") ||
		strings.Contains(errOut, "乒乓球") || !strings.Contains(errOut, "nothing was created") {
		t.Errorf("create again: code %d\n%s%s", code, out, errOut)
	}
	twice := write("twice.yaml", strings.ReplaceAll(string(example)+"---\n"+string(example), "羽毛球", "网球"))
	if code, _, errOut := cli(t, env, "activities", "create", "-allow-past", "-f", twice, "-config", ""); code != 1 || !strings.Contains(errOut, "活动「2024年教职工网球比赛」（2024-04-20 14:00 开始）在文件里出现了两次") {
		t.Errorf("twice in a file: code %d\n%s", code, errOut)
	}
	second := write("second.yaml", strings.Replace(string(example), "title: 2024年教职工羽毛球比赛", "title: 2024年教职工羽毛球比赛（第二场）", 1))
	code, out, errOut = cli(t, env, "activities", "create", "-publish", "-allow-past", "-f", second, "-config", "")
	if code != 0 || !strings.Contains(out, "created activity 2 2024年教职工羽毛球比赛（第二场） (open)") {
		t.Errorf("create -publish: code %d\n%s%s", code, out, errOut)
	}
	code, out, _ = cli(t, env, "activities", "list", "-config", "")
	if code != 0 || !strings.Contains(out, "2024-04-20 14:00") || !strings.Contains(out, "draft") || !strings.Contains(out, "open") {
		t.Errorf("list: %d\n%s", code, out)
	}
	// Aligned by display width: the STARTS column begins at the same column after a Chinese title.
	lines := strings.Split(strings.TrimSpace(out), "\n")
	col := func(line, field string) int { return displayWidth(line[:strings.Index(line, field)]) }
	if len(lines) != 3 || col(lines[1], "2024-04-20 14:00") != col(lines[0], "STARTS") || col(lines[2], "2024-04-20 14:00") != col(lines[0], "STARTS") {
		t.Errorf("list misaligned:\n%s", out)
	}
	if code, _, errOut := cli(t, env, "activities", "create", "-config", ""); code != 2 || !strings.Contains(errOut, "needs -f FILE") {
		t.Errorf("no file: %d %s", code, errOut)
	}
}
