package store_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var t0 = time.Date(2024, 3, 1, 2, 0, 0, 0, time.UTC)

// fixture is a database with a clock and some members.
type fixture struct {
	t   *testing.T
	db  *store.DB
	now time.Time
	ctx context.Context
}

func newFixture(t *testing.T, db *store.DB) *fixture {
	f := &fixture{t: t, db: db, now: t0, ctx: context.Background()}
	db.Now = func() time.Time { f.now = f.now.Add(time.Millisecond); return f.now }
	return f
}

func (f *fixture) tx(fn func(tx *store.Tx) error) error { return f.db.InTx(f.ctx, fn) }

func (f *fixture) must(err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}

// member creates a member of branch with gender and returns their facts.
func (f *fixture) member(name, branch, gender string) *store.MemberFacts {
	f.t.Helper()
	var out *store.MemberFacts
	f.must(f.tx(func(tx *store.Tx) error {
		bid, err := tx.EnsureBranch(f.ctx, branch)
		if err != nil {
			return err
		}
		m := &store.Member{OpenID: "ou_" + name, Name: name, EmployeeNo: "E" + name, BranchID: bid, Gender: gender, Active: true}
		if err := tx.CreateMember(f.ctx, m); err != nil {
			return err
		}
		out, err = tx.MemberFacts(f.ctx, m.ID)
		return err
	}))
	return out
}

func baseActivity() *store.Activity {
	return &store.Activity{Title: "羽毛球比赛", Kind: store.KindSport, StartsAt: t0.Add(10 * 24 * time.Hour),
		EndsAt: t0.Add(10*24*time.Hour + 4*time.Hour), SignupOpensAt: t0.Add(-time.Hour), SignupClosesAt: t0.Add(5 * 24 * time.Hour),
		CancelDeadline: t0.Add(3 * 24 * time.Hour), EntryMode: store.ModeIndividual, Allocation: store.AllocFirstCome,
		Status: store.ActivityOpen, CreatedBy: 1}
}

func (f *fixture) create(a *store.Activity) *store.Activity {
	f.t.Helper()
	f.must(f.tx(func(tx *store.Tx) error { return tx.CreateActivity(f.ctx, a) }))
	return a
}

func (f *fixture) signup(a *store.Activity, item int64, m *store.MemberFacts) (*store.Entry, error) {
	var e *store.Entry
	err := f.tx(func(tx *store.Tx) error {
		cur, err := tx.Activity(f.ctx, a.ID)
		if err != nil {
			return err
		}
		res, err := tx.SignUp(f.ctx, store.SignupRequest{Activity: cur, ItemID: item, Member: m, Actor: m.OpenID, Loc: time.UTC})
		if res != nil {
			e = res.Entry
		}
		return err
	})
	return e, err
}

func (f *fixture) count(q string, args ...any) int {
	f.t.Helper()
	var n int
	f.must(f.db.Get(f.ctx, &n, "SELECT COUNT(*) FROM "+q, args...))
	return n
}

func code(err error) string { return store.ErrorCode(err) }

