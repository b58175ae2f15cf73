package signup_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/signup"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

const (
	mhAdmin   = "ou_core_admin"
	mhOfficer = "ou_core_officer"
)

var testDataKey = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))

// mh drives the member side through the real webhook path (bot.Webhook, the SDK dispatcher,
// the router, the handlers: the shared rig) against a real database, with a settable clock.
type mh struct {
	*handlertest.Chat
	ctx context.Context
}

var t0 = time.Date(2024, 3, 20, 1, 0, 0, 0, time.UTC) // 09:00 in Shanghai

func newMH(t testing.TB, db *store.DB, dataKey string, opts ...func(*handlertest.Options)) *mh {
	h := &mh{ctx: context.Background()}
	cfg := &config.Config{}
	cfg.Security.DataKey = dataKey
	o := handlertest.Options{Admins: []string{mhAdmin}, Loc: shanghai(), Config: cfg,
		Now: t0, ClockStep: time.Microsecond, IDPrefix: "om_core_",
		Register: func(r *bot.Router, d handlers.Deps) { signup.Register(r, d) }}
	for _, f := range opts {
		f(&o)
	}
	h.Chat = handlertest.New(t, db, o)
	return h
}

func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}

func (h *mh) setNow(t time.Time) { h.Clock.Set(t) }

func (h *mh) must(err error) {
	h.T.Helper()
	if err != nil {
		h.T.Fatal(err)
	}
}

// member creates a member with a 工号, branch and gender (birth "" for unknown).
func (h *mh) member(openID, name, branch, gender, birth string) *store.Member {
	h.T.Helper()
	return h.Member(handlertest.Person{OpenID: openID, Name: name, EmployeeNo: "E" + openID, Branch: branch, Gender: gender, Birth: birth})
}

func (h *mh) grant(openID, role string) {
	h.T.Helper()
	h.must(h.DB.InTx(h.ctx, func(tx *store.Tx) error {
		m, err := tx.MemberByOpenID(h.ctx, openID)
		if err != nil {
			return err
		}
		_, err = tx.GrantRole(h.ctx, m.ID, role, "test")
		return err
	}))
}

// activity creates an open activity: sign-up open now, closing in 5 days, the event in 10,
// cancellation until 3 days from now. set adjusts it first.
func (h *mh) activity(set func(a *store.Activity)) *store.Activity {
	h.T.Helper()
	a := &store.Activity{Title: "羽毛球比赛", Kind: store.KindSport, Place: "体育馆", StartsAt: t0.Add(240 * time.Hour),
		EndsAt: t0.Add(244 * time.Hour), SignupOpensAt: t0.Add(-time.Hour), SignupClosesAt: t0.Add(120 * time.Hour),
		CancelDeadline: t0.Add(72 * time.Hour), EntryMode: store.ModeIndividual, Allocation: store.AllocFirstCome,
		Status: store.ActivityOpen, CreatedBy: 1}
	if set != nil {
		set(a)
	}
	if err := h.DB.InTx(h.ctx, func(tx *store.Tx) error { return tx.CreateActivity(h.ctx, a) }); err != nil {
		panic(err)
	}
	return a
}

func join(a *store.Activity, item int64) map[string]any {
	return map[string]any{"action": "signup.join", "activity_id": a.ID, "version": a.Version, "item_id": item}
}

// snapshot is the sign-up state of the database, to prove a refusal changed nothing.
func (h *mh) snapshot() string {
	h.T.Helper()
	var parts []string
	for _, q := range []string{
		`SELECT COUNT(*) FROM signup_entries`,
		`SELECT COUNT(*) FROM signup_entries WHERE live_member IS NOT NULL`,
		`SELECT COALESCE(SUM(confirmed_count), 0) + COALESCE(SUM(waitlist_seq), 0) * 1000 + COALESCE(SUM(version), 0) * 1000000 FROM activities`,
		`SELECT COALESCE(SUM(confirmed_count), 0) + COALESCE(SUM(waitlist_seq), 0) * 1000 FROM activity_items`,
		`SELECT COUNT(*) FROM signup_teams`,
		`SELECT COUNT(*) FROM signup_invites WHERE status = 'accepted'`,
		`SELECT COUNT(*) FROM outbox WHERE kind <> 'reply'`,
		`SELECT COUNT(*) FROM audit_log WHERE entity IN ('signup', 'team')`,
	} {
		var n int64
		h.must(h.DB.Get(h.ctx, &n, q))
		parts = append(parts, fmt.Sprint(n))
	}
	return strings.Join(parts, "/")
}

