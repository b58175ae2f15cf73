package proposals_test

import (
	"context"
	"strings"
	"testing"

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
// from the store and on the 提案统计 card; only the committee, officers and chair may ask.
func TestStatistics(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		m := r.member("ou_prop", "张老师", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		r.member("ou_off", "干事", store.RoleOfficer)
		id := func(title string) int64 { return r.submitted(m, title, r.session) }
		reg := []any{store.StepRegister, store.StepAssign, map[string]any{"reply_due": "2027-05-20"}}

		// A draft and a late one are not collected.
		draft := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: "草稿", Category: "其他"}
		db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateProposal(context.Background(), draft, "test") })
		late := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: "迟交", Category: "其他"}
		db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateProposal(context.Background(), late, "test") })
		r.walk(late.ID, store.StepLate, map[string]any{"late": true, "kind": store.KindSuggestion, "submitted_at": "2027-04-01 00:00:00"})

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

		var st *store.ProposalStats
		db.InTx(context.Background(), func(tx *store.Tx) (err error) {
			st, err = tx.ProposalStatsOf(context.Background(), r.session.ID)
			return err
		})
		want := store.ProposalStats{Collected: 11, Registered: 7, Merged: 1, ToSuggestion: 1, Rejected: 1, Replied: 6,
			Satisfied: 1, Basic: 1, Unsatisfied: 1, Unrated: 2, ClassA: 2, ClassB: 2, ClassC: 1, ClassD: 1}
		if *st != want {
			t.Errorf("stats\n got %+v\nwant %+v", *st, want)
		}
		if st.Rated() != 3 || st.RegisterRate() != "63.6%" || st.ReplyRate() != "85.7%" || st.SatisfactionRate() != "66.7%" {
			t.Errorf("rates: rated %d, 立案率 %s, 办复率 %s, 满意率 %s", st.Rated(), st.RegisterRate(), st.ReplyRate(), st.SatisfactionRate())
		}
		got := r.Say("ou_comm", "提案统计")
		for _, w := range []string{`征集数**\n11`, `立案数**\n7`, `并案数**\n1`, `转建议数**\n1`, `不立案数**\n1`, `立案率**\n63.6%`,
			`办复率**\n85.7%`, `满意率**\n66.7%`, `未评价**\n2`, "A 2 · B 2 · C 1 · D 1"} {
			if !strings.Contains(got, w) {
				t.Errorf("card lacks %s:\n%s", w, got)
			}
		}
		if got := r.Say("ou_off", "提案统计 4-3"); !strings.Contains(got, `征集数**\n11`) {
			t.Errorf("officer, session by code: %s", got)
		}
		if got := r.Say("ou_prop", "提案统计"); !strings.Contains(got, "你没有权限进行此操作（需要：提案委员、工会干事、主席") {
			t.Errorf("delegate: %s", got)
		}
		if got := r.Say("ou_comm", "提案统计 第九届"); got != "找不到届次「第九届」。" {
			t.Errorf("unknown session: %s", got)
		}
	})
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
