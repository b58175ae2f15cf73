package proposals_test

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/internal/golden"
	"github.com/unionbot/unionbot/store"
)

func sampleSession() *store.ProposalSession {
	s := &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 2,
		OpensAt: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 3, 31, 10, 0, 0, 0, time.UTC)}
	store.ValidateProposalSession(s)
	return s
}

func sample(state string) *store.Proposal {
	replied := time.Date(2027, 5, 6, 2, 0, 0, 0, time.UTC)
	return &store.Proposal{RepliedAt: &replied, ReplySubmittedAt: &replied,
		Opinions: []*store.ProposalOpinion{{DepartmentName: "财务处", MemberName: "钱会计", Text: "经费可从工会经费中列支。"}}, ID: 7, SessionID: 1, ProposerID: 1, ProposerName: "张老师", Kind: store.KindProposal, State: state,
		Title: "增设教职工子女暑期托管班", Category: "后勤保障", Reason: "暑期无人照看子女。", Suggestion: "开设托管班。",
		SuggestedDepartments: "后勤处", Number: "4-3-001", Round: 1, Version: 3, ReplyDue: "2027-05-20",
		ReplyClass: "B", ReplyText: "已列入计划。",
		Cosigners: []*store.Cosigner{{MemberID: 2, Name: "李一", Status: store.CosignAgreed}, {MemberID: 3, Name: "王二", Status: store.CosignDeclined},
			{MemberID: 4, Name: "赵三", Status: store.CosignInvited}},
		Trail: []store.AuditEntry{{At: time.Date(2027, 3, 10, 2, 0, 0, 0, time.UTC), Action: "create"},
			{At: time.Date(2027, 3, 12, 3, 30, 0, 0, time.UTC), Action: store.StepSubmit},
			{At: time.Date(2027, 4, 2, 1, 0, 0, 0, time.UTC), Action: store.StepRegister}}}
}