func TestSignupCardFlow(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		a := h.activity(func(a *store.Activity) { a.Capacity = 2 })
		for i := 1; i <= 4; i++ {
			h.member(fmt.Sprintf("ou_s%d", i), fmt.Sprintf("成员%d", i), "机关分工会", "F", "")
		}
		// A group card click: the toast tells the member, the card shows counts only.
		got := h.Answer("ou_s1", join(a, 0), nil)
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "报名成功！剩余名额 1 个") {
			t.Errorf("first: %+v", got.Toast)
		}
		if !strings.Contains(string(got.Card), "剩余 1 / 2") || strings.Contains(string(got.Card), "你的报名") {
			t.Errorf("group answer card: %.400s", got.Card)
		}
		// A 1:1 card click shows the member's own state and a cancel button.
		p := join(a, 0)
		p["personal"] = true
		got = h.Answer("ou_s2", p, nil)
		if !strings.Contains(string(got.Card), "你的报名") || !strings.Contains(string(got.Card), "已确认") || !strings.Contains(string(got.Card), "signup.cancel") {
			t.Errorf("personal answer card: %.600s", got.Card)
		}
		got = h.Answer("ou_s3", join(a, 0), nil)
		if got.Toast.Type != "info" || !strings.Contains(got.Toast.Content, "候补，第 1 位") {
			t.Errorf("waitlisted: %+v", got.Toast)
		}
		h.Answer("ou_s4", join(a, 0), nil)
		// 我的报名 lists the entry with a cancel button; cancelling promotes 成员3, who is told.
		mine := h.Say("ou_s3", "我的报名")
		if !strings.Contains(mine, "候补第 1 位") {
			t.Errorf("mine (waitlisted): %.500s", mine)
		}
		mine = h.Say("ou_s1", "mine")
		if !strings.Contains(mine, "羽毛球比赛") || !strings.Contains(mine, "signup.cancel") {
			t.Fatalf("mine: %.500s", mine)
		}
		var entry int64
		h.must(db.Get(h.ctx, &entry, `SELECT e.id FROM signup_entries e JOIN members m ON m.id = e.member_id WHERE m.open_id = 'ou_s1'`))
		got = h.Answer("ou_s1", map[string]any{"action": "signup.cancel", "entry_id": entry, "from": "mine", "personal": true}, nil)
		if got.Toast.Type != "success" || !strings.Contains(got.Toast.Content, "已取消报名") || !strings.Contains(string(got.Card), "没有报名任何活动") {
			t.Errorf("cancel: %+v %.300s", got.Toast, got.Card)
		}
		var status string
		h.must(db.Get(h.ctx, &status, `SELECT e.status FROM signup_entries e JOIN members m ON m.id = e.member_id WHERE m.open_id = 'ou_s3'`))
		var told int
		h.must(db.Get(h.ctx, &told, `SELECT COUNT(*) FROM outbox WHERE receive_id = 'ou_s3' AND content LIKE '%候补转正%'`))
		if status != "confirmed" || told != 1 {
			t.Errorf("promotion: %s, told %d", status, told)
		}
		if mine := h.Say("ou_s4", "我的报名"); !strings.Contains(mine, "候补第 1 位") {
			t.Errorf("mine after the promotion: %.500s", mine)
		}
		// 活动 lists the open activity with a button opening its card.
		list := h.Say("ou_s4", "活动")
		if !strings.Contains(list, "羽毛球比赛") || !strings.Contains(list, "signup.card") {
			t.Errorf("activities: %.400s", list)
		}
		got = h.Answer("ou_s4", map[string]any{"action": "signup.card", "activity_id": a.ID, "personal": true}, nil)
		if !strings.Contains(string(got.Card), "候补") {
			t.Errorf("card from the list: %.400s", got.Card)
		}
	})
}

