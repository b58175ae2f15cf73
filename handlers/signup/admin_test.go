package signup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	adminID = "ou_sa_admin"
	officer = "ou_sa_officer"
)

// adminHarness drives the officer routes through the real webhook path (the shared rig), with
// a settable clock.
type adminHarness struct {
	*handlertest.Chat
	loc *time.Location
	sig *handler // the member routes' handler (报名 and the card refresher)
}

func newAdminHarness(t *testing.T, db *store.DB, now time.Time) *adminHarness {
	h := &adminHarness{loc: shanghai(t)}
	cfg := config.Default()
	cfg.Signup.DefaultChats = []string{"oc_default"}
	h.Chat = handlertest.New(t, db, handlertest.Options{Admins: []string{adminID}, Loc: h.loc, Now: now, IDPrefix: "om_sa", Config: cfg,
		Register: func(r *bot.Router, deps handlers.Deps) {
			h.sig = newHandler(deps)
			h.sig.register(r)
		}})
	return h
}

func (h *adminHarness) setNow(t time.Time) { h.Clock.Set(t) }

// member creates an active member with a profile, optionally with a role.
func (h *adminHarness) member(openID, name, no, branch, gender, role string) *store.Member {
	h.T.Helper()
	p := handlertest.Person{OpenID: openID, Name: name, EmployeeNo: no, Branch: branch, Gender: gender}
	if role != "" {
		p.Roles = []string{role}
	}
	return h.Member(p)
}

// signUp enters a member in an item directly through the store (the member-side routes belong
// to the core helper's files).
func (h *adminHarness) signUp(actID, memberID, itemID int64) *store.Entry {
	h.T.Helper()
	ctx := context.Background()
	var e *store.Entry
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		a, err := tx.Activity(ctx, actID)
		if err != nil {
			return err
		}
		m, err := tx.MemberFacts(ctx, memberID)
		if err != nil {
			return err
		}
		res, err := tx.SignUp(ctx, store.SignupRequest{Activity: a, ItemID: itemID, Member: m, Actor: m.OpenID, Loc: h.loc})
		if err != nil {
			return err
		}
		e = res.Entry
		return nil
	})
	if err != nil {
		h.T.Fatal(err)
	}
	return e
}

func (h *adminHarness) count(q string, args ...any) int {
	h.T.Helper()
	var n int
	if err := h.DB.Get(context.Background(), &n, q, args...); err != nil {
		h.T.Fatal(err)
	}
	return n
}

// snapshot is what must not change when input is refused.
func (h *adminHarness) snapshot() string {
	return fmt.Sprint(h.count(`SELECT COUNT(*) FROM activities`), h.count(`SELECT COUNT(*) FROM activity_items`),
		h.count(`SELECT COALESCE(SUM(version), 0) FROM activities`), h.count(`SELECT COUNT(*) FROM outbox WHERE kind <> 'reply'`),
		h.count(`SELECT COUNT(*) FROM live_cards`), h.count(`SELECT COUNT(*) FROM signup_entries WHERE live_member IS NOT NULL`))
}

// form is a valid 新建活动 submission, as Feishu sends it.
func form(over map[string]any) map[string]any {
	f := map[string]any{
		fTitle: "春季羽毛球比赛", fKind: "sport", fDesc: "自备球拍", fPlace: "体育馆",
		fStart: "2024-04-20 14:00 +0800", fEnd: "2024-04-20 18:00 +0800",
		fOpens: "2024-04-01 09:00 +0800", fCloses: "2024-04-15 18:00 +0800",
		fCapacity: "10", fQuota: "5", fMode: "individual", fAlloc: "first_come",
		fItems: "男单 4 限男\n女单 4", fOneItem: true, fMembersOnly: true, fMinEnries: "2",
		fChats: "oc_group1, oc_default", fNotifyAll: true,
	}
	for k, v := range over {
		if v == nil {
			delete(f, k)
		} else {
			f[k] = v
		}
	}
	return f
}

