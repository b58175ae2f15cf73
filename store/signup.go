package store

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
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

// signupRow is one row of SignupActivity's query: the activity, one of its items (NULLs when it
// has none) and what is known of its publications.
type signupRow struct {
	activityRow
	ItID          sql.NullInt64  `db:"it_id"`
	ItName        sql.NullString `db:"it_name"`
	ItCapacity    sql.NullInt64  `db:"it_capacity"`
	ItGender      sql.NullString `db:"it_gender"`
	ItTeamMin     sql.NullInt64  `db:"it_team_min"`
	ItTeamMax     sql.NullInt64  `db:"it_team_max"`
	ItMinWomen    sql.NullInt64  `db:"it_min_women"`
	ItPosition    sql.NullInt64  `db:"it_position"`
	ItConfirmed   sql.NullInt64  `db:"it_confirmed"`
	ItWaitlistSeq sql.NullInt64  `db:"it_waitlist_seq"`
	Pubs          string         `db:"pubs"` // the live cards' message ids, comma-separated; "-" for one not recorded yet
}

// SignupActivity is Activity plus its live cards (LiveCards) for the sign-up hot path, in one
// query instead of three (when every card's message id is already recorded, as it is once the
// outbox has delivered the cards; otherwise LiveCards is asked as well). The cards returned
// carry Kind, EntityID and MessageID only.
func (tx *Tx) SignupActivity(ctx context.Context, id int64) (*Activity, []LiveCard, error) {
	const op = "store.SignupActivity"
	var rows []signupRow
	err := tx.SelectContext(ctx, &rows, `SELECT `+activityColumnsA+`, i.id AS it_id, i.name AS it_name,
		i.capacity AS it_capacity, i.gender AS it_gender, i.team_min AS it_team_min, i.team_max AS it_team_max,
		i.min_women AS it_min_women, i.position AS it_position, i.confirmed_count AS it_confirmed,
		i.waitlist_seq AS it_waitlist_seq,
		COALESCE((SELECT GROUP_CONCAT(CASE WHEN p.message_id = '' THEN '-' ELSE p.message_id END)
			FROM live_cards p WHERE p.kind = 'activity' AND p.entity_id = a.id), '') AS pubs
		FROM activities a LEFT JOIN activity_items i ON i.activity_id = a.id WHERE a.id = ?`, id)
	if err != nil {
		return nil, nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(rows) == 0 {
		return nil, nil, &Error{Code: ENOTFOUND, Op: op, Message: "找不到该活动，可能已被删除。"}
	}
	a := rows[0].activity()
	for _, r := range rows {
		if !r.ItID.Valid {
			continue
		}
		a.Items = append(a.Items, &ActivityItem{ID: r.ItID.Int64, ActivityID: a.ID, Name: r.ItName.String,
			Capacity: int(r.ItCapacity.Int64), Gender: r.ItGender.String, TeamMin: int(r.ItTeamMin.Int64),
			TeamMax: int(r.ItTeamMax.Int64), MinWomen: int(r.ItMinWomen.Int64), Position: int(r.ItPosition.Int64),
			Confirmed: int(r.ItConfirmed.Int64), WaitlistSeq: int(r.ItWaitlistSeq.Int64)})
	}
	// Sorted here rather than by the query: an ORDER BY over the join costs MariaDB a
	// temporary table and a filesort on every click.
	slices.SortFunc(a.Items, func(x, y *ActivityItem) int {
		return cmp.Or(cmp.Compare(x.Position, y.Position), cmp.Compare(x.ID, y.ID))
	})
	var pubs []LiveCard
	for _, m := range strings.Split(rows[0].Pubs, ",") {
		switch m {
		case "":
		case "-": // a card whose message id is not recorded yet: LiveCards learns it from the outbox
			pubs, err := tx.LiveCards(ctx, "activity", a.ID, false)
			return a, pubs, err
		default:
			pubs = append(pubs, LiveCard{Kind: "activity", EntityID: a.ID, MessageID: m})
		}
	}
	return a, pubs, nil
}

// SignupRequest is one person signing up for one item.
type SignupRequest struct {
	Activity *Activity // read in this transaction
	ItemID   int64     // 0 for an activity without items
	Member   *MemberFacts
	IDCipher string // insured events: the ID number sealed by store/secret
	IDMasked string // and masked
	Actor    string // who did it (an open_id)
	ByID     int64  // the member who entered it (the 分工会主席 in unit mode); 0: the member
	Loc      *time.Location
	// Pending forces pending_unit_approval (unit rosters waiting for the chair's confirmation).
	Pending bool
	// TeamID, Role and TeamStatus place the entry in a team (team mode, set by the team
	// functions): the entry takes the team's status and no seat of its own.
	TeamID     int64
	Role       string
	TeamStatus string
}

// SignupResult is the outcome of a sign-up.
type SignupResult struct {
	Entry     *Entry
	SeatsLeft int // after this sign-up: in the item and the activity; -1 unlimited
}

// SignUp enters a member in an individual-mode activity (or, through the team and unit
// functions, in the other modes): after every rule (open for sign-up, eligibility, one entry
// per item, one item per person, the 分工会 quota) it takes a seat (confirmed) or a waitlist
// position, or records the entry as applied (lottery) or pending (分工会主席 confirmation).
func (tx *Tx) SignUp(ctx context.Context, req SignupRequest) (*SignupResult, error) {
	const op = "store.SignUp"
	a, m := req.Activity, req.Member
	loc := req.Loc
	if loc == nil {
		loc = time.UTC
	}
	if s := a.SignupState(tx.now, loc); s != "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: s}
	}
	if req.TeamID == 0 && !req.Pending {
		switch a.EntryMode {
		case ModeTeam:
			return nil, &Error{Code: EINVALID, Op: op, Message: "本活动为组队报名：请由队长创建队伍并邀请队员。"}
		case ModeUnit:
			return nil, &Error{Code: EINVALID, Op: op, Message: "本活动由分工会主席统一报名，请联系你所在的分工会。"}
		}
	}
	var it *ActivityItem
	if len(a.Items) > 0 {
		if it = a.Item(req.ItemID); it == nil {
			return nil, &Error{Code: EINVALID, Op: op, Message: "请选择报名项目。"}
		}
	} else if req.ItemID != 0 {
		return nil, &Error{Code: EINVALID, Op: op, Message: "该活动没有这个项目。"}
	}
	if why := a.Ineligible(m, it, loc); why != "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: why}
	}
	if a.NeedsInsurance && req.IDCipher == "" {
		return nil, &Error{Code: EINVALID, Op: op, Message: "本活动需要购买保险，报名时须填写身份证号。"}
	}
	// A second entry in the same item is refused by the unique key on (activity, item,
	// live_member) when the entry is inserted (insertOwnEntry names what the member already
	// has); only 不得兼项 needs the member's other entries read first.
	if a.OneItemPerPerson {
		if err := tx.checkOwnEntries(ctx, a, req.ItemID, m); err != nil {
			return nil, err
		}
	}
	if req.TeamID == 0 {
		if err := tx.takeQuota(ctx, a, req.ItemID, m.BranchID, false); err != nil {
			return nil, err
		}
	}
	e := &Entry{ActivityID: a.ID, ItemID: req.ItemID, MemberID: m.ID, BranchID: m.BranchID, TeamID: req.TeamID,
		Role: RoleIndividual, IDMasked: req.IDMasked, CreatedAt: tx.now, UpdatedAt: tx.now}
	if req.Role != "" {
		e.Role = req.Role
	}
	switch {
	case req.TeamID != 0:
		e.Status = req.TeamStatus
	case req.Pending || a.BranchConfirm:
		// Before the lottery too: the chair's approval makes the entry an applicant.
		e.Status = EntryPendingUnit
	case a.Allocation == AllocLottery:
		e.Status = EntryApplied
	default:
		// First come: the entry and its audit line are written before the seat is taken, so
		// that the contended part (the counter row's lock, held until commit on MySQL) is as
		// short as possible: one conditional UPDATE, and one more only when the guess made from
		// the counters read earlier was wrong or a waitlist position must be recorded. (Taking
		// the seat first and writing the entry once, with its final status and position, saves
		// that UPDATE but holds the lock over two INSERTs: measured slower, about 400 against
		// 700 callbacks/s in the MariaDB rush.)
		e.Status = EntryConfirmed
		if a.SeatsLeft(req.ItemID) == 0 {
			e.Status = EntryWaitlisted
		}
		guess := e.Status
		status, pos, err := tx.enterFirstCome(ctx, e, req, m)
		if err != nil {
			return nil, err
		}
		if status != guess || pos != 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, position = ? WHERE id = ?`, status, pos, e.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
		}
		e.Status, e.Position = status, pos
		if err := tx.Audit(ctx, req.Actor, "signup", fmt.Sprint(e.ID), "signup", fmt.Sprintf("activity %d item %d", a.ID, req.ItemID)); err != nil {
			return nil, err
		}
		return &SignupResult{Entry: e, SeatsLeft: a.SeatsLeft(req.ItemID)}, nil
	}
	if err := tx.insertOwnEntry(ctx, e, req, m); err != nil {
		return nil, err
	}
	if err := tx.Audit(ctx, req.Actor, "signup", fmt.Sprint(e.ID), "signup", fmt.Sprintf("activity %d item %d: %s", a.ID, req.ItemID, e.Status)); err != nil {
		return nil, err
	}
	return &SignupResult{Entry: e, SeatsLeft: a.SeatsLeft(req.ItemID)}, nil
}

// enterFirstCome inserts a first-come entry (its status the guess made from the counters read
// earlier) and takes its seat (takeSeatGuess), returning the status and place it got.
func (tx *Tx) enterFirstCome(ctx context.Context, e *Entry, req SignupRequest, m *MemberFacts) (string, int, error) {
	if err := tx.insertOwnEntry(ctx, e, req, m); err != nil {
		return "", 0, err
	}
	return tx.takeSeatGuess(ctx, req.Activity, req.ItemID, e.Status == EntryWaitlisted)
}

// insertOwnEntry inserts a sign-up's entry. When the unique key refuses it (the member
// already stands in the item), the standing entry is read to say which state it is in.
func (tx *Tx) insertOwnEntry(ctx context.Context, e *Entry, req SignupRequest, m *MemberFacts) error {
	return tx.ownEntryConflict(ctx, tx.insertEntry(ctx, e, req.IDCipher, req.ByID), req, m)
}

// ownEntryConflict passes err on, except that a conflict on the entry's unique key becomes the
// reason checkOwnEntries names (the state of the entry the member already has).
func (tx *Tx) ownEntryConflict(ctx context.Context, err error, req SignupRequest, m *MemberFacts) error {
	if ErrorCode(err) != ECONFLICT {
		return err
	}
	if cerr := tx.checkOwnEntries(ctx, req.Activity, req.ItemID, m); cerr != nil {
		return cerr
	}
	return err
}

// checkOwnEntries refuses a second entry in the same item and, for 不得兼项 activities, an
// entry in a second item.
func (tx *Tx) checkOwnEntries(ctx context.Context, a *Activity, itemID int64, m *MemberFacts) error {
	var own []struct {
		ItemID   int64  `db:"item_id"`
		Status   string `db:"status"`
		Position int    `db:"position"`
	}
	if err := tx.SelectContext(ctx, &own, `SELECT item_id, status, position FROM signup_entries
		WHERE member_id = ? AND activity_id = ? AND live_member IS NOT NULL`, m.ID, a.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.SignUp", Err: err}
	}
	for _, o := range own {
		if o.ItemID == itemID {
			who := "你"
			if m.Name != "" {
				who = m.Name
			}
			state := EntryStatusNames[o.Status]
			if o.Status == EntryWaitlisted {
				state = fmt.Sprintf("候补第 %d 位", o.Position)
			}
			return &Error{Code: ECONFLICT, Op: "store.SignUp", Message: fmt.Sprintf("%s已经报名了（%s），无需重复报名。", who, state)}
		}
	}
	if a.OneItemPerPerson && len(own) > 0 {
		name := "另一个项目"
		if it := a.Item(own[0].ItemID); it != nil {
			name = "“" + it.Name + "”"
		}
		return &Error{Code: EINVALID, Op: "store.SignUp", Message: fmt.Sprintf("本活动不得兼项：已报名%s。如需换项，请先在「我的报名」中取消。", name)}
	}
	return nil
}

// bump adds delta to a counter column of one row when cond holds, and returns the new value.
// On MySQL LAST_INSERT_ID(expr) hands the value back with the UPDATE's reply; on SQLite
// RETURNING does: one round trip either way.
func (tx *Tx) bump(ctx context.Context, table, col string, id int64, delta int, cond string) (int, bool, error) {
	if tx.db.Dialect == MySQL {
		res, err := tx.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = LAST_INSERT_ID(%s + ?) %s`, table, col, col, bumpWhere(cond)), delta, id)
		if err != nil {
			return 0, false, &Error{Code: EINTERNAL, Op: "store.bump", Err: err}
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return 0, false, nil
		}
		v, err := res.LastInsertId()
		return int(v), true, err
	}
	var v int
	err := tx.QueryRowxContext(ctx, fmt.Sprintf(`UPDATE %s SET %s = %s + ? %s RETURNING %s`, table, col, col, bumpWhere(cond), col), delta, id).Scan(&v)
	if errNoRow(err) {
		return 0, false, nil
	} else if err != nil {
		return 0, false, &Error{Code: EINTERNAL, Op: "store.bump", Err: err}
	}
	return v, true, nil
}