func TestSignupBadInput(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member("ou_b1", "张一", "机关分工会", "M", "1990-01-01")
		h.member("ou_b2", "李二", "体育学院分工会", "F", "")
		open := h.activity(nil)
		later := h.activity(func(a *store.Activity) { a.Title = "健康跑"; a.SignupOpensAt = t0.Add(24 * time.Hour) })
		closed := h.activity(func(a *store.Activity) {
			a.Title = "读书会"
			a.SignupOpensAt = t0.Add(-48 * time.Hour)
			a.SignupClosesAt = t0.Add(-time.Hour)
		})
		women := h.activity(func(a *store.Activity) { a.Title = "三八趣味运动会"; a.WomenOnly = true })
		branch := h.activity(func(a *store.Activity) {
			a.Title = "体育学院活动"
			a.Branches = []string{"体育学院分工会"}
		})
		aged := h.activity(func(a *store.Activity) { a.Title = "健步走"; a.AgeMin = 45; a.AgeRefDate = "2024-04-01" })
		oneItem := h.activity(func(a *store.Activity) {
			a.Title, a.OneItemPerPerson = "乒乓球比赛", true
			a.Items = []*store.ActivityItem{{Name: "男单", Capacity: 1}, {Name: "混双", Capacity: 1}}
		})
		quota := h.activity(func(a *store.Activity) { a.Title, a.BranchQuota = "拔河比赛", 5 })
		cancelled := h.activity(func(a *store.Activity) { a.Title = "郊游" })
		h.must(db.InTx(h.ctx, func(tx *store.Tx) error { _, err := tx.CancelActivity(h.ctx, cancelled.ID, "test"); return err }))
		edited := h.activity(func(a *store.Activity) { a.Title = "合唱比赛" })
		staleCard := join(edited, 0)
		h.must(db.InTx(h.ctx, func(tx *store.Tx) error {
			cur, _ := tx.Activity(h.ctx, edited.ID)
			cur.Place = "大礼堂"
			_, err := tx.UpdateActivity(h.ctx, cur)
			return err
		}))
		// Fill 男单 with 李二? No: 男单 has no gender rule here; 张一 takes the 混双 seat first.
		if got := h.Answer("ou_b1", join(open, 0), nil); got.Toast.Type != "success" {
			t.Fatalf("setup: %+v", got.Toast)
		}
		if got := h.Answer("ou_b2", join(oneItem, oneItem.Items[0].ID), nil); got.Toast.Type != "success" {
			t.Fatalf("setup: %+v", got.Toast)
		}
		if got := h.Answer("ou_b1", join(quota, 0), nil); got.Toast.Type != "success" {
			t.Fatalf("setup: %+v", got.Toast)
		}
		tests := []struct {
			name  string
			who   string
			value map[string]any
			want  string
		}{
			{"before opening", "ou_b1", join(later, 0), "报名尚未开始"},
			{"after close", "ou_b1", join(closed, 0), "报名已截止"},
			{"second click", "ou_b1", join(open, 0), "已经报名了（已确认），无需重复报名"},
			{"second click, 分工会 quota", "ou_b1", join(quota, 0), "已经报名了（已确认），无需重复报名"},
			{"women only", "ou_b1", join(women, 0), "仅限女教职工报名"},
			{"branch list", "ou_b1", join(branch, 0), "仅限以下分工会报名：体育学院分工会（你属于机关分工会）"},
			{"age", "ou_b1", join(aged, 0), "年龄要求是45 岁及以上（按 2024-04-01 计算），你届时 34 岁"},
			{"age unknown", "ou_b2", join(aged, 0), "没有你的出生日期"},
			{"one item per person", "ou_b2", join(oneItem, oneItem.Items[1].ID), "不得兼项：已报名“男单”"},
			{"stale: cancelled", "ou_b1", join(cancelled, 0), "卡片已过期"},
			{"stale: edited", "ou_b1", staleCard, "卡片已过期"},
			{"unknown activity", "ou_b1", map[string]any{"action": "signup.join", "activity_id": 99999, "version": 1}, "卡片已过期"},
			// Cards posted before the keys were spelled out: the stale answer, nothing written.
			{"old keys: group card", "ou_b3", map[string]any{"action": "signup.join", "a": open.ID, "v": open.Version, "i": 0}, "卡片已过期"},
			{"old keys: 1:1 card", "ou_b3", map[string]any{"action": "signup.join", "a": open.ID, "v": open.Version, "i": 0, "p": 1}, "卡片已过期"},
			{"old keys: unknown activity", "ou_b3", map[string]any{"action": "signup.join", "a": 99999, "v": 1}, "卡片已过期"},
			{"old keys: cancel", "ou_b1", map[string]any{"action": "signup.cancel", "e": 1, "p": 1}, "卡片已过期"},
			{"old keys: officer card", mhAdmin, map[string]any{"action": "activity.cancel", "a": open.ID, "v": open.Version}, "卡片已过期"},
		}
		t.Run("second click, 分工会 quota, refused before the quota is taken", func(t *testing.T) {
			// A refusal decided before any write is a warning answer; one found after the quota
			// was taken would come back as an error and a rolled-back transaction.
			if got := h.Answer("ou_b1", join(quota, 0), nil); got.Toast.Type != "warning" {
				t.Errorf("toast %+v, want a warning", got.Toast)
			}
		})
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				before := h.snapshot()
				got := h.Answer(tc.who, tc.value, nil)
				if !strings.Contains(got.Toast.Content, tc.want) || got.Toast.Type == "success" {
					t.Errorf("toast %+v, want %q", got.Toast, tc.want)
				}
				if after := h.snapshot(); after != before {
					t.Errorf("database changed: %s → %s", before, after)
				}
			})
		}
		// A stale card is answered with the fresh card.
		if got := h.Answer("ou_b1", staleCard, nil); !strings.Contains(string(got.Card), "大礼堂") {
			t.Errorf("stale card answer lacks the fresh card: %.300s", got.Card)
		}
		// So is a card with the old keys: the current card, whose buttons carry the new keys.
		for _, personal := range []bool{false, true} {
			old := map[string]any{"action": "signup.join", "a": open.ID, "v": open.Version, "i": 0}
			if personal {
				old["p"] = 1
			}
			got := h.Answer("ou_b3", old, nil)
			if v := cardValue(t, string(got.Card), "signup.join"); v["activity_id"] != float64(open.ID) || personal && v["personal"] != true {
				t.Errorf("old keys (personal %v): the answer's 报名 button is %v", personal, v)
			}
		}
		// A full item in one-item mode: 张一 waits for 男单 (full), and then 混双 is refused.
		got := h.Answer("ou_b1", join(oneItem, oneItem.Items[0].ID), nil)
		if !strings.Contains(got.Toast.Content, "候补") {
			t.Errorf("full item: %+v", got.Toast)
		}
		before := h.snapshot()
		if got := h.Answer("ou_b1", join(oneItem, oneItem.Items[1].ID), nil); !strings.Contains(got.Toast.Content, "不得兼项") {
			t.Errorf("second item while waitlisted: %+v", got.Toast)
		}
		if h.snapshot() != before {
			t.Error("refusal changed the database")
		}
		// Cancelling after the deadline.
		var entry int64
		h.must(db.Get(h.ctx, &entry, `SELECT e.id FROM signup_entries e JOIN members m ON m.id = e.member_id WHERE m.open_id = 'ou_b1' AND e.activity_id = ?`, open.ID))
		h.setNow(t0.Add(73 * time.Hour))
		before = h.snapshot()
		got = h.Answer("ou_b1", map[string]any{"action": "signup.cancel", "entry_id": entry, "personal": true}, nil)
		if !strings.Contains(got.Toast.Content, "已过取消报名的截止时间（3月23日 09:00）") {
			t.Errorf("late cancel: %+v", got.Toast)
		}
		if h.snapshot() != before {
			t.Error("late cancel changed the database")
		}
		// Someone else's entry.
		if got := h.Answer("ou_b2", map[string]any{"action": "signup.cancel", "entry_id": entry}, nil); !strings.Contains(got.Toast.Content, "只能取消自己的报名") {
			t.Errorf("cancel another's: %+v", got.Toast)
		}
	})
}

