package proposals_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

// submitted files a proposal by proposer and submits it (through the store: the chat path is
// TestDraftingAndCosigning's).
func (r *rig) submitted(proposer *store.Member, title string, session *store.ProposalSession) int64 {
	r.t.Helper()
	ctx := context.Background()
	p := &store.Proposal{SessionID: session.ID, ProposerID: proposer.ID, Title: title, Category: "其他",
		Reason: "理由理由理由理由理由理由", Suggestion: "建议建议建议建议建议建议"}
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateProposal(ctx, p, "test"); err != nil {
			return err
		}
		return tx.StepProposal(ctx, p, store.StepSubmit, "test", store.ProposalChange{Set: map[string]any{"submitted_at": tx.Now()}})
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return p.ID
}

// TestReviewAssignReplyRate: the committee's decisions with their rules (立案 numbered in
// order and never twice, 并案 targets, reasons required), each told to the proposer; 交办 to
// one 主办 and 协办 with the contacts told; the reply by the 主办's contacts only, with a
// class; the rating by the proposer once per round, 不满意 giving a second round, and the
// 分管校领导 told when the second round ends unsatisfied.
func TestReviewAssignReplyRate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		prop := r.member("ou_prop", "张老师", store.RoleDelegate)
		r.member("ou_d1", "李一", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		k1 := r.member("ou_k1", "教务联系人")
		k2 := r.member("ou_k2", "后勤联系人")
		boss := r.member("ou_boss", "分管领导")
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if _, err := tx.SaveDepartment(ctx, &store.Department{Name: "教务处", LeaderMemberID: boss.ID, Contacts: []*store.Member{k1}}, "test"); err != nil {
				return err
			}
			if _, err := tx.SaveDepartment(ctx, &store.Department{Name: "保卫处"}, "test"); err != nil {
				return err
			}
			_, err := tx.SaveDepartment(ctx, &store.Department{Name: "后勤处", Contacts: []*store.Member{k2}}, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		other := &store.ProposalSession{Name: "第四届第二次", Code: "4-2", CongressDate: "2026-04-15", MinCosigners: 2,
			OpensAt: time.Date(2026, 3, 1, 8, 0, 0, 0, shanghai), ClosesAt: time.Date(2026, 3, 31, 18, 0, 0, 0, shanghai)}
		db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateProposalSession(ctx, other, "test") })

		p1 := r.submitted(prop, "一号提案", r.session)
		p2 := r.submitted(prop, "二号提案", r.session)
		p3 := r.submitted(prop, "三号提案", r.session)
		p4 := r.submitted(prop, "四号提案", r.session)
		p5 := r.submitted(prop, "五号提案", r.session)
		old := r.submitted(prop, "往届提案", other)

		if q := r.Say("ou_comm", "提案审查"); !strings.Contains(q, "一号提案") || !strings.Contains(q, "五号提案") || strings.Contains(q, "往届提案") {
			t.Errorf("queue: %s", q)
		}
		if got := r.Say("ou_d1", "提案审查"); !strings.Contains(got, "你没有权限进行此操作（需要：提案委员") {
			t.Errorf("queue by a delegate: %s", got)
		}
		ver := func(id int64) int { return r.proposal(id).Version }
		r.refused("ou_d1", v("proposals.register", p1, ver(p1)), nil, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_comm", v("proposals.register", p1, ver(p1)-1), nil, "卡片已过期")
		toast, cd := r.click("ou_comm", v("proposals.register", p1, ver(p1)), nil)
		if toast != "已立案，已通知提案人。" || !strings.Contains(cd, "4-3-001") {
			t.Errorf("register: %s %s", toast, cd)
		}
		if !strings.Contains(r.last("ou_prop"), "你的提案「一号提案」已立案，立案编号 4-3-001") {
			t.Errorf("proposer told: %s", r.last("ou_prop"))
		}
		r.refused("ou_comm", v("proposals.register", p1, ver(p1)), nil, "该提案已立案（4-3-001），不能重复立案。")
		reclass := v("proposals.reclassify", p2, ver(p2))
		r.refused("ou_d1", reclass, map[string]any{"category": "教学科研"}, "你没有权限进行此操作（需要：提案委员")
		r.refused("ou_comm", reclass, map[string]any{"category": "文体"}, "请选择类别：教学科研、人事待遇、后勤保障、校园建设、其他。")
		r.refused("ou_comm", reclass, map[string]any{"category": "其他"}, "类别没有变化。")
		if toast, cd := r.click("ou_comm", reclass, map[string]any{"category": "教学科研"}); toast != "已重新分类，已通知提案人。" || !strings.Contains(cd, "教学科研") {
			t.Errorf("reclassify: %s", toast)
		}
		if !strings.Contains(r.last("ou_prop"), "由「其他」改为「教学科研」类") {
			t.Errorf("reclassify told: %s", r.last("ou_prop"))
		}
		r.refused("ou_comm", reclass, map[string]any{"category": "其他"}, "卡片已过期")
		r.click("ou_comm", v("proposals.register", p2, ver(p2)), nil)
		if r.proposal(p2).Number != "4-3-002" {
			t.Errorf("second number: %s", r.proposal(p2).Number)
		}

		merge := func(_ int64, target string) map[string]any { return map[string]any{"target": target} }
		r.refused("ou_comm", v("proposals.merge", p3, ver(p3)), merge(p3, ""), "请填写并入的提案")
		r.refused("ou_comm", v("proposals.merge", p3, ver(p3)), merge(p3, itoa(p3)), "不能把提案并入它自己。")
		r.refused("ou_comm", v("proposals.merge", p3, ver(p3)), merge(p3, itoa(old)), "只能并入同一届次的提案（「往届提案」属于第四届第二次）。")
		r.refused("ou_comm", v("proposals.merge", p3, ver(p3)), merge(p3, "4-3-999"), "找不到立案编号为「4-3-999」的提案。")
		if toast, cd := r.click("ou_comm", v("proposals.merge", p3, ver(p3)), merge(p3, "4-3-001")); toast != "已并案，已通知提案人。" || !strings.Contains(cd, "已并入另一件提案") {
			t.Errorf("merge: %s %s", toast, cd)
		}
		r.refused("ou_comm", v("proposals.merge", p4, ver(p4)), merge(p4, itoa(p3)), "「三号提案」本身已并入其他提案")
		_, cd = r.click("ou_comm", map[string]any{"action": "proposals.show", "proposal_id": p1}, nil)
		if !strings.Contains(cd, "**并案**：「三号提案」（张老师）") {
			t.Errorf("target card: %s", cd)
		}
		r.refused("ou_comm", v("proposals.reject", p4, ver(p4)), map[string]any{"note": " "}, "不予立案须写明理由")
		r.refused("ou_comm", v("proposals.reject", p4, ver(p4)), map[string]any{"note": strings.Repeat("长", 1001)}, "审查意见太长")
		if toast, _ := r.click("ou_comm", v("proposals.reject", p4, ver(p4)), map[string]any{"note": "属于学校行政日常工作"}); toast != "已不予立案，已通知提案人。" {
			t.Errorf("reject: %s", toast)
		}
		if !strings.Contains(r.last("ou_prop"), "不予立案。理由：属于学校行政日常工作") {
			t.Errorf("reject told: %s", r.last("ou_prop"))
		}
		r.refused("ou_comm", v("proposals.merge", p5, ver(p5)), merge(p5, itoa(p4)), "「四号提案」现在是「不予立案」，不能作为并案的目标。")
		r.refused("ou_comm", v("proposals.return", p5, ver(p5)), nil, "退回修改须写明修改意见")
		r.click("ou_comm", v("proposals.return", p5, ver(p5)), map[string]any{"note": "请补充现状数据"})
		if p := r.proposal(p5); p.State != store.ProposalReturned || !strings.Contains(r.last("ou_prop"), "修改意见：请补充现状数据") {
			t.Errorf("return: %s %s", p.State, r.last("ou_prop"))
		}
		r.click("ou_comm", v("proposals.to_suggestion", old, ver(old)), nil)
		if p := r.proposal(old); p.State != store.ProposalSuggestion || p.Kind != store.KindSuggestion {
			t.Errorf("to suggestion: %+v", p)
		}

		// Asked in a group, a public registered proposal's card is posted there as a live card;
		// asked again, it is not posted twice.
		if got := r.groupReply(r.groupSay("ou_d1", "提案 4-3-001")); !strings.Contains(got, "已在本群发出提案 4-3-001 的卡片") {
			t.Errorf("group: %s", got)
		}
		if got := r.groupReply(r.groupSay("ou_d1", "提案 4-3-001")); !strings.Contains(got, "已在本群，且保持最新") {
			t.Errorf("group again: %s", got)
		}
		var posted string
		db.Get(ctx, &posted, `SELECT content FROM outbox WHERE kind = 'send' AND receive_id = 'oc_group'`)
		if !strings.Contains(posted, "已立案，待交办") || strings.Contains(posted, "proposals.") {
			t.Errorf("group card: %s", posted)
		}
		db.SQL().ExecContext(ctx, `UPDATE outbox SET status = 'sent', message_id = 'om_groupcard', sent_at = ? WHERE kind = 'send' AND receive_id = 'oc_group'`, r.Clock.Now().UTC())
		assign := v("proposals.assign", p1, ver(p1))
		r.refused("ou_comm", assign, map[string]any{"host": "教务处、后勤处"}, "主办单位须为一个，收到 2 个。")
		r.refused("ou_comm", assign, map[string]any{"host": "宣传部"}, "找不到承办单位「宣传部」。")
		r.refused("ou_comm", assign, map[string]any{"host": "教务处", "helpers": "教务处"}, "「教务处」已是主办单位，不能同时协办。")
		r.refused("ou_comm", assign, map[string]any{"host": "保卫处"}, "「保卫处」还没有联系人，请先导入承办单位联系人。")
		// The proposer's phone is never shown to the departments.
		// (A phone sealed in the v1 form, before values carried a key id and their row.)
		key, _ := secret.ParseKey(testKey)
		sealed, _ := secret.LegacySeal(key, "proposal.phone", "13800000001")
		db.SQL().ExecContext(ctx, `UPDATE proposals SET phone = ? WHERE id = ?`, sealed, p1)
		if toast, _ := r.click("ou_comm", assign, map[string]any{"host": "教务处", "helpers": "后勤处"}); toast != "已交办，已通知提案人。" {
			t.Fatalf("assign: %s", toast)
		}
		p := r.proposal(p1)
		if p.State != store.ProposalAssigned || p.ReplyDue == "" || p.ReplyDue <= "2027-04-15" {
			t.Errorf("assigned: %s due %s", p.State, p.ReplyDue)
		}
		if !strings.Contains(r.last("ou_k1"), "交**教务处**主办") || !strings.Contains(r.last("ou_k1"), "proposals.reply_form") || !strings.Contains(r.last("ou_k2"), "交**后勤处**协办") || strings.Contains(r.last("ou_k2"), "proposals.reply_form") {
			t.Errorf("contacts told:\n%s\n%s", r.last("ou_k1"), r.last("ou_k2"))
		}
		var patch string
		db.Get(ctx, &patch, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_groupcard'`)
		if !strings.Contains(patch, "办理中") || strings.Contains(patch, "138****") || strings.Contains(patch, "proposals.") {
			t.Errorf("the group's live card after 交办: %s", patch)
		}
		if strings.Contains(r.last("ou_k1"), "138****") || strings.Contains(r.last("ou_k2"), "138****") {
			t.Errorf("the phone shown to a department")
		}
		if _, cd := r.click("ou_comm", map[string]any{"action": "proposals.show", "proposal_id": p1}, nil); !strings.Contains(cd, "138****0001") ||
			!strings.Contains(cd, `流转记录**\n03-10 10:00 起草\n03-10 10:00 提交\n03-10 10:00 立案\n03-10 10:00 交办`) {
			t.Errorf("the committee's card (masked phone, 流转记录): %s", cd)
		}

		reply := v("proposals.reply", p1, p.Version)
		r.refused("ou_k2", reply, map[string]any{"class": "A", "reply": "已落实"}, "只有主办单位的联系人可以答复该提案。")
		r.refused("ou_d1", reply, map[string]any{"class": "A", "reply": "已落实"}, "你没有权限进行此操作（需要：承办联系人")
		r.refused("ou_k1", reply, map[string]any{"reply": "已落实"}, "请选择办理结果分类（A、B、C 或 D）。")
		r.refused("ou_k1", reply, map[string]any{"class": "A", "reply": " "}, "请填写答复内容。")
		if toast, _ := r.click("ou_k1", reply, map[string]any{"class": "C", "reply": "经费所限，明年列入计划"}); toast != "答复已提交，已通知提案人评价。" {
			t.Fatalf("reply: %s", toast)
		}
		if got := r.last("ou_prop"); !strings.Contains(got, "请评价提案答复：一号提案") || !strings.Contains(got, "C 因条件限制暂不能解决") {
			t.Errorf("rate card: %s", got)
		}
		rate := map[string]any{"action": "proposals.rate", "proposal_id": p1, "round": 1}
		r.refused("ou_d1", rate, map[string]any{"rating": "satisfied"}, "只有提案人可以评价该提案的答复。")
		r.refused("ou_prop", rate, nil, "请选择评价：满意、基本满意或不满意。")
		if toast, _ := r.click("ou_prop", rate, map[string]any{"rating": "unsatisfied", "comment": "希望今年解决"}); !strings.Contains(toast, "提案将再次交办理单位办理") {
			t.Fatalf("unsatisfied: %s", toast)
		}
		if p := r.proposal(p1); p.State != store.ProposalAssigned || p.Round != 2 || !strings.Contains(r.last("ou_k1"), "第二轮") {
			t.Errorf("second round: %s %d %s", p.State, p.Round, r.last("ou_k1"))
		}
		r.refused("ou_prop", rate, map[string]any{"rating": "satisfied"}, "你已评价过第 1 轮答复（不满意）。")
		// From now on co-signers rate too: 李一 agreed, gets the rating form, and rates without
		// deciding the course.
		db.SQL().ExecContext(ctx, `UPDATE proposal_sessions SET cosigners_rate = 1`)
		db.SQL().ExecContext(ctx, `INSERT INTO proposal_cosigners (proposal_id, member_id, status, invited_at) VALUES (?, ?, 'agreed', ?)`,
			p1, r.proposalMember("ou_d1"), time.Now().UTC())
		r.click("ou_k1", v("proposals.reply", p1, ver(p1)), map[string]any{"class": "B", "reply": "已列入今年计划"})
		rate["round"] = 2
		if !strings.Contains(r.last("ou_d1"), "请评价提案答复：一号提案") {
			t.Errorf("co-signer not asked to rate: %s", r.last("ou_d1"))
		}
		if toast, _ := r.click("ou_d1", rate, map[string]any{"rating": "satisfied"}); toast != "评价已记录，谢谢！" || r.proposal(p1).State != store.ProposalReplied {
			t.Errorf("co-signer's rating: %s %s", toast, r.proposal(p1).State)
		}
		if toast, _ := r.click("ou_prop", rate, map[string]any{"rating": "unsatisfied"}); toast != "评价已记录，提案已办结。谢谢！" {
			t.Errorf("round 2: %s", toast)
		}
		db.Get(ctx, &patch, `SELECT content FROM outbox WHERE kind = 'patch' AND target_message_id = 'om_groupcard' ORDER BY created_at DESC LIMIT 1`)
		if !strings.Contains(patch, "已办结") {
			t.Errorf("the group's live card at the close: %s", patch)
		}
		if p := r.proposal(p1); p.State != store.ProposalClosed || !strings.Contains(r.last("ou_boss"), "经两轮办理，提案人仍不满意") {
			t.Errorf("closed: %s, leader: %s", p.State, r.last("ou_boss"))
		}
		r.refused("ou_prop", rate, map[string]any{"rating": "satisfied"}, "你已评价过第 2 轮答复（不满意）。")
	})
}

