package store_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestLottery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Title, a.Kind, a.Allocation, a.Capacity, a.Sensitive = "单身教职工联谊", store.KindCare, store.AllocLottery, 3, true
		f.create(a)
		for i := 0; i < 8; i++ {
			e, err := f.signup(a, 0, f.member(fmt.Sprint("l", i), "机关分工会", "F"))
			if err != nil || e.Status != store.EntryApplied {
				t.Fatalf("apply: %+v %v", e, err)
			}
		}
		err := f.tx(func(tx *store.Tx) error { _, err := tx.DrawLottery(f.ctx, a.ID, 42); return err })
		if code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "尚未截止") {
			t.Errorf("draw before close: %v", err)
		}
		f.now = a.SignupClosesAt.Add(time.Minute)
		var res *store.LotteryResult
		f.must(f.tx(func(tx *store.Tx) (err error) { res, err = tx.DrawLottery(f.ctx, a.ID, 42); return }))
		if res.Confirmed != 3 || res.Waitlisted != 5 || res.Seed != 42 {
			t.Errorf("result %+v", res)
		}
		// The stored draw is the seed's order: the first three confirmed, the rest waitlisted 1..5.
		order, ok, err := db.CheckLottery(f.ctx, a.ID)
		f.must(err)
		if !ok || !slices.Equal(order, res.Order) || !slices.Equal(store.LotteryOrder(42, res.Order), order) {
			t.Errorf("check: %v %v %v", ok, order, res.Order)
		}
		for i, id := range order {
			var e struct {
				Status   string `db:"status"`
				Position int    `db:"position"`
			}
			f.must(db.Get(f.ctx, &e, `SELECT status, position FROM signup_entries WHERE id = ?`, id))
			if (i < 3 && e.Status != "confirmed") || (i >= 3 && (e.Status != "waitlisted" || e.Position != i-2)) {
				t.Errorf("rank %d: %+v", i+1, e)
			}
		}
		// Every applicant is returned with their place, for the handler to tell; the store
		// queues nothing.
		placed := map[int64]string{}
		for _, d := range res.Drawn {
			placed[d.Entry.ID] = fmt.Sprint(d.Entry.Status, d.Entry.Position)
			if d.Member.EntryID != d.Entry.ID || d.Member.OpenID == "" {
				t.Errorf("drawn %+v %+v", d.Entry, d.Member)
			}
		}
		for i, id := range order {
			want := "confirmed0"
			if i >= 3 {
				want = fmt.Sprint("waitlisted", i-2)
			}
			if placed[id] != want {
				t.Errorf("drawn rank %d: %q, want %q", i+1, placed[id], want)
			}
		}
		if len(res.Drawn) != 8 || res.Activity.ID != a.ID {
			t.Errorf("drawn %d for activity %d", len(res.Drawn), res.Activity.ID)
		}
		if n := f.count("outbox"); n != 0 {
			t.Errorf("the store queued %d messages", n)
		}
		if err := f.tx(func(tx *store.Tx) error { _, err := tx.DrawLottery(f.ctx, a.ID, 7); return err }); code(err) != store.ECONFLICT {
			t.Errorf("second draw: %v", err)
		}
		// Tampering shows.
		db.SQL().Exec(`UPDATE signup_entries SET lottery_rank = 9 - lottery_rank WHERE activity_id = ?`, a.ID)
		if _, ok, _ := db.CheckLottery(f.ctx, a.ID); ok {
			t.Error("a tampered draw checks out")
		}
		// Different seeds give different orders; the same seed the same.
		ids := []int64{5, 3, 9, 1, 7, 2, 8}
		if slices.Equal(store.LotteryOrder(1, ids), store.LotteryOrder(2, ids)) || !slices.Equal(store.LotteryOrder(1, ids), store.LotteryOrder(1, []int64{1, 2, 3, 5, 7, 8, 9})) {
			t.Error("LotteryOrder is not a function of seed and the id set")
		}
	})
}

func TestTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Title, a.EntryMode, a.BranchQuota, a.Capacity = "气排球比赛", store.ModeTeam, 1, 4
		a.Items = []*store.ActivityItem{{Name: "混合组", TeamMin: 3, TeamMax: 4, MinWomen: 1}}
		f.create(a)
		cap1 := f.member("c1", "机关分工会", "M")
		cap2 := f.member("c2", "体育学院分工会", "M")
		w := f.member("w", "机关分工会", "F")
		u := f.member("u", "机关分工会", "M")
		v := f.member("v", "机关分工会", "M")
		item := a.Items[0].ID
		mk := func(c *store.MemberFacts, name string) (*store.Team, error) {
			var tm *store.Team
			err := f.tx(func(tx *store.Tx) error {
				cur, _ := tx.Activity(f.ctx, a.ID)
				var err error
				tm, err = tx.CreateTeam(f.ctx, store.TeamRequest{Activity: cur, ItemID: item, Name: name, Captain: c, Actor: c.OpenID, Loc: time.UTC})
				return err
			})
			return tm, err
		}
		t1, err := mk(cap1, "机关一队")
		f.must(err)
		if t1.Status != store.EntryConfirmed {
			t.Errorf("team status %s", t1.Status)
		}
		if _, err := mk(u, "机关二队"); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "限报 1 队") {
			t.Errorf("second team of a branch: %v", err)
		}
		t2, err := mk(cap2, "体院队")
		f.must(err)
		invite := func(tm *store.Team, captain int64, who ...*store.MemberFacts) ([]*store.Invite, error) {
			var out []*store.Invite
			err := f.tx(func(tx *store.Tx) (err error) {
				out, err = tx.InviteToTeam(f.ctx, tm.ID, captain, who, "x", time.UTC)
				return
			})
			return out, err
		}
		answer := func(inv *store.Invite, m *store.MemberFacts, yes bool) error {
			return f.tx(func(tx *store.Tx) error {
				_, err := tx.AnswerInvite(f.ctx, inv.ID, m, yes, store.Sensitive{}, "", m.OpenID, time.UTC)
				return err
			})
		}
		invs, err := invite(t1, cap1.ID, w, u)
		f.must(err)
		if _, err := invite(t1, cap1.ID, v, f.member("q", "机关分工会", "M"), f.member("r", "机关分工会", "M")); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "最多 4 人") {
			t.Errorf("too many: %v", err)
		}
		if err := answer(invs[0], u, true); code(err) != store.EUNAUTHORIZED {
			t.Errorf("answering another's invitation: %v", err)
		}
		f.must(answer(invs[0], w, true))
		f.must(answer(invs[1], u, false))
		if n := f.count("outbox"); n != 0 {
			t.Errorf("answers: the store queued %d messages", n)
		}
		if err := answer(invs[1], u, true); code(err) != store.EINVALID {
			t.Errorf("answering twice: %v", err)
		}
		// w is in team 1: team 2 cannot have her.
		if _, err := invite(t2, cap2.ID, w); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "已在另一支队伍（机关一队）中") {
			t.Errorf("invitee in another team: %v", err)
		}
		// v is invited by both; accepting the second after the first fails.
		i1, err := invite(t1, cap1.ID, v)
		f.must(err)
		i2, err := invite(t2, cap2.ID, v)
		f.must(err)
		f.must(answer(i1[0], v, true))
		if err := answer(i2[0], v, true); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "你已在另一支队伍") {
			t.Errorf("accepting a second team: %v", err)
		}
		var probs []store.TeamProblem
		f.must(f.tx(func(tx *store.Tx) (err error) { probs, err = tx.CheckTeamsAtClose(f.ctx, a.ID); return }))
		if len(probs) != 1 || probs[0].TeamID != t2.ID || !probs[0].Check.TooFew || probs[0].Item.TeamMin != 3 || probs[0].Check.Size != 1 ||
			!probs[0].Check.FewWomen || probs[0].Check.TooMany || probs[0].Check.OverQuota {
			t.Errorf("problems %+v", probs)
		}
		if got, _ := db.Activity(f.ctx, a.ID); got.Confirmed != 2 {
			t.Errorf("teams take one seat each: %d", got.Confirmed)
		}
		// The captain withdraws the team: entries end, the seat and the quota are free, and the
		// members to tell are returned (the store queues nothing).
		var capEntry int64
		f.must(db.Get(f.ctx, &capEntry, `SELECT id FROM signup_entries WHERE team_id = ? AND role = 'captain'`, t1.ID))
		var withdrawn *store.CancelResult
		f.must(f.tx(func(tx *store.Tx) (err error) {
			withdrawn, err = tx.CancelEntry(f.ctx, capEntry, cap1.ID, false, "ou_c1", time.UTC)
			return
		}))
		if n := f.count("signup_entries WHERE team_id = ? AND live_member IS NOT NULL", t1.ID); n != 0 {
			t.Errorf("%d entries left in the withdrawn team", n)
		}
		if withdrawn.Team == nil || withdrawn.Team.ID != t1.ID || len(withdrawn.Teammates) != 2 || len(withdrawn.Entries) != 3 {
			t.Errorf("withdrawn %+v", withdrawn)
		}
		for _, p := range withdrawn.Teammates {
			if p.OpenID == cap1.OpenID || p.OpenID == "" {
				t.Errorf("teammate to tell %+v", p)
			}
		}
		if n := f.count("outbox"); n != 0 {
			t.Errorf("the store queued %d messages", n)
		}
		if _, err := mk(u, "机关新队"); err != nil {
			t.Errorf("quota not freed: %v", err)
		}
	})
}