func TestInsuredSignup(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	h := newMH(t, db, testDataKey)
	h.member("ou_i1", "王五", "机关分工会", "M", "")
	a := h.activity(func(a *store.Activity) { a.Title = "海南休养"; a.Kind = store.KindTrip; a.NeedsInsurance = true })
	// From a group card: the form goes 1:1, nothing is entered.
	got := h.Answer("ou_i1", join(a, 0), nil)
	if !strings.Contains(got.Toast.Content, "私信") {
		t.Errorf("group click: %+v", got.Toast)
	}
	var form string
	h.must(db.Get(h.ctx, &form, `SELECT content FROM outbox WHERE receive_id = 'ou_i1' AND kind = 'send' ORDER BY created_at DESC LIMIT 1`))
	if !strings.Contains(form, "id_number") {
		t.Errorf("form not sent: %.300s", form)
	}
	p := join(a, 0)
	p["personal"] = true
	before := h.snapshot()
	got = h.Answer("ou_i1", p, map[string]any{"id_number": "110105194912310021"})
	if !strings.Contains(got.Toast.Content, "身份证号不正确") || h.snapshot() != before {
		t.Errorf("bad ID: %+v", got.Toast)
	}
	got = h.Answer("ou_i1", p, map[string]any{"id_number": "11010519491231002x"})
	if got.Toast.Type != "success" {
		t.Fatalf("insured sign-up: %+v", got.Toast)
	}
	var row struct {
		ID     int64  `db:"id"`
		Cipher string `db:"id_cipher"`
		Masked string `db:"id_masked"`
	}
	h.must(db.Get(h.ctx, &row, `SELECT id, id_cipher, id_masked FROM signup_entries`))
	if row.Masked != "110***********002X" || !strings.HasPrefix(row.Cipher, "v2:k1:") || strings.Contains(row.Cipher, "1949") {
		t.Errorf("stored %+v", row)
	}
	if got := openID(t, row.ID, row.Cipher); got != "11010519491231002X" {
		t.Errorf("the sealed ID number opens as %q", got)
	}
	if _, err := testKeys(t).Open(store.SealedIDNumber.Ref(row.ID+1), row.Cipher); err == nil {
		t.Error("the sealed ID number opens in another row")
	}
	var leaks int
	h.must(db.Get(h.ctx, &leaks, `SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%1949%'`))
	h.must(db.Get(h.ctx, &leaks, `SELECT COUNT(*) FROM outbox WHERE content LIKE '%19491231%'`))
	if leaks != 0 {
		t.Error("the ID number leaked into the audit trail or a message")
	}
	rows, _ := db.Roster(h.ctx, a.ID)
	if rows[0].IDMasked != "110***********002X" {
		t.Errorf("roster shows %q", rows[0].IDMasked)
	}
	// Without a data key an insured sign-up is refused with a clear message.
	db2 := storetest.Open(t, store.SQLite)
	h2 := newMH(t, db2, "")
	h2.member("ou_i2", "赵六", "机关分工会", "M", "")
	a2 := h2.activity(func(a *store.Activity) { a.NeedsInsurance = true })
	if got := h2.Answer("ou_i2", join(a2, 0), nil); !strings.Contains(got.Toast.Content, "尚未配置数据加密密钥") {
		t.Errorf("no key: %+v", got.Toast)
	}
}

