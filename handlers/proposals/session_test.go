package proposals_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
	"github.com/xuri/excelize/v2"
)

// session drives a whole congress session through the webhook, day by day with the clock,
// running the proposals' jobs every day at 09:00.
type session struct {
	*rig
	e     *jobs.Engine
	day   time.Time         // the last day whose jobs ran
	ids   map[string]int64  // "P01" → proposal id
	names map[int64]string  // proposal id → "P01"
	who   map[string]string // "P01" → its proposer's open_id
}

// until runs the jobs of every day after the last one up to date, then puts the clock at
// date 15:00 (where the day's clicks happen).
func (s *session) until(date string) {
	s.t.Helper()
	d, err := time.ParseInLocation(time.DateOnly, date, shanghai)
	if err != nil {
		s.t.Fatal(err)
	}
	for s.day.Before(d) {
		s.day = s.day.AddDate(0, 0, 1)
		s.runDay(s.e, s.day)
	}
	s.Clock.Set(d.Add(15 * time.Hour))
}

// ok clicks as sender and fails the test unless the toast contains want.
func (s *session) ok(sender string, value, form map[string]any, want string) {
	s.t.Helper()
	if toast, _ := s.click(sender, value, form); !strings.Contains(toast, want) {
		s.t.Errorf("%s %v %v: toast %q, want %q", sender, value["action"], form, toast, want)
	}
}

func (s *session) act(action, label string) map[string]any {
	id := s.ids[label]
	return v(action, id, s.proposal(id).Version)
}

// draft saves a proposal by proposer through the form and invites the co-signers, who agree.
func (s *session) draft(label, proposer string, cosigners ...string) {
	s.t.Helper()
	form := with(with(good, "title", "提案"+label+"：改进校园工作"), "phone", "")
	if n, _ := strconv.Atoi(label[1:]); n%2 == 1 { // odd proposals are 教学科研, even ones 后勤保障
		form = with(form, "category", "教学科研")
	}
	s.ok(proposer, v("proposals.save", 0, 0), form, "草稿已保存")
	var id int64
	s.DB.Get(context.Background(), &id, `SELECT MAX(id) FROM proposals`)
	s.ids[label], s.names[id], s.who[label] = id, label, proposer
	var invitees []any
	for _, c := range cosigners {
		invitees = append(invitees, c)
	}
	s.ok(proposer, s.act("proposals.invite", label), map[string]any{"invitees": invitees}, "已邀请")
	for _, c := range cosigners {
		if c == "ou_e30" { // never answers
			continue
		}
		s.ok(c, map[string]any{"action": "proposals.cosign", "proposal_id": id}, nil, "已附议")
	}
}

func (s *session) assign(label, host, helpers string) {
	s.t.Helper()
	s.ok("ou_comm", s.act("proposals.assign", label), map[string]any{"host": host, "helpers": helpers}, "已交办")
}

func (s *session) reply(label, contact, class string) {
	s.t.Helper()
	s.ok(contact, s.act("proposals.reply", label), map[string]any{"class": class, "reply": "已研究办理：" + label}, "答复已提交")
}

func (s *session) rate(label, rater, rating string) {
	s.t.Helper()
	p := s.proposal(s.ids[label])
	s.ok(rater, map[string]any{"action": "proposals.rate", "proposal_id": p.ID, "round": p.Round}, map[string]any{"rating": rating, "comment": "评价" + label}, "评价已记录")
}

func (s *session) dept(name string) int64 {
	var id int64
	s.DB.Get(context.Background(), &id, `SELECT id FROM departments WHERE name = ?`, name)
	return id
}

