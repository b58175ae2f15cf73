package proposals_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/feishutest"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/proposals"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var shanghai = func() *time.Location {
	l, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return l
}()

var testKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

type rig struct {
	*handlertest.Chat
	t       *testing.T
	session *store.ProposalSession
}

// newRig: the shared rig with the proposals' routes, a data key, the clock on 2027-03-10 10:00
// in Shanghai, and the session 第四届第三次 (collection 03-01 08:00 to 03-31 18:00, two 附议).
func newRig(t *testing.T, db *store.DB) *rig {
	cfg := config.Default()
	cfg.Security.DataKey = testKey
	c := handlertest.New(t, db, handlertest.Options{Loc: shanghai, Config: cfg, Deadline: 5 * time.Second,
		Now: time.Date(2027, 3, 10, 10, 0, 0, 0, shanghai), IDPrefix: "om_p",
		Register: func(r *bot.Router, d handlers.Deps) { proposals.Register(r, d) }})
	s := &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 2, PublicAfterRegister: true,
		LateAsSuggestion: true, OpensAt: time.Date(2027, 3, 1, 8, 0, 0, 0, shanghai), ClosesAt: time.Date(2027, 3, 31, 18, 0, 0, 0, shanghai)}
	if err := db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateProposalSession(context.Background(), s, "test") }); err != nil {
		t.Fatal(err)
	}
	return &rig{Chat: c, t: t, session: s}
}

func (r *rig) member(openID, name string, roles ...string) *store.Member {
	r.t.Helper()
	return handlertest.NewMember(r.t, r.DB, handlertest.Person{OpenID: openID, Name: name, EmployeeNo: openID[3:], Roles: roles})
}

// click sends a card action and returns the toast and the replacement card's data.
func (r *rig) click(sender string, value, form map[string]any) (string, string) {
	r.t.Helper()
	a := r.Answer(sender, value, form)
	return a.Toast.Content, a.Data()
}

// sent lists the 1:1 messages queued to a receiver, oldest first.
func (r *rig) sent(openID string) []string {
	r.t.Helper()
	var rows []string
	if err := r.DB.Select(context.Background(), &rows, `SELECT content FROM outbox WHERE kind = 'send' AND receive_id = ? ORDER BY created_at, id`, openID); err != nil {
		r.t.Fatal(err)
	}
	return rows
}

func (r *rig) last(openID string) string {
	s := r.sent(openID)
	if len(s) == 0 {
		return ""
	}
	return s[len(s)-1]
}

// groupSay sends text from sender to the group oc_group, mentioning the bot, and returns the
// message id.
func (r *rig) groupSay(sender, text string) string {
	r.t.Helper()
	id := fmt.Sprintf("om_pg%d", time.Now().UnixNano())
	status, _, err := r.WH.Send(context.Background(), feishutest.MessageEvent(feishutest.MessageOpts{MessageID: id, SenderOpenID: sender,
		ChatID: "oc_group", ChatType: "group", Text: "@_user_1 " + text, Token: handlertest.Token,
		Mentions: []feishutest.Mention{{Key: "@_user_1", OpenID: "ou_bot", Name: "工会助手"}}}))
	if err != nil || status != 200 {
		r.t.Fatal(status, err)
	}
	return id
}

// groupReply is the bot's reply to a group message.
func (r *rig) groupReply(id string) string {
	var reply string
	r.DB.Get(context.Background(), &reply, `SELECT content FROM outbox WHERE target_message_id = ?`, id)
	return reply
}

