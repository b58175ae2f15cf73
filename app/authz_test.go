package app_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/app"
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// The authorization matrix: every chat command and every card action the app registers, sent by
// a member holding each role (and one holding none), whose 分工会 is the record's or another,
// on a record of their own or someone else's, and the answer is checked against who may.
//
// A route registered on the router without a row here fails TestAuthorizationMatrix, and so
// does a row for a route that no longer exists: a new flow adds its rows when it lands.
//
// "Refused" means the answer is the router's permission refusal (你没有权限进行此操作), or the
// row's own refusal for a record that is not the member's (deny), and nothing was written (the
// rig fails a test whose handler refused after writing). "Allowed" means the answer is neither.

// who may, as the rows spell it (independently of the role sets in store, so that a change to a
// set shows up here as a failing cell). An admin passes every role check.
var (
	everyone   []string
	adminOnly  = []string{store.RoleAdmin}
	officers   = []string{store.RoleOfficer, store.RoleChair}
	branchOffs = []string{store.RoleBranchChair, store.RoleOfficer, store.RoleChair}
	delegates  = []string{store.RoleDelegate}
	committee  = []string{store.RoleCommittee}
	overseers  = []string{store.RoleCommittee, store.RoleOfficer, store.RoleChair}
	contacts   = []string{store.RoleContact}
	legalStaff = []string{store.RoleLegalOfficer, store.RoleLawyer}
	legalOffs  = []string{store.RoleLegalOfficer}
	chairOnly  = []string{store.RoleChair}
	recorders  = []string{store.RoleDelegate, store.RoleCommittee, store.RoleOfficer, store.RoleChair}
	aidChain   = []string{store.RoleBranchChair, store.RoleOfficer, store.RoleChair, store.RoleWelfare}
	approvers  = []string{store.RoleChair, store.RoleWelfare}
	aidLedger  = []string{store.RoleOfficer, store.RoleChair, store.RoleWelfare}
	officerOne = []string{store.RoleOfficer}
)

// matrixRoles are the roles a cell's member holds: "" for none (a plain member).
var matrixRoles = []string{"", store.RoleDelegate, store.RoleContact, store.RoleBranchChair, store.RoleOfficer,
	store.RoleCommittee, store.RoleWelfare, store.RoleChair, store.RoleLegalOfficer, store.RoleLawyer, store.RoleAdmin}

// cell is one combination: the member's role, whether the record's 分工会 is the member's, and
// whether the record is the member's own.
type cell struct {
	role      string
	ownUnit   bool
	ownRecord bool
}

func (c cell) String() string {
	role := c.role
	if role == "" {
		role = "none"
	}
	return fmt.Sprintf("%s/%s/%s", role, map[bool]string{true: "own-unit", false: "other-unit"}[c.ownUnit],
		map[bool]string{true: "own-record", false: "other-record"}[c.ownRecord])
}

// holds reports whether the cell's member passes a role check for roles (admins pass all).
func (c cell) holds(roles []string) bool {
	return len(roles) == 0 || c.role == store.RoleAdmin || slices.Contains(roles, c.role)
}

// event is what a cell sends: a command's text, or a card action's value and form.
type event struct {
	text        string
	value, form map[string]any
}

// row is a route's expectations.
type row struct {
	route string   // a command's first name, or an action's name
	who   []string // roles that may use it (nil: every member)
	// scoped rows depend on the record and the 分工会: allow says which cells may (beyond who),
	// deny is the handler's refusal for the others, and fixture makes each cell's record.
	allow   func(c cell) bool
	deny    string
	fixture func(w *world, c cell, actor, owner *store.Member) event
	// value is the button's value of an unscoped action beyond "action" (nil: none).
	value func(w *world) map[string]any
	cmd   bool
}

func command(name string, who []string) row { return row{route: name, who: who, cmd: true} }
func action(name string, who []string) row  { return row{route: name, who: who} }
func withValue(r row, v func(w *world) map[string]any) row {
	r.value = v
	return r
}
func scoped(r row, deny string, allow func(c cell) bool, f func(w *world, c cell, actor, owner *store.Member) event) row {
	r.deny, r.allow, r.fixture = deny, allow, f
	return r
}

