package signup

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// newEngine is a fresh job engine on db (a restarted replica) with the sign-up job.
func newEngine(t *testing.T, db *store.DB, loc *time.Location) *jobs.Engine {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e, err := jobs.NewEngine(jobs.Options{DB: db, Loc: loc, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	if err := RegisterJobs(e, handlers.Deps{DB: db, Loc: loc, Log: log, Config: config.Default()}); err != nil {
		t.Fatal(err)
	}
	return e
}

// openActivity creates and opens an activity (no items) organised by member org.
func (h *adminHarness) openActivity(title string, org int64, minEntries int) *store.Activity {
	h.T.Helper()
	ctx := context.Background()
	a := &store.Activity{Title: title, Kind: store.KindCulture, EntryMode: store.ModeIndividual, Allocation: store.AllocFirstCome,
		MembersOnly: true, Capacity: 10, MinEntries: minEntries, CreatedBy: org,
		SignupOpensAt:  time.Date(2024, 4, 1, 1, 0, 0, 0, time.UTC),
		SignupClosesAt: time.Date(2024, 4, 15, 10, 0, 0, 0, time.UTC),
		StartsAt:       time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC),
		EndsAt:         time.Date(2024, 4, 20, 10, 0, 0, 0, time.UTC)}
	err := h.DB.InTx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateActivity(ctx, a); err != nil {
			return err
		}
		return tx.SetActivityStatus(ctx, a.ID, store.ActivityOpen, "test")
	})
	if err != nil {
		h.T.Fatal(err)
	}
	a.Status = store.ActivityOpen
	return a
}

// sends lists the receivers of 1:1 sends whose content contains s, in order.