// rows is a snapshot of every proposal table and the audit trail, to prove a refusal wrote nothing.
func (r *rig) rows() string {
	r.t.Helper()
	var b strings.Builder
	for _, q := range []string{
		`SELECT id, state, version, title, reason, phone, COALESCE(number, '') AS n FROM proposals ORDER BY id`,
		`SELECT proposal_id, member_id, status FROM proposal_cosigners ORDER BY proposal_id, member_id`,
		`SELECT proposal_id, department_id, role, acknowledged_at FROM proposal_departments ORDER BY proposal_id, department_id`,
		`SELECT id, COALESCE(reply_due, '') AS due, key_proposal FROM proposals ORDER BY id`,
		`SELECT proposal_id, department_id, reason FROM proposal_returns ORDER BY id`,
		`SELECT proposal_id, requested_due, status, decision_note FROM proposal_extensions ORDER BY id`,
		`SELECT proposal_id, round, member_id, rating FROM proposal_ratings ORDER BY proposal_id, round, member_id`,
		`SELECT COUNT(*) FROM audit_log`,
	} {
		rows, err := r.DB.SQL().QueryContext(context.Background(), q)
		if err != nil {
			r.t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			rows.Scan(ptrs...)
			fmt.Fprintln(&b, vals...)
		}
		rows.Close()
	}
	return b.String()
}

// refused asserts that a click is answered with a warning containing want and writes nothing.
func (r *rig) refused(sender string, value, form map[string]any, want string) {
	r.t.Helper()
	before := r.rows()
	a := r.Answer(sender, value, form)
	if (a.Toast.Type != "warning" && a.Toast.Type != "error") || !strings.Contains(a.Toast.Content, want) {
		r.t.Errorf("%s %v: toast %s %q, want a warning with %q", sender, value["action"], a.Toast.Type, a.Toast.Content, want)
	}
	if after := r.rows(); after != before {
		r.t.Errorf("%s %v: a refusal wrote:\n%s\nwas:\n%s", sender, value["action"], after, before)
	}
}

func (r *rig) proposal(id int64) *store.Proposal {
	r.t.Helper()
	var p *store.Proposal
	err := r.DB.InTx(context.Background(), func(tx *store.Tx) (err error) { p, err = tx.ProposalByID(context.Background(), id); return err })
	if err != nil {
		r.t.Fatal(err)
	}
	return p
}

func v(action string, id int64, version int) map[string]any {
	return map[string]any{"action": action, "proposal_id": id, "version": version}
}

var good = map[string]any{"title": "增设教职工子女暑期托管班", "category": "后勤保障",
	"reason": "暑期教职工子女无人照看，影响教职工安心工作，兄弟院校已有先例。", "suggestion": "由工会牵头、后勤处配合，在暑期开设托管班，费用合理分担。",
	"departments": "后勤处、校工会", "phone": "13800000001"}

func with(m map[string]any, k string, val any) map[string]any {
	out := map[string]any{}
	for a, b := range m {
		out[a] = b
	}
	out[k] = val
	return out
}