func bumpWhere(cond string) string {
	if cond == "" {
		return `WHERE id = ?`
	}
	return `WHERE id = ? AND ` + cond
}

const (
	roomCond = `(capacity = 0 OR confirmed_count < capacity)`
	fullCond = `capacity > 0 AND confirmed_count >= capacity`
)

// takeSeat takes a seat in the item (and the activity), or the next waitlist position of the
// item's queue (the activity's when it has no items). a's counters are updated in memory.
func (tx *Tx) takeSeat(ctx context.Context, a *Activity, itemID int64) (status string, position int, err error) {
	n, ok, err := tx.bump(ctx, "activities", "confirmed_count", a.ID, 1, roomCond)
	if err != nil {
		return "", 0, err
	}
	it := a.Item(itemID)
	if ok {
		a.Confirmed = n
		if it == nil {
			return EntryConfirmed, 0, nil
		}
		in, iok, err := tx.bump(ctx, "activity_items", "confirmed_count", itemID, 1, roomCond)
		if err != nil {
			return "", 0, err
		}
		if iok {
			it.Confirmed = in
			return EntryConfirmed, 0, nil
		}
		// The item is full: give the activity's seat back.
		if a.Confirmed, _, err = tx.bump(ctx, "activities", "confirmed_count", a.ID, -1, ""); err != nil {
			return "", 0, err
		}
	}
	if it == nil {
		pos, _, err := tx.bump(ctx, "activities", "waitlist_seq", a.ID, 1, "")
		a.WaitlistSeq = pos
		return EntryWaitlisted, pos, err
	}
	pos, _, err := tx.bump(ctx, "activity_items", "waitlist_seq", itemID, 1, "")
	it.WaitlistSeq = pos
	return EntryWaitlisted, pos, err
}

