package store

import (
	"context"
	"fmt"
)

// Counting an activity: seats, waitlists, pending and applied entries, in all and per item.

// ItemStats are the counts of one item (ItemID 0: the activity as a whole, or an activity
// without items).
type ItemStats struct {
	ItemID     int64
	Name       string
	Capacity   int // 0 = unlimited
	Confirmed  int // seats taken: entries, or teams in team mode
	Waitlisted int
	Pending    int // waiting for a 分工会主席
	Applied    int // lottery applications before the draw
	SeatsLeft  int // -1 = unlimited
}

// ActivityStats are an activity's counts, in all and per item.
type ActivityStats struct {
	ItemStats
	People int // people with a standing entry (team members included)
	Items  []ItemStats
}

// ActivityStats counts an activity's entries (read pool). In team mode the seat counts are
// teams. Seats left takes both the item's and the activity's capacity into account.
func (db *DB) ActivityStats(ctx context.Context, id int64) (*ActivityStats, error) {
	a, err := db.Activity(ctx, id)
	if err != nil {
		return nil, err
	}
	return activityStats(ctx, db.r, a)
}

// ActivityStats is ActivityStats inside the transaction.
func (tx *Tx) ActivityStats(ctx context.Context, a *Activity) (*ActivityStats, error) {
	return activityStats(ctx, tx, a)
}

func activityStats(ctx context.Context, q querier, a *Activity) (*ActivityStats, error) {
	var rows []struct {
		ItemID int64  `db:"item_id"`
		Status string `db:"status"`
		N      int    `db:"n"`
	}
	query := `SELECT item_id, status, COUNT(*) AS n FROM signup_entries WHERE activity_id = ? AND live_member IS NOT NULL GROUP BY item_id, status`
	if a.EntryMode == ModeTeam {
		query = `SELECT item_id, status, COUNT(*) AS n FROM signup_teams WHERE activity_id = ? AND live_name IS NOT NULL GROUP BY item_id, status`
	}
	if err := q.SelectContext(ctx, &rows, query, a.ID); err != nil {
		return nil, fmt.Errorf("store.ActivityStats: %w", err)
	}
	st := &ActivityStats{ItemStats: ItemStats{Name: a.Title, Capacity: a.Capacity}}
	byItem := map[int64]*ItemStats{}
	for _, it := range a.Items {
		st.Items = append(st.Items, ItemStats{ItemID: it.ID, Name: it.Name, Capacity: it.Capacity})
	}
	for i := range st.Items {
		byItem[st.Items[i].ItemID] = &st.Items[i]
	}
	add := func(s *ItemStats, status string, n int) {
		switch status {
		case EntryConfirmed:
			s.Confirmed += n
		case EntryWaitlisted:
			s.Waitlisted += n
		case EntryPendingUnit:
			s.Pending += n
		case EntryApplied:
			s.Applied += n
		}
	}
	for _, r := range rows {
		add(&st.ItemStats, r.Status, r.N)
		if s := byItem[r.ItemID]; s != nil {
			add(s, r.Status, r.N)
		}
	}
	st.SeatsLeft = seatsLeft(a.Capacity, st.Confirmed)
	for i := range st.Items {
		s := &st.Items[i]
		s.SeatsLeft = seatsLeft(s.Capacity, s.Confirmed)
		if st.SeatsLeft >= 0 && (s.SeatsLeft < 0 || s.SeatsLeft > st.SeatsLeft) {
			s.SeatsLeft = st.SeatsLeft
		}
	}
	if err := q.GetContext(ctx, &st.People, `SELECT COUNT(DISTINCT member_id) FROM signup_entries
		WHERE activity_id = ? AND live_member IS NOT NULL`, a.ID); err != nil {
		return nil, fmt.Errorf("store.ActivityStats: %w", err)
	}
	return st, nil
}

func seatsLeft(capacity, taken int) int {
	if capacity <= 0 {
		return -1
	}
	return max(0, capacity-taken)
}

// SeatsLeft is the number of seats left in the item (0: the activity without items), from the
// counters; -1 means unlimited.
func (a *Activity) SeatsLeft(itemID int64) int {
	left := seatsLeft(a.Capacity, a.Confirmed)
	if it := a.Item(itemID); it != nil {
		il := seatsLeft(it.Capacity, it.Confirmed)
		if left < 0 || (il >= 0 && il < left) {
			left = il
		}
	}
	return left
}

// waitlistNext is the waitlist position the next waitlisted entry in the item gets (the item's
// queue; the activity's when it has no items).
func (a *Activity) waitlistNext(itemID int64) int {
	if it := a.Item(itemID); it != nil {
		return it.WaitlistSeq + 1
	}
	return a.WaitlistSeq + 1
}

// BranchCount is a 分工会 with its number of active members.
type BranchCount struct {
	BranchID int64  `db:"branch_id"`
	Name     string `db:"name"`
	Members  int    `db:"members"`
}

// BranchMemberCounts counts the active members of every 分工会, by name (read pool).
func (db *DB) BranchMemberCounts(ctx context.Context) ([]BranchCount, error) {
	var out []BranchCount
	err := db.Select(ctx, &out, `SELECT b.id AS branch_id, b.name, COUNT(m.id) AS members FROM branches b
		LEFT JOIN members m ON m.branch_id = b.id AND m.active = 1 GROUP BY b.id, b.name ORDER BY b.name`)
	if err != nil {
		return nil, fmt.Errorf("store.BranchMemberCounts: %w", err)
	}
	return out, nil
}