// TestSimulatedSession is the simulated session, on both databases, through the
// webhook: 30 delegates file 20 proposals that take every path (立案, 并案, 转建议, 不予立案, 退回修改
// and resubmitted, a department's 退回 and reassignment, an extension granted and one refused,
// an overdue reply, a 重点提案, a second round after 不满意, 未评价 at the rating window's end, a
// late one becoming 意见建议), driven from March to June 2027 by the clock with the jobs running
// every day; the final states, the reminders, and the statistics on the card and in the
// exported workbook are asserted against figures computed by hand from the story.
func TestSimulatedSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r, _ := handlingRig(t, db) // ou_prop and ou_d1 are delegates; ou_comm; 教务处 (ou_k1), 后勤处 (ou_k2)
		k3 := r.member("ou_k3", "人事联系人")
		leader := r.member("ou_lead", "分管校领导")
		if err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.SaveDepartment(ctx, &store.Department{Name: "人事处", LeaderMemberID: leader.ID, Contacts: []*store.Member{k3}}, "test")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		delegates := []string{"ou_prop", "ou_d1"}
		for i := 3; i <= 30; i++ {
			open := fmt.Sprintf("ou_e%02d", i)
			branch := "理学院分工会" // the 代表团 of P03–P11's proposers; P12–P20's are 文学院
			if i > 11 {
				branch = "文学院分工会"
			}
			handlertest.NewMember(t, db, handlertest.Person{OpenID: open, Name: fmt.Sprintf("代表%02d", i), EmployeeNo: open[3:],
				Branch: branch, Roles: []string{store.RoleDelegate}})
			delegates = append(delegates, open)
		}
		if len(delegates) != 30 {
			t.Fatalf("%d delegates", len(delegates))
		}
		r.at("2027-03-10", 10)
		s := &session{rig: r, e: r.engine(), day: time.Date(2027, 3, 10, 0, 0, 0, 0, shanghai), ids: map[string]int64{}, names: map[int64]string{}, who: map[string]string{}}

		// 03-10: twenty proposals drafted, each by its own delegate with two co-signers; P20's
		// proposer also invites ou_e30, who never answers. All but P13 and P20 are submitted.
		for i := 1; i <= 20; i++ {
			label := fmt.Sprintf("P%02d", i)
			proposer := delegates[i-1]
			cos := []string{delegates[(i+19)%29], delegates[(i+20)%29]}
			if i == 20 {
				cos = append(cos, "ou_e30")
			}
			s.draft(label, proposer, cos...)
			if i != 13 && i != 20 {
				s.ok(proposer, s.act("proposals.submit", label), nil, "提案已提交")
			}
		}

		// 03-12: the committee's review.
		s.until("2027-03-12")
		for _, l := range []string{"P01", "P02", "P03", "P04", "P09", "P10", "P11", "P12", "P14", "P15", "P16", "P17", "P18", "P19"} {
			s.ok("ou_comm", s.act("proposals.register", l), nil, "已立案")
		}
		s.ok("ou_comm", s.act("proposals.merge", "P05"), map[string]any{"target": s.proposal(s.ids["P01"]).Number}, "已并案")
		s.ok("ou_comm", s.act("proposals.to_suggestion", "P06"), nil, "已转为意见建议")
		s.ok("ou_comm", s.act("proposals.reject", "P07"), map[string]any{"note": "属于日常行政工作"}, "已不予立案")
		s.ok("ou_comm", s.act("proposals.return", "P08"), map[string]any{"note": "请补充现状数据"}, "已退回修改")

		// 03-15: P08 resubmitted with the same text keeps its 附议 and is registered; P20,
		// whose invitee ou_e30 was reminded this morning, is submitted and registered.
		s.until("2027-03-15")
		for _, l := range []string{"P08", "P20"} {
			s.ok(s.who[l], s.act("proposals.submit", l), nil, "提案已提交")
			s.ok("ou_comm", s.act("proposals.register", l), nil, "已立案")
		}
		kp := s.proposal(s.ids["P12"])
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetProposalKey(ctx, kp, true, "test") }); err != nil {
			t.Fatal(err)
		}

		// 03-16 (Tuesday): 交办; the reply is due 30 workdays later, 04-27.
		s.until("2027-03-16")
		hosts := map[string]string{"P01": "教务处", "P02": "后勤处", "P03": "人事处", "P04": "教务处", "P06": "后勤处", "P08": "人事处",
			"P09": "教务处", "P10": "人事处", "P11": "后勤处", "P12": "后勤处", "P14": "教务处", "P15": "后勤处", "P16": "人事处",
			"P17": "教务处", "P18": "后勤处", "P19": "人事处", "P20": "教务处"}
		contact := map[string]string{"教务处": "ou_k1", "后勤处": "ou_k2", "人事处": "ou_k3"}
		assigned := slices.Sorted(func(yield func(string) bool) {
			for l := range hosts {
				if !yield(l) {
					return
				}
			}
		})
		for _, l := range assigned {
			helpers := ""
			if l == "P01" {
				helpers = "后勤处"
			}
			s.assign(l, hosts[l], helpers)
		}
		if due := s.proposal(s.ids["P11"]).ReplyDue; due != "2027-04-27" {
			t.Fatalf("reply due %s", due)
		}
		// Every department acknowledges its assignments at once, except 人事处 for P19.
		s.until("2027-03-17")
		for _, l := range assigned {
			if l != "P19" {
				s.ok(contact[hosts[l]], with(s.act("proposals.acknowledge", l), "department_id", s.dept(hosts[l])), nil, "已签收")
			}
		}
		s.ok("ou_k2", with(s.act("proposals.acknowledge", "P01"), "department_id", s.dept("后勤处")), nil, "已签收")

		// 03-18: 教务处 returns P09, which the committee gives to 后勤处 the next day.
		s.until("2027-03-18")
		s.ok("ou_k1", with(s.act("proposals.dept_return", "P09"), "department_id", s.dept("教务处")), map[string]any{"return_reason": "属后勤保障，不属我处职责"}, "已退回")
		s.until("2027-03-19")
		hosts["P09"] = "后勤处"
		s.assign("P09", "后勤处", "")
		s.ok("ou_k2", with(s.act("proposals.acknowledge", "P09"), "department_id", s.dept("后勤处")), nil, "已签收")

		// 04-01, after the close: P13 can only be filed as 意见建议, and is assigned at once.
		s.until("2027-04-01")
		s.ok(s.who["P13"], s.act("proposals.submit", "P13"), nil, "已作为意见建议提交")
		hosts["P13"] = "教务处"
		s.assign("P13", "教务处", "")
		s.ok("ou_k1", with(s.act("proposals.acknowledge", "P13"), "department_id", s.dept("教务处")), nil, "已签收")
		// Extensions: 人事处 asks for P10 (granted), 后勤处 for P11 (refused).
		s.ok("ou_k3", s.act("proposals.extend", "P10"), map[string]any{"extend_due": "2027-05-14", "extend_reason": "需校务会研究"}, "延期申请已提交")
		s.ok("ou_k2", s.act("proposals.extend", "P11"), map[string]any{"extend_due": "2027-05-31", "extend_reason": "需调研"}, "延期申请已提交")
		s.until("2027-04-02")
		ext := func(l string) int64 { p := s.handling(s.ids[l]); return p.PendingExtension().ID }
		s.ok("ou_comm", with(s.act("proposals.extend_grant", "P10"), "extension_id", ext("P10")), nil, "已同意延期")
		s.ok("ou_comm", with(s.act("proposals.extend_refuse", "P11"), "extension_id", ext("P11")), map[string]any{"extension_note": "请按期答复"}, "已不同意延期")

		// 04-15: the replies, except P10 (extended) and P11 (late).
		s.until("2027-04-15")
		classes := "ABCDABCDABCDABCDABCD"
		for i, l := range assigned {
			if l == "P10" || l == "P11" {
				continue
			}
			s.reply(l, contact[hosts[l]], string(classes[i]))
		}
		s.reply("P13", "ou_k1", "B")
		// 04-20: the ratings; P03 unsatisfied goes to a second round; P04 is never rated.
		s.until("2027-04-20")
		ratings := map[string]string{"P01": "satisfied", "P02": "basic", "P03": "unsatisfied", "P06": "satisfied", "P08": "satisfied",
			"P09": "satisfied", "P12": "basic", "P13": "satisfied", "P14": "satisfied", "P15": "basic", "P16": "unsatisfied",
			"P17": "satisfied", "P18": "satisfied", "P19": "basic", "P20": "satisfied"}
		for _, l := range slices.Sorted(func(yield func(string) bool) {
			for l := range ratings {
				if !yield(l) {
					return
				}
			}
		}) {
			s.rate(l, s.who[l], ratings[l])
		}
		// 05-07: P10 answered within its extension; 05-10: P11 answered late; the second round
		// of P03 answered, rated unsatisfied again: closed, and 人事处's 分管校领导 told.
		s.until("2027-05-07")
		s.reply("P10", "ou_k3", "A")
		s.reply("P03", "ou_k3", "C")
		s.until("2027-05-10")
		s.reply("P11", "ou_k2", "B")
		s.until("2027-05-12")
		s.rate("P10", s.who["P10"], "satisfied")
		s.rate("P11", s.who["P11"], "basic")
		s.rate("P03", s.who["P03"], "unsatisfied")
		if !slices.ContainsFunc(s.sent("ou_lead"), func(m string) bool { return strings.Contains(m, "经两轮办理，提案人仍不满意") }) {
			t.Errorf("the leader was not told of P03")
		}
		s.until("2027-06-04")

		// The states.
		want := map[string]string{"P05": store.ProposalMerged, "P07": store.ProposalRejected, "P04": store.ProposalClosed}
		for _, l := range assigned {
			if want[l] == "" {
				want[l] = store.ProposalClosed
			}
		}
		want["P13"] = store.ProposalClosed
		want["P16"] = store.ProposalAssigned // unsatisfied in the first round: its second round is not answered
		for l, st := range want {
			if p := s.proposal(s.ids[l]); p.State != st {
				t.Errorf("%s: %s, want %s", l, p.State, st)
			}
		}
		if p := s.proposal(s.ids["P03"]); p.Round != 2 {
			t.Errorf("P03 round %d", p.Round)
		}
		if p := s.proposal(s.ids["P13"]); p.Kind != store.KindSuggestion || !p.Late {
			t.Errorf("P13: %s late %v", p.Kind, p.Late)
		}
		var returns, extensions int
		db.Get(ctx, &returns, `SELECT COUNT(*) FROM proposal_returns WHERE department_id = ?`, s.dept("教务处"))
		db.Get(ctx, &extensions, `SELECT COUNT(*) FROM proposal_extensions WHERE status = 'approved'`)
		if returns != 1 || extensions != 1 {
			t.Errorf("退回 of 教务处 %d, approved extensions %d", returns, extensions)
		}

		// The reminders.
		got := s.reminders(s.names)
		for key, dates := range map[string][]string{
			"proposal.cosign P20 ou_e30":        {"03-15"},
			"proposal.ack P19 ou_k3":            {"03-19"},
			"proposal.ack-escalate P19 ou_comm": {"03-23"},
			"proposal.due-14 P11 ou_k2":         {"04-13"},
			"proposal.due-7 P11 ou_k2":          {"04-20"},
			"proposal.due-3 P11 ou_k2":          {"04-23"},
			"proposal.due-1 P11 ou_k2":          {"04-26"},
			"proposal.overdue P11 ou_k2":        {"04-28", "05-03", "05-06"},
			"proposal.escalate P11 ou_comm":     {"05-05", "05-10"},
			"proposal.due-21 P12 ou_k2":         {"04-06"},
			"proposal.rating P04 ou_e04":        {"05-03"},
			"proposal.unrated P04 ou_e04":       {"05-07"},
		} {
			if !slices.Equal(got[key], dates) {
				t.Errorf("%s: got %v, want %v", key, got[key], dates)
			}
		}
		if got["proposal.closing S "+s.who["P13"]] == nil || len(got["proposal.closing S "+s.who["P13"]]) != 1 {
			t.Errorf("closing reminder to P13's proposer: %v", got["proposal.closing S "+s.who["P13"]])
		}
		for key := range got {
			if strings.HasPrefix(key, "proposal.closing") && key != "proposal.closing S "+s.who["P13"] {
				t.Errorf("a closing reminder to a delegate without a draft: %s", key)
			}
			if strings.HasPrefix(key, "proposal.overdue") && !strings.Contains(key, "P11") && !strings.Contains(key, "P16") {
				t.Errorf("an overdue reminder for a proposal answered in time: %s %v", key, got[key])
			}
		}

		// The statistics, hand-computed from the story above (today is 06-04). Collected: the 19
		// submitted before the close (not P13). Registered: 16 (not P05 merged, P06 转建议, P07
		// 不立案, P13 late). Each of the 16 was answered once; P16 waits for its second round's
		// reply (overdue), so 15 answered, all on time but P11; 15 closed (P04 unrated). Current
		// rounds' ratings: 满意 P01 P08 P09 P10 P14 P17 P18 P20, 基本满意 P02 P11 P12 P15 P19,
		// 不满意 P03. Classes of the current replies (P16's first-round A stands): A P01 P10 P16
		// P20, B P02 P08 P11 P12 P17, C P03 P09 P14 P18, D P04 P15 P19.
		var rep *store.ProposalReport
		if err := db.InTx(ctx, func(tx *store.Tx) (err error) {
			rep, err = tx.ProposalReportOf(ctx, s.session, shanghai)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		total := store.ProposalStats{Collected: 19, Registered: 16, Merged: 1, ToSuggestion: 1, Rejected: 1, Returned: 1, Replied: 16,
			Answered: 15, OnTime: 14, Closed: 15, Overdue: 1, SecondRound: 2, Extended: 1, DeptReturned: 1,
			Satisfied: 8, Basic: 5, Unsatisfied: 1, Unrated: 1, ClassA: 4, ClassB: 5, ClassC: 4, ClassD: 3}
		if rep.Total != total {
			t.Errorf("totals\n got %+v\nwant %+v", rep.Total, total)
		}
		if st := rep.Total; st.RegisterRate() != "84.2%" || st.ReplyRate() != "100.0%" || st.OnTimeRate() != "93.3%" ||
			st.CloseRate() != "93.8%" || st.SatisfactionRate() != "92.9%" {
			t.Errorf("rates: 立案率 %s, 办复率 %s, 按时 %s, 办结 %s, 满意率 %s", st.RegisterRate(), st.ReplyRate(), st.OnTimeRate(),
				st.CloseRate(), st.SatisfactionRate())
		}
		card := s.Say("ou_comm", "提案统计")
		for _, w := range []string{`征集数**\n19`, `立案数**\n16`, `立案率**\n84.2%`, `按时答复率**\n93.3%`, `办结率**\n93.8%`,
			`逾期未答复**\n1`, `延期**\n1`, `部门退回**\n1`, `第二轮办理**\n2`, `满意率**\n92.9%`, `未评价**\n1`, "A 4 · B 5 · C 4 · D 3"} {
			if !strings.Contains(card, w) {
				t.Errorf("提案统计 lacks %s", w)
			}
		}

		// The workbook, exported by the button and read back: one row of the 统计 sheet per
		// session, category, 主办 department and 代表团 (columns 征集 立案 并案 转建议 不立案 退回 立案率
		// 已答复 办复率 本轮已答复 按时 按时率 办结 办结率 逾期 延期 部门退回 第二轮 已评价 满意 基本 不满意
		// 未评价 满意率 A B C D, and 协办 for a department, whose collection columns are blank).
		if toast, _ := s.click("ou_comm", map[string]any{"action": "proposals.export", "session_id": s.session.ID}, nil); !strings.Contains(toast, ".xlsx") {
			t.Fatalf("export: %s", toast)
		}
		files, err := db.OpenedOutbox(ctx, `kind = 'file' AND receive_id = 'ou_comm'`)
		if err != nil || len(files) != 1 {
			t.Fatalf("the workbook: %d files, %v", len(files), err)
		}
		data := files[0].FileData
		x, err := excelize.OpenReader(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		defer x.Close()
		if got := x.GetSheetList(); !slices.Equal(got, []string{"统计", "提案汇编", "人事处", "后勤处", "教务处"}) {
			t.Errorf("sheets %v", got)
		}
		rows, _ := x.GetRows("统计")
		zero := "0 0 0 0 0 0 — 0 — 0 0 — 0 — 0 0 0 0 0 0 0 0 0 — 0 0 0 0"
		wantRows := map[string]string{
			"第四届第三次": "19 16 1 1 1 1 84.2% 16 100.0% 15 14 93.3% 15 93.8% 1 1 1 2 14 8 5 1 1 92.9% 4 5 4 3",
			"教学科研":   "9 7 1 0 1 0 77.8% 7 100.0% 7 6 85.7% 7 100.0% 0 0 1 1 7 3 3 1 0 85.7% 1 2 2 2",
			"后勤保障":   "10 9 0 1 0 1 90.0% 9 100.0% 8 8 100.0% 8 88.9% 1 1 0 1 7 5 2 0 1 100.0% 3 3 2 1",
			"人事待遇":   zero, "校园建设": zero, "其他": zero,
			"教务处":    " 5      5 100.0% 5 5 100.0% 5 100.0% 0 0 1 0 4 4 0 0 1 100.0% 2 1 1 1 0",
			"后勤处":    " 6      6 100.0% 6 5 83.3% 6 100.0% 0 0 0 0 6 2 4 0 0 100.0% 0 3 2 1 1",
			"人事处":    " 5      5 100.0% 4 4 100.0% 4 80.0% 1 1 0 2 4 2 1 1 0 75.0% 2 1 1 1 0",
			"（无分工会）": "2 2 0 0 0 0 100.0% 2 100.0% 2 2 100.0% 2 100.0% 0 0 0 0 2 1 1 0 0 100.0% 1 1 0 0",
			"理学院分工会": "9 6 1 1 1 1 66.7% 6 100.0% 6 5 83.3% 6 100.0% 0 1 1 1 5 3 1 1 1 80.0% 1 2 2 1",
			"文学院分工会": "8 8 0 0 0 0 100.0% 8 100.0% 7 7 100.0% 7 87.5% 1 0 0 1 7 4 3 0 0 100.0% 2 2 2 2",
		}
		seen := map[string]bool{}
		for _, row := range rows {
			if len(row) == 0 {
				continue
			}
			if w, ok := wantRows[row[0]]; ok {
				seen[row[0]] = true
				if got := strings.Join(row[1:min(len(row), 30)], " "); got != w {
					t.Errorf("统计 %s\n got %q\nwant %q", row[0], got, w)
				}
			}
		}
		for name := range wantRows {
			if !seen[name] {
				t.Errorf("统计 has no row %s", name)
			}
		}
		// 提案汇编 lists the 16 registered proposals; each department's sheet those it is 主办 or
		// 协办 of (后勤处: six, and P01 as 协办).
		for sheet, n := range map[string]int{"提案汇编": 16, "教务处": 5, "后勤处": 7, "人事处": 5} {
			if got, _ := x.GetRows(sheet); len(got) != n+1 {
				t.Errorf("%s: %d rows, want %d and the header", sheet, len(got), n)
			}
		}
	})
}