func TestActivityAdmin(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 3, 30, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		off := h.member(officer, "赵干事", "9001", "工会办公室", "F", store.RoleOfficer)
		plain := h.member("ou_sa_plain", "钱会员", "1001", "机关分工会", "M", "")
		var men []*store.Member
		for i := 0; i < 5; i++ {
			men = append(men, h.member(fmt.Sprintf("ou_sa_m%d", i), fmt.Sprintf("男%d", i), fmt.Sprintf("00%d", 100+i), "机关分工会", "M", ""))
		}
		woman := h.member("ou_sa_w", "孙女士", "0200", "信息工程学院分工会", "F", "")

		// Only officers (and chairs, admins) may create or export.
		for _, cmd := range []string{"新建活动", "new-activity", "导出", "export 羽毛球", "活动管理"} {
			if got := h.Say(plain.OpenID, cmd); !strings.Contains(got, "你没有权限进行此操作（需要：工会干事、主席、管理员）") {
				t.Errorf("member %q: %q", cmd, got)
			}
		}
		if toast, _ := h.Click(plain.OpenID, map[string]any{"action": actCreate}, form(nil)); !strings.Contains(toast, "没有权限") {
			t.Errorf("member submits the form: %q", toast)
		}
		if toast, _ := h.Click(plain.OpenID, map[string]any{"action": actExport, "activity_id": 1}, nil); !strings.Contains(toast, "没有权限") {
			t.Errorf("member exports: %q", toast)
		}

		got := h.Say(off.OpenID, "新建活动")
		for _, want := range []string{`"activity_form"`, `"name":"items"`, "混双 8 2-2 女1", "机关分工会", `"picker_datetime"`, actCreate} {
			if !strings.Contains(got, want) {
				t.Errorf("the form lacks %s", want)
			}
		}

		// Invalid forms: a clear toast, nothing written.
		before := h.snapshot()
		bad := []struct {
			name string
			over map[string]any
			want string
		}{
			{"end before start", map[string]any{fEnd: "2024-04-20 13:00 +0800"}, "结束时间必须晚于开始时间"},
			{"capacity below 0", map[string]any{fCapacity: "-1"}, "名额不能小于 0"},
			{"quota above capacity", map[string]any{fQuota: "11"}, "每个分工会的限额（11）不能大于总名额（10）"},
			{"closes after start", map[string]any{fCloses: "2024-04-21 18:00 +0800"}, "报名截止时间不能晚于活动开始时间"},
			{"bad item line", map[string]any{fItems: "男单 十六"}, "项目行「男单 十六」：看不懂「十六」"},
			{"capacity not a number", map[string]any{fCapacity: "十"}, "总名额要填整数"},
			{"no title", map[string]any{fTitle: ""}, "请填写活动名称"},
			{"no start", map[string]any{fStart: nil}, "请填写活动的开始和结束时间"},
			{"unknown branch", map[string]any{fBranches: []any{"不存在分工会"}}, "没有名为「不存在分工会」的分工会"},
			{"chat id", map[string]any{fChats: "工会群"}, "不是群聊 ID"},
			{"team item without size", map[string]any{fMode: "team", fItems: "混双 8"}, "要写每队人数"},
			{"lottery for teams", map[string]any{fMode: "team", fItems: "混双 8 2-2 女1", fAlloc: "lottery"}, "抽签只适用于个人报名"},
		}
		for _, b := range bad {
			if toast, _ := h.Click(off.OpenID, map[string]any{"action": actCreate}, form(b.over)); !strings.Contains(toast, b.want) {
				t.Errorf("%s: toast %q, want %q", b.name, toast, b.want)
			}
		}
		if after := h.snapshot(); after != before {
			t.Fatalf("invalid forms changed the database: %s → %s", before, after)
		}

		// A valid form: a draft and its preview.
		toast, cd := h.Click(off.OpenID, map[string]any{"action": actCreate}, form(map[string]any{fBranches: []any{"机关分工会", "信息工程学院分工会"}}))
		if !strings.Contains(toast, "已保存为草稿") || !strings.Contains(cd, actPublish) || !strings.Contains(cd, actEdit) || !strings.Contains(cd, actCancel) {
			t.Fatalf("create: %q %.300s", toast, cd)
		}
		acts, _ := db.Activities(ctx)
		if len(acts) != 1 {
			t.Fatalf("%d activities", len(acts))
		}
		a, _ := db.Activity(ctx, acts[0].ID)
		if a.Status != store.ActivityDraft || a.CreatedBy != off.ID || len(a.Items) != 2 || a.Items[0].Gender != "M" ||
			!a.StartsAt.Equal(time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC)) || len(a.Branches) != 2 || a.MinEntries != 2 {
			t.Fatalf("activity = %+v", a)
		}
		ver := func(a *store.Activity, act string) map[string]any {
			return map[string]any{"action": act, "activity_id": a.ID, "version": a.Version}
		}

		// Publish: sign-up opens; cards go to the chats (remembered) and to every eligible
		// member by batch send.
		h.setNow(time.Date(2024, 4, 2, 2, 0, 0, 0, time.UTC))
		toast, cd = h.Click(off.OpenID, ver(a, actPublish), nil)
		if !strings.Contains(toast, "已发布：报名卡片发往 2 个群，并私信 7 位符合条件的会员") {
			t.Errorf("publish: %q", toast)
		}
		if strings.Contains(cd, actPublish) {
			t.Errorf("the preview still offers 发布")
		}
		if n := h.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'send' AND receive_id_type = 'chat_id'`); n != 2 {
			t.Errorf("%d chat sends", n)
		}
		var batch string
		db.Get(ctx, &batch, `SELECT content FROM outbox WHERE kind = 'batch'`)
		var body struct {
			MsgType string          `json:"msg_type"`
			Card    json.RawMessage `json:"card"`
			OpenIDs []string        `json:"open_ids"`
		}
		if err := json.Unmarshal([]byte(batch), &body); err != nil || body.MsgType != "interactive" || len(body.OpenIDs) != 7 ||
			!strings.Contains(string(body.Card), "signup.join") {
			t.Errorf("batch body = %.300s", batch)
		}
		if toast, _ := h.Click(off.OpenID, ver(a, actPublish), nil); !strings.Contains(toast, "不用再发布") {
			t.Errorf("second publish: %q", toast)
		}

		// The outbox delivers the chat cards; their message ids are learnt for patching.
		deliver(t, db)
		for i := 0; i < 3; i++ {
			h.signUp(a.ID, men[i].ID, a.Items[0].ID)
		}
		h.signUp(a.ID, woman.ID, a.Items[1].ID)
		a, _ = db.Activity(ctx, a.ID)

		// Edit: the version grows, the group cards are patched (one waiting patch per message
		// however often it changes), and the old card is stale.
		toast, cd = h.Click(off.OpenID, ver(a, actEdit), nil)
		if toast != "" || !strings.Contains(cd, "编辑活动") || !strings.Contains(cd, "男单 4 限男") || !strings.Contains(cd, "2024-04-20 14:00") {
			t.Fatalf("edit form: %q %.300s", toast, cd)
		}
		for i, cap := range []string{"12", "14"} {
			cur, _ := db.Activity(ctx, a.ID)
			toast, _ = h.Click(off.OpenID, ver(cur, actUpdate), form(map[string]any{fCapacity: cap, fBranches: []any{"机关分工会", "信息工程学院分工会"}}))
			if toast != "已保存修改。" {
				t.Fatalf("update %d: %q", i, toast)
			}
		}
		b, _ := db.Activity(ctx, a.ID)
		if b.Version != a.Version+2 || b.Capacity != 14 || b.Items[0].ID != a.Items[0].ID || b.Items[0].Confirmed != 3 {
			t.Errorf("after edits: version %d capacity %d items %+v", b.Version, b.Capacity, b.Items[0])
		}
		if n := h.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'patch' AND status = 'pending'`); n != 2 {
			t.Errorf("%d pending patches, want one per group message", n)
		}
		var patch string
		db.Get(ctx, &patch, `SELECT content FROM outbox WHERE kind = 'patch' ORDER BY created_at LIMIT 1`)
		if !strings.Contains(patch, "剩余 10 / 14") {
			t.Errorf("patched card: %.400s", patch)
		}
		before = h.snapshot()
		if toast, cd := h.Click(off.OpenID, ver(a, actEdit), nil); !strings.Contains(toast, "卡片已过期") || !strings.Contains(cd, fmt.Sprintf("第 %d 版", b.Version)) {
			t.Errorf("stale edit click: %q %.200s", toast, cd)
		}
		if toast, _ := h.Click(off.OpenID, ver(a, actUpdate), form(nil)); !strings.Contains(toast, "活动在你编辑期间已被修改") {
			t.Errorf("stale update: %q", toast)
		}
		if toast, _ := h.Click(off.OpenID, ver(b, actUpdate), form(map[string]any{fCapacity: "2", fQuota: "1", fItems: "男单 限男\n女单"})); !strings.Contains(toast, "总名额不能改为 2") {
			t.Errorf("capacity below the seats taken: %q", toast)
		}
		if after := h.snapshot(); after != before {
			t.Errorf("refused edits changed the database: %s → %s", before, after)
		}

		// Export: an .xlsx 1:1 to the officer, also when asked in a group.
		if got := h.Say(off.OpenID, "导出 羽毛球"); !strings.Contains(got, "春季羽毛球比赛报名表_20240402.xlsx") || !strings.Contains(got, "4 条报名") {
			t.Errorf("export: %q", got)
		}
		var file store.OutboxMessage
		if err := db.Get(ctx, &file, `SELECT receive_id_type, receive_id, file_name, file_data FROM outbox WHERE kind = 'file'`); err != nil {
			t.Fatal(err)
		}
		if file.ReceiveIDType != "open_id" || file.ReceiveID != off.OpenID || file.FileName != "春季羽毛球比赛报名表_20240402.xlsx" {
			t.Errorf("file message = %s %s %s", file.ReceiveIDType, file.ReceiveID, file.FileName)
		}
		x, err := excelize.OpenReader(bytes.NewReader(file.FileData))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(x.GetSheetList(), ","); got != "汇总,男单,女单" {
			t.Errorf("sheets = %s", got)
		}
		rows, _ := x.GetRows("男单")
		if len(rows) != 4 || rows[1][2] != "男0" || rows[1][4] != "00100" || rows[1][9] != "已确认" {
			t.Errorf("男单 = %q", rows)
		}
		if got := h.Say(off.OpenID, "导出 不存在的活动"); !strings.Contains(got, "找不到名称包含「不存在的活动」的活动") {
			t.Errorf("export unknown: %q", got)
		}
		if got := h.Say(off.OpenID, "导出"); !strings.Contains(got, actExport) {
			t.Errorf("export list: %.200s", got)
		}

		// Cancel: everyone signed up is told once; the activity can no longer be edited.
		b, _ = db.Activity(ctx, a.ID)
		toast, cd = h.Click(off.OpenID, ver(b, actCancel), nil)
		if !strings.Contains(toast, "活动已取消，已通知 4 位报名者") || !strings.Contains(cd, "已取消") {
			t.Errorf("cancel: %q %.200s", toast, cd)
		}
		if n := h.count(`SELECT COUNT(*) FROM outbox WHERE dedup_key LIKE 'activity.cancelled:%'`); n != 4 {
			t.Errorf("%d cancellation messages, want 4", n)
		}
		c, _ := db.Activity(ctx, a.ID)
		before = h.snapshot()
		for _, act := range []string{actEdit, actUpdate, actCancel, actPublish} {
			if toast, _ := h.Click(off.OpenID, ver(c, act), form(nil)); !strings.Contains(toast, "已取消，不能再操作") {
				t.Errorf("%s of a cancelled activity: %q", act, toast)
			}
		}
		if after := h.snapshot(); after != before {
			t.Errorf("actions on a cancelled activity changed the database: %s → %s", before, after)
		}
		if c.Status != store.ActivityCancelled {
			t.Errorf("status = %s", c.Status)
		}
	})
}

