package legalaid_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/legalaid"
	"github.com/unionbot/unionbot/handlers/privacy"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var (
	ctx      = context.Background()
	shanghai = mustLoc("Asia/Shanghai")
	testKey  = base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	// Monday 10 March 2025, 10:00 in Shanghai.
	monday = time.Date(2025, 3, 10, 10, 0, 0, 0, shanghai)
)

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

func testConfig() *config.Config {
	cfg := config.Default()
	cfg.Security.DataKey = testKey
	cfg.LegalAid.DutyHours = []string{"WED 14:00-16:00"}
	cfg.LegalAid.SchoolNames = []string{"示范大学"}
	return cfg
}

type rig struct {
	*handlertest.Chat
	t   *testing.T
	cfg *config.Config
}

func newRig(t *testing.T, db *store.DB) *rig {
	cfg := testConfig()
	c := handlertest.New(t, db, handlertest.Options{Loc: shanghai, Config: cfg, Now: monday, Admins: []string{"ou_admin"},
		Deadline: 10 * time.Second,
		Register: func(r *bot.Router, d handlers.Deps) { privacy.Register(r, d); legalaid.Register(r, d) }})
	r := &rig{Chat: c, t: t, cfg: cfg}
	c.Member(handlertest.Person{OpenID: "ou_m", Name: "王老师", Branch: "信息工程学院分工会"})
	c.Member(handlertest.Person{OpenID: "ou_b", Name: "李老师"})
	c.Member(handlertest.Person{OpenID: "ou_x", Name: "赵老师"})
	c.Member(handlertest.Person{OpenID: "ou_admin", Name: "管理员"})
	c.Member(handlertest.Person{OpenID: "ou_lo", Name: "周专员", Roles: []string{store.RoleLegalOfficer}})
	c.Member(handlertest.Person{OpenID: "ou_law", Name: "孙律师", Roles: []string{store.RoleLawyer}})
	err := db.InTx(ctx, func(tx *store.Tx) error {
		_, err := tx.SaveDepartment(ctx, &store.Department{Name: "人事处"}, "test")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *rig) count(q string, args ...any) int {
	r.t.Helper()
	var n int
	if err := r.DB.Get(ctx, &n, q, args...); err != nil {
		r.t.Fatal(err)
	}
	return n
}

func (r *rig) consent(openID string) {
	r.t.Helper()
	if toast, _ := r.Click(openID, map[string]any{"action": "legal.consent", "purpose": "legal", "version": 1}, nil); !strings.Contains(toast, "已记录你的同意") {
		r.t.Fatalf("consent: %s", toast)
	}
}

func intake(category, facts, party, date string) map[string]any {
	return map[string]any{"category": category, "urgent": "normal", "facts": facts, "other_party": party, "dispute_date": date + " +0800"}
}

var submit = map[string]any{"action": "legal.submit"}

// submitCase submits an intake for openID (who has consented) and returns the case id.
func (r *rig) submitCase(openID string, form map[string]any) int64 {
	r.t.Helper()
	a := r.Answer(openID, submit, form)
	if a.Toast.Type != "success" {
		r.t.Fatalf("submit: %+v", a.Toast)
	}
	var id int64
	r.DB.Get(ctx, &id, `SELECT MAX(id) FROM legal_cases`)
	return id
}

func (r *rig) legalCase(id int64) *store.LegalCase {
	r.t.Helper()
	var lc *store.LegalCase
	err := r.DB.InTx(ctx, func(tx *store.Tx) error {
		var err error
		lc, err = tx.LegalCaseByID(ctx, id)
		return err
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return lc
}

func show(id int64) map[string]any { return map[string]any{"action": "legal.show", "case_id": id} }

func act(action string, lc *store.LegalCase) map[string]any {
	return map[string]any{"action": action, "case_id": lc.ID, "version": lc.Version}
}

const facts = "2025年1月起学院拖欠绩效工资三个月，多次催要未果。"

// TestLegalIntake: submitting without consent stores nothing; the consent leads to the form;
// bad input is refused with nothing written; a case is stored with its texts sealed to its
// row, the conflict flag set when the other party is the school or one of its units, the
// arbitration limit a year after the dispute; the officers are told neutrally.
func TestLegalIntake(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		form := intake("工资待遇", facts, "示范大学信息工程学院", "2025-01-15")
		// Without consent: refused, the consent card shown, nothing stored.
		a := r.Answer("ou_m", submit, form)
		if !strings.Contains(a.Toast.Content, "请先阅读并同意") || !strings.Contains(a.Data(), "法律援助 · 个人信息处理同意书") {
			t.Errorf("without consent: %+v %s", a.Toast, a.Data())
		}
		if n := r.count(`SELECT (SELECT COUNT(*) FROM legal_cases) + (SELECT COUNT(*) FROM consents) + (SELECT COUNT(*) FROM audit_log WHERE entity IN ('legal_case', 'consent'))`); n != 0 {
			t.Fatalf("%d rows written without consent", n)
		}
		if got := r.Say("ou_m", "法律援助"); !strings.Contains(got, "个人信息处理同意书") || !strings.Contains(got, `"enable_forward":false`) {
			t.Fatalf("法律援助 without consent: %s", got)
		}
		_, cd := r.Click("ou_m", map[string]any{"action": "legal.consent", "purpose": "legal", "version": 1}, nil)
		if !strings.Contains(cd, "法律援助登记") || !strings.Contains(cd, "legal.submit") {
			t.Fatalf("after consent: %s", cd)
		}
		// Bad input: each refused, nothing written.
		for _, bad := range []struct {
			form map[string]any
			want string
		}{
			{intake("", facts, "某公司", "2025-01-15"), "请选择纠纷类别"},
			{intake("工资待遇", "  ", "某公司", "2025-01-15"), "请填写事实经过"},
			{intake("工资待遇", facts, "", "2025-01-15"), "请填写对方当事人"},
			{intake("工资待遇", facts, "某公司", "2025-04-01"), "不能晚于今天"},
			{intake("工资待遇", strings.Repeat("长", 2001), "某公司", "2025-01-15"), "最多 2000 字"},
		} {
			if a := r.Answer("ou_m", submit, bad.form); !strings.Contains(a.Toast.Content, bad.want) {
				t.Errorf("want %q, got %+v", bad.want, a.Toast)
			}
		}
		if n := r.count(`SELECT COUNT(*) FROM legal_cases`); n != 0 {
			t.Fatalf("bad input wrote %d cases", n)
		}
		id := r.submitCase("ou_m", form)
		lc := r.legalCase(id)
		if !lc.Conflict || lc.LimitDate != "2026-01-15" || lc.Status != store.LegalOpen || lc.Category != "工资待遇" {
			t.Errorf("stored %+v", lc)
		}
		if strings.Contains(lc.Facts, "绩效") || !strings.HasPrefix(lc.Facts, "v2:k1:") || strings.Contains(lc.OtherParty, "学院") {
			t.Errorf("texts not sealed: %q %q", lc.Facts, lc.OtherParty)
		}
		keys, _ := r.cfg.Security.Keyring()
		if got, err := keys.Open(store.SealedLegalFacts.Ref(id), lc.Facts); err != nil || got != facts {
			t.Errorf("facts open as %q, %v", got, err)
		}
		// Nothing sensitive anywhere else: audit trail, outbox (the officer's notice is neutral).
		if n := r.count(`SELECT (SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%绩效%' OR detail LIKE '%信息工程%')
			+ (SELECT COUNT(*) FROM outbox WHERE content LIKE '%绩效%' OR content LIKE '%信息工程学院%')`); n != 0 {
			t.Errorf("the facts leaked into %d rows", n)
		}
		sent := r.Sent("ou_lo")
		if len(sent) != 1 || !strings.Contains(sent[0], "你有一条法律援助申请待处理") || !strings.Contains(sent[0], `"enable_forward":false`) {
			t.Errorf("officer told: %v", sent)
		}
		// Other parties: a department is a unit of the school; a company is not.
		for _, tc := range []struct {
			party    string
			conflict bool
		}{{"人事处", true}, {"学校", true}, {"信息工程学院", true}, {"某建筑公司", false}, {"邻居张某", false}} {
			id := r.submitCase("ou_m", intake("人身损害", "事实", tc.party, "2025-02-01"))
			if got := r.legalCase(id).Conflict; got != tc.conflict {
				t.Errorf("other party %q: conflict %v, want %v", tc.party, got, tc.conflict)
			}
		}
	})
}

// TestLegalVisibility: only the member, the legal-aid officers and the lawyers see a case, each
// view written to the read audit first; the member sees who viewed it; an admin or another
// member gets "not found" and leaves no row; when the audit cannot be written, nothing is shown.
func TestLegalVisibility(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.consent("ou_m")
		id := r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2025-01-15"))
		for _, who := range []string{"ou_lo", "ou_law"} {
			_, cd := r.Click(who, show(id), nil)
			if !strings.Contains(cd, "拖欠绩效工资") || !strings.Contains(cd, "某公司") {
				t.Errorf("%s sees %s", who, cd)
			}
		}
		for _, who := range []string{"ou_x", "ou_admin"} {
			toast, cd := r.Click(who, show(id), nil)
			if !strings.Contains(toast, "找不到") || strings.Contains(cd, "绩效") {
				t.Errorf("%s: %s %s", who, toast, cd)
			}
		}
		if n := r.count(`SELECT COUNT(*) FROM read_audit WHERE entity = 'legal_case' AND entity_id = ? AND viewer IN ('ou_lo', 'ou_law')`, id); n != 2 {
			t.Errorf("%d read-audit rows for the staff's views, want 2", n)
		}
		if n := r.count(`SELECT COUNT(*) FROM read_audit WHERE viewer IN ('ou_x', 'ou_admin')`); n != 0 {
			t.Errorf("refused views wrote %d rows", n)
		}
		_, cd := r.Click("ou_m", show(id), nil)
		if !strings.Contains(cd, "查看记录") || !strings.Contains(cd, "周专员 查看了申请") || !strings.Contains(cd, "孙律师 查看了申请") {
			t.Errorf("the member's card: %s", cd)
		}
		if _, err := db.SQL().ExecContext(ctx, `DROP TABLE read_audit`); err != nil {
			t.Fatal(err)
		}
		a := r.Answer("ou_lo", show(id), nil)
		if a.Data() != "" || strings.Contains(a.Toast.Content, "绩效") || a.Toast.Type != "error" {
			t.Errorf("with the audit failing: %+v %s", a.Toast, a.Data())
		}
	})
}

