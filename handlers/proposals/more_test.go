package proposals_test

import (
	"context"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// departments creates 教务处 (contact ou_k1) and 后勤处 (contact ou_k2).
func (r *rig) departments() {
	r.t.Helper()
	ctx := context.Background()
	k1 := r.member("ou_k1", "教务联系人")
	k2 := r.member("ou_k2", "后勤联系人")
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		if _, err := tx.SaveDepartment(ctx, &store.Department{Name: "教务处", Contacts: []*store.Member{k1}}, "test"); err != nil {
			return err
		}
		_, err := tx.SaveDepartment(ctx, &store.Department{Name: "后勤处", Contacts: []*store.Member{k2}}, "test")
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
}

// TestOpinionsAndReplyReview: a 协办 department's contact sends its opinion to the 主办, who is
// told and sees it on its card and reply form; the proposer sees it only with the reply. With
// 答复审核 (the session's reply_review) the reply goes to the committee first: sent back with a
// reason, the 主办 answers again (its form keeps the text and shows the reason); approved, the
// proposer gets it with the opinions and the rating form. Every refusal writes nothing.
func TestOpinionsAndReplyReview(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		prop := r.member("ou_prop", "张老师", store.RoleDelegate)
		r.member("ou_d1", "李一", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		r.departments()
		// The session's 答复审核 comes from its YAML.
		s, err := proposals.CreateSessionFromYAML(ctx, db, strings.NewReader("name: 审核届\ncode: R-1\nopens: 2027-01-01 08:00\n"+
			"closes: 2027-01-31 18:00\ncongress: 2027-02-15\nreply_review: true\n"), shanghai, "test")
		if err != nil || !s.ReplyReview {
			t.Fatalf("reply_review from YAML: %v %+v", err, s)
		}
		db.SQL().ExecContext(ctx, `UPDATE proposal_sessions SET reply_review = 1 WHERE id = ?`, r.session.ID)
		id := r.assigned(prop, "一号提案", nil)

		if got := r.last("ou_k2"); !strings.Contains(got, "交**后勤处**协办") || !strings.Contains(got, "proposals.opinion") || strings.Contains(got, "proposals.reply_form") {
			t.Errorf("the helper's card: %s", got)
		}
		if strings.Contains(r.last("ou_k1"), "proposals.opinion") {
			t.Errorf("the host's card has the opinion form")
		}
		op := map[string]any{"action": "proposals.opinion", "proposal_id": id}
		r.refused("ou_k1", op, map[string]any{"opinion": "同意"}, "只有协办单位的联系人可以发送协办意见。")
		r.refused("ou_d1", op, map[string]any{"opinion": "同意"}, "你没有权限进行此操作（需要：承办联系人")
		r.refused("ou_k2", op, map[string]any{"opinion": "  "}, "请填写协办意见。")
		r.refused("ou_k2", op, map[string]any{"opinion": strings.Repeat("长", 1001)}, "协办意见太长（最多 1000 字")
		if toast, _ := r.click("ou_k2", op, map[string]any{"opinion": "场地可由后勤处安排"}); toast != "协办意见已发送给主办单位。" {
			t.Fatalf("opinion: %s", toast)
		}
		if got := r.last("ou_k1"); !strings.Contains(got, "协办单位后勤处对提案「一号提案」（4-3-001）的协办意见：场地可由后勤处安排") {
			t.Errorf("the host told: %s", got)
		}
		// A second opinion of the round replaces the first.
		r.click("ou_k2", op, map[string]any{"opinion": "场地和保洁可由后勤处安排"})
		show := map[string]any{"action": "proposals.show", "proposal_id": id}
		if _, cd := r.click("ou_k1", show, nil); !strings.Contains(cd, `**协办意见**\n后勤处（后勤联系人）：场地和保洁可由后勤处安排`) || strings.Contains(cd, "可由后勤处安排\\n后勤处") {
			t.Errorf("the host's card: %s", cd)
		}
		if _, cd := r.click("ou_k1", v("proposals.reply_form", id, r.proposal(id).Version), nil); !strings.Contains(cd, "场地和保洁可由后勤处安排") {
			t.Errorf("the reply form lacks the opinion: %s", cd)
		}
		if _, cd := r.click("ou_prop", show, nil); strings.Contains(cd, "场地和保洁") {
			t.Errorf("the proposer sees the opinion before the reply: %s", cd)
		}

		// The reply goes to the committee, not to the proposer.
		if toast, _ := r.click("ou_k1", v("proposals.reply", id, r.proposal(id).Version), map[string]any{"class": "B", "reply": "暑期试点开设托管班"}); toast != "答复已提交，提案工作委员会审核后送提案人。" {
			t.Fatalf("reply for review: %s", toast)
		}
		if p := r.proposal(id); p.State != store.ProposalReviewing || p.RepliedAt != nil || p.ReplySubmittedAt == nil {
			t.Errorf("under review: %s %v %v", p.State, p.RepliedAt, p.ReplySubmittedAt)
		}
		if got := r.last("ou_comm"); !strings.Contains(got, "承办单位已答复提案「一号提案」（4-3-001），请审核") || !strings.Contains(got, "proposals.approve_reply") || !strings.Contains(got, "暑期试点开设托管班") {
			t.Errorf("the committee asked: %s", got)
		}
		if got := r.last("ou_prop"); strings.Contains(got, "请评价") {
			t.Errorf("the proposer got the reply before review: %s", got)
		}
		if _, cd := r.click("ou_prop", show, nil); strings.Contains(cd, "暑期试点") || !strings.Contains(cd, "答复待审核") {
			t.Errorf("the proposer's card under review: %s", cd)
		}
		if q := r.Say("ou_comm", "提案审查"); !strings.Contains(q, "一号提案") || !strings.Contains(q, "答复待审核") {
			t.Errorf("the queue lists replies under review: %s", q)
		}
		ver := r.proposal(id).Version
		r.refused("ou_d1", v("proposals.approve_reply", id, ver), nil, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_comm", v("proposals.approve_reply", id, ver-1), nil, "卡片已过期")
		r.refused("ou_comm", v("proposals.redo_reply", id, ver), map[string]any{"note": ""}, "退回答复须写明理由")
		r.refused("ou_k1", v("proposals.reply", id, ver), map[string]any{"class": "A", "reply": "再答"}, "卡片已过期")
		if toast, _ := r.click("ou_comm", v("proposals.redo_reply", id, ver), map[string]any{"note": "请写明开班时间"}); toast != "答复已退回主办单位重新答复。" {
			t.Fatalf("redo: %s", toast)
		}
		if p := r.proposal(id); p.State != store.ProposalAssigned || p.ReplyReviewNote != "请写明开班时间" {
			t.Errorf("sent back: %s %q", p.State, p.ReplyReviewNote)
		}
		if got := r.last("ou_k1"); !strings.Contains(got, "提案工作委员会退回了教务处的答复：请写明开班时间") || !strings.Contains(got, "proposals.reply_form") {
			t.Errorf("the host told: %s", got)
		}
		if _, cd := r.click("ou_k1", v("proposals.reply_form", id, r.proposal(id).Version), nil); !strings.Contains(cd, "答复审核退回意见**：请写明开班时间") || !strings.Contains(cd, `"default_value":"暑期试点开设托管班"`) {
			t.Errorf("the reply form again: %s", cd)
		}
		if _, cd := r.click("ou_prop", show, nil); strings.Contains(cd, "暑期试点") || strings.Contains(cd, "开班时间") {
			t.Errorf("the proposer sees the reply sent back: %s", cd)
		}
		r.click("ou_k1", v("proposals.reply", id, r.proposal(id).Version), map[string]any{"class": "A", "reply": "7 月 10 日起暑期试点开设托管班"})
		if p := r.proposal(id); p.State != store.ProposalReviewing || p.ReplyReviewNote != "" {
			t.Errorf("replied again: %s %q", p.State, p.ReplyReviewNote)
		}
		if toast, _ := r.click("ou_comm", v("proposals.approve_reply", id, r.proposal(id).Version), nil); toast != "答复已审核通过，已送提案人评价。" {
			t.Fatalf("approve: %s", toast)
		}
		if p := r.proposal(id); p.State != store.ProposalReplied || p.RepliedAt == nil || !p.ReplyPublished() {
			t.Errorf("approved: %s %v", p.State, p.RepliedAt)
		}
		if got := r.last("ou_prop"); !strings.Contains(got, "请评价提案答复：一号提案") || !strings.Contains(got, "7 月 10 日起") ||
			!strings.Contains(got, `**协办意见**\n后勤处（后勤联系人）：场地和保洁可由后勤处安排`) {
			t.Errorf("the proposer's rating card: %s", got)
		}
		if !strings.Contains(r.last("ou_k1"), "答复已通过审核，已送提案人评价") {
			t.Errorf("the host told of the approval: %s", r.last("ou_k1"))
		}
		if _, cd := r.click("ou_prop", show, nil); !strings.Contains(cd, "场地和保洁") || !strings.Contains(cd, `答复审核退回\n`) || !strings.Contains(cd, "答复审核通过") {
			t.Errorf("the proposer's card after the approval (opinions, 流转记录): %s", cd)
		}
		r.refused("ou_k2", op, map[string]any{"opinion": "补充"}, "卡片已过期")
		r.refused("ou_comm", v("proposals.approve_reply", id, r.proposal(id).Version), nil, "卡片已过期")
	})
}

// TestKeyAndExcellent: the chair marks and unmarks 重点提案 (registered proposals only), shown
// on the card and listed first; the committee chooses 优秀提案 among closed proposals once the
// session's registered proposals are all closed, and the proposer is told.
func TestKeyAndExcellent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		prop := r.member("ou_prop", "张老师", store.RoleDelegate)
		r.member("ou_d1", "李一", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		r.member("ou_chair", "王主席", store.RoleChair)
		p1 := r.submitted(prop, "一号提案", r.session)
		p2 := r.submitted(prop, "二号提案", r.session)
		p3 := r.submitted(prop, "三号提案", r.session)
		r.click("ou_comm", v("proposals.register", p1, r.proposal(p1).Version), nil)
		r.click("ou_comm", v("proposals.register", p2, r.proposal(p2).Version), nil)
		key := func(id int64, on bool) map[string]any {
			return map[string]any{"action": "proposals.mark_key", "proposal_id": id, "on": on}
		}
		if _, cd := r.click("ou_chair", map[string]any{"action": "proposals.show", "proposal_id": p2}, nil); !strings.Contains(cd, "列为重点提案") {
			t.Errorf("the chair's card lacks the button: %s", cd)
		}
		r.refused("ou_comm", key(p2, true), nil, "你没有权限进行此操作（需要：主席")
		r.refused("ou_chair", key(p3, true), nil, "只有已立案的提案可以列为重点提案。")
		if toast, cd := r.click("ou_chair", key(p2, true), nil); toast != "已列为重点提案，已通知提案人。" || !strings.Contains(cd, "⭐重点提案") || !strings.Contains(cd, "取消重点提案") {
			t.Errorf("mark key: %s %s", toast, cd)
		}
		if !strings.Contains(r.last("ou_prop"), "你的提案「二号提案」（4-3-002）已列为重点提案") {
			t.Errorf("proposer told: %s", r.last("ou_prop"))
		}
		r.refused("ou_chair", key(p2, true), nil, "该提案已是重点提案。")
		list := r.Say("ou_d1", "提案列表")
		if i, j := strings.Index(list, "4-3-002"), strings.Index(list, "4-3-001"); i < 0 || j < 0 || i > j || !strings.Contains(list, "二号提案 · 其他 · 已立案，待交办 ⭐重点提案") {
			t.Errorf("the key proposal is not listed first: %s", list)
		}
		if _, cd := r.click("ou_d1", map[string]any{"action": "proposals.show", "proposal_id": p2}, nil); !strings.Contains(cd, "第四届第三次 · ⭐重点提案") || strings.Contains(cd, "proposals.mark_key") {
			t.Errorf("a delegate's view of the key proposal: %s", cd)
		}
		if toast, _ := r.click("ou_chair", key(p1, true), nil); toast != "已列为重点提案，已通知提案人。" {
			t.Errorf("mark key 1: %s", toast)
		}
		if toast, _ := r.click("ou_chair", key(p1, false), nil); toast != "已取消重点提案，已通知提案人。" || r.proposal(p1).KeyProposal {
			t.Errorf("unmark key: %s", toast)
		}

		exc := func(id int64, on bool) map[string]any {
			return map[string]any{"action": "proposals.mark_excellent", "proposal_id": id, "on": on}
		}
		r.refused("ou_comm", exc(p1, true), nil, "只有已立案并已办结的提案可以评为优秀提案。")
		db.SQL().ExecContext(ctx, `UPDATE proposals SET state = 'closed' WHERE id = ?`, p1)
		r.refused("ou_comm", exc(p1, true), nil, "第四届第三次还有 1 件立案提案未办结，全部办结后再评选优秀提案。")
		if got := r.Say("ou_comm", "优秀提案"); !strings.Contains(got, "本届尚未评出优秀提案") || !strings.Contains(got, "还有 1 件立案提案未办结") {
			t.Errorf("excellent list before the end: %s", got)
		}
		db.SQL().ExecContext(ctx, `UPDATE proposals SET state = 'closed' WHERE id = ?`, p2)
		r.refused("ou_d1", exc(p1, true), nil, "你没有权限进行此操作（需要：提案委员")
		if _, cd := r.click("ou_comm", map[string]any{"action": "proposals.show", "proposal_id": p1}, nil); !strings.Contains(cd, "评为优秀提案") {
			t.Errorf("the committee's card lacks the button: %s", cd)
		}
		if toast, cd := r.click("ou_comm", exc(p1, true), nil); toast != "已评为优秀提案，已通知提案人。" || !strings.Contains(cd, "🏅优秀提案") {
			t.Errorf("excellent: %s %s", toast, cd)
		}
		if !strings.Contains(r.last("ou_prop"), "祝贺！你的提案「一号提案」（4-3-001）被提案工作委员会评为第四届第三次优秀提案") {
			t.Errorf("proposer told: %s", r.last("ou_prop"))
		}
		r.refused("ou_comm", exc(p1, true), nil, "该提案已是优秀提案。")
		if got := r.Say("ou_d1", "优秀提案"); !strings.Contains(got, "4-3-001") || strings.Contains(got, "4-3-002") {
			t.Errorf("excellent list: %s", got)
		}
		if got := r.Say("ou_d1", "提案列表"); !strings.Contains(got, "一号提案 · 其他 · 已办结 🏅优秀提案") {
			t.Errorf("the list shows 优秀: %s", got)
		}
		r.refused("ou_chair", key(p2, false), nil, "该提案已办结，不能再更改重点提案标记。")
	})
}