// officer reports whether the cell's member acts for the whole union (officer, chair, admin).
func (c cell) officer() bool { return c.holds(officers) }

func activityValue(w *world) map[string]any {
	return map[string]any{"activity_id": w.activity.ID, "version": w.activity.Version}
}

// matrix is the table: one row per registered route.
var matrix = []row{
	// The core: menu, profile, roles, failed deliveries, holidays.
	command("菜单", everyone), action("menu.show", everyone),
	command("我的信息", everyone), action("profile.show", everyone), action("profile.save", everyone),
	command("授权", adminOnly), command("撤销", adminOnly), command("角色", adminOnly), action("roles.list", adminOnly),
	command("发送失败", adminOnly), action("outbox.failed", adminOnly),
	command("节假日", adminOnly), command("节假日导入", adminOnly),

	// Sign-ups: members.
	command("活动", everyone), command("我的报名", everyone), command("名单", everyone), command("组队", everyone),
	command("退订活动提醒", everyone), command("恢复活动提醒", everyone),
	withValue(action("signup.join", everyone), activityValue), withValue(action("signup.card", everyone), activityValue),
	action("signup.mine", everyone), withValue(action("signup.team.new", everyone), activityValue),
	withValue(action("signup.team.create", everyone), activityValue), action("signup.team.show", everyone),
	action("signup.team.invite", everyone), action("signup.invite", everyone),
	withValue(action("signup.checkin", everyone), activityValue), action("signup.optout", everyone),
	// Only the member's own entry can be cancelled (officers cancel the activity instead).
	scoped(action("signup.cancel", everyone), "只能取消自己的报名", func(c cell) bool { return c.ownRecord },
		func(w *world, c cell, actor, owner *store.Member) event {
			e := w.signUp(w.activity, owner)
			return event{value: map[string]any{"action": "signup.cancel", "entry_id": e.ID, "activity_id": w.activity.ID}}
		}),
	// Sign-ups: branch officers and officers.
	command("分工会报名", branchOffs), command("待确认", branchOffs),
	withValue(action("signup.unit.add", branchOffs), activityValue), withValue(action("signup.unit.confirm", branchOffs), activityValue),
	// A 分工会主席 confirms the entries of their own 分工会 only; officers confirm all.
	scoped(action("signup.decide", branchOffs), "只能确认本分工会成员的报名",
		func(c cell) bool { return c.officer() || c.ownUnit },
		func(w *world, c cell, actor, owner *store.Member) event {
			e := w.signUp(w.confirmed, owner)
			return event{value: map[string]any{"action": "signup.decide", "entry_id": e.ID, "approve": true}}
		}),
	command("签到", officers), command("签到情况", officers), command("抽签", officers), command("抽签核验", officers),
	command("新建活动", officers), command("活动管理", officers), command("导出", officers),
	action("activity.new", officers), action("activity.create", officers),
	withValue(action("activity.edit", officers), activityValue), withValue(action("activity.update", officers), activityValue),
	withValue(action("activity.publish", officers), func(w *world) map[string]any {
		return map[string]any{"activity_id": w.draft.ID, "version": w.draft.Version}
	}),
	withValue(action("activity.cancel", officers), func(w *world) map[string]any {
		return map[string]any{"activity_id": w.draft.ID, "version": 0} // an old version: refused as stale, never cancelled
	}),
	withValue(action("activity.preview", officers), activityValue), withValue(action("activity.export", officers), activityValue),

	// The ten tasks.
	command("实事", everyone), command("新建实事", officers),
	action("tasks.board", everyone), action("tasks.show", everyone),
	// Progress: the task's responsible members and the officers.
	scoped(action("tasks.progress_form", everyone), "不能更新进度", func(c cell) bool { return c.ownRecord || c.officer() }, taskEvent("tasks.progress_form")),
	scoped(action("tasks.progress", everyone), "不能更新进度", func(c cell) bool { return c.ownRecord || c.officer() }, taskEvent("tasks.progress")),
	// An extension: the task's responsible members only.
	scoped(action("tasks.extend_form", everyone), "可以申请延期", func(c cell) bool { return c.ownRecord }, taskEvent("tasks.extend_form")),
	scoped(action("tasks.extend", everyone), "可以申请延期", func(c cell) bool { return c.ownRecord }, taskEvent("tasks.extend")),
	action("tasks.decide", officers), action("tasks.manage", officers), action("tasks.owners", officers),
	action("tasks.deadline", officers), action("tasks.milestone", officers), action("tasks.create_form", officers),
	action("tasks.create", officers),

	// Staff-congress proposals.
	command("新建提案", delegates), command("我的提案", everyone), command("提案", everyone), command("提案列表", everyone),
	command("提案审查", committee), command("提案统计", overseers),
	action("proposals.cosign", delegates), action("proposals.decline", delegates), action("proposals.withdraw", delegates),
	// A draft is its proposer's: only they edit, invite co-signers and submit it, and only they
	// (and the overseers) see it.
	scoped(action("proposals.form", delegates), "只有提案人可以修改提案", func(c cell) bool { return c.ownRecord }, proposalEvent("proposals.form")),
	scoped(action("proposals.save", delegates), "只有提案人可以修改提案", func(c cell) bool { return c.ownRecord }, proposalEvent("proposals.save")),
	scoped(action("proposals.invite", delegates), "只有提案人可以邀请附议", func(c cell) bool { return c.ownRecord }, proposalEvent("proposals.invite")),
	scoped(action("proposals.submit", delegates), "只有提案人可以提交提案", func(c cell) bool { return c.ownRecord }, proposalEvent("proposals.submit")),
	scoped(action("proposals.show", everyone), "你没有查看该提案的权限", func(c cell) bool { return c.ownRecord || c.holds(overseers) }, proposalEvent("proposals.show")),
	action("proposals.register", committee), action("proposals.merge", committee), action("proposals.to_suggestion", committee),
	action("proposals.reject", committee), action("proposals.return", committee), action("proposals.assign", committee),
	action("proposals.reclassify", committee),
	action("proposals.reply_form", contacts), action("proposals.reply", contacts),
	// The handling: a department's 签收, 退回 and extension request (for its own assignments:
	// the handlers refuse a contact of another department), the committee's decisions.
	action("proposals.acknowledge", contacts), action("proposals.dept_return", contacts), action("proposals.extend", contacts),
	action("proposals.extend_grant", committee), action("proposals.extend_refuse", committee), action("proposals.set_due", committee),
	action("proposals.rate", everyone),
	// 协办 opinions, 答复审核, 重点提案 (the chair), 优秀提案, 履职记录 (delegates for their own,
	// overseers for anyone's), sessions and departments in chat (officers).
	action("proposals.opinion", contacts), action("proposals.approve_reply", committee), action("proposals.redo_reply", committee),
	action("proposals.mark_key", chairOnly), action("proposals.mark_excellent", committee),
	command("履职记录", recorders), command("优秀提案", everyone),
	command("新建届次", officers), command("届次", officers), command("承办单位", officers),
	action("proposals.session", officers), action("proposals.session_form", officers), action("proposals.session_save", officers),
	action("proposals.department_form", officers), action("proposals.department_save", officers),
	action("proposals.export", overseers),

	// Consents (privacy): a member consents or declines for themselves (the operator), no one
	// else.
	action("privacy.accept", everyone), action("privacy.decline", everyone),

	// Legal aid: a case is seen by its member, the legal-aid officers and the lawyers, and by
	// no one else, not even an admin (who passes the router's role checks, and is refused by
	// the flow: 找不到 / 只有法律援助专员和律师). Only its member books, cancels, withdraws.
	command("法律援助", everyone),
	row{route: "法律援助案件", who: legalStaff, cmd: true, deny: "只有法律援助专员和律师可以查看", allow: legalRole},
	withValue(action("legal.consent", everyone), func(w *world) map[string]any { return map[string]any{"purpose": "legal", "version": 1} }),
	action("legal.new", everyone), action("legal.submit", everyone),
	row{route: "legal.list", who: legalStaff, deny: "只有法律援助专员和律师可以查看", allow: legalRole},
	scoped(action("legal.show", everyone), "找不到", func(c cell) bool { return c.ownRecord || legalRole(c) }, legalEvent("legal.show")),
	scoped(action("legal.slots", everyone), "找不到", func(c cell) bool { return c.ownRecord }, legalEvent("legal.slots")),
	// (Booking and cancelling need a configured slot and a booking, which the matrix's world has
	// not: their other-record cells are checked here, the member's own in TestLegalBooking.)
	row{route: "legal.book", deny: "找不到", allow: func(c cell) bool { return c.ownRecord }},
	row{route: "legal.cancel", deny: "找不到", allow: func(c cell) bool { return c.ownRecord }},
	scoped(action("legal.withdraw", everyone), "找不到", func(c cell) bool { return c.ownRecord }, legalEvent("legal.withdraw")),
	scoped(action("legal.close", legalOffs), "只有法律援助专员可以结案", func(c cell) bool { return c.role == store.RoleLegalOfficer }, legalEvent("legal.close")),

	// 我的数据: every member, about themselves only (the routes take no one else's record).
	command("我的数据", everyone), action("privacy.mydata", everyone),
	withValue(action("privacy.export", everyone), func(w *world) map[string]any { return map[string]any{"format": "json"} }),
	withValue(action("privacy.withdraw", everyone), func(w *world) map[string]any { return map[string]any{"purpose": "legal"} }),
	action("privacy.erase", everyone),

	// Aid requests: every member applies for themselves; who sees and decides a case is
	// store.AidCan (TestAidPrivacyMatrix walks every state); here a case waiting for 分工会初审.
	command("申请帮扶", everyone), command("我的申请", everyone), command("帮扶审核", aidChain),
	command("帮扶登记", officers), command("帮扶台账", aidLedger), command("大病互助登记", officers), command("家庭登记", officers),
	action("aid.consent", everyone), action("aid.pub_consent", everyone), action("aid.form", everyone), action("aid.save", everyone),
	action("aid.material", everyone), action("aid.submit", everyone), action("aid.withdraw", everyone), action("aid.object", everyone),
	action("aid.pass", aidChain), action("aid.return", aidChain), action("aid.reject", aidChain),
	action("aid.pay", officers), action("aid.revoke", officers), action("aid.emergent", officers), action("aid.ledger", aidLedger),
	// 代为申请: an officer (工会干事) applies on a member's behalf; an admin passes the router's
	// role check and is refused by the flow (no role of the aid chain).
	row{route: "代为申请", who: officerOne, cmd: true, deny: "只有工会干事可以代会员申请", allow: officerRole},
	row{route: "aid.behalf", who: officerOne, deny: "只有工会干事可以代会员申请", allow: officerRole},
	// The applicant, officers, the chair and the welfare committee see it, and the branch chair
	// of its own 分工会 (an admin is no role of the chain: refused).
	scoped(action("aid.show", everyone), "你不能查看或办理这条帮扶申请", func(c cell) bool {
		return c.ownRecord || c.role == store.RoleOfficer || c.role == store.RoleChair || c.role == store.RoleWelfare ||
			c.role == store.RoleBranchChair && c.ownUnit
	}, aidEvent("aid.show", store.AidStepSubmit)),
	// Approval with an amount (a case waiting for 审批): the chair and the welfare committee
	// (福利委员), never on their own case; an admin passes the router and is refused by
	// store.AidCan (帮扶申请。 ends both refusals: 不能审核自己的… and 你不能查看或办理这条…).
	scoped(action("aid.approve", approvers), "帮扶申请。", func(c cell) bool { return !c.ownRecord && c.role != store.RoleAdmin },
		aidEvent("aid.approve", store.AidStepSubmit, store.AidStepBranchPass, store.AidStepUnionPass)),
}

