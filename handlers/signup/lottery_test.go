package signup_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestLotteryCommands drives 抽签 and 抽签核验 through the webhook: an officer draws a closed
// lottery activity (winners up to the capacity, the rest waitlisted in drawn order, everyone
// told once), a second draw and a member are refused, and the draw re-checks from its seed.
func TestLotteryCommands(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		h := newMH(t, db, testDataKey)
		h.member(mhOfficer, "组织者", "工会办公室", "F", "") // member 1: the organiser
		h.grant(mhOfficer, store.RoleOfficer)
		var people []string
		for i := 1; i <= 6; i++ {
			id := fmt.Sprintf("ou_l%d", i)
			h.member(id, fmt.Sprintf("会员%d", i), "机关分工会", []string{"M", "F"}[i%2], "")
			people = append(people, id)
		}
		a := h.activity(func(a *store.Activity) {
			a.Title, a.Kind, a.Capacity, a.Allocation = "海南休养", store.KindTrip, 3, store.AllocLottery
		})
		h.activity(func(a *store.Activity) { a.Title = "读书分享会" })
		for _, who := range people {
			got := h.Answer(who, join(a, 0), nil)
			if got.Toast.Type != "success" {
				t.Fatalf("%s applies: %+v", who, got.Toast)
			}
			if _, st, _ := h.entryOf(a, who); st != store.EntryApplied {
				t.Fatalf("%s: %s", who, st)
			}
		}

		t.Run("refusals before the close", func(t *testing.T) {
			h.refusedSay(t, mhOfficer, "抽签 海南休养", "报名尚未截止，截止后才能抽签")
			h.refusedSay(t, "ou_l1", "抽签 海南休养", "你没有权限进行此操作")
			h.refusedSay(t, mhOfficer, "抽签 读书分享会", "该活动不是抽签分配名额")
			h.refusedSay(t, mhOfficer, "抽签核验 海南休养", "该活动还没有抽签")
			h.refusedSay(t, mhOfficer, "抽签", "用法")
		})

		// After the close (before the job has closed it) the officer draws.
		h.setNow(a.SignupClosesAt.Add(5 * time.Minute))
		txt := h.Say(mhOfficer, "抽签 海南休养")
		var seed int64
		h.must(db.Get(h.ctx, &seed, `SELECT lottery_seed FROM activities WHERE id = ?`, a.ID))
		want := fmt.Sprintf("「海南休养」已抽签：6 人报名，3 人中签，3 人候补。抽签种子 %d（可用「抽签核验 %d」复核）。每位报名人已收到私信通知。", seed, a.ID)
		if seed == 0 || txt != want {
			t.Fatalf("draw: %q\nwant %q", txt, want)
		}
		// The stored result is the order recomputed from the seed: ranks 1–3 confirmed, the
		// rest waitlisted 1, 2, 3 in drawn order.
		var rows []struct {
			ID       int64  `db:"id"`
			OpenID   string `db:"open_id"`
			Status   string `db:"status"`
			Position int    `db:"position"`
			Rank     int    `db:"lottery_rank"`
		}
		h.must(db.Select(h.ctx, &rows, `SELECT e.id, m.open_id, e.status, e.position, e.lottery_rank FROM signup_entries e
			JOIN members m ON m.id = e.member_id WHERE e.activity_id = ? ORDER BY e.lottery_rank`, a.ID))
		var ids []int64
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
		order := store.LotteryOrder(seed, ids)
		for i, r := range rows {
			wantStatus, wantPos := store.EntryConfirmed, 0
			if i >= 3 {
				wantStatus, wantPos = store.EntryWaitlisted, i-2
			}
			if r.Rank != i+1 || r.ID != order[i] || r.Status != wantStatus || r.Position != wantPos {
				t.Errorf("rank %d: %+v, want entry %d %s %d", i+1, r, order[i], wantStatus, wantPos)
			}
		}
		var counters string
		h.must(db.Get(h.ctx, &counters, `SELECT `+catInts(db, "confirmed_count", "waitlist_seq")+` FROM activities WHERE id = ?`, a.ID))
		if counters != "3/3" {
			t.Errorf("counters confirmed/waitlist %s", counters)
		}
		// Everyone is told 1:1, once, with their own result.
		for i, r := range rows {
			text := "【抽签结果】恭喜！你报名的「海南休养」已中签"
			if i >= 3 {
				text = fmt.Sprintf("【抽签结果】你报名的「海南休养」未中签，现为候补第 %d 位", r.Position)
			}
			if s := h.SentTo(text); !strings.Contains(fmt.Sprint(s), r.OpenID) {
				t.Errorf("%s not told %q", r.OpenID, text)
			}
			if n := h.outboxCount(r.OpenID); n != 1 {
				t.Errorf("%s got %d messages", r.OpenID, n)
			}
		}
		if s := h.SentTo(fmt.Sprintf("（抽签种子 %d，可复核）", seed)); len(s) != 6 {
			t.Errorf("%d results name the seed", len(s))
		}

		t.Run("refusals after the draw", func(t *testing.T) {
			h.refusedSay(t, mhOfficer, "抽签 海南休养", fmt.Sprintf("该活动已经抽过签了（种子 %d），可用「抽签核验」复核", seed))
			h.refusedSay(t, "ou_l2", "抽签核验 海南休养", "你没有权限进行此操作")
		})

		// 抽签核验 recomputes the order from the stored seed.
		wantOK := fmt.Sprintf("「海南休养」核验通过：按种子 %d 重算 6 人的抽签顺序，与保存的结果一致。", seed)
		if txt := h.Say(mhOfficer, "抽签核验 海南休养"); txt != wantOK {
			t.Errorf("verify: %q", txt)
		}

		// The close job that runs afterwards closes the activity without drawing again, and the
		// organiser's summary says how the draw went.
		h.runReminders(a.SignupClosesAt.Add(10 * time.Minute))
		var status string
		var seedAfter int64
		h.must(db.Get(h.ctx, &status, `SELECT status FROM activities WHERE id = ?`, a.ID))
		h.must(db.Get(h.ctx, &seedAfter, `SELECT lottery_seed FROM activities WHERE id = ?`, a.ID))
		if status != store.ActivityClosed || seedAfter != seed {
			t.Errorf("after the close job: %s, seed %d (was %d)", status, seedAfter, seed)
		}
		if s := h.SentTo("报名截止：海南休养"); fmt.Sprint(s) != "["+mhOfficer+"]" {
			t.Errorf("summary went to %v", s)
		}
		if s := h.SentTo(fmt.Sprintf("抽签已由工会干事完成（种子 %d）", seed)); fmt.Sprint(s) != "["+mhOfficer+"]" {
			t.Errorf("the summary does not tell the draw was done: %v", s)
		}
		for _, who := range people {
			if n := h.outboxCount(who); n != 1 {
				t.Errorf("%s got %d messages after the close job", who, n)
			}
		}

		// After the event (finished by the job) the draw can still be re-checked by name.
		h.runReminders(a.EndsAt.Add(time.Hour))
		if txt := h.Say(mhOfficer, "抽签核验 海南休养"); txt != wantOK {
			t.Errorf("verify after the event: %q", txt)
		}
		// A tampered result does not pass.
		h.must(db.InTx(h.ctx, func(tx *store.Tx) error {
			_, err := tx.ExecContext(h.ctx, `UPDATE signup_entries SET lottery_rank = 7 - lottery_rank WHERE activity_id = ?`, a.ID)
			return err
		}))
		if txt := h.Say(mhOfficer, "抽签核验 "+fmt.Sprint(a.ID)); !strings.Contains(txt, fmt.Sprintf("「海南休养」的抽签结果与种子 %d 重算的顺序不一致", seed)) {
			t.Errorf("verify a tampered draw: %q", txt)
		}

		// A draw nobody applied for has nothing to re-check, and says so.
		empty := h.activity(func(x *store.Activity) {
			x.Title, x.Kind, x.Capacity, x.Allocation = "空抽签活动", store.KindTrip, 3, store.AllocLottery
			x.SignupOpensAt, x.SignupClosesAt = a.SignupOpensAt, a.SignupClosesAt
			x.CancelDeadline, x.StartsAt, x.EndsAt = a.CancelDeadline, a.EndsAt.Add(48*time.Hour), a.EndsAt.Add(50*time.Hour)
		})
		h.setNow(empty.SignupClosesAt.Add(time.Minute))
		h.Say(mhOfficer, "抽签 空抽签活动")
		var emptySeed int64
		h.must(db.Get(h.ctx, &emptySeed, `SELECT lottery_seed FROM activities WHERE id = ?`, empty.ID))
		if txt := h.Say(mhOfficer, "抽签核验 空抽签活动"); emptySeed == 0 || !strings.Contains(txt, fmt.Sprintf("该活动已抽签（种子 %d），但抽签时没有人报名", emptySeed)) {
			t.Errorf("verify a draw without applicants (seed %d): %q", emptySeed, txt)
		}
	})
}

// catInts renders integer columns as "a/b" on both dialects.
func catInts(db *store.DB, cols ...string) string {
	if db.Dialect == store.MySQL {
		return "CONCAT_WS('/', " + strings.Join(cols, ", ") + ")"
	}
	return strings.Join(cols, " || '/' || ")
}