// TestRecord: 履职记录 shows a delegate's filed proposals, co-signatures and ratings in a
// session, 1:1; only the overseers may ask for someone else's.
func TestRecord(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		prop := r.member("ou_prop", "张老师", store.RoleDelegate)
		d1 := r.member("ou_d1", "李一", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		mine := r.submitted(prop, "一号提案", r.session)
		r.click("ou_comm", v("proposals.register", mine, r.proposal(mine).Version), nil)
		other := r.submitted(d1, "李一的提案", r.session)
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateProposal(ctx, &store.Proposal{SessionID: r.session.ID, ProposerID: prop.ID, Title: "未提交的草稿", Category: "其他"}, "test"); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO proposal_cosigners (proposal_id, member_id, status, invited_at) VALUES (?, ?, 'agreed', ?)`, other, prop.ID, tx.Now()); err != nil {
				return err
			}
			return tx.RateProposal(ctx, &store.ProposalRating{ProposalID: other, Round: 1, MemberID: prop.ID, Rating: store.RatingBasic, Comment: "尚可"}, "test")
		})
		if err != nil {
			t.Fatal(err)
		}
		got := r.Say("ou_prop", "履职记录")
		for _, want := range []string{"履职记录：张老师", "第四届第三次", "4-3-001 一号提案 · 已立案，待交办", `**附议的提案**\n未立案 李一的提案 · 已提交，待审查`,
			"未立案 李一的提案 · 第 1 轮：基本满意（尚可）"} {
			if !strings.Contains(got, want) {
				t.Errorf("record lacks %q: %s", want, got)
			}
		}
		if strings.Contains(got, "未提交的草稿") {
			t.Errorf("a draft in the record: %s", got)
		}
		if got := r.Say("ou_d1", "履职记录 张老师"); !strings.Contains(got, "只有提案工作委员会、工会干事和主席可以查看其他代表的履职记录") {
			t.Errorf("another's record by a delegate: %s", got)
		}
		if got := r.Say("ou_comm", "履职记录 张老师"); !strings.Contains(got, "履职记录：张老师") || !strings.Contains(got, "一号提案") {
			t.Errorf("the committee asks: %s", got)
		}
		if got := r.Say("ou_comm", "履职记录 prop 4-3"); !strings.Contains(got, "履职记录：张老师") {
			t.Errorf("by 工号 and session code: %s", got)
		}
		if got := r.Say("ou_comm", "履职记录 无此人"); !strings.Contains(got, "找不到「无此人」") {
			t.Errorf("unknown: %s", got)
		}
		if reply := r.groupReply(r.groupSay("ou_prop", "履职记录")); !strings.Contains(reply, "履职记录已私信发给你") || !strings.Contains(r.last("ou_prop"), "履职记录：张老师") {
			t.Errorf("in a group: %s", reply)
		}
	})
}