// officerRole reports whether the cell's member holds the officer role itself (not as an admin).
func officerRole(c cell) bool { return c.role == store.RoleOfficer }

// aidEvent makes a medical aid case of owner in 分工会 甲 (its texts empty: the matrix runs
// without a data key), moved on by steps, and clicks name on it (approving 100 元).
func aidEvent(name string, steps ...string) func(w *world, c cell, actor, owner *store.Member) event {
	return func(w *world, c cell, actor, owner *store.Member) event {
		a := &store.AidCase{MemberID: owner.ID, OpenedBy: owner.ID, BranchID: w.units[0], Kind: "medical"}
		w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error {
			if err := tx.CreateAidCase(w.ctx, a, "test"); err != nil {
				return err
			}
			for _, s := range steps {
				if err := tx.StepAid(w.ctx, a, s, "test", store.AidChange{}); err != nil {
					return err
				}
			}
			return nil
		}))
		return event{value: map[string]any{"action": name, "case_id": a.ID, "version": a.Version}, form: map[string]any{"amount": "100"}}
	}
}

// legalRole reports whether the cell's member holds a legal-aid role themselves (an admin
// does not see legal-aid cases by virtue of being one).
func legalRole(c cell) bool { return c.role == store.RoleLegalOfficer || c.role == store.RoleLawyer }