func TestActivityPersistence(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Branches = []string{"机关分工会", "计算机学院分工会"}
		a.PublishChats = []string{"oc_1"}
		a.AgeMin, a.AgeRefDate = 45, "2024-04-01"
		a.Items = []*store.ActivityItem{{Name: "男单", Capacity: 2, Gender: "M"}, {Name: "女单", Capacity: 2}}
		a.Capacity = 3
		f.create(a)
		got, err := db.Activity(f.ctx, a.ID)
		f.must(err)
		if got.Title != a.Title || !slices.Equal(got.Branches, a.Branches) || got.AgeRefDate != "2024-04-01" ||
			len(got.Items) != 2 || got.Items[0].Name != "男单" || got.Items[0].Gender != "M" || got.Version != 1 ||
			!got.StartsAt.Equal(a.StartsAt) || !slices.Equal(got.PublishChats, []string{"oc_1"}) {
			t.Fatalf("read back %+v", got)
		}
		open, err := db.OpenActivities(f.ctx, f.now)
		f.must(err)
		if len(open) != 1 || len(open[0].Items) != 2 {
			t.Errorf("open activities: %d", len(open))
		}
		// Edit: capacity below the confirmed count is refused; an edit bumps Version.
		m1 := f.member("m1", "机关分工会", "M")
		m2 := f.member("m2", "机关分工会", "F")
		f.must(f.tx(func(tx *store.Tx) error { return tx.SetBirthDate(f.ctx, m1.ID, "1970-01-01") }))
		f.must(f.tx(func(tx *store.Tx) error { return tx.SetBirthDate(f.ctx, m2.ID, "1975-01-01") }))
		m1, m2 = f.facts(m1.ID), f.facts(m2.ID)
		if _, err := f.signup(a, got.Items[0].ID, m1); err != nil {
			t.Fatal(err)
		}
		if _, err := f.signup(a, got.Items[1].ID, m2); err != nil {
			t.Fatal(err)
		}
		edit, _ := db.Activity(f.ctx, a.ID)
		edit.Capacity, edit.Items[0].Capacity, edit.Items[1].Capacity = 1, 1, 1
		err = f.tx(func(tx *store.Tx) error { _, err := tx.UpdateActivity(f.ctx, edit); return err })
		if code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "已有 2 个正式名额") {
			t.Errorf("lowering capacity: %v", err)
		}
		edit, _ = db.Activity(f.ctx, a.ID)
		edit.Title = "羽毛球团体赛"
		edit.Items = edit.Items[:1] // removing an item with entries
		err = f.tx(func(tx *store.Tx) error { _, err := tx.UpdateActivity(f.ctx, edit); return err })
		if code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "已有人报名，不能删除") {
			t.Errorf("removing an item in use: %v", err)
		}
		edit, _ = db.Activity(f.ctx, a.ID)
		edit.Title = "羽毛球团体赛"
		f.must(f.tx(func(tx *store.Tx) error { _, err := tx.UpdateActivity(f.ctx, edit); return err }))
		if got, _ := db.Activity(f.ctx, a.ID); got.Version != 2 || got.Title != "羽毛球团体赛" || got.Confirmed != 2 {
			t.Errorf("after edit: v%d %s confirmed %d", got.Version, got.Title, got.Confirmed)
		}
		st, err := db.ActivityStats(f.ctx, a.ID)
		f.must(err)
		if st.Confirmed != 2 || st.SeatsLeft != 1 || st.Items[0].Confirmed != 1 || st.Items[0].SeatsLeft != 1 {
			t.Errorf("stats %+v", st)
		}
		// Cancel the activity: everyone is returned, entries end.
		var ps []store.Participant
		f.must(f.tx(func(tx *store.Tx) (err error) { ps, err = tx.CancelActivity(f.ctx, a.ID, "ou_admin"); return }))
		if len(ps) != 2 || ps[0].OpenID != "ou_m1" {
			t.Errorf("participants %+v", ps)
		}
		if n := f.count("signup_entries WHERE live_member IS NOT NULL"); n != 0 {
			t.Errorf("%d entries still standing", n)
		}
		counts, err := db.BranchMemberCounts(f.ctx)
		f.must(err)
		if len(counts) != 1 || counts[0].Members != 2 {
			t.Errorf("branch counts %+v", counts)
		}
	})
}

func (f *fixture) facts(id int64) *store.MemberFacts {
	var m *store.MemberFacts
	f.must(f.tx(func(tx *store.Tx) (err error) { m, err = tx.MemberFacts(f.ctx, id); return }))
	return m
}