func TestCheckInAndFinish(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.Capacity, a.NeedsInsurance = 2, true
		f.create(a)
		var ms []*store.MemberFacts
		for i := 0; i < 3; i++ {
			m := f.member(fmt.Sprint("k", i), "机关分工会", "M")
			ms = append(ms, m)
			f.must(f.tx(func(tx *store.Tx) error {
				cur, _ := tx.Activity(f.ctx, a.ID)
				_, err := tx.SignUp(f.ctx, store.SignupRequest{Activity: cur, Member: m, IDNumber: store.Sensitive{Keys: testRing(t), Text: "11010519491231002X"}, IDMasked: "110***********002X", Actor: m.OpenID})
				return err
			}))
		}
		checkIn := func(m *store.MemberFacts) (bool, error) {
			var first bool
			err := f.tx(func(tx *store.Tx) (err error) { _, first, err = tx.CheckIn(f.ctx, a.ID, m.ID, time.UTC); return })
			return first, err
		}
		if _, err := checkIn(ms[0]); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "签到尚未开始") {
			t.Errorf("before opening: %v", err)
		}
		f.must(f.tx(func(tx *store.Tx) error { _, err := tx.OpenCheckIn(f.ctx, a.ID, "ou_officer"); return err }))
		if first, err := checkIn(ms[0]); err != nil || !first {
			t.Errorf("check-in: %v %v", first, err)
		}
		if first, err := checkIn(ms[0]); err != nil || first {
			t.Errorf("second check-in: %v %v", first, err)
		}
		if _, err := checkIn(ms[2]); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "候补") {
			t.Errorf("waitlisted check-in: %v", err)
		}
		list, err := db.CheckInList(f.ctx, a.ID)
		f.must(err)
		if len(list) != 2 || list[0].MemberID != ms[1].ID || list[0].CheckedInAt != nil || list[1].CheckedInAt == nil {
			t.Errorf("list %+v", list)
		}
		rows, _ := db.Roster(f.ctx, a.ID)
		if rows[0].IDMasked != "110***********002X" {
			t.Errorf("roster ID %q", rows[0].IDMasked)
		}
		f.must(f.tx(func(tx *store.Tx) error { return tx.FinishActivity(f.ctx, a.ID, "system") }))
		if n := f.count("signup_entries WHERE status = 'no_show'"); n != 1 {
			t.Errorf("no-shows: %d", n)
		}
		if n := f.count("signup_entries WHERE id_cipher <> '' OR id_masked <> ''"); n != 0 {
			t.Errorf("ID numbers left: %d", n)
		}
	})
}