// legalEvent makes an open legal-aid case of owner (its texts empty: the matrix runs without a
// data key) and clicks name on it.
func legalEvent(name string) func(w *world, c cell, actor, owner *store.Member) event {
	return func(w *world, c cell, actor, owner *store.Member) event {
		var id int64
		w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error {
			res, err := tx.ExecContext(w.ctx, `INSERT INTO legal_cases (member_id, status, category, facts, other_party, conflict,
				dispute_date, limit_date, close_note, version, created_at, updated_at) VALUES (?, 'open', '劳动合同', '', '', 0,
				'2027-01-15', '2028-01-15', '', 1, ?, ?)`, owner.ID, w.now, w.now)
			if err != nil {
				return err
			}
			id, err = res.LastInsertId()
			return err
		}))
		return event{value: map[string]any{"action": name, "case_id": id, "version": 1, "start": w.now.Add(48 * time.Hour).Unix()},
			form: map[string]any{"note": "已提供咨询意见"}}
	}
}

func taskEvent(name string) func(w *world, c cell, actor, owner *store.Member) event {
	return func(w *world, c cell, actor, owner *store.Member) event {
		t := w.task(owner)
		return event{value: map[string]any{"action": name, "task_id": t.ID, "version": t.Version},
			form: map[string]any{"progress": "50", "note": "按计划推进", "reason": "施工方延误", "new_deadline": fmt.Sprintf("%d-12-30", t.Year)}}
	}
}