// takeSeatGuess is takeSeat for an activity without items that looked full when it was read
// (guessFull): it first asks for a waitlist position on condition that the activity is still
// full, which settles the common case of a rush in one statement; otherwise takeSeat.
func (tx *Tx) takeSeatGuess(ctx context.Context, a *Activity, itemID int64, guessFull bool) (string, int, error) {
	if guessFull && a.Item(itemID) == nil {
		pos, ok, err := tx.bump(ctx, "activities", "waitlist_seq", a.ID, 1, fullCond)
		if err != nil {
			return "", 0, err
		}
		if ok {
			a.WaitlistSeq = pos
			return EntryWaitlisted, pos, nil
		}
	}
	return tx.takeSeat(ctx, a, itemID)
}

// releaseSeat gives a confirmed seat back.
func (tx *Tx) releaseSeat(ctx context.Context, a *Activity, itemID int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET confirmed_count = confirmed_count - 1 WHERE id = ? AND confirmed_count > 0`, a.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.releaseSeat", Err: err}
	}
	if itemID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET confirmed_count = confirmed_count - 1 WHERE id = ? AND confirmed_count > 0`, itemID); err != nil {
			return &Error{Code: EINTERNAL, Op: "store.releaseSeat", Err: err}
		}
	}
	return nil
}

