package store

import (
	"strings"
	"time"
)

// Sign-ups. One entry is one person in one item (item 0 for an activity without items). An
// entry "stands" while live_member holds its member id: the unique key (activity, item,
// live_member) then allows one standing entry per person and item, while cancelled entries
// (live_member NULL) stay for the record.
//
// Seats are counted in counters, changed by conditional UPDATEs on the activity's row (and the
// item's row): the first UPDATE of a sign-up takes the row lock on MySQL, so concurrent
// sign-ups queue on it for the rest of their short transaction and can never oversell; SQLite
// has one writer anyway. Waitlist positions come from the queue's waitlist_seq counter, so they
// are distinct and consecutive. Locks are always taken activity row first, then item row, then
// entries, so sign-ups, cancellations and promotions cannot deadlock each other.

// Entry roles.
const (
	RoleIndividual = "individual" // 个人
	RoleCaptain    = "captain"    // 队长
	RoleTeamMember = "member"     // 队员
)

// EntryRoleNames are the roles as officers read them.
var EntryRoleNames = map[string]string{RoleIndividual: "个人", RoleCaptain: "队长", RoleTeamMember: "队员"}

// Entry is one person's entry in one item of an activity.
type Entry struct {
	ID          int64      `db:"id"`
	ActivityID  int64      `db:"activity_id"`
	ItemID      int64      `db:"item_id"`
	MemberID    int64      `db:"member_id"`
	BranchID    int64      `db:"branch_id"`
	TeamID      int64      `db:"team_id"`
	Role        string     `db:"role"`
	Status      string     `db:"status"`
	Position    int        `db:"position"`     // waitlist position in its queue (the item, or the activity)
	LotteryRank int        `db:"lottery_rank"` // 1-based place in the draw; 0 before it
	IDMasked    string     `db:"id_masked"`
	CreatedAt   time.Time  `db:"created_at"`
	UpdatedAt   time.Time  `db:"updated_at"`
	CheckedInAt *time.Time `db:"checked_in_at"`
}

// Standing reports whether the entry still holds (or waits for) a place.
func (e *Entry) Standing() bool {
	switch e.Status {
	case EntryConfirmed, EntryWaitlisted, EntryPendingUnit, EntryApplied:
		return true
	}
	return false
}

const entryColumns = `id, activity_id, item_id, member_id, branch_id, team_id, role, status, position, lottery_rank,
	id_masked, created_at, updated_at, checked_in_at`

// activityColumnsA is activityColumns qualified with the table alias a.
var activityColumnsA = func() string {
	var cols []string
	for _, c := range strings.Split(activityColumns, ",") {
		cols = append(cols, "a."+strings.TrimSpace(c))
	}
	return strings.Join(cols, ", ")
}()

const participantQuery = `SELECT e.id AS entry_id, e.member_id, COALESCE(m.open_id, '') AS open_id, m.name, e.status
	FROM signup_entries e JOIN members m ON m.id = e.member_id `