func proposalEvent(name string) func(w *world, c cell, actor, owner *store.Member) event {
	return func(w *world, c cell, actor, owner *store.Member) event {
		p := w.proposal(owner)
		invitee := w.member(store.RoleDelegate)
		return event{value: map[string]any{"action": name, "proposal_id": p.ID, "version": p.Version},
			form: map[string]any{"title": p.Title, "category": p.Category, "reason": p.Reason, "suggestion": p.Suggestion,
				"invitees": []any{invitee.OpenID}}}
	}
}

// world holds what the cells act on.
type world struct {
	t         testing.TB
	chat      *handlertest.Chat
	ctx       context.Context
	loc       *time.Location
	now       time.Time
	units     [2]int64        // 分工会 甲 (the records') and 乙
	activity  *store.Activity // open, first come
	confirmed *store.Activity // open, entries confirmed by the 分工会主席
	draft     *store.Activity
	session   *store.ProposalSession
	seq       int
}

// member creates a fresh member in 分工会 甲 holding role ("" for none).
func (w *world) member(role string) *store.Member {
	w.seq++
	p := handlertest.Person{OpenID: fmt.Sprintf("ou_authz_%05d", w.seq), Name: fmt.Sprintf("成员%d", w.seq),
		EmployeeNo: fmt.Sprintf("A%05d", w.seq), Branch: "甲分工会", Gender: "F"}
	if role != "" {
		p.Roles = []string{role}
	}
	return w.chat.Member(p)
}