// TestLegalBooking: the free slots come from the duty hours; a slot is booked once (a second
// booking of it, or a second appointment of a case, is refused with nothing written); the
// lawyer is told 1:1; a cancelled slot frees up; a stale card and a slot not offered are
// refused; the day before, the member and the lawyer are reminded, once.
func TestLegalBooking(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.consent("ou_m")
		r.consent("ou_b")
		a1 := r.legalCase(r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2025-01-15")))
		b1 := r.legalCase(r.submitCase("ou_b", intake("名誉", "网上诽谤", "某人", "2025-02-15")))
		_, cd := r.Click("ou_m", act("legal.slots", a1), nil)
		// Wednesday 12 March 14:00 and 15:00, and 19 March (14 days ahead).
		for _, want := range []string{"03月12日（周三）14:00-15:00", "03月12日（周三）15:00-16:00", "03月19日（周三）14:00-15:00"} {
			if !strings.Contains(cd, want) {
				t.Errorf("slots lack %s: %s", want, cd)
			}
		}
		wed14 := time.Date(2025, 3, 12, 14, 0, 0, 0, shanghai).Unix()
		book := func(lc *store.LegalCase, start int64) map[string]any {
			v := act("legal.book", lc)
			v["start"] = start
			return v
		}
		if toast, cd := r.Click("ou_m", book(a1, wed14), nil); !strings.Contains(toast, "已预约 03月12日") || !strings.Contains(cd, "取消预约") {
			t.Fatalf("book: %s %s", toast, cd)
		}
		if sent := r.Sent("ou_law"); len(sent) != 1 || !strings.Contains(sent[0], "你有一个新的法律援助预约") {
			t.Errorf("lawyer told: %v", sent)
		}
		before := r.count(`SELECT COUNT(*) FROM legal_bookings`) + r.count(`SELECT COUNT(*) FROM audit_log`)
		if toast, _ := r.Click("ou_b", book(b1, wed14), nil); !strings.Contains(toast, "该时段已被预约") {
			t.Errorf("a taken slot: %s", toast)
		}
		a1 = r.legalCase(a1.ID)
		if toast, _ := r.Click("ou_m", book(a1, wed14+3600), nil); !strings.Contains(toast, "已有预约") {
			t.Errorf("a second appointment: %s", toast)
		}
		if toast, _ := r.Click("ou_b", book(b1, wed14+1800), nil); !strings.Contains(toast, "不再开放") {
			t.Errorf("a slot not offered: %s", toast)
		}
		stale := book(b1, wed14+3600)
		stale["version"] = b1.Version + 3
		if toast, _ := r.Click("ou_b", stale, nil); !strings.Contains(toast, "卡片已过期") {
			t.Errorf("stale card: %s", toast)
		}
		if toast, _ := r.Click("ou_x", book(b1, wed14+3600), nil); !strings.Contains(toast, "找不到") {
			t.Errorf("someone else's case: %s", toast)
		}
		if after := r.count(`SELECT COUNT(*) FROM legal_bookings`) + r.count(`SELECT COUNT(*) FROM audit_log`); after != before {
			t.Errorf("refused bookings wrote %d rows", after-before)
		}
		// Cancelled, the slot is free again.
		if toast, _ := r.Click("ou_m", act("legal.cancel", a1), nil); toast != "预约已取消。" {
			t.Fatalf("cancel: %s", toast)
		}
		if sent := r.Sent("ou_law"); len(sent) != 2 || !strings.Contains(sent[1], "已取消") {
			t.Errorf("lawyer told of the cancellation: %v", sent)
		}
		if toast, _ := r.Click("ou_b", book(b1, wed14), nil); !strings.Contains(toast, "已预约") {
			t.Fatalf("rebook the freed slot: %s", toast)
		}
		// The reminders the day before: Tuesday 09:00.
		e := newEngine(t, db, r.cfg)
		for _, at := range []time.Time{monday.Add(-30 * time.Minute), monday.Add(23*time.Hour + 30*time.Minute), monday.Add(24 * time.Hour)} {
			if err := e.RunJob(ctx, legalaid.JobReminders, at); err != nil {
				t.Fatal(err)
			}
		}
		if got := r.SentTo("预约提醒"); strings.Join(got, ",") != "ou_b,ou_law" {
			t.Errorf("appointment reminders went to %v", got)
		}
	})
}