func TestBranchConfirmAndUnit(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		f := newFixture(t, db)
		a := baseActivity()
		a.BranchConfirm, a.Capacity = true, 1
		f.create(a)
		m1, m2 := f.member("b1", "机关分工会", "M"), f.member("b2", "机关分工会", "M")
		e1, err := f.signup(a, 0, m1)
		f.must(err)
		e2, err := f.signup(a, 0, m2)
		f.must(err)
		if e1.Status != store.EntryPendingUnit {
			t.Errorf("status %s", e1.Status)
		}
		var d *store.Decision
		f.must(f.tx(func(tx *store.Tx) (err error) {
			d, err = tx.DecideEntry(f.ctx, e2.ID, true, "ou_chair", time.UTC)
			return
		}))
		if d.Entry.Status != store.EntryConfirmed || d.OpenID != m2.OpenID || d.Activity.ID != a.ID {
			t.Errorf("approved: %s %+v", d.Entry.Status, d)
		}
		f.must(f.tx(func(tx *store.Tx) (err error) {
			d, err = tx.DecideEntry(f.ctx, e1.ID, false, "ou_chair", time.UTC)
			return
		}))
		if d.Entry.Status != store.EntryRejected || d.OpenID != m1.OpenID {
			t.Errorf("rejected: %s", d.Entry.Status)
		}
		if n := f.count("outbox"); n != 0 {
			t.Errorf("the store queued %d messages", n)
		}
		if err := f.tx(func(tx *store.Tx) error {
			_, err := tx.DecideEntry(f.ctx, e1.ID, true, "ou_chair", time.UTC)
			return err
		}); code(err) != store.EINVALID {
			t.Errorf("deciding twice: %v", err)
		}
		// Unit mode.
		u := baseActivity()
		u.Title, u.EntryMode, u.Capacity = "健康跑", store.ModeUnit, 10
		f.create(u)
		x, y := f.member("ux", "机关分工会", "M"), f.member("uy", "体育学院分工会", "M")
		err = f.tx(func(tx *store.Tx) error {
			cur, _ := tx.Activity(f.ctx, u.ID)
			_, err := tx.AddUnitEntries(f.ctx, cur, 0, x.BranchID, []*store.MemberFacts{x, y}, m1.ID, "ou_chair", time.UTC)
			return err
		})
		if code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "「uy」不属于你的分工会") {
			t.Errorf("another branch's member: %v", err)
		}
		if _, err := f.signup(u, 0, x); code(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "分工会主席统一报名") {
			t.Errorf("self sign-up in unit mode: %v", err)
		}
		f.must(f.tx(func(tx *store.Tx) error {
			cur, _ := tx.Activity(f.ctx, u.ID)
			_, err := tx.AddUnitEntries(f.ctx, cur, 0, x.BranchID, []*store.MemberFacts{x}, m1.ID, "ou_chair", time.UTC)
			return err
		}))
		var ds []*store.Decision
		f.must(f.tx(func(tx *store.Tx) (err error) {
			ds, err = tx.ConfirmUnit(f.ctx, u.ID, x.BranchID, "ou_chair", time.UTC)
			return
		}))
		if len(ds) != 1 || ds[0].Entry.Status != store.EntryConfirmed || ds[0].OpenID != x.OpenID {
			t.Errorf("unit confirmed %+v", ds)
		}
		var ue *store.Error
		if err := f.tx(func(tx *store.Tx) error {
			_, err := tx.ConfirmUnit(f.ctx, u.ID, x.BranchID, "ou_chair", time.UTC)
			return err
		}); !errors.As(err, &ue) {
			t.Errorf("confirming an empty list: %v", err)
		}
	})
}