// TestDraftingAndCosigning: 新建提案 for delegates only (in a group the form goes 1:1); the
// form's rules and limits; the phone sealed and masked; 附议 by each invitee's own click with
// every rule answered in Chinese and nothing written; submission at the minimum; a stale card.
func TestDraftingAndCosigning(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.member("ou_prop", "张老师", store.RoleDelegate)
		for i, n := range []string{"李一", "王二", "赵三", "钱四"} {
			r.member(fmt.Sprintf("ou_d%d", i+1), n, store.RoleDelegate)
		}
		r.member("ou_memb", "周会员")

		if got := r.Say("ou_memb", "新建提案"); !strings.Contains(got, "你没有权限进行此操作（需要：代表") {
			t.Errorf("non-delegate: %s", got)
		}
		form := r.Say("ou_prop", "新建提案")
		for _, want := range []string{"一事一案", "案由最多 50 字", "理由、建议各 10 至 1000 字", "从不公开", "至少 2 位代表附议", "proposals.save"} {
			if !strings.Contains(form, want) {
				t.Errorf("form lacks %q", want)
			}
		}
		// Asked in a group, the form goes 1:1.
		id := r.groupSay("ou_prop", "新建提案")
		reply := r.groupReply(id)
		if !strings.Contains(reply, "提案表单已私信发给你") || !strings.Contains(r.last("ou_prop"), "一事一案") {
			t.Errorf("group: reply %s, 1:1 %s", reply, r.last("ou_prop"))
		}

		save := v("proposals.save", 0, 0)
		r.refused("ou_prop", save, with(good, "title", " "), "请填写案由。")
		r.refused("ou_prop", save, with(good, "title", strings.Repeat("长", 51)), "案由太长（最多 50 字，现有 51 字）")
		r.refused("ou_prop", save, with(good, "reason", "太短"), "请填写理由（现状与依据，至少 10 字）")
		r.refused("ou_prop", save, with(good, "suggestion", strings.Repeat("建", 1001)), "建议太长（最多 1000 字")
		r.refused("ou_prop", save, with(good, "category", "文体活动"), "请选择类别：教学科研、人事待遇、后勤保障、校园建设、其他")
		r.refused("ou_prop", save, with(good, "phone", "电话"), "联系电话格式不对")
		r.refused("ou_memb", save, good, "你没有权限进行此操作（需要：代表")

		toast, cd := r.click("ou_prop", save, good)
		if !strings.Contains(toast, "草稿已保存") || !strings.Contains(cd, "138****0001") || !strings.Contains(cd, "草稿") {
			t.Fatalf("save: %s\n%s", toast, cd)
		}
		var pid int64
		var phone string
		db.Get(context.Background(), &pid, `SELECT MAX(id) FROM proposals`)
		db.Get(context.Background(), &phone, `SELECT phone FROM proposals WHERE id = ?`, pid)
		if phone == "" || strings.Contains(phone, "13800000001") {
			t.Errorf("phone at rest: %q", phone)
		}
		p := r.proposal(pid)
		// Edited until submitted: a stale version is refused.
		r.refused("ou_prop", v("proposals.save", pid, p.Version+5), with(good, "title", "新案由"), "卡片已过期")
		r.refused("ou_d1", v("proposals.save", pid, p.Version), with(good, "title", "新案由"), "只有提案人可以修改提案。")
		if toast, _ := r.click("ou_prop", v("proposals.save", pid, p.Version), with(good, "phone", "")); !strings.Contains(toast, "草稿已保存") {
			t.Errorf("edit: %s", toast)
		}
		p = r.proposal(pid)
		if p.Phone != phone {
			t.Errorf("a blank phone field changed the phone")
		}

		r.refused("ou_prop", v("proposals.submit", pid, p.Version), nil, "附议人数不足：已有 0 人同意，至少需要 2 人。")
		invite := v("proposals.invite", pid, p.Version)
		r.refused("ou_prop", invite, map[string]any{"invitees": []any{"ou_d1", "ou_memb"}}, "周会员 不是教代会代表，不能附议。")
		r.refused("ou_prop", invite, map[string]any{"invitees": []any{"ou_prop"}}, "不能邀请自己附议自己的提案。")
		r.refused("ou_d1", invite, map[string]any{"invitees": []any{"ou_d2"}}, "只有提案人可以邀请附议。")
		toast, _ = r.click("ou_prop", invite, map[string]any{"invitees": []any{"ou_d1", "ou_d2", "ou_d3", "ou_d4"}})
		if toast != "已邀请 4 位代表附议。" {
			t.Errorf("invite: %s", toast)
		}
		for _, d := range []string{"ou_d1", "ou_d2", "ou_d3", "ou_d4"} {
			if got := r.last(d); !strings.Contains(got, "张老师 邀请你附议这件提案") || !strings.Contains(got, "同意附议") || !strings.Contains(got, "不同意") || strings.Contains(got, "138****0001") {
				t.Errorf("%s's invitation: %s", d, got)
			}
		}
		cosign := map[string]any{"action": "proposals.cosign", "proposal_id": pid}
		decline := map[string]any{"action": "proposals.decline", "proposal_id": pid}
		withdraw := map[string]any{"action": "proposals.withdraw", "proposal_id": pid}
		r.refused("ou_memb", cosign, nil, "你没有权限进行此操作（需要：代表")
		r.refused("ou_prop", cosign, nil, "不能附议自己的提案。")
		if toast, _ := r.click("ou_d1", cosign, nil); toast != "已附议，谢谢！" {
			t.Errorf("d1: %s", toast)
		}
		if !strings.Contains(r.last("ou_prop"), "李一 同意附议你的提案「增设教职工子女暑期托管班」（已有 1 人同意，至少需要 2 人）") {
			t.Errorf("proposer told: %s", r.last("ou_prop"))
		}
		r.refused("ou_d1", cosign, nil, "你已附议该提案。")
		r.refused("ou_d1", decline, nil, "你已附议该提案；如需撤回")
		if toast, _ := r.click("ou_d2", decline, nil); toast != "已记录：不同意附议。" {
			t.Errorf("d2: %s", toast)
		}
		r.refused("ou_d2", decline, nil, "你已表示不同意附议。")
		r.click("ou_d3", cosign, nil)
		if toast, _ := r.click("ou_d3", withdraw, nil); toast != "已撤回附议。" {
			t.Errorf("withdraw: %s", toast)
		}
		r.refused("ou_d3", withdraw, nil, "你没有附议该提案。")
		p = r.proposal(pid)
		r.refused("ou_prop", v("proposals.submit", pid, p.Version), nil, "附议人数不足：已有 1 人同意，至少需要 2 人。")
		r.click("ou_d3", cosign, nil)
		p = r.proposal(pid)
		_, cd = r.click("ou_prop", map[string]any{"action": "proposals.show", "proposal_id": pid}, nil)
		if !strings.Contains(cd, "2 人同意（至少 2 人）") || !strings.Contains(cd, "同意：李一、赵三") || !strings.Contains(cd, "不同意：王二") || !strings.Contains(cd, "未答复：钱四") {
			t.Errorf("co-signing panel: %s", cd)
		}
		r.refused("ou_prop", v("proposals.submit", pid, p.Version-1), nil, "卡片已过期")
		r.refused("ou_d1", v("proposals.submit", pid, p.Version), nil, "只有提案人可以提交提案。")
		if toast, _ := r.click("ou_prop", v("proposals.submit", pid, p.Version), nil); toast != "提案已提交，等待提案工作委员会审查。" {
			t.Fatalf("submit: %s", toast)
		}
		// After submission: a late 附议 gets the stale answer, a withdrawal is refused, and a
		// second submission too.
		r.refused("ou_d4", cosign, nil, "卡片已过期：该提案现在是「已提交，待审查」")
		r.refused("ou_d1", withdraw, nil, "提案已提交，不能再撤回附议。")
		p = r.proposal(pid)
		r.refused("ou_prop", v("proposals.submit", pid, p.Version), nil, "卡片已过期")

		// After the close a new draft is submitted as 意见建议, and says so.
		r.Clock.Set(time.Date(2027, 4, 1, 9, 0, 0, 0, shanghai))
		if form := r.Say("ou_prop", "新建提案"); !strings.Contains(form, "现在提交的将作为**意见建议**处理") {
			t.Errorf("late form: %s", form)
		}
		r.click("ou_prop", save, with(good, "title", "食堂延长晚餐供应时间"))
		db.Get(context.Background(), &pid, `SELECT MAX(id) FROM proposals`)
		p = r.proposal(pid)
		if toast, cd := r.click("ou_prop", v("proposals.submit", pid, p.Version), nil); toast != "提案征集已截止，本件已作为意见建议提交。" || !strings.Contains(cd, "意见建议：食堂延长晚餐供应时间") {
			t.Errorf("late: %s %s", toast, cd)
		}
		if p = r.proposal(pid); p.State != store.ProposalSuggestion || !p.Late || p.Kind != store.KindSuggestion {
			t.Errorf("late proposal: %+v", p)
		}
	})
}

