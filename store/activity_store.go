package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Persistence of activities and their items; their counts are in activity_stats.go. Sign-ups
// are in signup*.go (decided in signup_join.go), teams in signup_team.go, the lottery in
// signup_lottery.go.

const activityColumns = `id, title, kind, description, place, starts_at, ends_at, signup_opens_at, signup_closes_at,
	cancel_deadline, capacity, branch_quota, entry_mode, one_item_per_person, allocation, branch_confirm, needs_insurance,
	min_entries, is_sensitive, members_only, women_only, branches AS branches_text, age_min, age_max, age_ref_date AS age_ref,
	publish_chats AS chats_text, notify_all, status, version, lottery_seed, confirmed_count, waitlist_seq, created_by,
	created_at, updated_at`

const itemColumns = `id, activity_id, name, capacity, gender, team_min, team_max, min_women, position, confirmed_count, waitlist_seq`

// activityRow is an activities row with the columns that need converting.
type activityRow struct {
	Activity
	BranchesText string       `db:"branches_text"`
	ChatsText    string       `db:"chats_text"`
	AgeRef       sql.NullTime `db:"age_ref"`
}

func (r *activityRow) activity() *Activity {
	a := r.Activity
	a.Branches = splitLines(r.BranchesText)
	a.PublishChats = splitLines(r.ChatsText)
	if r.AgeRef.Valid {
		a.AgeRefDate = r.AgeRef.Time.Format(time.DateOnly)
	}
	return &a
}

func splitLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

func joinLines(ss []string) string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, "\n")
}

func nullDate(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// querier is what a read needs: a transaction or the read pool.
type querier interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
}

// CreateActivity validates a and inserts it with its items. A new activity is a draft unless
// a.Status says otherwise; a zero CancelDeadline becomes StartsAt. a.ID, Version and the items'
// IDs are set.
func (tx *Tx) CreateActivity(ctx context.Context, a *Activity) error {
	const op = "store.CreateActivity"
	if err := a.Validate(); err != nil {
		return err
	}
	if a.Status == "" {
		a.Status = ActivityDraft
	}
	switch a.Status {
	case ActivityDraft, ActivityOpen:
	default:
		return &Error{Code: EINVALID, Op: op, Message: "新活动只能是草稿或开放报名状态。"}
	}
	if a.CancelDeadline.IsZero() {
		a.CancelDeadline = a.StartsAt
	}
	a.Version, a.Confirmed, a.WaitlistSeq, a.LotterySeed = 1, 0, 0, 0
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO activities (title, kind, description, place, starts_at, ends_at,
		signup_opens_at, signup_closes_at, cancel_deadline, capacity, branch_quota, entry_mode, one_item_per_person,
		allocation, branch_confirm, needs_insurance, min_entries, is_sensitive, members_only, women_only, branches, age_min,
		age_max, age_ref_date, publish_chats, notify_all, status, version, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
		a.Title, a.Kind, a.Description, a.Place, utc(a.StartsAt), utc(a.EndsAt), utc(a.SignupOpensAt),
		utc(a.SignupClosesAt), utc(a.CancelDeadline), a.Capacity, a.BranchQuota, a.EntryMode, a.OneItemPerPerson,
		a.Allocation, a.BranchConfirm, a.NeedsInsurance, a.MinEntries, a.Sensitive, a.MembersOnly, a.WomenOnly,
		joinLines(a.Branches), a.AgeMin, a.AgeMax, nullDate(a.AgeRefDate), joinLines(a.PublishChats), a.NotifyAll,
		a.Status, a.CreatedBy, tx.now, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, it := range a.Items {
		if err := tx.insertItem(ctx, a.ID, it); err != nil {
			return err
		}
	}
	return tx.Audit(ctx, fmt.Sprint("member:", a.CreatedBy), "activity", fmt.Sprint(a.ID), "create", a.Status)
}

func (tx *Tx) insertItem(ctx context.Context, activityID int64, it *ActivityItem) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO activity_items (activity_id, name, capacity, gender, team_min, team_max,
		min_women, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		activityID, it.Name, it.Capacity, it.Gender, it.TeamMin, it.TeamMax, it.MinWomen, it.Position)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.insertItem", Err: err}
	}
	it.ActivityID = activityID
	it.Confirmed, it.WaitlistSeq = 0, 0
	it.ID, err = res.LastInsertId()
	return err
}