func newEngine(t *testing.T, db *store.DB, cfg *config.Config) *jobs.Engine {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := legalaid.RegisterJobs(e, handlers.Deps{DB: db, Loc: shanghai, Log: log, Config: cfg}); err != nil {
		t.Fatal(err)
	}
	return e
}

// TestLegalLimitReminders: the member and the legal-aid officers are reminded 60, 30 and 7
// days before the arbitration limit, once each; closed cases are not.
func TestLegalLimitReminders(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.consent("ou_m")
		// The limit is 9 May 2025: 60 days after 10 March.
		r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2024-05-09"))
		closed := r.legalCase(r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2024-05-09")))
		if toast, _ := r.Click("ou_lo", act("legal.close", closed), map[string]any{"note": "已调解"}); !strings.Contains(toast, "已结案") {
			t.Fatalf("close: %s", toast)
		}
		e := newEngine(t, db, r.cfg)
		run := func(day time.Time) {
			t.Helper()
			for i := 0; i < 2; i++ {
				if err := e.RunJob(ctx, legalaid.JobReminders, day); err != nil {
					t.Fatal(err)
				}
			}
		}
		run(monday)
		if got := r.SentTo("还有 60 天"); strings.Join(got, ",") != "ou_lo,ou_m" {
			t.Errorf("60 days: %v", got)
		}
		run(time.Date(2025, 4, 9, 10, 0, 0, 0, shanghai))
		run(time.Date(2025, 5, 2, 10, 0, 0, 0, shanghai))
		if got := r.SentTo("还有 30 天"); len(got) != 2 {
			t.Errorf("30 days: %v", got)
		}
		if got := r.SentTo("还有 7 天"); len(got) != 2 {
			t.Errorf("7 days: %v", got)
		}
		// The reminders are sensitive cards: sealed in the outbox, read here as the worker does.
		msgs, err := db.OpenedOutbox(ctx, `sealed = ?`, true)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, m := range msgs {
			if strings.Contains(m.Content, "劳动仲裁时效") {
				n++
			}
		}
		if r.count(`SELECT COUNT(*) FROM outbox WHERE content LIKE '%劳动仲裁时效%'`) != 0 {
			t.Error("a limit reminder is stored readable in the outbox")
		}
		if n != 6 {
			t.Errorf("%d limit reminders, want 6 (3 days × member and officer, the closed case none)", n)
		}
	})
}