// TestPhoneWithoutKey: without security.data_key a phone is refused (saying to leave it
// empty) and nothing is written; without a phone the draft is saved.
func TestPhoneWithoutKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r2 := &rig{Chat: handlertest.New(t, db, handlertest.Options{Loc: shanghai, Deadline: 5 * time.Second, IDPrefix: "om_q",
			Register: func(rt *bot.Router, d handlers.Deps) { proposals.Register(rt, d) }}), t: t, session: r.session}
		r2.Clock = r.Clock
		r2.member("ou_prop", "张老师", store.RoleDelegate)
		r2.refused("ou_prop", v("proposals.save", 0, 0), good, "系统未配置数据密钥，暂不能保存联系电话，请留空后再保存。")
		if toast, _ := r2.click("ou_prop", v("proposals.save", 0, 0), with(good, "phone", "")); !strings.Contains(toast, "草稿已保存") {
			t.Errorf("without a phone: %s", toast)
		}
	})
}

// TestClosedSession: when the session takes no late proposals, after the close 新建提案 is
// refused and a draft cannot be submitted, with the closing time said and nothing written.
func TestClosedSession(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		db.SQL().ExecContext(context.Background(), `UPDATE proposal_sessions SET late_as_suggestion = 0, min_cosigners = 0`)
		r.member("ou_prop", "张老师", store.RoleDelegate)
		r.click("ou_prop", v("proposals.save", 0, 0), good)
		var pid int64
		db.Get(context.Background(), &pid, `SELECT MAX(id) FROM proposals`)
		r.Clock.Set(time.Date(2027, 3, 31, 18, 0, 0, 0, shanghai))
		p := r.proposal(pid)
		r.refused("ou_prop", v("proposals.submit", pid, p.Version), nil, "第四届第三次提案征集已于 2027-03-31 18:00 截止，不能再提交。")
		if got := r.Say("ou_prop", "新建提案"); got != "第四届第三次提案征集已于 2027-03-31 18:00 截止，不再接收提案。" {
			t.Errorf("new after the close: %s", got)
		}
		r.refused("ou_prop", v("proposals.save", 0, 0), good, "第四届第三次提案征集已截止，不再接收提案。")
	})
}