// quotaCounted reports whether the activity keeps per-分工会 live counters: first-come
// activities with a quota (a lottery applies the quota at the draw).
func quotaCounted(a *Activity) bool { return a.BranchQuota > 0 && a.Allocation == AllocFirstCome }

// takeQuota counts one more standing entry (or team) for the 分工会 in the item, refusing
// when the quota is reached.
func (tx *Tx) takeQuota(ctx context.Context, a *Activity, itemID, branchID int64, team bool) error {
	if !quotaCounted(a) {
		return nil
	}
	if branchID == 0 {
		return &Error{Code: EINVALID, Op: "store.takeQuota", Message: "本活动按分工会分配名额：请先发送「我的信息」选择你的分工会。"}
	}
	if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
		VALUES (?, ?, ?, 0)`, a.ID, itemID, branchID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.takeQuota", Err: err}
	}
	res, err := tx.ExecContext(ctx, `UPDATE signup_branch_counts SET live_count = live_count + 1
		WHERE activity_id = ? AND item_id = ? AND branch_id = ? AND live_count < ?`, a.ID, itemID, branchID, a.BranchQuota)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.takeQuota", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		what := fmt.Sprintf("%d 人", a.BranchQuota)
		if team {
			what = fmt.Sprintf("%d 队", a.BranchQuota)
		}
		where := ""
		if it := a.Item(itemID); it != nil {
			where = "在项目“" + it.Name + "”"
		}
		return &Error{Code: EINVALID, Op: "store.takeQuota", Message: fmt.Sprintf("每个分工会%s限报 %s，你所在的分工会已报满。", where, what)}
	}
	return nil
}

func (tx *Tx) releaseQuota(ctx context.Context, a *Activity, itemID, branchID int64) error {
	if !quotaCounted(a) {
		return nil
	}
	_, err := tx.ExecContext(ctx, `UPDATE signup_branch_counts SET live_count = live_count - 1
		WHERE activity_id = ? AND item_id = ? AND branch_id = ? AND live_count > 0`, a.ID, itemID, branchID)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.releaseQuota", Err: err}
	}
	return nil
}

// rebuildBranchCounts recounts the per-分工会 counters from the standing entries (or teams).
func (tx *Tx) rebuildBranchCounts(ctx context.Context, activityID int64) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM signup_branch_counts WHERE activity_id = ?`, activityID); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.rebuildBranchCounts", Err: err}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
		SELECT activity_id, item_id, branch_id, COUNT(*) FROM signup_entries
		WHERE activity_id = ? AND live_member IS NOT NULL AND team_id = 0 GROUP BY activity_id, item_id, branch_id`, activityID)
	if err == nil {
		_, err = tx.ExecContext(ctx, `INSERT INTO signup_branch_counts (activity_id, item_id, branch_id, live_count)
			SELECT activity_id, item_id, branch_id, COUNT(*) FROM signup_teams
			WHERE activity_id = ? AND live_name IS NOT NULL GROUP BY activity_id, item_id, branch_id`, activityID)
	}
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.rebuildBranchCounts", Err: err}
	}
	return nil
}

func (tx *Tx) insertEntry(ctx context.Context, e *Entry, idCipher string, byID int64) error {
	if byID == 0 {
		byID = e.MemberID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO signup_entries (activity_id, item_id, member_id, branch_id, team_id, role,
		status, position, live_member, id_cipher, id_masked, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ActivityID, e.ItemID, e.MemberID, e.BranchID, e.TeamID, e.Role, e.Status, e.Position, e.MemberID,
		idCipher, e.IDMasked, byID, tx.now, tx.now)
	if err != nil {
		return entryInsertError(err)
	}
	e.ID, err = res.LastInsertId()
	return err
}

func entryInsertError(err error) error {
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: "store.SignUp", Message: "已经报名了该项目，无需重复报名。", Err: err}
	}
	return &Error{Code: EINTERNAL, Op: "store.SignUp", Err: err}
}

// Entry returns an entry, or ENOTFOUND.
func (tx *Tx) Entry(ctx context.Context, id int64) (*Entry, error) {
	var e Entry
	if err := tx.GetContext(ctx, &e, `SELECT `+entryColumns+` FROM signup_entries WHERE id = ?`, id); err != nil {
		return nil, notFound("store.Entry", err, "找不到该报名记录。")
	}
	return &e, nil
}

// MemberEntries returns a member's standing entries in an activity.
func (tx *Tx) MemberEntries(ctx context.Context, activityID, memberID int64) ([]*Entry, error) {
	var out []*Entry
	if err := tx.SelectContext(ctx, &out, `SELECT `+entryColumns+` FROM signup_entries
		WHERE member_id = ? AND activity_id = ? AND live_member IS NOT NULL ORDER BY item_id`, memberID, activityID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.MemberEntries", Err: err}
	}
	return out, nil
}

// CancelResult is the outcome of a cancellation.
type CancelResult struct {
	Activity *Activity
	Entries  []*Entry    // the entries cancelled (a captain's cancellation takes the team's)
	Promoted []Promotion // waitlisted entries (or teams) that got the seat
}

// CancelEntry cancels a standing entry of memberID (officer true: anyone's, and after the
// deadline). A confirmed seat goes at once to the first waitlisted entry that fits, in this
// transaction, and that person is told through the outbox. A captain's cancellation withdraws
// the whole team.
func (tx *Tx) CancelEntry(ctx context.Context, entryID, memberID int64, officer bool, actor string, loc *time.Location) (*CancelResult, error) {
	const op = "store.CancelEntry"
	e, err := tx.Entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	if e.MemberID != memberID && !officer {
		return nil, &Error{Code: EUNAUTHORIZED, Op: op, Message: "只能取消自己的报名。"}
	}
	a, err := tx.activityForUpdate(ctx, e.ActivityID)
	if err != nil {
		return nil, err
	}
	switch {
	case a.Status == ActivityCancelled:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已取消，报名已随之作废。"}
	case a.Status == ActivityFinished:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已结束，不能再取消报名。"}
	case !officer && !tx.now.Before(a.CancelDeadline):
		if loc == nil {
			loc = time.UTC
		}
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("已过取消报名的截止时间（%s），如确需取消请联系工会。",
			a.CancelDeadline.In(loc).Format("1月2日 15:04"))}
	}
	res := &CancelResult{Activity: a}
	if e.Role == RoleCaptain && e.TeamID != 0 {
		entries, err := tx.cancelTeam(ctx, a, e.TeamID, actor)
		if err != nil {
			return nil, err
		}
		res.Entries = entries
	} else {
		ok, err := tx.endEntry(ctx, e, EntryCancelled)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &Error{Code: EINVALID, Op: op, Message: "这条报名已经取消了。"}
		}
		if e.TeamID == 0 {
			if e.Status == EntryConfirmed {
				if err := tx.releaseSeat(ctx, a, e.ItemID); err != nil {
					return nil, err
				}
			}
			if err := tx.releaseQuota(ctx, a, e.ItemID, e.BranchID); err != nil {
				return nil, err
			}
		} else if err := tx.tellCaptainLeft(ctx, a, e); err != nil {
			return nil, err
		}
		res.Entries = []*Entry{e}
	}
	if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(e.ID), "cancel", fmt.Sprintf("activity %d, was %s", a.ID, e.Status)); err != nil {
		return nil, err
	}
	if res.Promoted, err = tx.promote(ctx, a.ID, actor); err != nil {
		return nil, err
	}
	return res, nil
}

// endEntry moves a standing entry to a final status (cancelled, rejected); false when it was
// not standing any more.
func (tx *Tx) endEntry(ctx context.Context, e *Entry, status string) (bool, error) {
	r, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, live_member = NULL, updated_at = ?
		WHERE id = ? AND live_member IS NOT NULL`, status, tx.now, e.ID)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.endEntry", Err: err}
	}
	n, _ := r.RowsAffected()
	return n == 1, nil
}

