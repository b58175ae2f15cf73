package signup_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestCheckIn drives check-in through the webhook: an officer opens it (the card is posted in
// the chat), participants check in once, others get a clear answer, and 签到情况 lists the
// no-shows after the event.
func TestCheckIn(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "")
		h.grant(mhOfficer, store.RoleOfficer)
		h.member("ou_c1", "到场者", "机关分工会", "F", "")
		h.member("ou_c2", "缺席者", "体育学院分工会", "M", "")
		h.member("ou_c3", "候补者", "机关分工会", "M", "")
		h.member("ou_c4", "路人", "机关分工会", "M", "")
		a := h.activity(func(a *store.Activity) { a.Title, a.Capacity = "教职工趣味运动会", 2 })
		for _, who := range []string{"ou_c1", "ou_c2", "ou_c3"} {
			h.Answer(who, join(a, 0), nil)
		}
		if _, st, pos := h.entryOf(a, "ou_c3"); st != store.EntryWaitlisted || pos != 1 {
			t.Fatalf("setup: 候补者 %s %d", st, pos)
		}
		checkIn := map[string]any{"action": "signup.checkin", "activity_id": a.ID}

		h.setNow(a.StartsAt.Add(-30 * time.Minute))
		t.Run("before check-in opens", func(t *testing.T) {
			h.refused(t, "ou_c1", checkIn, nil, "签到尚未开始")
			h.refusedSay(t, "ou_c1", "签到 教职工趣味运动会", "你没有权限进行此操作")
		})

		// The officer opens check-in: the card with the 签到 button is the reply in this chat.
		cardJSON := h.Say(mhOfficer, "签到 教职工趣味运动会")
		if !strings.Contains(cardJSON, "签到：教职工趣味运动会") {
			t.Fatalf("check-in card: %.500s", cardJSON)
		}
		if v := cardValue(t, cardJSON, "signup.checkin"); v["activity_id"] != float64(a.ID) {
			t.Errorf("check-in button %v", v)
		}
		var opened []time.Time
		h.must(db.Select(h.ctx, &opened, `SELECT checkin_opened_at FROM activities WHERE id = ? AND checkin_opened_at IS NOT NULL`, a.ID))
		if len(opened) != 1 {
			t.Fatalf("check-in not opened")
		}
		// Opening again posts the card again and keeps the first opening.
		if again := h.Say(mhOfficer, "签到 "+fmt.Sprint(a.ID)); !strings.Contains(again, "signup.checkin") {
			t.Errorf("second opening: %.300s", again)
		}
		var opened2 time.Time
		h.must(db.Get(h.ctx, &opened2, `SELECT checkin_opened_at FROM activities WHERE id = ?`, a.ID))
		if !opened2.Equal(opened[0]) {
			t.Errorf("opening time moved: %v → %v", opened[0], opened2)
		}

		// A confirmed participant checks in: the time is recorded once.
		arrive := a.StartsAt.Add(-10 * time.Minute) // 3月30日 08:50 in Shanghai
		h.setNow(arrive)
		got := h.Answer("ou_c1", checkIn, nil)
		if got.Toast.Type != "success" || got.Toast.Content != "签到成功（08:50）。" {
			t.Errorf("check-in: %+v", got.Toast)
		}
		var at time.Time
		h.must(db.Get(h.ctx, &at, `SELECT e.checked_in_at FROM signup_entries e JOIN members m ON m.id = e.member_id WHERE m.open_id = 'ou_c1'`))
		if at.Sub(arrive).Abs() > time.Second {
			t.Errorf("checked in at %v, want %v", at, arrive)
		}
		// A second click later: same time, a friendly answer, nothing changed.
		h.setNow(a.StartsAt.Add(20 * time.Minute))
		t.Run("second click", func(t *testing.T) {
			before := h.rowsState()
			got := h.Answer("ou_c1", checkIn, nil)
			if got.Toast.Type != "info" || got.Toast.Content != "你已于 3月30日 08:50 签到，无需重复签到。" {
				t.Errorf("second check-in: %+v", got.Toast)
			}
			if h.rowsState() != before {
				t.Error("the second click changed the database")
			}
			var again time.Time
			h.must(db.Get(h.ctx, &again, `SELECT e.checked_in_at FROM signup_entries e JOIN members m ON m.id = e.member_id WHERE m.open_id = 'ou_c1'`))
			if !again.Equal(at) {
				t.Errorf("time changed: %v → %v", at, again)
			}
		})
		t.Run("not a participant", func(t *testing.T) {
			h.refused(t, "ou_c3", checkIn, nil, "你在本活动的报名状态是“候补”，只有已确认的参加者才能签到")
			h.refused(t, "ou_c4", checkIn, nil, "你没有报名本活动（或报名已取消），不能签到")
			h.refused(t, "ou_c1", map[string]any{"action": "signup.checkin", "activity_id": 99999}, nil, "找不到该活动")
		})
		// Check-in answers with toasts only: nobody gets a message.
		for _, who := range []string{"ou_c1", "ou_c3", "ou_c4"} {
			if n := h.outboxCount(who); n != 0 {
				t.Errorf("%s got %d messages", who, n)
			}
		}
		// 签到情况 during the event: who has not checked in yet.
		if txt := h.Say(mhOfficer, "签到情况 教职工趣味运动会"); txt != "「教职工趣味运动会」签到情况：已签到 1 人，未签到 1 人。\n未签到：缺席者（体育学院分工会）" {
			t.Errorf("status during the event: %q", txt)
		}
		h.refusedSay(t, "ou_c1", "签到情况 教职工趣味运动会", "你没有权限进行此操作")

		// After the event the job finishes the activity and marks the no-show; 签到情况 (by
		// name or number) lists the no-shows.
		h.runReminders(a.EndsAt.Add(time.Hour))
		var status string
		h.must(db.Get(h.ctx, &status, `SELECT status FROM activities WHERE id = ?`, a.ID))
		if status != store.ActivityFinished {
			t.Fatalf("activity %s after the event", status)
		}
		if _, st, _ := h.entryOf(a, "ou_c2"); st != store.EntryNoShow {
			t.Errorf("缺席者: %s", st)
		}
		if _, st, _ := h.entryOf(a, "ou_c1"); st != store.EntryConfirmed {
			t.Errorf("到场者: %s", st)
		}
		want := "「教职工趣味运动会」签到情况：已签到 1 人，缺席（未签到） 1 人。\n缺席（未签到）：缺席者（体育学院分工会）"
		for _, arg := range []string{"教职工趣味运动会", fmt.Sprint(a.ID)} {
			if txt := h.Say(mhOfficer, "签到情况 "+arg); txt != want {
				t.Errorf("签到情况 %s after the event: %q", arg, txt)
			}
		}
		t.Run("after the event", func(t *testing.T) {
			h.refused(t, "ou_c2", checkIn, nil, "活动已结束，签到已关闭")
		})
	})
}