func TestRemindersJob(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 4, 2, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		org := h.member(officer, "赵干事", "9001", "工会办公室", "F", store.RoleOfficer)
		m1 := h.member("ou_r1", "甲", "101", "机关分工会", "M", "")
		m2 := h.member("ou_r2", "乙", "102", "机关分工会", "F", "")
		h.member("ou_r3", "丙", "103", "机关分工会", "M", "")
		m4 := h.member("ou_r4", "丁", "104", "机关分工会", "M", "")
		a := h.openActivity("教职工合唱比赛", org.ID, 2)
		small := h.openActivity("书法讲座", org.ID, 3)
		h.signUp(a.ID, m1.ID, 0)
		h.signUp(a.ID, m2.ID, 0)
		h.signUp(small.ID, m1.ID, 0)
		// 丁 opts out with the command.
		if got := h.Say(m4.OpenID, "退订活动提醒"); !strings.Contains(got, "已退订") {
			t.Fatalf("opt-out: %q", got)
		}
		if got := h.Say(m4.OpenID, "退订活动提醒"); !strings.Contains(got, "你已退订") {
			t.Errorf("second opt-out: %q", got)
		}

		run := func(e *jobs.Engine, at time.Time) {
			t.Helper()
			h.setNow(at)
			if err := e.RunJob(ctx, JobName, at); err != nil {
				t.Fatalf("run at %v: %v", at, err)
			}
		}
		e := newEngine(t, db, h.loc)
		closes := a.SignupClosesAt

		run(e, closes.Add(-25*time.Hour))
		if got := h.SentTo("报名将于"); len(got) != 0 {
			t.Fatalf("closing reminders a day too early: %v", got)
		}
		// 24 h before the close: the eligible members who have not signed up, except 丁.
		run(e, closes.Add(-23*time.Hour))
		want := "[ou_r2 ou_r3 ou_r3 ou_sa_officer ou_sa_officer]"
		if got := h.SentTo("报名将于"); fmtList(got) != want {
			t.Errorf("closing reminders = %v, want %s (合唱: 丙 and the officer; 讲座: 乙, 丙, the officer)", got, want)
		}
		// Never twice: the same run again, then a restarted engine.
		run(e, closes.Add(-23*time.Hour))
		run(newEngine(t, db, h.loc), closes.Add(-22*time.Hour))
		if got := h.SentTo("报名将于"); fmtList(got) != want {
			t.Errorf("after a second run and a restart: %v", got)
		}

		// At the close: closed, a summary to the organiser; the one below its minimum cancelled
		// and its entrant told.
		run(e, closes.Add(time.Minute))
		run(newEngine(t, db, h.loc), closes.Add(2*time.Minute))
		got, _ := db.Activity(ctx, a.ID)
		if got.Status != store.ActivityClosed {
			t.Errorf("合唱 status = %s", got.Status)
		}
		gotSmall, _ := db.Activity(ctx, small.ID)
		if gotSmall.Status != store.ActivityCancelled {
			t.Errorf("讲座 status = %s, want cancelled (1 entry, minimum 3)", gotSmall.Status)
		}
		if s := h.SentTo("报名截止：教职工合唱比赛"); fmtList(s) != "[ou_sa_officer]" {
			t.Errorf("summary = %v", s)
		}
		if s := h.SentTo("活动取消：书法讲座"); fmtList(s) != "[ou_sa_officer]" {
			t.Errorf("cancellation summary = %v", s)
		}
		if s := h.SentTo("不足最少成行数 3"); fmtList(s) != "[ou_r1 ou_sa_officer]" {
			t.Errorf("told of the cancellation = %v", s)
		}

		// Before the event: the day before, and 2 hours before, to the participants, once each.
		starts := a.StartsAt
		run(e, starts.Add(-23*time.Hour))
		run(e, starts.Add(-23*time.Hour))
		if s := h.SentTo("【活动提醒】"); fmtList(s) != "[ou_r1 ou_r2]" {
			t.Errorf("day-before reminders = %v", s)
		}
		run(newEngine(t, db, h.loc), starts.Add(-90*time.Minute))
		run(e, starts.Add(-80*time.Minute))
		if s := h.SentTo("【活动提醒】"); fmtList(s) != "[ou_r1 ou_r1 ou_r2 ou_r2]" {
			t.Errorf("event reminders = %v", s)
		}

		// After the event: finished.
		run(e, a.EndsAt.Add(time.Minute))
		if got, _ := db.Activity(ctx, a.ID); got.Status != store.ActivityFinished {
			t.Errorf("status after the event = %s", got.Status)
		}
		run(e, a.EndsAt.Add(time.Hour))
		if n := h.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'send'`); n != 12 {
			t.Errorf("%d messages in all, want 12", n)
		}
	})
}

// fmtList shows receivers sorted, for comparisons that do not depend on the order of sends.
func fmtList(ss []string) string {
	ss = slices.Clone(ss)
	slices.Sort(ss)
	return "[" + strings.Join(ss, " ") + "]"
}

func TestRemindersLotteryAndTeams(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newAdminHarness(t, db, time.Date(2024, 4, 2, 2, 0, 0, 0, time.UTC))
		ctx := context.Background()
		org := h.member(officer, "赵干事", "9001", "工会办公室", "F", store.RoleOfficer)
		a := &store.Activity{Title: "单身联谊", Kind: store.KindCare, EntryMode: store.ModeIndividual, Allocation: store.AllocLottery,
			MembersOnly: true, Capacity: 2, CreatedBy: org.ID, Sensitive: true,
			SignupOpensAt:  time.Date(2024, 4, 1, 1, 0, 0, 0, time.UTC),
			SignupClosesAt: time.Date(2024, 4, 15, 10, 0, 0, 0, time.UTC),
			StartsAt:       time.Date(2024, 4, 20, 6, 0, 0, 0, time.UTC),
			EndsAt:         time.Date(2024, 4, 20, 10, 0, 0, 0, time.UTC)}
		err := db.InTx(ctx, func(tx *store.Tx) error {
			if err := tx.CreateActivity(ctx, a); err != nil {
				return err
			}
			return tx.SetActivityStatus(ctx, a.ID, store.ActivityOpen, "test")
		})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"ou_l1", "ou_l2", "ou_l3", "ou_l4"} {
			m := h.member(id, "会员"+id, "20"+id[4:], "机关分工会", []string{"M", "F"}[i%2], "")
			h.signUp(a.ID, m.ID, 0)
		}
		e := newEngine(t, db, h.loc)
		h.setNow(a.SignupClosesAt.Add(time.Minute))
		if err := e.RunJob(ctx, JobName, a.SignupClosesAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, _ := db.Activity(ctx, a.ID)
		if got.Status != store.ActivityClosed || got.LotterySeed == 0 {
			t.Errorf("after the close: status %s seed %d", got.Status, got.LotterySeed)
		}
		st, _ := db.ActivityStats(ctx, a.ID)
		if st.Confirmed != 2 || st.Waitlisted != 2 {
			t.Errorf("drawn: %+v", st.ItemStats)
		}
		if s := h.SentTo("抽签完成（种子"); fmtList(s) != "[ou_sa_officer]" {
			t.Errorf("summary with the draw = %v", s)
		}
		if _, ok, err := db.CheckLottery(ctx, a.ID); err != nil || !ok {
			t.Errorf("the draw does not re-check from its seed: %v %v", ok, err)
		}
	})
}