// moveTo puts a member in the other 分工会 (乙).
func (w *world) moveTo(m *store.Member, unit int64) {
	w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error {
		_, err := tx.ExecContext(w.ctx, `UPDATE members SET branch_id = ? WHERE id = ?`, unit, m.ID)
		return err
	}))
	m.BranchID = unit
}

func (w *world) must(err error) {
	w.t.Helper()
	if err != nil {
		w.t.Fatal(err)
	}
}

func (w *world) newActivity(set func(a *store.Activity)) *store.Activity {
	a := &store.Activity{Title: fmt.Sprintf("羽毛球比赛%d", w.seq), Kind: store.KindSport, Place: "体育馆",
		StartsAt: w.now.Add(240 * time.Hour), EndsAt: w.now.Add(244 * time.Hour), SignupOpensAt: w.now.Add(-time.Hour),
		SignupClosesAt: w.now.Add(120 * time.Hour), CancelDeadline: w.now.Add(72 * time.Hour), EntryMode: store.ModeIndividual,
		Allocation: store.AllocFirstCome, Status: store.ActivityOpen, CreatedBy: 1}
	if set != nil {
		set(a)
	}
	w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error { return tx.CreateActivity(w.ctx, a) }))
	return a
}

func (w *world) signUp(a *store.Activity, m *store.Member) *store.Entry {
	var e *store.Entry
	w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error {
		a, err := tx.Activity(w.ctx, a.ID)
		if err != nil {
			return err
		}
		f, err := tx.MemberFacts(w.ctx, m.ID)
		if err != nil {
			return err
		}
		res, err := tx.SignUp(w.ctx, store.SignupRequest{Activity: a, Member: f, Actor: m.OpenID, Loc: w.loc})
		if err != nil {
			return err
		}
		e = res.Entry
		return nil
	}))
	return e
}

func (w *world) task(owner *store.Member) *store.Task {
	w.seq++
	t := &store.Task{Year: 2030 + w.seq/99, Number: w.seq%99 + 1, Title: fmt.Sprintf("实事%d", w.seq)}
	t.Deadline = fmt.Sprintf("%d-06-30", t.Year)
	w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error {
		if err := tx.CreateTask(w.ctx, t, "test", "test", "2024-01-01", true); err != nil {
			return err
		}
		var err error
		t, err = tx.SetTaskOwners(w.ctx, t.ID, t.Version, []int64{owner.ID}, "test", "test")
		return err
	}))
	return t
}

func (w *world) proposal(owner *store.Member) *store.Proposal {
	w.seq++
	p := &store.Proposal{SessionID: w.session.ID, ProposerID: owner.ID, Title: fmt.Sprintf("关于改善食堂的建议%d", w.seq),
		Category: w.session.Categories()[0], Reason: "食堂排队时间太长，影响午休。", Suggestion: "增加窗口，错峰开放，延长供餐时间。"}
	w.must(w.chat.DB.InTx(w.ctx, func(tx *store.Tx) error { return tx.CreateProposal(w.ctx, p, "test") }))
	return p
}