// TestCardsValid renders every card for every state and kind of viewer: each is valid card
// JSON 2.0 (unique names, forms with a submit button); a few are pinned by golden files.
func TestCardsValid(t *testing.T) {
	s := sampleSession()
	viewers := map[string]proposals.Viewer{
		"proposer":  {MemberID: 1, Delegate: true, Phone: "138****0001"},
		"invitee":   {MemberID: 4, Delegate: true},
		"cosigner":  {MemberID: 2, Delegate: true},
		"delegate":  {MemberID: 9, Delegate: true},
		"committee": {MemberID: 8, Committee: true, Overseer: true, Phone: "138****0001"},
		"contact":   {MemberID: 5, Contact: true, Loc: shanghai},
		"helper":    {MemberID: 10, Helper: true},
		"chair":     {MemberID: 11, Chair: true, Overseer: true},
		"choosing":  {MemberID: 8, Committee: true, Overseer: true, Choosing: true},
		"member":    {MemberID: 6},
	}
	for _, st := range store.ProposalStates {
		for name, v := range viewers {
			cd := proposals.ProposalCard(sample(st), s, []*store.Proposal{sample(store.ProposalMerged)}, v)
			if _, err := cd.JSON(); err != nil {
				t.Errorf("%s as %s: %v", st, name, err)
			}
		}
	}
	// The handling panel and buttons all at once: a viewer who is on the committee and a contact
	// of both departments, with a pending extension, a 退回 and one 签收.
	full := sample(store.ProposalAssigned)
	acked := time.Date(2027, 4, 3, 2, 0, 0, 0, time.UTC)
	full.Departments = []store.ProposalDepartment{{DepartmentID: 1, Name: "后勤处", Role: store.DeptHost, AcknowledgedAt: &acked, AckName: "王联系"},
		{DepartmentID: 2, Name: "教务处", Role: store.DeptHelper}}
	full.Extensions = []store.ProposalExtension{{ID: 1, Department: "后勤处", OldDue: "2027-05-20", RequestedDue: "2027-06-10", Reason: "需调研", Status: store.ExtensionPending}}
	full.Returns = []store.ProposalReturn{{Department: "保卫处", Role: store.DeptHost, Reason: "不属本处职责", ReturnedAt: acked}}
	everyone := proposals.Viewer{MemberID: 8, Committee: true, Overseer: true, Contact: true, Departments: []int64{1, 2}, Today: "2027-04-05", ReturnUntil: "2027-04-12", Loc: shanghai}
	got := proposals.ProposalCard(full, s, nil, everyone)
	if _, err := got.JSON(); err != nil {
		t.Errorf("the handling card: %v", err)
	}
	for _, want := range []string{"签收（教务处协办）", "后勤处 · 04-03 10:00 签收（王联系）", "教务处 · 未签收", "2027-04-12 前退回",
		"后勤处申请延期至 2027-06-10", "同意延期", "修改答复期限", "**退回**：04-03 10:00 保卫处（主办）退回，理由：不属本处职责"} {
		if !strings.Contains(got.String(), want) {
			t.Errorf("the handling card lacks %q", want)
		}
	}
	if strings.Contains(got.String(), "签收（后勤处主办）") || strings.Contains(got.String(), "申请延期：新的答复期限") {
		t.Errorf("a 签收 button for a department that has acknowledged, or a second extension request while one is pending")
	}
	golden.Card(t, "proposal_assigned_handling", got)
	golden.Card(t, "proposal_cosigning_invitee", proposals.ProposalCard(sample(store.ProposalCosigning), s, nil, viewers["invitee"]))
	golden.Card(t, "proposal_submitted_committee", proposals.ProposalCard(sample(store.ProposalSubmitted), s, nil, viewers["committee"]))
	golden.Card(t, "proposal_assigned_contact", proposals.ProposalCard(sample(store.ProposalAssigned), s, nil, viewers["contact"]))
	if got := proposals.ProposalCard(sample(store.ProposalAssigned), s, nil, viewers["contact"]).String(); !strings.Contains(got, `流转记录**\n03-10 10:00 起草\n03-12 11:30 提交\n04-02 09:00 立案`) {
		t.Errorf("the 流转记录 in the union's zone: %s", got)
	}
	golden.Card(t, "proposal_assigned_helper", proposals.ProposalCard(sample(store.ProposalAssigned), s, nil, viewers["helper"]))
	golden.Card(t, "proposal_reviewing_committee", proposals.ProposalCard(sample(store.ProposalReviewing), s, nil, viewers["committee"]))
	key := sample(store.ProposalAssigned)
	key.KeyProposal = true
	golden.Card(t, "proposal_key_chair", proposals.ProposalCard(key, s, nil, viewers["chair"]))
	excellent := sample(store.ProposalClosed)
	excellent.Excellent = true
	golden.Card(t, "proposal_excellent_committee", proposals.ProposalCard(excellent, s, nil, viewers["choosing"]))
	golden.Card(t, "record", proposals.RecordCard("张老师", s, &store.DelegateRecord{Proposed: []*store.Proposal{key, sample(store.ProposalSubmitted)},
		Cosigned: []*store.Proposal{excellent}, Ratings: []store.RecordRating{{ProposalRating: store.ProposalRating{Round: 1, Rating: store.RatingBasic, Comment: "尽快落实"},
			Title: "改善食堂", Number: "4-3-002"}}}))
	golden.Card(t, "session_form_new", proposals.SessionFormCard(nil, shanghai))
	golden.Card(t, "session_form_edit", proposals.SessionFormCard(s, shanghai))
	golden.Card(t, "session", proposals.SessionCard(s, shanghai))
	dept := &store.Department{ID: 3, Name: "教务处", LeaderMemberID: 9, Contacts: []*store.Member{{ID: 5, Name: "刘洋", OpenID: "ou_5"}}}
	golden.Card(t, "departments", proposals.DepartmentsCard([]*store.Department{dept, {ID: 4, Name: "后勤处"}}, map[int64]string{3: "王建国"}))
	golden.Card(t, "department_form_new", proposals.DepartmentFormCard(nil, ""))
	golden.Card(t, "department_form_edit", proposals.DepartmentFormCard(dept, "ou_9"))
	golden.Card(t, "form_new", proposals.FormCard(s, nil, false))
	golden.Card(t, "reply_form", proposals.ReplyFormCard(sample(store.ProposalAssigned)))
	golden.Card(t, "rate", proposals.RateCard(sample(store.ProposalReplied)))
	golden.Card(t, "stats", proposals.StatsCard(s, &store.ProposalReport{
		Total:       store.ProposalStats{Collected: 10, Registered: 8, Replied: 6, Answered: 5, OnTime: 4, Closed: 3, Satisfied: 3, Basic: 2, Unsatisfied: 1, ClassA: 2, ClassB: 2, ClassC: 1, ClassD: 1},
		Categories:  []store.ProposalGroup{{Name: "后勤保障", ProposalStats: store.ProposalStats{Collected: 10, Registered: 8, Replied: 6}}},
		Departments: []store.ProposalGroup{{Name: "后勤处", ProposalStats: store.ProposalStats{Registered: 8, Replied: 6, Helper: 1}}},
		Branches:    []store.ProposalGroup{{Name: "理学院分工会", ProposalStats: store.ProposalStats{Collected: 10, Registered: 8}}}}))
}