// Activity returns an activity with its items, or ENOTFOUND.
func (tx *Tx) Activity(ctx context.Context, id int64) (*Activity, error) {
	return loadActivity(ctx, tx, id, "")
}

// activityForUpdate reads an activity and, on MySQL, locks its row (and its items' rows)
// until the transaction ends. SQLite has one writer, so a plain read is already stable.
func (tx *Tx) activityForUpdate(ctx context.Context, id int64) (*Activity, error) {
	lock := ""
	if tx.db.Dialect == MySQL {
		lock = " FOR UPDATE"
	}
	return loadActivity(ctx, tx, id, lock)
}

// Activity returns an activity with its items, or ENOTFOUND (read pool).
func (db *DB) Activity(ctx context.Context, id int64) (*Activity, error) {
	return loadActivity(ctx, db.r, id, "")
}

func loadActivity(ctx context.Context, q querier, id int64, lock string) (*Activity, error) {
	var r activityRow
	if err := q.GetContext(ctx, &r, `SELECT `+activityColumns+` FROM activities WHERE id = ?`+lock, id); err != nil {
		return nil, notFound("store.Activity", err, "找不到该活动，可能已被删除。")
	}
	a := r.activity()
	if err := q.SelectContext(ctx, &a.Items, `SELECT `+itemColumns+` FROM activity_items WHERE activity_id = ?
		ORDER BY position, id`+lock, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.Activity", Err: err}
	}
	return a, nil
}

// Item returns the activity's item with id, or nil.
func (a *Activity) Item(id int64) *ActivityItem {
	for _, it := range a.Items {
		if it.ID == id {
			return it
		}
	}
	return nil
}

