package proposals_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// walk moves a proposal through steps, each with its columns, as the handlers do.
func (r *rig) walk(id int64, steps ...any) {
	r.t.Helper()
	ctx := context.Background()
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		for i := 0; i < len(steps); i++ {
			p, err := tx.ProposalByID(ctx, id)
			if err != nil {
				return err
			}
			switch s := steps[i].(type) {
			case store.ProposalRating:
				s.ProposalID, s.MemberID, s.Round = id, p.ProposerID, p.Round
				if err := tx.RateProposal(ctx, &s, "test"); err != nil {
					return err
				}
			case string:
				var set map[string]any
				if i+1 < len(steps) {
					if m, ok := steps[i+1].(map[string]any); ok {
						set = m
						i++
					}
				}
				if s == store.StepRegister {
					s2, _ := tx.ProposalSessionByID(ctx, p.SessionID)
					seq, number, err := tx.NextProposalNumber(ctx, s2)
					if err != nil {
						return err
					}
					set = map[string]any{"seq": seq, "number": number, "decision": store.StepRegister}
				}
				if err := tx.StepProposal(ctx, p, s, "test", store.ProposalChange{Set: set}); err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

func replied(class string) map[string]any {
	return map[string]any{"reply_class": class, "reply_text": "答复", "replied_at": "2027-04-20 00:00:00"}
}

func rated(r string) store.ProposalRating { return store.ProposalRating{Rating: r} }

// TestStatistics builds a session whose figures were computed by hand and asserts each one,
// in total and per category, 主办 department and 代表团, from the store and on the 提案统计
// card; the card's 导出Excel sends the workbook 1:1 and it is read back; only the committee,
// officers and chair may ask.
func TestStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db) // today is 2027-03-10 in Shanghai
		m := r.member("ou_prop", "张老师", store.RoleDelegate)
		m2 := handlertest.NewMember(t, db, handlertest.Person{OpenID: "ou_sci", Name: "李老师", EmployeeNo: "sci", Branch: "理学院分工会",
			Roles: []string{store.RoleDelegate}})
		co := r.member("ou_co", "王附议", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		r.member("ou_off", "干事", store.RoleOfficer)
		id := func(title string) int64 { return r.submitted(m, title, r.session) }
		reg := []any{store.StepRegister, store.StepAssign, map[string]any{"reply_due": "2027-05-20"}}

		// A draft and a late one are not collected.
		draft := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: "草稿", Category: "其他"}
		db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposal(ctx, draft, "test") })
		late := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: "迟交", Category: "其他"}
		db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposal(ctx, late, "test") })
		r.walk(late.ID, store.StepLate, map[string]any{"late": true, "kind": store.KindSuggestion, "submitted_at": "2027-04-01 00:00:00"})

		// 张老师 (no 分工会), all 其他, no departments; every reply on 04-20, due 05-20.
		p2 := id("满意")
		r.walk(p2, append(reg, store.StepReply, replied("A"), rated(store.RatingSatisfied), store.StepRate)...)
		r.walk(id("基本满意"), append(reg, store.StepReply, replied("B"), rated(store.RatingBasic), store.StepRate)...)
		r.walk(id("第二轮中"), append(reg, store.StepReply, replied("C"), rated(store.RatingUnsatisfied), store.StepSecondRound, map[string]any{"round": 2})...)
		r.walk(id("待评价"), append(reg, store.StepReply, replied("D"))...)
		r.walk(id("未答复"), reg...)
		r.walk(id("并案"), store.StepMerge, map[string]any{"merged_into_id": p2})
		r.walk(id("转建议"), store.StepToSuggestion, map[string]any{"decision": store.StepToSuggestion, "kind": store.KindSuggestion})
		r.walk(id("不立案"), store.StepReject, map[string]any{"decision": store.StepReject})
		id("待审查")
		r.walk(id("两轮不满意"), append(reg, store.StepReply, replied("C"), rated(store.RatingUnsatisfied), store.StepSecondRound, map[string]any{"round": 2},
			store.StepReply, replied("A"), rated(store.RatingUnsatisfied), store.StepRate)...)
		r.walk(id("逾期未评价"), append(reg, store.StepReply, replied("B"), store.StepUnrated)...)

		// 李老师 (理学院分工会), 教学科研, with departments.
		jwd, hqd := &store.Department{Name: "教务处"}, &store.Department{Name: "后勤处"}
		db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.SaveDepartment(ctx, jwd, "test"); err != nil {
				return err
			}
			_, err := tx.SaveDepartment(ctx, hqd, "test")
			return err
		})
		jw, hq := jwd.ID, hqd.ID
		sci := func(title string, host int64, helpers []int64, steps ...any) int64 {
			pid := r.submitted(m2, title, r.session)
			if _, err := db.SQL().ExecContext(ctx, `UPDATE proposals SET category = '教学科研' WHERE id = ?`, pid); err != nil {
				t.Fatal(err)
			}
			r.walk(pid, steps...)
			if host != 0 {
				db.InTx(ctx, func(tx *store.Tx) error { return tx.SetProposalDepartments(ctx, pid, host, helpers) })
			}
			return pid
		}
		// Returned, resubmitted, registered; answered at 01:00 Shanghai on 04-20, after its due
		// date 04-19 (on 04-19 in UTC): late; 基本满意.
		p13 := sci("退回后立案", jw, []int64{hq}, store.StepReturn, store.StepSubmit, store.StepRegister, store.StepAssign,
			map[string]any{"reply_due": "2027-04-19"}, store.StepReply, map[string]any{"reply_class": "A", "reply_text": "已采纳", "replied_at": "2027-04-19 17:00:00"},
			rated(store.RatingBasic), store.StepRate)
		p14 := sci("逾期未答复", jw, nil, store.StepRegister, store.StepAssign, map[string]any{"reply_due": "2027-03-05"})
		sci("退回未再提交", 0, nil, store.StepReturn)
		p16 := sci("当日答复", hq, nil, store.StepRegister, store.StepAssign, map[string]any{"reply_due": "2027-04-20"},
			store.StepReply, map[string]any{"reply_class": "D", "reply_text": "留作参考", "replied_at": "2027-04-20 00:00:00"})
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO proposal_cosigners (proposal_id, member_id, status, invited_at) VALUES (?, ?, ?, ?)`,
			p13, co.ID, store.CosignAgreed, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		db.SQL().ExecContext(ctx, `UPDATE proposals SET phone = 'sealed-13800000001' WHERE id = ?`, p13)
		// 逾期未答复 got an extension (granted; a refused one does not count); 当日答复 was
		// returned by 教务处 as mis-assigned before 后勤处 took it.
		for _, st := range []string{store.ExtensionApproved, store.ExtensionRefused} {
			if _, err := db.SQL().ExecContext(ctx, `INSERT INTO proposal_extensions (proposal_id, department_id, round, requested_by, old_due,
				requested_due, reason, status, decision_note, created_at) VALUES (?, ?, 1, ?, '2027-03-05', '2027-03-08', '施工', ?, '', ?)`, p14, jw, co.ID, st, time.Now().UTC()); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.SQL().ExecContext(ctx, `INSERT INTO proposal_returns (proposal_id, department_id, role, round, member_id, reason,
			assigned_at, returned_at) VALUES (?, ?, 'host', 1, ?, '不属本单位职责', ?, ?)`, p16, jw, co.ID, time.Now().UTC(), time.Now().UTC()); err != nil {
			t.Fatal(err)
		}

		var rep *store.ProposalReport
		db.InTx(ctx, func(tx *store.Tx) (err error) {
			rep, err = tx.ProposalReportOf(ctx, r.session, shanghai)
			return err
		})
		want := store.ProposalStats{Collected: 15, Registered: 10, Merged: 1, ToSuggestion: 1, Rejected: 1, Returned: 2, Replied: 8,
			Answered: 7, OnTime: 6, Closed: 5, Overdue: 1, SecondRound: 2, Extended: 1, DeptReturned: 1,
			Satisfied: 1, Basic: 2, Unsatisfied: 1, Unrated: 3, ClassA: 3, ClassB: 2, ClassC: 1, ClassD: 2}
		if rep.Total != want {
			t.Errorf("totals\n got %+v\nwant %+v", rep.Total, want)
		}
		st := rep.Total
		if st.Rated() != 4 || st.RegisterRate() != "66.7%" || st.ReplyRate() != "80.0%" || st.OnTimeRate() != "85.7%" ||
			st.CloseRate() != "50.0%" || st.SatisfactionRate() != "75.0%" {
			t.Errorf("rates: rated %d, 立案率 %s, 办复率 %s, 按时 %s, 办结 %s, 满意率 %s", st.Rated(), st.RegisterRate(), st.ReplyRate(),
				st.OnTimeRate(), st.CloseRate(), st.SatisfactionRate())
		}
		groups := func(gs []store.ProposalGroup) map[string]store.ProposalStats {
			out := map[string]store.ProposalStats{}
			for _, g := range gs {
				out[g.Name] = g.ProposalStats
			}
			return out
		}
		other := store.ProposalStats{Collected: 11, Registered: 7, Merged: 1, ToSuggestion: 1, Rejected: 1, Replied: 6, Answered: 5, OnTime: 5,
			Closed: 4, SecondRound: 2, Satisfied: 1, Basic: 1, Unsatisfied: 1, Unrated: 2, ClassA: 2, ClassB: 2, ClassC: 1, ClassD: 1}
		teaching := store.ProposalStats{Collected: 4, Registered: 3, Returned: 2, Replied: 2, Answered: 2, OnTime: 1, Closed: 1, Overdue: 1, Extended: 1, DeptReturned: 1,
			Basic: 1, Unrated: 1, ClassA: 1, ClassD: 1}
		cats := groups(rep.Categories)
		if len(rep.Categories) != 5 || rep.Categories[0].Name != "教学科研" || rep.Categories[4].Name != "其他" ||
			cats["其他"] != other || cats["教学科研"] != teaching || cats["人事待遇"] != (store.ProposalStats{}) {
			t.Errorf("per category: %+v", rep.Categories)
		}
		if len(rep.Branches) != 2 || rep.Branches[0].Name != store.NoBranch || rep.Branches[0].ProposalStats != other ||
			rep.Branches[1].Name != "理学院分工会" || rep.Branches[1].ProposalStats != teaching {
			t.Errorf("per 代表团: %+v", rep.Branches)
		}
		wantJW := store.ProposalStats{Registered: 2, Replied: 1, Answered: 1, Closed: 1, Overdue: 1, Extended: 1, DeptReturned: 1, Basic: 1, ClassA: 1}
		wantHQ := store.ProposalStats{Registered: 1, Replied: 1, Answered: 1, OnTime: 1, Unrated: 1, ClassD: 1, Helper: 1}
		if len(rep.Departments) != 2 || rep.Departments[0].Name != "教务处" || rep.Departments[0].ProposalStats != wantJW ||
			rep.Departments[1].ProposalStats != wantHQ {
			t.Errorf("per department: %+v", rep.Departments)
		}

		got := r.Say("ou_comm", "提案统计")
		for _, w := range []string{`征集数**\n15`, `立案数**\n10`, `并案数**\n1`, `转建议数**\n1`, `不立案数**\n1`, `退回修改**\n2`,
			`立案率**\n66.7%`, `已答复**\n8`, `办复率**\n80.0%`, `按时答复率**\n85.7%`, `办结率**\n50.0%`, `逾期未答复**\n1`, `延期**\n1`, `部门退回**\n1`,
			`第二轮办理**\n2`, `已评价**\n4`, `满意率**\n75.0%`, `满意**\n1`, `基本满意**\n2`, `不满意**\n1`, `未评价**\n3`,
			"A 3 · B 2 · C 1 · D 2",
			`{"col":4,"n":"教学科研","ot":"50.0%","reg":3,"rep":"66.7%","rr":"75.0%","sat":"100.0%"}`,
			`{"help":0,"host":2,"n":"教务处","od":1,"ot":"0.0%","rep":"50.0%","ret":1,"sat":"100.0%"}`,
			`{"help":1,"host":1,"n":"后勤处","od":0,"ot":"100.0%","rep":"100.0%","ret":0,"sat":"—"}`,
			`{"col":11,"n":"（无分工会）","ot":"100.0%","reg":7,"rep":"85.7%","rr":"63.6%","sat":"66.7%"}`,
			`"tag":"table"`, `导出Excel`} {
			if !strings.Contains(got, w) {
				t.Errorf("card lacks %s:\n%s", w, got)
			}
		}
		if got := r.Say("ou_off", "提案统计 4-3"); !strings.Contains(got, `征集数**\n15`) {
			t.Errorf("officer, session by code: %s", got)
		}
		if got := r.Say("ou_prop", "提案统计"); !strings.Contains(got, "你没有权限进行此操作（需要：提案委员、工会干事、主席") {
			t.Errorf("delegate: %s", got)
		}
		if got := r.Say("ou_comm", "提案统计 第九届"); got != "找不到届次「第九届」。" {
			t.Errorf("unknown session: %s", got)
		}

		// 导出Excel: the workbook 1:1 to the clicker, read back; a delegate may not.
		export := map[string]any{"action": "proposals.export", "session_id": r.session.ID}
		r.refused("ou_prop", export, nil, "你没有权限")
		if toast, _ := r.click("ou_comm", export, nil); !strings.Contains(toast, "第四届第三次提案统计_20270310.xlsx") {
			t.Errorf("export toast: %s", toast)
		}
		files, err := db.OpenedOutbox(ctx, `kind = 'file'`)
		if err != nil || len(files) != 1 {
			t.Fatalf("%d files, %v", len(files), err)
		}
		if file := files[0]; file.ReceiveID != "ou_comm" || file.FileName != "第四届第三次提案统计_20270310.xlsx" {
			t.Errorf("file %q to %q", file.FileName, file.ReceiveID)
		}
		checkWorkbook(t, files[0].FileData)
	})
}

// checkWorkbook reads the statistics workbook of TestStatistics back and checks its cells.
func checkWorkbook(t *testing.T, data []byte) {
	t.Helper()
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{"统计", "提案汇编", "后勤处", "教务处"}) {
		t.Errorf("sheets %v", got)
	}
	rows, _ := x.GetRows("统计")
	find := func(name string) []string {
		for _, row := range rows {
			if len(row) > 0 && row[0] == name {
				return row
			}
		}
		t.Errorf("统计 has no row %q", name)
		return nil
	}
	if h := find("届次"); len(h) < 30 || h[1] != "征集数" || h[12] != "按时答复率" || h[16] != "延期数" || h[17] != "部门退回数" || h[24] != "满意率" || h[29] != "协办数" {
		t.Errorf("统计 header %q", h)
	}
	// 征集 立案 并案 转建议 不立案 退回 立案率 已答复 办复率 本轮已答复 按时 按时率 办结 办结率 逾期 延期 部门退回 第二轮 已评价 满意 基本 不满意 未评价 满意率 A B C D
	want := map[string]string{
		"第四届第三次": "15 10 1 1 1 2 66.7% 8 80.0% 7 6 85.7% 5 50.0% 1 1 1 2 4 1 2 1 3 75.0% 3 2 1 2",
		"教学科研":   "4 3 0 0 0 2 75.0% 2 66.7% 2 1 50.0% 1 33.3% 1 1 1 0 1 0 1 0 1 100.0% 1 0 0 1",
		"人事待遇":   "0 0 0 0 0 0 — 0 — 0 0 — 0 — 0 0 0 0 0 0 0 0 0 — 0 0 0 0",
		"教务处":    " 2      1 50.0% 1 0 0.0% 1 50.0% 1 1 1 0 1 0 1 0 0 100.0% 1 0 0 0 0",
		"后勤处":    " 1      1 100.0% 1 1 100.0% 0 0.0% 0 0 0 0 0 0 0 0 1 — 0 0 0 1 1",
		"理学院分工会": "4 3 0 0 0 2 75.0% 2 66.7% 2 1 50.0% 1 33.3% 1 1 1 0 1 0 1 0 1 100.0% 1 0 0 1",
		"（无分工会）": "11 7 1 1 1 0 63.6% 6 85.7% 5 5 100.0% 4 57.1% 0 0 0 2 3 1 1 1 2 66.7% 2 2 1 1",
	}
	for name, w := range want {
		if row := find(name); row != nil && strings.Join(row[1:min(len(row), 30)], " ") != w {
			t.Errorf("统计 %s\n got %q\nwant %q", name, strings.Join(row[1:min(len(row), 30)], " "), w)
		}
	}
	comp, _ := x.GetRows("提案汇编")
	if len(comp) != 11 || !slices.Equal(comp[0][:8], []string{"立案编号", "案由", "类别", "提案人", "代表团", "附议人", "主办单位", "协办单位"}) {
		t.Fatalf("提案汇编: %d rows, header %q", len(comp), comp[0])
	}
	var row13 []string
	for _, row := range comp {
		if len(row) > 1 && row[1] == "退回后立案" {
			row13 = row
		}
	}
	if len(row13) < 17 || !slices.Equal(row13[:17], []string{row13[0], "退回后立案", "教学科研", "李老师", "理学院分工会", "王附议", "教务处", "后勤处",
		"已办结", "1", row13[10], row13[11], "2027-04-19", "2027-04-20 01:00", "A 已解决/采纳", "已采纳", "基本满意"}) {
		t.Errorf("提案汇编 row %q", row13)
	}
	for _, sheet := range x.GetSheetList() {
		all, _ := x.GetRows(sheet)
		for _, row := range all {
			for _, cell := range row {
				if strings.Contains(cell, "1380000") || strings.Contains(cell, "sealed") {
					t.Errorf("%s holds a phone: %q", sheet, cell)
				}
			}
		}
	}
	hq, _ := x.GetRows("后勤处")
	if len(hq) != 3 || hq[0][18] != "承办方式" || hq[1][1] != "退回后立案" || hq[1][18] != "协办" || hq[2][1] != "当日答复" || hq[2][18] != "主办" {
		t.Errorf("后勤处 sheet %q", hq)
	}
}

// TestSeeingProposals: 我的提案 with state and what is awaited; 提案 by number or words; 提案列表
// shows registered proposals only, to every member when the session is public and to the
// overseers only otherwise; drafts and phones never.
func TestSeeingProposals(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		m := r.member("ou_prop", "张老师", store.RoleDelegate)
		r.member("ou_memb", "周会员")
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		p1 := r.submitted(m, "增设暑期托管班", r.session)
		r.walk(p1, store.StepRegister)
		r.submitted(m, "改善食堂伙食", r.session)
		draft := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: "草稿里的提案", Category: "其他", Phone: "sealed"}
		db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateProposal(context.Background(), draft, "test") })

		mine := r.Say("ou_prop", "我的提案")
		for _, w := range []string{"增设暑期托管班** 4-3-001 · 已立案，待交办 · 等待交办", "改善食堂伙食**  · 已提交，待审查 · 等待提案工作委员会审查", "草稿里的提案**  · 草稿 · 等你邀请附议并提交"} {
			if !strings.Contains(mine, w) {
				t.Errorf("我的提案 lacks %q:\n%s", w, mine)
			}
		}
		if got := r.Say("ou_memb", "提案 4-3-001"); !strings.Contains(got, "提案：增设暑期托管班") || strings.Contains(got, "联系电话") {
			t.Errorf("by number, public: %s", got)
		}
		if got := r.Say("ou_memb", "提案 食堂"); got != "没有找到与「食堂」有关、你可以查看的提案。" {
			t.Errorf("an unregistered one by a member: %s", got)
		}
		if got := r.Say("ou_comm", "提案 食堂"); !strings.Contains(got, "改善食堂伙食") {
			t.Errorf("by words, committee: %s", got)
		}
		if got := r.Say("ou_memb", "提案 草稿"); strings.Contains(got, "草稿里的提案") {
			t.Errorf("a draft found by a member: %s", got)
		}
		list := r.Say("ou_memb", "提案列表")
		if !strings.Contains(list, "4-3-001** 增设暑期托管班") || strings.Contains(list, "改善食堂伙食") || strings.Contains(list, "草稿里的提案") {
			t.Errorf("public list: %s", list)
		}
		db.SQL().ExecContext(context.Background(), `UPDATE proposal_sessions SET public_after_register = 0`)
		if got := r.Say("ou_memb", "提案列表"); !strings.Contains(got, "的提案不向全体会员公开") {
			t.Errorf("private list to a member: %s", got)
		}
		if got := r.Say("ou_memb", "提案 4-3-001"); got != "你没有查看该提案的权限。" {
			t.Errorf("private proposal to a member: %s", got)
		}
		// A department's contact sees the proposals assigned to the department, no others.
		k := r.member("ou_k1", "教务联系人")
		db.InTx(context.Background(), func(tx *store.Tx) error {
			d := &store.Department{Name: "教务处", Contacts: []*store.Member{k}}
			if _, err := tx.SaveDepartment(context.Background(), d, "test"); err != nil {
				return err
			}
			return tx.SetProposalDepartments(context.Background(), p1, d.ID, nil)
		})
		if got := r.Say("ou_k1", "提案 4-3-001"); !strings.Contains(got, "提案：增设暑期托管班") {
			t.Errorf("the contact of its department: %s", got)
		}
		if got := r.Say("ou_k1", "提案 食堂"); strings.Contains(got, "改善食堂伙食") {
			t.Errorf("a contact sees an unassigned one: %s", got)
		}
		if got := r.Say("ou_comm", "提案列表 第四届第三次"); !strings.Contains(got, "4-3-001") {
			t.Errorf("private list to the committee: %s", got)
		}
	})
}