// TestSimilarWhileDrafting: saving a draft shows filed proposals of this and earlier sessions
// with a similar 案由, each with a button to see (and 附议) it; a dissimilar one shows none.
func TestSimilarWhileDrafting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		m := r.member("ou_prop", "张老师", store.RoleDelegate)
		other := &store.ProposalSession{Name: "第四届第二次", Code: "4-2", CongressDate: "2026-04-15", MinCosigners: 2,
			OpensAt: time.Date(2026, 3, 1, 8, 0, 0, 0, shanghai), ClosesAt: time.Date(2026, 3, 31, 18, 0, 0, 0, shanghai)}
		db.InTx(context.Background(), func(tx *store.Tx) error { return tx.CreateProposalSession(context.Background(), other, "test") })
		old := r.submitted(m, "增设教职工子女暑期托管班", other)
		toast, cd := r.click("ou_prop", v("proposals.save", 0, 0), with(good, "title", "关于增设教职工子女暑期托管班的建议"))
		if !strings.Contains(toast, "草稿已保存") || !strings.Contains(cd, "**相似提案**") || !strings.Contains(cd, "增设教职工子女暑期托管班 （第四届第二次，已提交，待审查）") ||
			!strings.Contains(cd, fmt.Sprintf(`"proposal_id":%d`, old)) {
			t.Errorf("similar: %s\n%s", toast, cd)
		}
		if _, cd := r.click("ou_prop", v("proposals.save", 0, 0), with(good, "title", "改善校园停车条件")); strings.Contains(cd, "相似提案") {
			t.Errorf("a dissimilar title: %s", cd)
		}
	})
}