// TestLegalCloseAndWithdraw: an officer closes a case with a note and the member is told; a
// closed case cannot be closed again; the member withdraws an open case (its appointment
// cancelled); withdrawing the legal consent stops the member's open cases.
func TestLegalCloseAndWithdraw(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.consent("ou_m")
		c1 := r.legalCase(r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2025-01-15")))
		if toast, _ := r.Click("ou_law", act("legal.close", c1), map[string]any{"note": "x"}); toast == "" || strings.Contains(toast, "已结案") {
			t.Errorf("a lawyer closed a case: %s", toast)
		}
		if toast, _ := r.Click("ou_admin", act("legal.close", c1), map[string]any{"note": "x"}); !strings.Contains(toast, "只有法律援助专员可以结案") {
			t.Errorf("an admin closed a case: %s", toast)
		}
		if toast, _ := r.Click("ou_lo", act("legal.close", c1), map[string]any{"note": ""}); !strings.Contains(toast, "请填写办理结果") {
			t.Errorf("close without a note: %s", toast)
		}
		if toast, cd := r.Click("ou_lo", act("legal.close", c1), map[string]any{"note": "已提供咨询意见"}); !strings.Contains(toast, "已结案") || !strings.Contains(cd, "已提供咨询意见") {
			t.Errorf("close: %s %s", toast, cd)
		}
		if sent := r.Sent("ou_m"); len(sent) != 1 || !strings.Contains(sent[0], "你的法律援助申请有新进展") || strings.Contains(sent[0], "咨询意见") {
			t.Errorf("member told: %v", sent)
		}
		if toast, _ := r.Click("ou_lo", act("legal.close", c1), map[string]any{"note": "again"}); !strings.Contains(toast, "卡片已过期") {
			t.Errorf("close again (old card): %s", toast)
		}
		c1 = r.legalCase(c1.ID)
		if toast, _ := r.Click("ou_lo", act("legal.close", c1), map[string]any{"note": "again"}); !strings.Contains(toast, "已结案，不能再办理") {
			t.Errorf("close again: %s", toast)
		}
		c2 := r.legalCase(r.submitCase("ou_m", intake("名誉", "事实", "某人", "2025-01-15")))
		v := act("legal.book", c2)
		v["start"] = time.Date(2025, 3, 12, 14, 0, 0, 0, shanghai).Unix()
		r.Click("ou_m", v, nil)
		c2 = r.legalCase(c2.ID)
		if toast, _ := r.Click("ou_m", act("legal.withdraw", c2), nil); toast != "申请已撤回。" {
			t.Fatalf("withdraw: %s", toast)
		}
		if n := r.count(`SELECT COUNT(*) FROM legal_bookings WHERE live_slot IS NOT NULL`); n != 0 {
			t.Errorf("%d appointments stand after withdrawing", n)
		}
		c3 := r.submitCase("ou_m", intake("名誉", "事实", "某人", "2025-01-15"))
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var m int64
			tx.GetContext(ctx, &m, `SELECT id FROM members WHERE open_id = 'ou_m'`)
			n, err := tx.WithdrawConsent(ctx, m, store.PurposeLegal, "ou_m")
			if n != 1 {
				t.Errorf("withdrawing the consent stopped %d cases, want 1", n)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := r.legalCase(c3).Status; got != store.LegalWithdrawn {
			t.Errorf("after withdrawing the consent the case is %s", got)
		}
		// And the next 法律援助 asks for consent again.
		if got := r.Say("ou_m", "法律援助"); !strings.Contains(got, "个人信息处理同意书") {
			t.Errorf("after withdrawal: %s", got)
		}
	})
}