// TestCapacityRaisePromotes: raising the capacity in the edit form gives the new seats to the
// waitlist at once, and each person promoted is told 1:1, once, in the edit's transaction.
func TestCapacityRaisePromotes(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 4, 2, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		off := h.member(officer, "赵干事", "9001", "工会办公室", "F", store.RoleOfficer)
		var ms []*store.Member
		for i := 0; i < 3; i++ {
			ms = append(ms, h.member(fmt.Sprintf("ou_sa_r%d", i), fmt.Sprintf("会员%d", i), fmt.Sprintf("00%d", 300+i), "机关分工会", "M", ""))
		}
		one := map[string]any{fCapacity: "1", fQuota: "0", fItems: nil, fOneItem: false, fMinEnries: "0", fNotifyAll: false}
		if toast, _ := h.Click(off.OpenID, map[string]any{"action": actCreate}, form(one)); !strings.Contains(toast, "已保存为草稿") {
			t.Fatalf("create: %q", toast)
		}
		acts, _ := db.Activities(ctx)
		a := acts[0]
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SetActivityStatus(ctx, a.ID, store.ActivityOpen, "test") }); err != nil {
			t.Fatal(err)
		}
		var es []*store.Entry
		for _, m := range ms {
			es = append(es, h.signUp(a.ID, m.ID, 0))
		}
		if es[0].Status != store.EntryConfirmed || es[1].Status != store.EntryWaitlisted || es[2].Status != store.EntryWaitlisted {
			t.Fatalf("setup: %s %s %s", es[0].Status, es[1].Status, es[2].Status)
		}
		cur, _ := db.Activity(ctx, a.ID)
		two := form(one)
		two[fCapacity] = "2"
		if toast, _ := h.Click(off.OpenID, map[string]any{"action": actUpdate, "activity_id": cur.ID, "version": cur.Version}, two); toast != "已保存修改。" {
			t.Fatalf("update: %q", toast)
		}
		const text = "【候补转正】你报名的「春季羽毛球比赛」已由候补转为正式名额，请按时参加。如不能参加，请发送「我的报名」取消，把名额让给其他人。"
		var told []string
		if err := db.Select(ctx, &told, `SELECT receive_id FROM outbox WHERE kind = 'send' AND content LIKE ? ORDER BY receive_id`, "%"+text+"%"); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(told) != "[ou_sa_r1]" {
			t.Errorf("told %v, want [ou_sa_r1]", told)
		}
		key := fmt.Sprintf("signup.promoted:signup_entries:%d:%d", es[1].ID, es[1].ID)
		if n := h.count(`SELECT COUNT(*) FROM outbox WHERE dedup_key = ?`, key); n != 1 {
			t.Errorf("%d messages under %s", n, key)
		}
		if n := h.count(`SELECT COUNT(*) FROM signup_entries WHERE status = 'confirmed'`); n != 2 {
			t.Errorf("%d confirmed after the raise", n)
		}
	})
}

// deliver marks every pending chat send as delivered with a message id, as the outbox worker
// would.
func deliver(t *testing.T, db *store.DB) {
	t.Helper()
	msgs, err := db.ClaimOutbox(context.Background(), "test", 1000, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if err := db.MarkSent(context.Background(), m, "om_"+m.ReceiveID); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBatchesOf200(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var ids []string
		for i := 0; i < 450; i++ {
			ids = append(ids, fmt.Sprintf("ou_b%03d", i))
		}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for range 2 { // a second call (a retried publish) adds nothing
				if err := enqueueBatches(ctx, tx, "k", ids, json.RawMessage(`{"schema":"2.0"}`)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var bodies []string
		db.Select(ctx, &bodies, `SELECT content FROM outbox WHERE kind = 'batch' ORDER BY created_at`)
		var sizes []int
		for _, b := range bodies {
			var v struct {
				OpenIDs []string `json:"open_ids"`
			}
			json.Unmarshal([]byte(b), &v)
			sizes = append(sizes, len(v.OpenIDs))
		}
		if fmt.Sprint(sizes) != "[200 200 50]" {
			t.Errorf("batch sizes = %v", sizes)
		}
	})
}