func (r *rig) proposalMember(openID string) int64 {
	r.t.Helper()
	var id int64
	if err := r.DB.Get(context.Background(), &id, `SELECT id FROM members WHERE open_id = ?`, openID); err != nil {
		r.t.Fatal(err)
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestResubmission: a proposal returned for changes keeps its 附议 when resubmitted with the
// same text; when its 案由, 理由 or 建议 changed, it goes back to co-signing and its co-signers
// are asked again, each with their own card.
func TestResubmission(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		r := newRig(t, db)
		m := r.member("ou_prop", "张老师", store.RoleDelegate)
		d1 := r.member("ou_d1", "李一", store.RoleDelegate)
		d2 := r.member("ou_d2", "王二", store.RoleDelegate)
		r.member("ou_comm", "陈委员", store.RoleCommittee)
		p := &store.Proposal{SessionID: r.session.ID, ProposerID: m.ID, Title: good["title"].(string), Category: "后勤保障",
			Reason: good["reason"].(string), Suggestion: good["suggestion"].(string)}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateProposal(ctx, p, "test"); err != nil {
				return err
			}
			if err := tx.StepProposal(ctx, p, store.StepInvite, "test", store.ProposalChange{}); err != nil {
				return err
			}
			for _, d := range []*store.Member{d1, d2} {
				if _, err := tx.InviteCosigner(ctx, p.ID, d.ID, store.CosignAgreed, "test"); err != nil {
					return err
				}
			}
			q, err := tx.ProposalByID(ctx, p.ID)
			if err != nil {
				return err
			}
			return tx.StepProposal(ctx, q, store.StepSubmit, "test", store.ProposalChange{Set: map[string]any{"submitted_at": tx.Now()}})
		})
		if err != nil {
			t.Fatal(err)
		}
		ver := func() int { return r.proposal(p.ID).Version }
		r.click("ou_comm", v("proposals.return", p.ID, ver()), map[string]any{"note": "请写明建议承办单位"})
		// The same text, other departments: the 附议 is kept.
		if toast, _ := r.click("ou_prop", v("proposals.save", p.ID, ver()), with(with(good, "departments", "后勤处"), "phone", "")); toast != "草稿已保存。邀请代表附议，达到人数后提交。" {
			t.Errorf("unchanged text: %s", toast)
		}
		if toast, _ := r.click("ou_prop", v("proposals.submit", p.ID, ver()), nil); toast != "提案已提交，等待提案工作委员会审查。" || r.proposal(p.ID).Agreed() != 2 {
			t.Errorf("resubmitted: %s, agreed %d", toast, r.proposal(p.ID).Agreed())
		}
		r.click("ou_comm", v("proposals.return", p.ID, ver()), map[string]any{"note": "请缩小范围"})
		toast, cd := r.click("ou_prop", v("proposals.save", p.ID, ver()), with(with(good, "title", "增设教职工子女暑期托管班（试点）"), "phone", ""))
		if toast != "已保存。案由、理由或建议有改动，已请 2 位附议人重新确认附议。" || !strings.Contains(cd, "未答复：李一、王二") {
			t.Errorf("changed text: %s\n%s", toast, cd)
		}
		if got := r.proposal(p.ID); got.State != store.ProposalCosigning || got.Agreed() != 0 {
			t.Errorf("after a material change: %s, agreed %d", got.State, got.Agreed())
		}
		for _, d := range []string{"ou_d1", "ou_d2"} {
			if !strings.Contains(r.last(d), "请重新确认是否附议") || !strings.Contains(r.last(d), "同意附议") {
				t.Errorf("%s asked again: %s", d, r.last(d))
			}
		}
		r.refused("ou_prop", v("proposals.submit", p.ID, ver()), nil, "附议人数不足：已有 0 人同意，至少需要 2 人。")
		cosign := map[string]any{"action": "proposals.cosign", "proposal_id": p.ID}
		r.click("ou_d1", cosign, nil)
		r.click("ou_d2", cosign, nil)
		if toast, _ := r.click("ou_prop", v("proposals.submit", p.ID, ver()), nil); toast != "提案已提交，等待提案工作委员会审查。" {
			t.Errorf("submitted again: %s", toast)
		}
	})
}