func TestSignupWaitlistCancelPromote(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Capacity = 2
		f.create(a)
		var ms []*store.MemberFacts
		for i := 0; i < 5; i++ {
			ms = append(ms, f.member(fmt.Sprint("p", i), "机关分工会", "F"))
		}
		var es []*store.Entry
		for _, m := range ms {
			e, err := f.signup(a, 0, m)
			f.must(err)
			es = append(es, e)
		}
		want := []struct {
			status string
			pos    int
		}{{"confirmed", 0}, {"confirmed", 0}, {"waitlisted", 1}, {"waitlisted", 2}, {"waitlisted", 3}}
		for i, w := range want {
			if es[i].Status != w.status || es[i].Position != w.pos {
				t.Errorf("entry %d: %s %d, want %s %d", i, es[i].Status, es[i].Position, w.status, w.pos)
			}
		}
		// A second sign-up is refused, nothing written.
		before := f.count("signup_entries")
		if _, err := f.signup(a, 0, ms[0]); code(err) != store.ECONFLICT || !strings.Contains(store.ErrorMessage(err), "已经报名") {
			t.Errorf("second sign-up: %v", err)
		}
		if f.count("signup_entries") != before {
			t.Error("a refused sign-up wrote a row")
		}
		// Cancelling a confirmed entry promotes the first waitlisted one, and returns whom to
		// tell: the store itself queues no message (the handlers word and queue the notice).
		var res *store.CancelResult
		f.must(f.tx(func(tx *store.Tx) (err error) {
			res, err = tx.CancelEntry(f.ctx, es[0].ID, ms[0].ID, false, "ou_p0", time.UTC)
			return
		}))
		if len(res.Promoted) != 1 || res.Promoted[0].EntryID != es[2].ID || len(res.Promoted[0].Members) != 1 ||
			res.Promoted[0].Members[0].OpenID != "ou_p2" || res.Promoted[0].Members[0].EntryID != es[2].ID ||
			res.Promoted[0].Activity.ID != a.ID || res.Promoted[0].Item != nil {
			t.Fatalf("promoted %+v", res.Promoted)
		}
		if n := f.count("outbox"); n != 0 {
			t.Errorf("the store queued %d messages", n)
		}
		if got, _ := db.Activity(f.ctx, a.ID); got.Confirmed != 2 {
			t.Errorf("confirmed counter %d", got.Confirmed)
		}
		// Someone else's entry cannot be cancelled; after the deadline nobody's can.
		if err := f.tx(func(tx *store.Tx) error {
			_, err := tx.CancelEntry(f.ctx, es[1].ID, ms[3].ID, false, "ou_p3", time.UTC)
			return err
		}); code(err) != store.EUNAUTHORIZED {
			t.Errorf("cancel another's: %v", err)
		}
		// Raising the capacity promotes the rest, and returns them.
		edit, _ := db.Activity(f.ctx, a.ID)
		edit.Capacity = 10
		var raised []store.Promotion
		f.must(f.tx(func(tx *store.Tx) (err error) { raised, err = tx.UpdateActivity(f.ctx, edit); return }))
		if n := f.count("signup_entries WHERE status = 'confirmed'"); n != 4 {
			t.Errorf("after raising capacity: %d confirmed", n)
		}
		if len(raised) != 2 || raised[0].EntryID != es[3].ID || raised[1].EntryID != es[4].ID || raised[1].Members[0].OpenID != "ou_p4" {
			t.Errorf("promoted by the raise %+v", raised)
		}
		if n := f.count("outbox"); n != 0 {
			t.Errorf("the store queued %d messages", n)
		}
		f.now = a.CancelDeadline.Add(time.Minute)
		if err := f.tx(func(tx *store.Tx) error {
			_, err := tx.CancelEntry(f.ctx, es[1].ID, ms[1].ID, false, "ou_p1", time.UTC)
			return err
		}); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "已过取消报名的截止时间") {
			t.Errorf("cancel after deadline: %v", err)
		}
		// My entries.
		var mine []*store.MyEntry
		f.must(f.tx(func(tx *store.Tx) (err error) { mine, err = tx.MyEntries(f.ctx, ms[1].ID); return }))
		if len(mine) != 1 || mine[0].Title != "羽毛球比赛" || mine[0].Status != "confirmed" {
			t.Errorf("my entries %+v", mine)
		}
		rows, err := db.Roster(f.ctx, a.ID)
		f.must(err)
		if len(rows) != 5 || rows[0].Status != "confirmed" || rows[0].Role != "个人" || rows[len(rows)-1].Status != "cancelled" {
			t.Errorf("roster %+v", rows)
		}
	})
}

