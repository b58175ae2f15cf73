package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Taking part. SignUp is where a sign-up is decided: the rules first (open for sign-up,
// eligibility, one entry per item, one item per person, the 分工会 quota), then a seat, a
// waitlist position, an application (lottery) or an entry pending the 分工会主席's
// confirmation. The counters it takes seats and quotas from are in signup_seats.go.

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
// carry Kind, EntityID and MessageID only. On MySQL the activity and its items are locked
// (FOR UPDATE) until the transaction ends, so that their counters stay what was read: the
// sign-ups of a shared transaction read them once (signup_cache.go) and a sign-up knows its
// seat or waitlist position before it writes.
func (tx *Tx) SignupActivity(ctx context.Context, id int64) (*Activity, []LiveCard, error) {
	const op = "store.SignupActivity"
	if a, pubs, ok := tx.cachedSignupActivity(id); ok {
		return a, pubs, nil
	}
	seq := tx.seq
	var rows []signupRow
	q := `SELECT ` + activityColumnsA + `, i.id AS it_id, i.name AS it_name,
		i.capacity AS it_capacity, i.gender AS it_gender, i.team_min AS it_team_min, i.team_max AS it_team_max,
		i.min_women AS it_min_women, i.position AS it_position, i.confirmed_count AS it_confirmed,
		i.waitlist_seq AS it_waitlist_seq,
		COALESCE((SELECT GROUP_CONCAT(CASE WHEN p.message_id = '' THEN '-' ELSE p.message_id END)
			FROM live_cards p WHERE p.kind = 'activity' AND p.entity_id = a.id), '') AS pubs
		FROM activities a LEFT JOIN activity_items i ON i.activity_id = a.id WHERE a.id = ?`
	if tx.db.Dialect == MySQL {
		q += ` FOR UPDATE`
	}
	err := tx.SelectContext(ctx, &rows, q, id)
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
			if pubs, err = tx.LiveCards(ctx, "activity", a.ID, false); err != nil {
				return nil, nil, err
			}
			tx.keepSignupActivity(a, pubs, seq) // kept only if LiveCards wrote nothing
			return a, pubs, nil
		default:
			pubs = append(pubs, LiveCard{Kind: "activity", EntityID: a.ID, MessageID: m})
		}
	}
	tx.keepSignupActivity(a, pubs, seq)
	return a, pubs, nil
}

// SignupRequest is one person signing up for one item.
type SignupRequest struct {
	Activity *Activity // read in this transaction
	ItemID   int64     // 0 for an activity without items
	Member   *MemberFacts
	IDNumber Sensitive // insured events: the ID number, sealed into the entry (SealedIDNumber)
	IDMasked string    // and masked
	Actor    string    // who did it (an open_id)
	ByID     int64     // the member who entered it (the 分工会主席 in unit mode); 0: the member
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
	if a.NeedsInsurance && !req.IDNumber.Given() {
		return nil, &Error{Code: EINVALID, Op: op, Message: "本活动需要购买保险，报名时须填写身份证号。"}
	}
	// A second entry in the same item is refused by the unique key on (activity, item,
	// live_member) when the entry is inserted (insertOwnEntry names what the member already
	// has), before anything is written. 不得兼项 needs the member's other entries read first,
	// and so does a quota, which is taken (written) before the entry: a refusal then still
	// comes before the first write, except for a concurrent second click.
	if a.OneItemPerPerson || (req.TeamID == 0 && quotaCounted(a)) {
		if err := tx.checkOwnEntries(ctx, a, req.ItemID, m); err != nil {
			return nil, err
		}
	}
	// Whether the transaction's copy of the activity (signup_cache.go) is a's: the first-come
	// path below then brings it up to date after its writes (the quota's counter is not in it).
	kept := tx.signupCacheHolds(a)
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
		// First come: the entry is inserted with the status and place the counters read earlier
		// give it (a second entry is refused by the unique key before anything is written), then
		// the seat or the waitlist position is taken by one conditional UPDATE, and the entry is
		// corrected by one more only when that guess was wrong. Read by SignupActivity, the
		// counters are exact (the activity is locked, or SQLite's one writer holds the database),
		// so the guess is right unless a came from elsewhere.
		e.Status = EntryConfirmed
		if a.SeatsLeft(req.ItemID) == 0 {
			e.Status, e.Position = EntryWaitlisted, a.waitlistNext(req.ItemID)
		}
		guess, guessPos := e.Status, e.Position
		status, pos, err := tx.enterFirstCome(ctx, e, req, m)
		if err != nil {
			return nil, err
		}
		if status != guess || pos != guessPos {
			if _, err := tx.ExecContext(ctx, `UPDATE signup_entries SET status = ?, position = ? WHERE id = ?`, status, pos, e.ID); err != nil {
				return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
			}
		}
		e.Status, e.Position = status, pos
		if err := tx.Audit(ctx, req.Actor, "signup", fmt.Sprint(e.ID), "signup", fmt.Sprintf("activity %d item %d", a.ID, req.ItemID)); err != nil {
			return nil, err
		}
		if kept && status == guess && pos == guessPos { // a's counters are the database's: the copy takes them
			tx.keepSignup(a)
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
	return tx.ownEntryConflict(ctx, tx.insertEntry(ctx, e, req.IDNumber, req.ByID), req, m)
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

func (tx *Tx) insertEntry(ctx context.Context, e *Entry, idNumber Sensitive, byID int64) error {
	if byID == 0 {
		byID = e.MemberID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO signup_entries (activity_id, item_id, member_id, branch_id, team_id, role,
		status, position, live_member, id_cipher, id_masked, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.ActivityID, e.ItemID, e.MemberID, e.BranchID, e.TeamID, e.Role, e.Status, e.Position, e.MemberID,
		"", e.IDMasked, byID, tx.now, tx.now)
	if err != nil {
		return entryInsertError(err)
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return tx.sealSensitive(ctx, SealedIDNumber, e.ID, idNumber)
}

func entryInsertError(err error) error {
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: "store.SignUp", Message: "已经报名了该项目，无需重复报名。", Err: err}
	}
	return &Error{Code: EINTERNAL, Op: "store.SignUp", Err: err}
}