// TestLegalRetention: the purge job erases a closed case's sealed texts a year after it
// closed (the card says so) and deletes the case and its appointments ten years after, each
// audited; open cases and recent ones are kept.
func TestLegalRetention(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		r := newRig(t, db)
		r.consent("ou_m")
		old := r.legalCase(r.submitCase("ou_m", intake("劳动合同", facts, "某公司", "2025-01-15")))
		v := act("legal.book", old)
		v["start"] = time.Date(2025, 3, 12, 14, 0, 0, 0, shanghai).Unix()
		r.Click("ou_m", v, nil)
		old = r.legalCase(old.ID)
		if toast, _ := r.Click("ou_lo", act("legal.close", old), map[string]any{"note": "已结案"}); !strings.Contains(toast, "已结案") {
			t.Fatal(toast)
		}
		open := r.submitCase("ou_m", intake("名誉", "事实", "某人", "2025-01-15"))
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: shanghai, Log: log})
		if err != nil {
			t.Fatal(err)
		}
		if err := privacy.RegisterJobs(e, handlers.Deps{DB: db, Loc: shanghai, Log: log, Config: r.cfg}); err != nil {
			t.Fatal(err)
		}
		purge := func(at time.Time) {
			t.Helper()
			if err := e.RunJob(ctx, privacy.JobPurge, at); err != nil {
				t.Fatal(err)
			}
		}
		purge(monday.AddDate(0, 0, 364))
		if lc := r.legalCase(old.ID); lc.Facts == "" || lc.MaterialsPurgedAt != nil {
			t.Fatal("materials purged before a year")
		}
		purge(monday.AddDate(0, 0, 366))
		lc := r.legalCase(old.ID)
		if lc.Facts != "" || lc.OtherParty != "" || lc.MaterialsPurgedAt == nil || lc.Category != "劳动合同" {
			t.Errorf("after a year: %+v", lc)
		}
		if o := r.legalCase(open); o.Facts == "" {
			t.Error("an open case lost its facts")
		}
		if _, cd := r.Click("ou_m", show(old.ID), nil); !strings.Contains(cd, "已按保存期限删除") {
			t.Errorf("the card after the purge: %s", cd)
		}
		purge(monday.AddDate(0, 0, 367)) // nothing more
		purge(monday.AddDate(10, 0, 2))
		if n := r.count(`SELECT COUNT(*) FROM legal_cases WHERE id = ?`, old.ID) + r.count(`SELECT COUNT(*) FROM legal_bookings WHERE case_id = ?`, old.ID); n != 0 {
			t.Errorf("%d rows left of the case after ten years", n)
		}
		if n := r.count(`SELECT COUNT(*) FROM legal_cases WHERE id = ?`, open); n != 1 {
			t.Error("an open case was deleted")
		}
		var trail []string
		db.Select(ctx, &trail, `SELECT action FROM audit_log WHERE entity = 'retention' AND entity_id = 'legal_cases' ORDER BY id`)
		if strings.Join(trail, ",") != "purge_materials,purge_records" {
			t.Errorf("purge audit trail: %v", trail)
		}
	})
}