func TestItemsQuotaAndOneItem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.OneItemPerPerson = true
		a.BranchQuota = 1
		a.Items = []*store.ActivityItem{{Name: "男单", Capacity: 1}, {Name: "女单", Capacity: 1}}
		f.create(a)
		x := f.member("x", "机关分工会", "M")
		y := f.member("y", "机关分工会", "M")
		z := f.member("z", "体育学院分工会", "M")
		men, women := a.Items[0].ID, a.Items[1].ID
		if e, err := f.signup(a, men, x); err != nil || e.Status != store.EntryConfirmed {
			t.Fatalf("x: %v %v", e, err)
		}
		if _, err := f.signup(a, women, x); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "不得兼项") {
			t.Errorf("second item: %v", err)
		}
		if _, err := f.signup(a, men, y); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "已报满") {
			t.Errorf("quota: %v", err)
		}
		// The item is full: z waits, and the activity's seat counter is not taken.
		e, err := f.signup(a, men, z)
		if err != nil || e.Status != store.EntryWaitlisted || e.Position != 1 {
			t.Errorf("z: %+v %v", e, err)
		}
		if got, _ := db.Activity(f.ctx, a.ID); got.Confirmed != 1 || got.Items[0].Confirmed != 1 || got.Items[0].WaitlistSeq != 1 {
			t.Errorf("counters: %d %d %d", got.Confirmed, got.Items[0].Confirmed, got.Items[0].WaitlistSeq)
		}
		if _, err := f.signup(a, 999, z); code(err) != store.EINVALID {
			t.Errorf("unknown item: %v", err)
		}
	})
}

func TestEligibility(t *testing.T) {
	a := baseActivity()
	a.StartsAt = time.Date(2024, 4, 10, 1, 0, 0, 0, time.UTC)
	birth := func(s string) store.MemberFacts {
		m := store.MemberFacts{Active: true, Gender: "F", BranchName: "机关分工会", EmployeeNo: "1"}
		if s != "" {
			d, _ := time.Parse(time.DateOnly, s)
			m.Birth.Time, m.Birth.Valid = d, true
		}
		return m
	}
	tests := []struct {
		name string
		set  func(a *store.Activity, m *store.MemberFacts)
		want string
	}{
		{"ok", func(a *store.Activity, m *store.MemberFacts) {}, ""},
		{"members only", func(a *store.Activity, m *store.MemberFacts) { a.MembersOnly, m.Placeholder = true, true }, "仅限在册工会会员"},
		{"women only", func(a *store.Activity, m *store.MemberFacts) { a.WomenOnly, m.Gender = true, "M" }, "仅限女教职工"},
		{"branch", func(a *store.Activity, m *store.MemberFacts) { a.Branches = []string{"体育学院分工会"} }, "你属于机关分工会"},
		{"age unknown", func(a *store.Activity, m *store.MemberFacts) { a.AgeMin = 45; m.Birth.Valid = false }, "没有你的出生日期"},
		{"too young", func(a *store.Activity, m *store.MemberFacts) { a.AgeMin = 45 }, "45 岁及以上（按 2024-04-10 计算），你届时 44 岁"},
		{"birthday counts", func(a *store.Activity, m *store.MemberFacts) { a.AgeMin, a.AgeRefDate = 45, "2024-05-01" }, ""},
		{"too old", func(a *store.Activity, m *store.MemberFacts) { a.AgeMax = 40 }, "40 岁及以下"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			aa := *a
			m := birth("1979-05-01")
			tc.set(&aa, &m)
			got := aa.Ineligible(&m, nil, time.FixedZone("CST", 8*3600))
			if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestIDNumbers(t *testing.T) {
	tests := []struct {
		in   string
		ok   bool
		mask string
	}{
		{"11010519491231002X", true, "110***********002X"},
		{"11010519491231002x", true, "110***********002X"},
		{"110105194912310021", false, ""},
		{"1101051949123100", false, ""},
		{"11010519491331002X", false, ""}, // month 13... check digit aside
	}
	for _, tc := range tests {
		got, ok := store.ValidIDNumber(tc.in)
		if ok != tc.ok || (ok && store.MaskIDNumber(got) != tc.mask) {
			t.Errorf("%s: %v %v %s", tc.in, got, ok, store.MaskIDNumber(got))
		}
	}
}
