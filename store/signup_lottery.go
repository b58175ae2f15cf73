package store

import (
	"context"
	crand "crypto/rand"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
)

// The allocation lottery. Everyone applies until the close; the draw shuffles the applicants
// with a seeded PRNG and goes down the drawn order, confirming while the item, the activity
// and the 分工会 quota have room and waitlisting the rest in drawn order. The seed is stored, and
// LotteryOrder recomputes the order from it, so anyone can re-check a draw (CheckLottery).

// lotteryStream is the PCG stream constant ("unionbot"), fixed so that an order stays
// reproducible.
const lotteryStream = 0x756e696f6e626f74

// LotteryOrder is the drawn order of applicant entry ids under seed: the ids sorted, then a
// Fisher–Yates shuffle driven by PCG-DXSM (math/rand/v2's PCG, whose output is specified and
// stable). It is a pure function of its arguments.
func LotteryOrder(seed int64, ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	pcg := rand.NewPCG(uint64(seed), lotteryStream)
	for i := len(out) - 1; i > 0; i-- {
		j := int(pcg.Uint64() % uint64(i+1))
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// LotteryResult is the outcome of a draw.
type LotteryResult struct {
	Seed       int64
	Order      []int64 // entry ids in drawn order
	Confirmed  int
	Waitlisted int
	Activity   *Activity // as drawn
	Drawn      []Drawn   // every applicant still standing, to be told the result
}

// Drawn is one applicant's place after the draw.
type Drawn struct {
	Entry  *Entry // confirmed, or waitlisted at Position
	Member Participant
}

// DrawLottery draws a lottery activity whose sign-up has closed (status closed, or open past
// its closing time), once. seed 0 picks a random seed. It returns the draw with every
// applicant's place (Drawn), for the caller to tell each one.
func (tx *Tx) DrawLottery(ctx context.Context, activityID, seed int64) (*LotteryResult, error) {
	const op = "store.DrawLottery"
	a, err := tx.activityForUpdate(ctx, activityID)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Allocation != AllocLottery:
		return nil, &Error{Code: EINVALID, Op: op, Message: "该活动不是抽签分配名额。"}
	case a.Status == ActivityCancelled || a.Status == ActivityDraft || a.Status == ActivityFinished:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动" + ActivityStatusName(a.Status) + "，不能抽签。"}
	case a.Status == ActivityOpen && tx.now.Before(a.SignupClosesAt):
		return nil, &Error{Code: EINVALID, Op: op, Message: "报名尚未截止，截止后才能抽签。"}
	}
	var drawn int
	if err := tx.GetContext(ctx, &drawn, `SELECT COUNT(*) FROM activities WHERE id = ? AND lottery_drawn_at IS NOT NULL`, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if drawn > 0 {
		return nil, &Error{Code: ECONFLICT, Op: op, Message: fmt.Sprintf("该活动已经抽过签了（种子 %d），可用「抽签核验」复核。", a.LotterySeed)}
	}
	for seed == 0 {
		var b [8]byte
		if _, err := crand.Read(b[:]); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		seed = int64(binary.BigEndian.Uint64(b[:]) >> 1)
	}
	var apps []*Entry
	if err := tx.SelectContext(ctx, &apps, `SELECT `+entryColumns+` FROM signup_entries WHERE activity_id = ?
		AND status = 'applied' AND live_member IS NOT NULL`, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	byID := map[int64]*Entry{}
	ids := make([]int64, 0, len(apps))
	for _, e := range apps {
		byID[e.ID] = e
		ids = append(ids, e.ID)
	}
	res := &LotteryResult{Seed: seed, Order: LotteryOrder(seed, ids), Activity: a}
	perBranch := map[[2]int64]int{}
	for rank, id := range res.Order {
		e := byID[id]
		it := a.Item(e.ItemID)
		room := (a.Capacity == 0 || a.Confirmed < a.Capacity) && (it == nil || it.Capacity == 0 || it.Confirmed < it.Capacity)
		k := [2]int64{e.ItemID, e.BranchID}
		if a.BranchQuota > 0 && perBranch[k] >= a.BranchQuota {
			room = false
		}
		if room {
			e.Status, e.Position = EntryConfirmed, 0
			a.Confirmed++
			if it != nil {
				it.Confirmed++
			}
			perBranch[k]++
			res.Confirmed++
		} else {
			e.Status = EntryWaitlisted
			if it != nil {
				it.WaitlistSeq++
				e.Position = it.WaitlistSeq
			} else {
				a.WaitlistSeq++
				e.Position = a.WaitlistSeq
			}
			res.Waitlisted++
		}
		e.LotteryRank = rank + 1
		if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, position = ?, lottery_rank = ?, updated_at = ? WHERE id = ?`,
			e.Status, e.Position, e.LotteryRank, tx.now, e.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET lottery_seed = ?, lottery_drawn_at = ?, confirmed_count = ?,
		waitlist_seq = ?, updated_at = ? WHERE id = ?`, seed, tx.now, a.Confirmed, a.WaitlistSeq, tx.now, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, it := range a.Items {
		if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET confirmed_count = ?, waitlist_seq = ? WHERE id = ?`,
			it.Confirmed, it.WaitlistSeq, it.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	a.LotterySeed = seed
	if err := tx.Audit(ctx, "system:lottery", "activity", fmt.Sprint(a.ID), "lottery",
		fmt.Sprintf("seed %d: %d applicants, %d confirmed, %d waitlisted", seed, len(ids), res.Confirmed, res.Waitlisted)); err != nil {
		return nil, err
	}
	var people []Participant
	if err := tx.SelectContext(ctx, &people, participantQuery+`WHERE e.activity_id = ? AND e.lottery_rank > 0 AND e.live_member IS NOT NULL`, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, p := range people {
		res.Drawn = append(res.Drawn, Drawn{Entry: byID[p.EntryID], Member: p})
	}
	return res, nil
}

// CheckLottery recomputes an activity's draw from its stored seed and the entries that took
// part, and reports whether the stored ranks match it (read pool). It returns the recomputed
// order.
func (db *DB) CheckLottery(ctx context.Context, activityID int64) ([]int64, bool, error) {
	a, err := db.Activity(ctx, activityID)
	if err != nil {
		return nil, false, err
	}
	var rows []struct {
		ID   int64 `db:"id"`
		Rank int   `db:"lottery_rank"`
	}
	if err := db.Select(ctx, &rows, `SELECT id, lottery_rank FROM signup_entries WHERE activity_id = ? AND lottery_rank > 0
		ORDER BY lottery_rank`, activityID); err != nil {
		return nil, false, fmt.Errorf("store.CheckLottery: %w", err)
	}
	if len(rows) == 0 {
		if a.LotterySeed != 0 {
			return nil, false, Errorf(EINVALID, "该活动已抽签（种子 %d），但抽签时没有人报名，没有可核验的结果。", a.LotterySeed)
		}
		return nil, false, Errorf(EINVALID, "该活动还没有抽签。")
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	order := LotteryOrder(a.LotterySeed, ids)
	ok := true
	for i, r := range rows {
		ok = ok && r.Rank == i+1 && order[i] == r.ID
	}
	return order, ok, nil
}