func TestPrivacyAndLists(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	h := newMH(t, db, testDataKey)
	h.member("ou_v1", "钱七", "机关分工会", "F", "")
	h.member("ou_v2", "孙八", "机关分工会", "M", "")
	h.member(mhOfficer, "干事", "机关分工会", "F", "")
	h.grant(mhOfficer, store.RoleOfficer)
	a := h.activity(func(a *store.Activity) {
		a.Title = "单身教职工联谊"
		a.Kind = store.KindCare
		a.Sensitive = true
		a.Capacity = 30
	})
	got := h.Answer("ou_v1", join(a, 0), nil)
	if strings.Contains(string(got.Card), "钱七") {
		t.Error("the group card names who signed up")
	}
	h.Answer("ou_v2", join(a, 0), nil)
	if txt := h.Say("ou_v2", "名单 单身教职工联谊"); strings.Contains(txt, "钱七") || !strings.Contains(txt, "已确认 2") || !strings.Contains(txt, "仅工会干事可见") {
		t.Errorf("member view of a sensitive roster: %q", txt)
	}
	if txt := h.Say(mhOfficer, "名单 单身教职工联谊"); !strings.Contains(txt, "钱七") || !strings.Contains(txt, "孙八") {
		t.Errorf("officer view: %q", txt)
	}
	open := h.activity(func(a *store.Activity) { a.Title = "气排球观赛" })
	h.Answer("ou_v1", join(open, 0), nil)
	if txt := h.Say("ou_v2", "名单 气排球观赛"); !strings.Contains(txt, "钱七（机关分工会）") {
		t.Errorf("member view of an ordinary roster: %q", txt)
	}
	if txt := h.Say("ou_v2", "名单 不存在的活动"); !strings.Contains(txt, "找不到活动「不存在的活动」") {
		t.Errorf("unknown activity: %q", txt)
	}
	// After the event its roster is still there by name.
	err := db.InTx(context.Background(), func(tx *store.Tx) error {
		return tx.SetActivityStatus(context.Background(), open.ID, store.ActivityFinished, "test")
	})
	if err != nil {
		t.Fatal(err)
	}
	if txt := h.Say(mhOfficer, "名单 气排球观赛"); !strings.Contains(txt, "钱七（机关分工会）") {
		t.Errorf("roster of a finished activity: %q", txt)
	}
}

// testKeys is the keyring of testDataKey.
func testKeys(t *testing.T) *secret.Keyring {
	t.Helper()
	cfg := config.Default()
	cfg.Security.DataKey = testDataKey
	k, err := cfg.Security.Keyring()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// openID opens the ID number sealed in entry id.
func openID(t *testing.T, id int64, sealed string) string {
	t.Helper()
	s, err := testKeys(t).Open(store.SealedIDNumber.Ref(id), sealed)
	if err != nil {
		t.Errorf("entry %d: %v", id, err)
	}
	return s
}