// OpenActivities lists the activities in status open whose event has not ended at now, by
// sign-up closing time (read pool). It includes those whose sign-up opens later or closed
// already (their cards say so).
func (db *DB) OpenActivities(ctx context.Context, now time.Time) ([]*Activity, error) {
	var rows []activityRow
	if err := db.Select(ctx, &rows, `SELECT `+activityColumns+` FROM activities WHERE status = ? AND ends_at > ?
		ORDER BY signup_closes_at, id`, ActivityOpen, utc(now)); err != nil {
		return nil, fmt.Errorf("store.OpenActivities: %w", err)
	}
	out := make([]*Activity, 0, len(rows))
	for i := range rows {
		a := rows[i].activity()
		if err := db.Select(ctx, &a.Items, `SELECT `+itemColumns+` FROM activity_items WHERE activity_id = ? ORDER BY position, id`, a.ID); err != nil {
			return nil, fmt.Errorf("store.OpenActivities: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
}

// Activities lists activities in any of statuses (all when none), newest first (read pool).
func (db *DB) Activities(ctx context.Context, statuses ...string) ([]*Activity, error) {
	q := `SELECT ` + activityColumns + ` FROM activities`
	var args []any
	if len(statuses) > 0 {
		q += ` WHERE status IN (?` + strings.Repeat(", ?", len(statuses)-1) + `)`
		for _, s := range statuses {
			args = append(args, s)
		}
	}
	var rows []activityRow
	if err := db.Select(ctx, &rows, q+` ORDER BY id DESC`, args...); err != nil {
		return nil, fmt.Errorf("store.Activities: %w", err)
	}
	out := make([]*Activity, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].activity())
	}
	return out, nil
}

// UpdateActivity writes an officer's edit of a draft or open activity and bumps its Version
// (cards showing an older version become stale). Items are matched by ID: a new item has ID 0;
// an item left out is removed, which is refused while it has entries. Capacity (of the
// activity or an item) may not go below the seats already taken; when it grows, waitlisted
// entries are promoted at once, and returned for the caller to tell. The counters and the
// lottery seed are the store's and are not taken from a.
func (tx *Tx) UpdateActivity(ctx context.Context, a *Activity) ([]Promotion, error) {
	const op = "store.UpdateActivity"
	cur, err := tx.activityForUpdate(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	switch cur.Status {
	case ActivityDraft, ActivityOpen:
	case ActivityCancelled:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已取消，不能再修改。"}
	default:
		return nil, &Error{Code: EINVALID, Op: op, Message: "报名已截止的活动不能再修改。"}
	}
	if a.Status == "" {
		a.Status = cur.Status
	}
	if a.Status != cur.Status {
		return nil, &Error{Code: EINVALID, Op: op, Message: "修改活动时不能改变其状态。"}
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	if a.CancelDeadline.IsZero() {
		a.CancelDeadline = a.StartsAt
	}
	if cur.EntryMode != a.EntryMode && cur.Status == ActivityOpen {
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已发布，不能修改报名方式。"}
	}
	if cur.Allocation != a.Allocation && cur.Status == ActivityOpen {
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已发布，不能修改名额分配方式。"}
	}
	if a.Capacity > 0 && a.Capacity < cur.Confirmed {
		return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("已有 %d 个正式名额，总名额不能改为 %d。", cur.Confirmed, a.Capacity)}
	}
	// Items: keep, change, add, remove.
	keep := map[int64]bool{}
	for _, it := range a.Items {
		if it.ID == 0 {
			continue
		}
		old := cur.Item(it.ID)
		if old == nil {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("项目“%s”不属于该活动。", it.Name)}
		}
		if it.Capacity > 0 && it.Capacity < old.Confirmed {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("项目“%s”已有 %d 个正式名额，名额不能改为 %d。", it.Name, old.Confirmed, it.Capacity)}
		}
		keep[it.ID] = true
	}
	for _, old := range cur.Items {
		if keep[old.ID] {
			continue
		}
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM signup_entries WHERE activity_id = ? AND item_id = ?`, a.ID, old.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n > 0 {
			return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("项目“%s”已有人报名，不能删除。", old.Name)}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM activity_items WHERE id = ?`, old.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if len(cur.Items) == 0 && len(a.Items) > 0 && cur.Confirmed+cur.WaitlistSeq > 0 {
		return nil, &Error{Code: EINVALID, Op: op, Message: "已有人报名，不能再给活动增加项目。"}
	}
	for _, it := range a.Items {
		if it.ID == 0 {
			if err := tx.insertItem(ctx, a.ID, it); err != nil {
				return nil, err
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE activity_items SET name = ?, capacity = ?, gender = ?, team_min = ?,
			team_max = ?, min_women = ?, position = ? WHERE id = ?`,
			it.Name, it.Capacity, it.Gender, it.TeamMin, it.TeamMax, it.MinWomen, it.Position, it.ID); err != nil {
			if isUniqueViolation(err) {
				return nil, &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("项目“%s”重复了。", it.Name)}
			}
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	a.Version = cur.Version + 1
	a.UpdatedAt = tx.now
	_, err = tx.ExecContext(ctx, `UPDATE activities SET title = ?, kind = ?, description = ?, place = ?, starts_at = ?,
		ends_at = ?, signup_opens_at = ?, signup_closes_at = ?, cancel_deadline = ?, capacity = ?, branch_quota = ?,
		entry_mode = ?, one_item_per_person = ?, allocation = ?, branch_confirm = ?, needs_insurance = ?, min_entries = ?,
		is_sensitive = ?, members_only = ?, women_only = ?, branches = ?, age_min = ?, age_max = ?, age_ref_date = ?,
		publish_chats = ?, notify_all = ?, version = ?, updated_at = ? WHERE id = ?`,
		a.Title, a.Kind, a.Description, a.Place, utc(a.StartsAt), utc(a.EndsAt), utc(a.SignupOpensAt),
		utc(a.SignupClosesAt), utc(a.CancelDeadline), a.Capacity, a.BranchQuota, a.EntryMode, a.OneItemPerPerson,
		a.Allocation, a.BranchConfirm, a.NeedsInsurance, a.MinEntries, a.Sensitive, a.MembersOnly, a.WomenOnly,
		joinLines(a.Branches), a.AgeMin, a.AgeMax, nullDate(a.AgeRefDate), joinLines(a.PublishChats), a.NotifyAll,
		a.Version, tx.now, a.ID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if cur.BranchQuota == 0 && a.BranchQuota > 0 {
		if err := tx.rebuildBranchCounts(ctx, a.ID); err != nil {
			return nil, err
		}
	}
	if err := tx.Audit(ctx, fmt.Sprint("member:", a.CreatedBy), "activity", fmt.Sprint(a.ID), "update", fmt.Sprint("version ", a.Version)); err != nil {
		return nil, err
	}
	// More room (or a lifted restriction) may let waitlisted entries in.
	promoted, err := tx.promote(ctx, a.ID, "system:edit")
	if err != nil {
		return nil, err
	}
	fresh, err := tx.Activity(ctx, a.ID)
	if err != nil {
		return nil, err
	}
	a.Confirmed, a.WaitlistSeq, a.Items = fresh.Confirmed, fresh.WaitlistSeq, fresh.Items
	return promoted, nil
}

// SetActivityStatus moves an activity to status (open, closed, finished), audited with actor.
// Cancelling goes through CancelActivity.
func (tx *Tx) SetActivityStatus(ctx context.Context, id int64, status, actor string) error {
	const op = "store.SetActivityStatus"
	cur, err := tx.activityForUpdate(ctx, id)
	if err != nil {
		return err
	}
	allowed := map[string][]string{
		ActivityOpen:     {ActivityDraft, ActivityClosed},
		ActivityClosed:   {ActivityOpen},
		ActivityFinished: {ActivityOpen, ActivityClosed},
	}
	ok := false
	for _, from := range allowed[status] {
		ok = ok || from == cur.Status
	}
	if status == cur.Status {
		return nil
	}
	if !ok {
		return &Error{Code: EINVALID, Op: op, Message: fmt.Sprintf("活动当前状态（%s）不能改为 %s。", ActivityStatusName(cur.Status), ActivityStatusName(status))}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE activities SET status = ?, updated_at = ? WHERE id = ?`, status, tx.now, id); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return tx.Audit(ctx, actor, "activity", fmt.Sprint(id), "status", cur.Status+" -> "+status)
}

// ActivityStatusName is a status as officers read it.
func ActivityStatusName(s string) string {
	switch s {
	case ActivityDraft:
		return "草稿"
	case ActivityOpen:
		return "报名中"
	case ActivityClosed:
		return "报名已截止"
	case ActivityCancelled:
		return "已取消"
	case ActivityFinished:
		return "已结束"
	}
	return s
}

// Participant is someone with a standing entry in an activity, to be told of a change.
type Participant struct {
	EntryID  int64  `db:"entry_id"`
	MemberID int64  `db:"member_id"`
	OpenID   string `db:"open_id"`
	Name     string `db:"name"`
	Status   string `db:"status"`
}

// CancelActivity calls an activity off: its status becomes cancelled, its Version grows, and
// every standing entry, team and invitation is cancelled. It returns the people who were signed
// up (one row per entry), for the caller to tell them.
func (tx *Tx) CancelActivity(ctx context.Context, id int64, actor string) ([]Participant, error) {
	const op = "store.CancelActivity"
	cur, err := tx.activityForUpdate(ctx, id)
	if err != nil {
		return nil, err
	}
	switch cur.Status {
	case ActivityCancelled:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已经取消了。"}
	case ActivityFinished:
		return nil, &Error{Code: EINVALID, Op: op, Message: "活动已经结束，不能取消。"}
	}
	var out []Participant
	if err := tx.SelectContext(ctx, &out, `SELECT e.id AS entry_id, e.member_id, COALESCE(m.open_id, '') AS open_id,
		m.name, e.status FROM signup_entries e JOIN members m ON m.id = e.member_id
		WHERE e.activity_id = ? AND e.live_member IS NOT NULL ORDER BY e.id`, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	stmts := []string{
		`UPDATE signup_entries SET status = 'cancelled', live_member = NULL, updated_at = ? WHERE activity_id = ? AND live_member IS NOT NULL`,
		`UPDATE signup_teams SET status = 'cancelled', live_name = NULL, updated_at = ? WHERE activity_id = ? AND live_name IS NOT NULL`,
		`UPDATE signup_invites SET status = 'withdrawn', decided_at = ? WHERE status = 'invited' AND team_id IN (SELECT id FROM signup_teams WHERE activity_id = ?)`,
		`UPDATE activities SET status = 'cancelled', version = version + 1, confirmed_count = 0, updated_at = ? WHERE id = ?`,
		`UPDATE activity_items SET confirmed_count = 0 WHERE ? IS NOT NULL AND activity_id = ?`,
		`DELETE FROM signup_branch_counts WHERE ? IS NOT NULL AND activity_id = ?`,
	}
	for _, s := range stmts {
		if _, err := tx.ExecContext(ctx, s, tx.now, id); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	if err := tx.Audit(ctx, actor, "activity", fmt.Sprint(id), "cancel", fmt.Sprintf("%d entries", len(out))); err != nil {
		return nil, err
	}
	return out, nil
}

// errNoRow reports whether err is sql.ErrNoRows.
func errNoRow(err error) bool { return errors.Is(err, sql.ErrNoRows) }
