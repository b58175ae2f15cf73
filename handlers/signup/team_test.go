package signup_test

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// Helpers shared by the flow tests of teams, unit rosters, check-in and the lottery commands
// (team_test.go, unit_test.go, checkin_test.go, lottery_test.go).

// rowsState is every sign-up row that a refusal must leave alone, to compare before and after.
func (h *mh) rowsState() string {
	h.T.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT COALESCE(SUM(id * 7 + member_id * 3 + position), 0) FROM signup_entries`,
		`SELECT COUNT(*) FROM signup_entries WHERE live_member IS NOT NULL`,
		`SELECT COUNT(*) FROM signup_entries WHERE status = 'confirmed'`,
		`SELECT COUNT(*) FROM signup_entries WHERE status = 'waitlisted'`,
		`SELECT COUNT(*) FROM signup_entries WHERE status = 'pending_unit_approval'`,
		`SELECT COUNT(*) FROM signup_entries WHERE checked_in_at IS NOT NULL`,
		`SELECT COALESCE(SUM(lottery_rank), 0) FROM signup_entries`,
		`SELECT COALESCE(SUM(confirmed_count), 0) + COALESCE(SUM(waitlist_seq), 0) * 1000 + COALESCE(SUM(version), 0) * 1000000 FROM activities`,
		`SELECT COUNT(*) FROM activities WHERE lottery_drawn_at IS NOT NULL OR checkin_opened_at IS NOT NULL`,
		`SELECT COALESCE(SUM(confirmed_count), 0) + COALESCE(SUM(waitlist_seq), 0) * 1000 FROM activity_items`,
		`SELECT COUNT(*) FROM signup_teams`,
		`SELECT COUNT(*) FROM signup_teams WHERE live_name IS NOT NULL`,
		`SELECT COUNT(*) FROM signup_invites`,
		`SELECT COUNT(*) FROM signup_invites WHERE status = 'invited'`,
		`SELECT COUNT(*) FROM signup_invites WHERE status = 'accepted'`,
		`SELECT COALESCE(SUM(live_count), 0) FROM signup_branch_counts`,
		`SELECT COUNT(*) FROM outbox WHERE kind <> 'reply'`,
		`SELECT COUNT(*) FROM audit_log`,
	} {
		var n int64
		h.must(h.DB.Get(h.ctx, &n, q))
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "/")
}

// sentTo lists the receivers of 1:1 messages (not replies) whose content contains s, sorted.

// outboxCount counts the 1:1 sends (not replies) to openID.
func (h *mh) outboxCount(openID string) int {
	h.T.Helper()
	var n int
	h.must(h.DB.Get(h.ctx, &n, `SELECT COUNT(*) FROM outbox WHERE kind = 'send' AND receive_id = ?`, openID))
	return n
}

func (h *mh) branchID(name string) int64 {
	h.T.Helper()
	var id int64
	h.must(h.DB.Get(h.ctx, &id, `SELECT id FROM branches WHERE name = ?`, name))
	return id
}

// entryOf is a member's standing entry in an activity (status "" when none).
func (h *mh) entryOf(a *store.Activity, openID string) (id int64, status string, position int) {
	h.T.Helper()
	var rows []struct {
		ID       int64  `db:"id"`
		Status   string `db:"status"`
		Position int    `db:"position"`
	}
	h.must(h.DB.Select(h.ctx, &rows, `SELECT e.id, e.status, e.position FROM signup_entries e JOIN members m ON m.id = e.member_id
		WHERE e.activity_id = ? AND m.open_id = ? AND e.live_member IS NOT NULL`, a.ID, openID))
	if len(rows) == 0 {
		return 0, "", 0
	}
	return rows[0].ID, rows[0].Status, rows[0].Position
}

// refused clicks and checks the answer is a refusal naming want, with every row unchanged.
func (h *mh) refused(t *testing.T, who string, value, form map[string]any, want string) {
	t.Helper()
	before := h.rowsState()
	got := h.Answer(who, value, form)
	if got.Toast.Type == "success" || !strings.Contains(got.Toast.Content, want) {
		t.Errorf("toast %+v, want %q", got.Toast, want)
	}
	if after := h.rowsState(); after != before {
		t.Errorf("database changed: %s → %s", before, after)
	}
}

// refusedSay sends a command and checks the reply names want, with every row unchanged.
func (h *mh) refusedSay(t *testing.T, who, text, want string) {
	t.Helper()
	before := h.rowsState()
	if got := h.Say(who, text); !strings.Contains(got, want) {
		t.Errorf("%s: %.300q, want %q", text, got, want)
	}
	if after := h.rowsState(); after != before {
		t.Errorf("%s: database changed: %s → %s", text, before, after)
	}
}

// runReminders runs the sign-up job at an instant, as a fresh engine would.
func (h *mh) runReminders(at time.Time) {
	h.T.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: h.DB, Loc: shanghai(), Log: log})
	h.must(err)
	h.must(signup.RegisterJobs(e, handlers.Deps{DB: h.DB, Loc: shanghai(), Log: log, Config: config.Default()}))
	h.setNow(at)
	h.must(e.RunJob(h.ctx, signup.JobName, at))
}

// cardValue finds the value object of the first button (or form submit) whose action is name.
func cardValue(t *testing.T, cardJSON, name string) map[string]any {
	t.Helper()
	var doc any
	if err := json.Unmarshal([]byte(cardJSON), &doc); err != nil {
		t.Fatalf("card JSON: %v: %.200s", err, cardJSON)
	}
	var found map[string]any
	var walk func(v any)
	walk = func(v any) {
		if found != nil {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			if x["action"] == name {
				found = x
				return
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		case string:
			// A message's card content is a JSON string inside the outbox row.
			if strings.HasPrefix(x, "{") && strings.Contains(x, name) {
				var inner any
				if json.Unmarshal([]byte(x), &inner) == nil {
					walk(inner)
				}
			}
		}
	}
	walk(doc)
	if found == nil {
		t.Fatalf("no %s button in %.600s", name, cardJSON)
	}
	return found
}

// lastSend is the content of the latest 1:1 send to openID whose content contains s.
func (h *mh) lastSend(openID, s string) string {
	h.T.Helper()
	sent := h.Sent(openID)
	for i := len(sent) - 1; i >= 0; i-- {
		if strings.Contains(sent[i], s) {
			return sent[i]
		}
	}
	h.T.Fatalf("nothing sent to %s containing %q", openID, s)
	return ""
}

func (h *mh) teamID(a *store.Activity, name string) int64 {
	h.T.Helper()
	var id int64
	h.must(h.DB.Get(h.ctx, &id, `SELECT id FROM signup_teams WHERE activity_id = ? AND name = ?`, a.ID, name))
	return id
}

func TestTeamFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "") // member 1: the activity's organiser
		h.member("ou_cap1", "张队长", "机关分工会", "M", "")
		h.member("ou_w1", "李芳", "机关分工会", "F", "")
		h.member("ou_m2", "王强", "机关分工会", "M", "")
		h.member("ou_m3", "赵刚", "机关分工会", "M", "")
		h.member("ou_m4", "钱军", "机关分工会", "M", "")
		h.member("ou_cap2", "孙队长", "体育学院分工会", "M", "")
		h.member("ou_cap3", "周队长", "机关分工会", "F", "")
		jg, ty := h.branchID("机关分工会"), h.branchID("体育学院分工会")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.EntryMode, a.BranchQuota = "气排球比赛", store.ModeTeam, 1
			a.Items = []*store.ActivityItem{{Name: "混合组", TeamMin: 2, TeamMax: 4, MinWomen: 1}}
		})
		item := a.Items[0].ID

		// 组队 gives the captain the team form.
		form := h.Say("ou_cap1", "组队 气排球比赛")
		if !strings.Contains(form, "team_name") || !strings.Contains(form, "signup.team.create") {
			t.Fatalf("team form: %.500s", form)
		}
		create := cardValue(t, form, "signup.team.create")
		teamForm := func(name string, branch int64) map[string]any {
			return map[string]any{"team_name": name, "item": fmt.Sprint(item), "branch": fmt.Sprint(branch)}
		}

		// The captain creates the team: one seat, and the card names what is still missing
		// (too few people, no woman yet).
		got := h.Answer("ou_cap1", create, teamForm("机关一队", jg))
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "队伍“机关一队”已创建，占用 1 个名额") {
			t.Fatalf("create: %+v", got.Toast)
		}
		if c := string(got.Card); !strings.Contains(c, "尚未满足：人数不足：至少 2 人，现有 1 人；女队员不足：至少 1 名，现有 0 名") ||
			!strings.Contains(c, "signup.team.invite") {
			t.Errorf("team card after create: %.800s", c)
		}
		team1 := h.teamID(a, "机关一队")
		if _, st, _ := h.entryOf(a, "ou_cap1"); st != store.EntryConfirmed {
			t.Errorf("captain entry %q", st)
		}
		var teamStatus string
		h.must(db.Get(h.ctx, &teamStatus, `SELECT status FROM signup_teams WHERE id = ?`, team1))
		if teamStatus != store.EntryConfirmed {
			t.Errorf("team status %q", teamStatus)
		}

		// The captain invites two people with the person picker; each gets a 1:1 card.
		invite := cardValue(t, string(got.Card), "signup.team.invite")
		got = h.Answer("ou_cap1", invite, map[string]any{"people": []any{"ou_w1", "ou_m2"}})
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已向 2 人发出邀请") {
			t.Fatalf("invite: %+v", got.Toast)
		}
		if c := string(got.Card); !strings.Contains(c, "李芳（已邀请，待回复）") || !strings.Contains(c, "王强（已邀请，待回复）") {
			t.Errorf("team card after invite: %.800s", c)
		}
		if s := h.SentTo("组队邀请"); fmt.Sprint(s) != "[ou_m2 ou_w1]" {
			t.Errorf("invitation cards went to %v", s)
		}
		cardW1 := h.lastSend("ou_w1", "组队邀请")
		if !strings.Contains(cardW1, "张队长 邀请你加入队伍") {
			t.Errorf("invitation card: %.400s", cardW1)
		}
		acceptW1 := cardValue(t, cardW1, "signup.invite")
		acceptW1["accept"] = true
		declineM2 := cardValue(t, h.lastSend("ou_m2", "组队邀请"), "signup.invite")
		declineM2["accept"] = false

		// Someone else clicking the invitee's button is refused.
		t.Run("someone else's invitation", func(t *testing.T) {
			h.refused(t, "ou_m3", acceptW1, nil, "这份邀请不是发给你的")
		})

		// The invitee accepts by her own click; the captain is told.
		got = h.Answer("ou_w1", acceptW1, nil)
		if got.Toast.Type != "success" || !strings.Contains(string(got.Card), "你已加入队伍“机关一队”（已确认）") {
			t.Errorf("accept: %+v %.300s", got.Toast, got.Card)
		}
		if _, st, _ := h.entryOf(a, "ou_w1"); st != store.EntryConfirmed {
			t.Errorf("invitee entry %q", st)
		}
		if s := h.SentTo("李芳接受了你的邀请"); fmt.Sprint(s) != "[ou_cap1]" {
			t.Errorf("acceptance told %v", s)
		}
		// The other declines; the captain is told, no entry.
		got = h.Answer("ou_m2", declineM2, nil)
		if got.Toast.Type != "info" || !strings.Contains(got.Toast.Content, "已谢绝") {
			t.Errorf("decline: %+v", got.Toast)
		}
		if _, st, _ := h.entryOf(a, "ou_m2"); st != "" {
			t.Errorf("declined invitee has an entry: %q", st)
		}
		if s := h.SentTo("王强谢绝了加入队伍“机关一队”的邀请"); fmt.Sprint(s) != "[ou_cap1]" {
			t.Errorf("decline told %v", s)
		}
		var invites string
		h.must(db.Get(h.ctx, &invites, `SELECT `+concat(db, "status")+` FROM signup_invites WHERE team_id = ?`, team1))
		if invites != "accepted,declined" {
			t.Errorf("invitations: %s", invites)
		}
		// The team now complies: the captain's card has no missing rule.
		got = h.Answer("ou_cap1", map[string]any{"action": "signup.team.show", "team_id": team1, "personal": true}, nil)
		if c := string(got.Card); strings.Contains(c, "尚未满足") || !strings.Contains(c, "李芳 女 队员") {
			t.Errorf("team card after acceptance: %.800s", c)
		}

		// A second team in another 分工会, with an invitation to 赵刚 that he accepts.
		got = h.Answer("ou_cap2", create, teamForm("体育一队", ty))
		if got.Toast.Type != "success" {
			t.Fatalf("second team: %+v", got.Toast)
		}
		team2 := h.teamID(a, "体育一队")
		invite2 := map[string]any{"action": "signup.team.invite", "team_id": team2, "personal": true}
		if got := h.Answer("ou_cap2", invite2, map[string]any{"people": []any{"ou_m3"}}); got.Toast.Type != "success" {
			t.Fatalf("invite to the second team: %+v", got.Toast)
		}
		// 机关一队 invites 钱军, and so does 体育一队: both invitations are open.
		if got := h.Answer("ou_cap1", invite, map[string]any{"people": []any{"ou_m4"}}); got.Toast.Type != "success" {
			t.Fatalf("invite 钱军: %+v", got.Toast)
		}
		if got := h.Answer("ou_cap2", invite2, map[string]any{"people": []any{"ou_m4"}}); got.Toast.Type != "success" {
			t.Fatalf("invite 钱军 to the second team: %+v", got.Toast)
		}
		acceptM3 := cardValue(t, h.lastSend("ou_m3", "组队邀请"), "signup.invite")
		acceptM3["accept"] = true
		if got := h.Answer("ou_m3", acceptM3, nil); got.Toast.Type != "success" {
			t.Fatalf("赵刚 accepts: %+v", got.Toast)
		}
		acceptM4First := cardValue(t, h.lastSend("ou_m4", "加入队伍“**机关一队**”"), "signup.invite")
		acceptM4First["accept"] = true
		acceptM4Second := cardValue(t, h.lastSend("ou_m4", "加入队伍“**体育一队**”"), "signup.invite")
		acceptM4Second["accept"] = true
		if got := h.Answer("ou_m4", acceptM4Second, nil); got.Toast.Type != "success" {
			t.Fatalf("钱军 accepts 体育一队: %+v", got.Toast)
		}

		tests := []struct {
			name  string
			who   string
			value map[string]any
			form  map[string]any
			want  string
		}{
			{"team too big", "ou_cap1", invite, map[string]any{"people": []any{"ou_m2", "ou_cap3"}},
				"队伍最多 4 人（含队长）：现有 2 人、待回复邀请 1 人，不能再邀请 2 人"},
			{"invitee already in another team", "ou_cap1", invite, map[string]any{"people": []any{"ou_m3"}},
				"「赵刚」已在另一支队伍（体育一队）中，每人只能参加一支队伍"},
			{"invitee is another team's captain", "ou_cap1", invite, map[string]any{"people": []any{"ou_cap2"}},
				"「孙队长」已在另一支队伍（体育一队）中"},
			{"accepting a second team", "ou_m4", acceptM4First, nil, "你已在另一支队伍（体育一队）中，每人只能参加一支队伍"},
			{"one team per person: a member creates a team", "ou_w1", create, teamForm("李芳队", jg), "已经报名了（已确认），无需重复报名"},
			{"one team per person: a captain creates another", "ou_cap1", create, teamForm("机关二队", jg), "已经报名了"},
			{"a member's team enters for another 分工会", "ou_cap3", create, teamForm("体育二队", ty), "队伍只能代表队长所在的分工会报名"},
			{"per-分工会 quota", "ou_cap3", create, teamForm("机关二队", jg), "每个分工会在项目“混合组”限报 1 队，你所在的分工会已报满"},
			{"unknown person picked", "ou_cap1", invite, map[string]any{"people": []any{"ou_nobody"}},
				"选中的人里有 1 位还没有使用过工会机器人"},
			{"nobody picked", "ou_cap1", invite, map[string]any{"people": []any{}}, "请选择要邀请的队员"},
			{"not the captain", "ou_w1", invite, map[string]any{"people": []any{"ou_m2"}}, "只有队长可以邀请队员"},
			{"already invited", "ou_cap1", invite, map[string]any{"people": []any{"ou_w1"}}, "「李芳」已在本队或已被邀请"},
			{"answered twice", "ou_w1", acceptW1, nil, "这份邀请已经处理过了（已接受）"},
			{"team name taken", mhOfficer, create, teamForm("体育一队", h.branchID("工会办公室")), "队名“体育一队”在该项目中已被使用"},
			{"no team name", "ou_cap3", create, teamForm("  ", jg), "请填写队名"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) { h.refused(t, tc.who, tc.value, tc.form, tc.want) })
		}
		// A member who is not the captain cannot open the team's management card.
		t.Run("team card of another", func(t *testing.T) {
			h.refused(t, "ou_m3", map[string]any{"action": "signup.team.show", "team_id": team1, "personal": true}, nil, "只有队长可以管理队伍")
		})

		// At close the reminders job checks the rules: 体育一队 (three men) breaks the minimum
		// of women; its captain alone is told, and the organiser's summary names the team.
		h.runReminders(a.SignupClosesAt.Add(time.Minute))
		if s := h.SentTo("你带领的队伍「体育一队」在「气排球比赛」报名截止时不符合规则：女队员不足：至少 1 名，现有 0 名"); fmt.Sprint(s) != "[ou_cap2]" {
			t.Errorf("team rule notice went to %v", s)
		}
		if s := h.SentTo("不符合规则"); fmt.Sprint(s) != "[ou_cap2]" {
			t.Errorf("rule notices went to %v", s)
		}
		if s := h.SentTo("队伍「体育一队」（混合组，体育学院分工会）：女队员不足"); fmt.Sprint(s) != "["+mhOfficer+"]" {
			t.Errorf("summary naming the team went to %v", s)
		}
		// A second run tells nobody again.
		h.runReminders(a.SignupClosesAt.Add(2 * time.Minute))
		if s := h.SentTo("不符合规则"); len(s) != 1 {
			t.Errorf("the rule notice went out %d times", len(s))
		}
		// After the close, invitations are refused with the reason.
		t.Run("invite after close", func(t *testing.T) {
			h.refused(t, "ou_cap1", invite, map[string]any{"people": []any{"ou_m2"}}, "报名已截止")
		})
	})
}

// TestTeamRulesAtClose checks CheckTeamsAtClose directly: size, women, and a quota broken by
// teams that stood before the quota was lowered.
func TestTeamRulesAtClose(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member("ou_r1", "甲", "机关分工会", "M", "")
		h.member("ou_r2", "乙", "机关分工会", "M", "")
		h.member("ou_r3", "丙", "机关分工会", "F", "")
		jg := h.branchID("机关分工会")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.EntryMode = "趣味运动会", store.ModeTeam
			a.Items = []*store.ActivityItem{{Name: "接力", TeamMin: 2, TeamMax: 4, MinWomen: 1}}
		})
		create := map[string]any{"action": "signup.team.create", "activity_id": a.ID, "version": a.Version, "personal": true}
		for i, who := range []string{"ou_r1", "ou_r2", "ou_r3"} {
			got := h.Answer(who, create, map[string]any{"team_name": fmt.Sprintf("队%d", i+1), "item": fmt.Sprint(a.Items[0].ID), "branch": fmt.Sprint(jg)})
			if got.Toast.Type != "success" {
				t.Fatalf("create: %+v", got.Toast)
			}
		}
		h.must(db.InTx(h.ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(h.ctx, `UPDATE activities SET branch_quota = 2 WHERE id = ?`, a.ID)
			return err
		}))
		var probs []store.TeamProblem
		h.must(db.InTx(h.ctx, func(tx *store.Tx) (err error) {
			probs, err = tx.CheckTeamsAtClose(h.ctx, a.ID)
			return err
		}))
		var got []string
		for _, p := range probs {
			got = append(got, p.Name+"("+p.Captain.Name+"):"+strings.Join(signup.TeamProblems(p), ";"))
		}
		want := []string{
			"队1(甲):人数不足：至少 2 人，现有 1 人;女队员不足：至少 1 名，现有 0 名",
			"队2(乙):人数不足：至少 2 人，现有 1 人;女队员不足：至少 1 名，现有 0 名",
			"队3(丙):人数不足：至少 2 人，现有 1 人;超出分工会限额：每个分工会限报 2 队",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("problems:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// concat is GROUP_CONCAT of a column in id order, on both dialects.
func concat(db *store.DB, col string) string {
	if db.Dialect == store.MySQL {
		return "GROUP_CONCAT(" + col + " ORDER BY id SEPARATOR ',')"
	}
	return "GROUP_CONCAT(" + col + ", ',')"
}

// TestTeamWaitlistAndWithdraw: a team created when the seats are gone waits with its members;
// when a captain withdraws a team, its members are told and the waiting team gets the seat,
// everyone in it told once.
func TestTeamWaitlistAndWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.member("ou_a1", "甲队长", "机关分工会", "M", "")
		h.member("ou_a2", "甲队员", "机关分工会", "F", "")
		h.member("ou_b1", "乙队长", "体育学院分工会", "F", "")
		h.member("ou_b2", "乙队员", "体育学院分工会", "M", "")
		h.member("ou_x", "受邀未答", "机关分工会", "M", "")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.EntryMode, a.Capacity = "羽毛球团体赛", store.ModeTeam, 1
			a.Items = []*store.ActivityItem{{Name: "团体", TeamMin: 2, TeamMax: 3}}
		})
		item := a.Items[0].ID
		create := map[string]any{"action": "signup.team.create", "activity_id": a.ID, "version": a.Version, "personal": true}
		newTeam := func(captain, name, branch string) int64 {
			got := h.Answer(captain, create, map[string]any{"team_name": name, "item": fmt.Sprint(item), "branch": fmt.Sprint(h.branchID(branch))})
			if got.Toast.Type != "success" {
				t.Fatalf("create %s: %+v", name, got.Toast)
			}
			return h.teamID(a, name)
		}
		accept := func(who string) {
			v := cardValue(t, h.lastSend(who, "组队邀请"), "signup.invite")
			v["accept"] = true
			if got := h.Answer(who, v, nil); got.Toast.Type != "success" {
				t.Fatalf("%s accepts: %+v", who, got.Toast)
			}
		}
		ta := newTeam("ou_a1", "甲队", "机关分工会")
		h.Answer("ou_a1", map[string]any{"action": "signup.team.invite", "team_id": ta, "personal": true}, map[string]any{"people": []any{"ou_a2", "ou_x"}})
		accept("ou_a2")
		got := h.Answer("ou_b1", create, map[string]any{"team_name": "乙队", "item": fmt.Sprint(item), "branch": fmt.Sprint(h.branchID("体育学院分工会"))})
		if !strings.Contains(got.Toast.Content, "队伍“乙队”已创建，名额已满，候补第 1 位") || !strings.Contains(string(got.Card), "候补第 1 号") {
			t.Fatalf("waitlisted team: %+v %.300s", got.Toast, got.Card)
		}
		tb := h.teamID(a, "乙队")
		h.Answer("ou_b1", map[string]any{"action": "signup.team.invite", "team_id": tb, "personal": true}, map[string]any{"people": []any{"ou_b2"}})
		accept("ou_b2")
		if _, st, pos := h.entryOf(a, "ou_b2"); st != store.EntryWaitlisted || pos != 1 {
			t.Errorf("member of the waiting team: %s %d", st, pos)
		}
		if mine := h.Say("ou_b2", "我的报名"); !strings.Contains(mine, "队伍“乙队”，队员") {
			t.Errorf("我的报名 of a team member: %.600s", mine)
		}

		// The captain withdraws 甲队 from 我的报名.
		capEntry, _, _ := h.entryOf(a, "ou_a1")
		got = h.Answer("ou_a1", map[string]any{"action": "signup.cancel", "entry_id": capEntry, "from": "mine", "personal": true}, nil)
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已撤销队伍，2 人的报名随之取消，队员已收到通知。名额已递补给候补的人") {
			t.Fatalf("withdraw: %+v", got.Toast)
		}
		if s := h.SentTo("队长已撤销队伍“甲队”（羽毛球团体赛），你的报名随之取消"); fmt.Sprint(s) != "[ou_a2]" {
			t.Errorf("withdrawal told %v", s)
		}
		var st string
		h.must(db.Get(h.ctx, &st, `SELECT status FROM signup_invites WHERE team_id = ? AND member_id = (SELECT id FROM members WHERE open_id = 'ou_x')`, ta))
		if st != store.InviteWithdrawn {
			t.Errorf("open invitation after the withdrawal: %s", st)
		}
		// The waiting team has the seat; its captain and member are told, once each.
		h.must(db.Get(h.ctx, &st, `SELECT status FROM signup_teams WHERE id = ?`, tb))
		if st != store.EntryConfirmed {
			t.Errorf("waiting team: %s", st)
		}
		for _, who := range []string{"ou_b1", "ou_b2"} {
			if _, st, pos := h.entryOf(a, who); st != store.EntryConfirmed || pos != 0 {
				t.Errorf("%s: %s %d", who, st, pos)
			}
		}
		if s := h.SentTo("【候补转正】你报名的「羽毛球团体赛·团体」已由候补转为正式名额"); fmt.Sprint(s) != "[ou_b1 ou_b2]" {
			t.Errorf("promotion told %v", s)
		}
		// The withdrawn team's open invitation can no longer be accepted.
		v := cardValue(t, h.lastSend("ou_x", "组队邀请"), "signup.invite")
		v["accept"] = true
		h.refused(t, "ou_x", v, nil, "这份邀请已经处理过了（已撤回）")

		// A member who leaves ends only their own entry: the team keeps its seat, and the
		// captain's card names the rule it now breaks.
		e, _, _ := h.entryOf(a, "ou_b2")
		if got := h.Answer("ou_b2", map[string]any{"action": "signup.cancel", "entry_id": e, "personal": true, "activity_id": a.ID}, nil); got.Toast.Content != "已取消报名。" {
			t.Errorf("member leaves: %+v", got.Toast)
		}
		var counters string
		h.must(db.Get(h.ctx, &counters, `SELECT `+catInts(db, "confirmed_count", "waitlist_seq")+` FROM activities WHERE id = ?`, a.ID))
		if counters != "1/0" { // one seat, held by 乙队 (the waitlist counts per item)
			t.Errorf("seat counters after a member left: %s", counters)
		}
		got = h.Answer("ou_b1", map[string]any{"action": "signup.team.show", "team_id": tb, "personal": true}, nil)
		if !strings.Contains(string(got.Card), "尚未满足：人数不足：至少 2 人，现有 1 人") {
			t.Errorf("team card after a member left: %.800s", got.Card)
		}
		// The captain is told at once, with the rule the team now breaks.
		if s := h.SentTo("乙队员退出了队伍“乙队”（羽毛球团体赛），队伍尚未满足：人数不足：至少 2 人，现有 1 人"); fmt.Sprint(s) != "[ou_b1]" {
			t.Errorf("the captain was not told: %v", s)
		}
	})
}

// TestInsuredTeam: in an insured team event the captain and each invitee give their ID number
// on their own form; it is stored sealed and masked, and never appears in a message or the
// audit trail.
func TestInsuredTeam(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.member("ou_ic", "保险队长", "机关分工会", "M", "")
		h.member("ou_im", "保险队员", "机关分工会", "F", "")
		a := h.activity(func(a *store.Activity) {
			a.Title, a.Kind, a.EntryMode, a.NeedsInsurance = "环湖骑行", store.KindTrip, store.ModeTeam, true
			a.Items = []*store.ActivityItem{{Name: "骑行队", TeamMin: 2, TeamMax: 2}}
		})
		form := h.Say("ou_ic", "组队 环湖骑行")
		if !strings.Contains(form, "id_number") {
			t.Fatalf("the team form asks no ID number: %.400s", form)
		}
		create := cardValue(t, form, "signup.team.create")
		teamForm := map[string]any{"team_name": "骑行一队", "item": fmt.Sprint(a.Items[0].ID), "branch": fmt.Sprint(h.branchID("机关分工会"))}
		t.Run("captain without a valid ID number", func(t *testing.T) {
			h.refused(t, "ou_ic", create, teamForm, "身份证号")
			bad := map[string]any{"id_number": "110105194912310021"}
			for k, v := range teamForm {
				bad[k] = v
			}
			h.refused(t, "ou_ic", create, bad, "身份证号不正确")
		})
		teamForm["id_number"] = "11010519491231002x"
		if got := h.Answer("ou_ic", create, teamForm); got.Toast.Type != "success" {
			t.Fatalf("create: %+v", got.Toast)
		}
		team := h.teamID(a, "骑行一队")
		h.Answer("ou_ic", map[string]any{"action": "signup.team.invite", "team_id": team, "personal": true}, map[string]any{"people": []any{"ou_im"}})
		invite := h.lastSend("ou_im", "组队邀请")
		if !strings.Contains(invite, "id_number") {
			t.Fatalf("the invitation asks no ID number: %.400s", invite)
		}
		accept := cardValue(t, invite, "signup.invite")
		t.Run("invitee without an ID number", func(t *testing.T) {
			h.refused(t, "ou_im", accept, nil, "身份证号")
		})
		if got := h.Answer("ou_im", accept, map[string]any{"id_number": "440304198501011235"}); got.Toast.Type != "success" {
			t.Fatalf("accept: %+v", got.Toast)
		}
		var rows []struct {
			ID     int64  `db:"id"`
			Masked string `db:"id_masked"`
			Cipher string `db:"id_cipher"`
		}
		h.must(db.Select(h.ctx, &rows, `SELECT id, id_masked, id_cipher FROM signup_entries WHERE activity_id = ? ORDER BY id`, a.ID))
		if len(rows) != 2 || rows[0].Masked != "110***********002X" || rows[1].Masked != "440***********1235" ||
			!strings.HasPrefix(rows[1].Cipher, "v2:k1:") || strings.Contains(rows[1].Cipher, "19850101") ||
			openID(t, rows[1].ID, rows[1].Cipher) != "440304198501011235" {
			t.Errorf("stored: %+v", rows)
		}
		var leaks int
		h.must(db.Get(h.ctx, &leaks, `SELECT (SELECT COUNT(*) FROM outbox WHERE content LIKE '%19850101%' OR content LIKE '%19491231%')
			+ (SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%19850101%' OR detail LIKE '%19491231%')`))
		if leaks != 0 {
			t.Error("an ID number leaked into a message or the audit trail")
		}
	})
}