// Promotion is an entry (or a team) moved from the waitlist to a seat.
type Promotion struct {
	EntryID int64 // 0 for a team
	TeamID  int64
	ItemID  int64
	Members []Participant // the people told
}

// promote gives free seats to waitlisted entries (teams in team mode), first come first
// served across the activity, as long as the item, the activity and the 分工会 quota allow.
// Everyone promoted is told 1:1 through the outbox (one message per promotion, deduplicated).
func (tx *Tx) promote(ctx context.Context, activityID int64, actor string) ([]Promotion, error) {
	const op = "store.promote"
	a, err := tx.activityForUpdate(ctx, activityID)
	if err != nil {
		return nil, err
	}
	if a.Status != ActivityOpen && a.Status != ActivityClosed {
		return nil, nil
	}
	table, live := "signup_entries", "live_member IS NOT NULL AND team_id = 0"
	if a.EntryMode == ModeTeam {
		table, live = "signup_teams", "live_name IS NOT NULL"
	}
	var cands []struct {
		ID       int64 `db:"id"`
		ItemID   int64 `db:"item_id"`
		BranchID int64 `db:"branch_id"`
	}
	if err := tx.SelectContext(ctx, &cands, `SELECT id, item_id, branch_id FROM `+table+`
		WHERE activity_id = ? AND status = 'waitlisted' AND `+live+` ORDER BY created_at, id`, a.ID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(cands) == 0 {
		return nil, nil
	}
	quota := map[[2]int64]int{}
	if a.BranchQuota > 0 && a.Allocation == AllocLottery {
		var rows []struct {
			ItemID   int64 `db:"item_id"`
			BranchID int64 `db:"branch_id"`
			N        int   `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT item_id, branch_id, COUNT(*) AS n FROM `+table+`
			WHERE activity_id = ? AND status = 'confirmed' AND `+live+` GROUP BY item_id, branch_id`, a.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		for _, r := range rows {
			quota[[2]int64{r.ItemID, r.BranchID}] = r.N
		}
	}
	var out []Promotion
	for _, c := range cands {
		if a.Capacity > 0 && a.Confirmed >= a.Capacity {
			break
		}
		it := a.Item(c.ItemID)
		if it != nil && it.Capacity > 0 && it.Confirmed >= it.Capacity {
			continue
		}
		qk := [2]int64{c.ItemID, c.BranchID}
		if a.BranchQuota > 0 && a.Allocation == AllocLottery && quota[qk] >= a.BranchQuota {
			continue
		}
		r, err := tx.ExecContext(ctx, `UPDATE `+table+` SET status = 'confirmed', position = 0, updated_at = ?
			WHERE id = ? AND status = 'waitlisted'`, tx.now, c.ID)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n, _ := r.RowsAffected(); n == 0 {
			continue
		}
		a.Confirmed++
		if it != nil {
			it.Confirmed++
		}
		quota[qk]++
		p := Promotion{ItemID: c.ItemID}
		if a.EntryMode == ModeTeam {
			p.TeamID = c.ID
			if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = 'confirmed', position = 0, updated_at = ?
				WHERE team_id = ? AND status = 'waitlisted' AND live_member IS NOT NULL`, tx.now, c.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
			err = tx.SelectContext(ctx, &p.Members, participantQuery+`WHERE e.team_id = ? AND e.live_member IS NOT NULL ORDER BY e.id`, c.ID)
		} else {
			p.EntryID = c.ID
			err = tx.SelectContext(ctx, &p.Members, participantQuery+`WHERE e.id = ?`, c.ID)
		}
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(c.ID), "promote", fmt.Sprintf("activity %d (%s)", a.ID, table)); err != nil {
			return nil, err
		}
		what := a.Title
		if it != nil {
			what += "·" + it.Name
		}
		for _, pm := range p.Members {
			text := fmt.Sprintf("【候补转正】你报名的「%s」已由候补转为正式名额，请按时参加。如不能参加，请发送「我的报名」取消，把名额让给其他人。", what)
			if err := tx.notify(ctx, pm.OpenID, text, fmt.Sprintf("signup.promoted:%s:%d:%d", table, c.ID, pm.EntryID)); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	if len(out) > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE activities SET confirmed_count = ? WHERE id = ?`, a.Confirmed, a.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		for _, it := range a.Items {
			if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET confirmed_count = ? WHERE id = ?`, it.Confirmed, it.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
		}
	}
	return out, nil
}

const participantQuery = `SELECT e.id AS entry_id, e.member_id, COALESCE(m.open_id, '') AS open_id, m.name, e.status
	FROM signup_entries e JOIN members m ON m.id = e.member_id `

// notify queues a 1:1 text message to openID under a dedup key (nothing when the member has no
// open_id yet, or the key was used).
func (tx *Tx) notify(ctx context.Context, openID, text, key string) error {
	if openID == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]string{"text": text})
	k := key
	_, err := tx.Enqueue(ctx, &OutboxMessage{Kind: OutboxSend, ReceiveIDType: "open_id", ReceiveID: openID,
		MsgType: "text", Content: string(b), DedupKey: &k})
	return err
}

// DecideEntry is a 分工会主席's (or an officer's) decision on an entry waiting for
// confirmation: approved, it takes a seat or a waitlist position (in a lottery activity not yet
// drawn, it becomes an applicant instead); rejected, it ends. The member is told. It returns
// the entry as it is now.
func (tx *Tx) DecideEntry(ctx context.Context, entryID int64, approve bool, actor string, loc *time.Location) (*Entry, error) {
	const op = "store.DecideEntry"
	e, err := tx.Entry(ctx, entryID)
	if err != nil {
		return nil, err
	}
	a, err := tx.activityForUpdate(ctx, e.ActivityID)
	if err != nil {
		return nil, err
	}
	if e.Status != EntryPendingUnit {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("这条报名已处理（%s）。", EntryStatusNames[e.Status])}
	}
	if a.Status != ActivityOpen && a.Status != ActivityClosed {
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动" + ActivityStatusName(a.Status) + "，不能再确认报名。"}
	}
	what := a.Title
	if it := a.Item(e.ItemID); it != nil {
		what += "·" + it.Name
	}
	var text string
	if !approve {
		if _, err := tx.endEntry(ctx, e, EntryRejected); err != nil {
			return nil, err
		}
		if err := tx.releaseQuota(ctx, a, e.ItemID, e.BranchID); err != nil {
			return nil, err
		}
		e.Status = EntryRejected
		text = fmt.Sprintf("你报名的「%s」未获分工会确认。如有疑问，请联系所在分工会。", what)
	} else {
		// Approved before the draw, it applies; after the draw (or first come) it takes a seat,
		// else the next waitlist position.
		status, pos := EntryApplied, 0
		if a.Allocation != AllocLottery || a.LotterySeed != 0 {
			if status, pos, err = tx.takeSeat(ctx, a, e.ItemID); err != nil {
				return nil, err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, position = ?, updated_at = ? WHERE id = ?`,
			status, pos, tx.now, e.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		e.Status, e.Position = status, pos
		switch status {
		case EntryConfirmed:
			text = fmt.Sprintf("你报名的「%s」已经分工会确认，报名成功。", what)
		case EntryWaitlisted:
			text = fmt.Sprintf("你报名的「%s」已经分工会确认，名额已满，你在候补第 %d 位。", what, pos)
		default:
			text = fmt.Sprintf("你报名的「%s」已经分工会确认，将在报名截止后抽签。", what)
		}
	}
	if err := tx.Audit(ctx, actor, "signup", fmt.Sprint(e.ID), "decide", e.Status); err != nil {
		return nil, err
	}
	var openID string
	if err := tx.GetContext(ctx, &openID, `SELECT COALESCE(open_id, '') FROM members WHERE id = ?`, e.MemberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return e, tx.notify(ctx, openID, text, fmt.Sprintf("signup.decided:%d", e.ID))
}

// PendingEntry is an entry waiting for a 分工会主席, with the member shown.
type PendingEntry struct {
	Entry
	Name       string `db:"name"`
	BranchName string `db:"branch_name"`
	Title      string `db:"title"`
	ItemName   string `db:"item_name"`
	Sensitive  bool   `db:"is_sensitive"`
}

// PendingEntries lists the entries waiting for confirmation in open or closed activities,
// of one 分工会 (branchID 0: all), oldest first.
func (tx *Tx) PendingEntries(ctx context.Context, branchID int64) ([]*PendingEntry, error) {
	var out []*PendingEntry
	err := tx.SelectContext(ctx, &out, `SELECT e.id, e.activity_id, e.item_id, e.member_id, e.branch_id, e.team_id, e.role,
		e.status, e.position, e.lottery_rank, e.id_masked, e.created_at, e.updated_at, e.checked_in_at,
		m.name, COALESCE(b.name, '') AS branch_name, a.title, COALESCE(i.name, '') AS item_name, a.is_sensitive
		FROM signup_entries e JOIN members m ON m.id = e.member_id JOIN activities a ON a.id = e.activity_id
		LEFT JOIN branches b ON b.id = e.branch_id LEFT JOIN activity_items i ON i.id = e.item_id
		WHERE e.status = 'pending_unit_approval' AND e.live_member IS NOT NULL AND a.status IN ('open', 'closed')
		AND (? = 0 OR e.branch_id = ?) ORDER BY e.created_at, e.id LIMIT 50`, branchID, branchID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.PendingEntries", Err: err}
	}
	return out, nil
}

// MyEntry is one of a member's sign-ups, for 我的报名.
type MyEntry struct {
	Entry
	Title          string    `db:"title"`
	ItemName       string    `db:"item_name"`
	TeamName       string    `db:"team_name"`
	StartsAt       time.Time `db:"starts_at"`
	Place          string    `db:"place"`
	CancelDeadline time.Time `db:"cancel_deadline"`
	ActivityStatus string    `db:"activity_status"`
	Ahead          int       `db:"ahead"` // waitlisted: entries before this one in its queue
}

// MyEntries lists a member's standing entries in activities not yet finished or cancelled,
// by start time.
func (tx *Tx) MyEntries(ctx context.Context, memberID int64) ([]*MyEntry, error) {
	var out []*MyEntry
	err := tx.SelectContext(ctx, &out, `SELECT e.id, e.activity_id, e.item_id, e.member_id, e.branch_id, e.team_id, e.role,
		e.status, e.position, e.lottery_rank, e.id_masked, e.created_at, e.updated_at, e.checked_in_at,
		a.title, COALESCE(i.name, '') AS item_name, COALESCE(t.name, '') AS team_name, a.starts_at, a.place,
		a.cancel_deadline, a.status AS activity_status,
		CASE WHEN e.status = 'waitlisted' THEN (SELECT COUNT(*) FROM signup_entries w WHERE w.activity_id = e.activity_id
			AND w.item_id = e.item_id AND w.status = 'waitlisted' AND w.live_member IS NOT NULL AND w.position < e.position)
			ELSE 0 END AS ahead
		FROM signup_entries e JOIN activities a ON a.id = e.activity_id
		LEFT JOIN activity_items i ON i.id = e.item_id LEFT JOIN signup_teams t ON t.id = e.team_id
		WHERE e.member_id = ? AND e.live_member IS NOT NULL AND a.status IN ('draft', 'open', 'closed')
		ORDER BY a.starts_at, e.id`, memberID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.MyEntries", Err: err}
	}
	return out, nil
}

// RosterRow is one entry as the roster export shows it.
type RosterRow struct {
	EntryID     int64      `db:"entry_id"`
	ItemID      int64      `db:"item_id"`
	ItemName    string     `db:"item_name"`
	BranchID    int64      `db:"branch_id"`
	BranchName  string     `db:"branch_name"`
	MemberID    int64      `db:"member_id"`
	Name        string     `db:"name"`
	Gender      string     `db:"gender"` // "M", "F", ""
	EmployeeNo  string     `db:"employee_no"`
	Mobile      string     `db:"mobile"` // full: mask it for display (MaskedMobile)
	TeamID      int64      `db:"team_id"`
	TeamName    string     `db:"team_name"`
	RoleKey     string     `db:"role"`
	Role        string     `db:"-"` // 队长 / 队员 / 个人
	Status      string     `db:"status"`
	Position    int        `db:"position"`
	SignedUpAt  time.Time  `db:"created_at"`
	CheckedInAt *time.Time `db:"checked_in_at"`
	IDMasked    string     `db:"id_masked"` // only for insured activities, masked; "" otherwise
}

// Roster lists every entry of an activity that ever stood (cancelled ones included, with
// their status), by item, status, waitlist position and time (read pool).
func (db *DB) Roster(ctx context.Context, activityID int64) ([]RosterRow, error) {
	var out []RosterRow
	err := db.Select(ctx, &out, `SELECT e.id AS entry_id, e.item_id, COALESCE(i.name, '') AS item_name, e.branch_id,
		COALESCE(b.name, '') AS branch_name, e.member_id, m.name, m.gender, COALESCE(m.employee_no, '') AS employee_no,
		m.mobile, e.team_id, COALESCE(t.name, '') AS team_name, e.role, e.status, e.position, e.created_at,
		e.checked_in_at, CASE WHEN a.needs_insurance = 1 THEN e.id_masked ELSE '' END AS id_masked
		FROM signup_entries e JOIN members m ON m.id = e.member_id JOIN activities a ON a.id = e.activity_id
		LEFT JOIN activity_items i ON i.id = e.item_id LEFT JOIN branches b ON b.id = e.branch_id
		LEFT JOIN signup_teams t ON t.id = e.team_id
		WHERE e.activity_id = ?
		ORDER BY COALESCE(i.position, 0), e.item_id,
			CASE e.status WHEN 'confirmed' THEN 0 WHEN 'no_show' THEN 1 WHEN 'pending_unit_approval' THEN 2
			WHEN 'applied' THEN 3 WHEN 'waitlisted' THEN 4 ELSE 5 END, e.position, e.team_id, e.created_at, e.id`, activityID)
	if err != nil {
		return nil, fmt.Errorf("store.Roster: %w", err)
	}
	for i := range out {
		out[i].Role = EntryRoleNames[out[i].RoleKey]
	}
	return out, nil
}

// PurgeIDNumbers erases the ID numbers (sealed and masked) collected for an activity, for the
// job that finishes it. It returns how many entries had one.
func (tx *Tx) PurgeIDNumbers(ctx context.Context, activityID int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `UPDATE signup_entries SET id_cipher = '', id_masked = ''
		WHERE activity_id = ? AND (id_cipher <> '' OR id_masked <> '')`, activityID)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.PurgeIDNumbers", Err: err}
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		if err := tx.Audit(ctx, "system", "activity", fmt.Sprint(activityID), "purge_id_numbers", fmt.Sprintf("%d entries", n)); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// IDNumberCipher returns an entry's sealed ID number ("" when none or purged). Only code that
// must read the number (opening it with store/secret) calls this; nothing shows it unmasked.
func (tx *Tx) IDNumberCipher(ctx context.Context, entryID int64) (string, error) {
	var s string
	if err := tx.GetContext(ctx, &s, `SELECT id_cipher FROM signup_entries WHERE id = ?`, entryID); err != nil {
		return "", notFound("store.IDNumberCipher", err, "找不到该报名记录。")
	}
	return s, nil
}