func TestAuthorizationMatrix(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2027, 3, 10, 10, 0, 0, 0, loc)
	var routes *bot.Router
	chat := handlertest.New(t, db, handlertest.Options{Loc: loc, Now: now, Deadline: 10 * time.Second, Config: &config.Config{Security: config.Security{DataKey: "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="}}, // sensitive cards are sealed in the outbox
		IDPrefix: "om_authz_", Routes: func(r *bot.Router, d handlers.Deps) { routes = r; app.RegisterRoutes(r, d) }})

	// The table covers exactly the registered routes.
	registered := map[string]bool{}
	for _, c := range routes.Commands() {
		registered["cmd:"+c.Names[0]] = true
	}
	for _, a := range routes.Actions() {
		registered["act:"+a.Name] = true
	}
	rows := map[string]bool{}
	for _, r := range matrix {
		k := map[bool]string{true: "cmd:", false: "act:"}[r.cmd] + r.route
		if rows[k] {
			t.Errorf("authz: two rows for %s", k)
		}
		rows[k] = true
	}
	var missing, stale []string
	for k := range registered {
		if !rows[k] {
			missing = append(missing, k)
		}
	}
	for k := range rows {
		if !registered[k] {
			stale = append(stale, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(stale)
	if len(missing) > 0 {
		t.Errorf("authz: routes registered without a row in the authorization matrix (app/authz_test.go): %v", missing)
	}
	if len(stale) > 0 {
		t.Errorf("authz: rows for routes that are not registered: %v", stale)
	}

	w := &world{t: t, chat: chat, ctx: context.Background(), loc: loc, now: now}
	w.must(db.InTx(w.ctx, func(tx *store.Tx) error {
		var err error
		if w.units[0], err = tx.EnsureBranch(w.ctx, "甲分工会"); err != nil {
			return err
		}
		w.units[1], err = tx.EnsureBranch(w.ctx, "乙分工会")
		return err
	}))
	w.activity = w.newActivity(nil)
	w.confirmed = w.newActivity(func(a *store.Activity) { a.BranchConfirm = true; a.Title = "联谊会" })
	w.draft = w.newActivity(func(a *store.Activity) { a.Status = store.ActivityDraft; a.Title = "草稿活动" })
	w.session = &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 0,
		OpensAt: now.Add(-240 * time.Hour), ClosesAt: now.Add(240 * time.Hour)}
	w.must(db.InTx(w.ctx, func(tx *store.Tx) error { return tx.CreateProposalSession(w.ctx, w.session, "test") }))

	// One member per role and 分工会 for the rows that take no record of anyone's.
	actors := map[cell]*store.Member{}
	for _, role := range matrixRoles {
		for _, own := range []bool{true, false} {
			m := w.member(role)
			if !own {
				w.moveTo(m, w.units[1])
			}
			actors[cell{role: role, ownUnit: own}] = m
		}
	}

	cells, sent := 0, 0
	for _, r := range matrix {
		if !registered[map[bool]string{true: "cmd:", false: "act:"}[r.cmd]+r.route] {
			continue
		}
		for _, role := range matrixRoles {
			for _, ownUnit := range []bool{true, false} {
				for _, ownRecord := range []bool{true, false} {
					c := cell{role: role, ownUnit: ownUnit, ownRecord: ownRecord}
					cells++
					want := c.holds(r.who) && (r.allow == nil || r.allow(c))
					var actor *store.Member
					var ev event
					switch {
					case r.fixture != nil:
						actor = w.member(role)
						owner := actor
						if !ownRecord {
							owner = w.member("")
						}
						ev = r.fixture(w, c, actor, owner)
						if !ownUnit {
							w.moveTo(actor, w.units[1])
						}
					case ownRecord:
						// The route takes no one's record: the other-record cell is the same event.
						continue
					default:
						actor = actors[cell{role: role, ownUnit: ownUnit}]
						ev = event{text: r.route, value: map[string]any{"action": r.route}}
						if r.value != nil {
							for k, v := range r.value(w) {
								ev.value[k] = v
							}
						}
					}
					sent++
					var answer string
					if r.cmd {
						answer = chat.Say(actor.OpenID, ev.text)
					} else {
						a := chat.Answer(actor.OpenID, ev.value, ev.form)
						answer = a.Toast.Content
						if a.Toast.Type != "warning" && a.Toast.Type != "error" {
							answer = "" // not a refusal, whatever it says
						}
					}
					refused := strings.Contains(answer, "你没有权限进行此操作") || r.deny != "" && strings.Contains(answer, r.deny)
					if refused == want {
						t.Errorf("%s %s: want allowed=%v, got %q", r.route, c, want, truncate(answer, 120))
					} else if want && r.fixture != nil && answer != "" {
						// A scoped row's record is made for the cell: an allowed cell goes through.
						t.Errorf("%s %s: allowed, but refused with %q", r.route, c, truncate(answer, 120))
					}
				}
			}
		}
	}
	t.Logf("authorization matrix: %d routes × %d roles × 2 分工会 × 2 records = %d cells, %d events sent", len(matrix), len(matrixRoles), cells, sent)
}

func truncate(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}
