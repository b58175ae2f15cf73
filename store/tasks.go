package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Task statuses.
const (
	TaskOpen = "open" // in progress
	TaskDone = "done" // progress reached 100 %; CompletedOn is set
)

// Task is one of a year's ten tasks (十件实事) or work points: what must be done, by whom and
// by when, and how far it has got. Dates are calendar dates "2006-01-02" in the union's time
// zone. StartDate is when the expected pace starts counting (the year's first day unless the
// task was given a later start). Version grows with every change, so a card older than the
// task's last change is recognised as stale.
type Task struct {
	ID             int64      `db:"id"`
	Year           int        `db:"year"`
	Number         int        `db:"number"`
	Title          string     `db:"title"`
	Goal           string     `db:"goal"`
	LeadUnit       string     `db:"lead_unit"`     // 牵头单位
	PartnerUnits   string     `db:"partner_units"` // 配合单位, separated by 、
	Leader         string     `db:"leader"`        // 分管校领导, as named in the plan
	LeaderMemberID int64      `db:"leader_member_id"`
	StartDate      string     `db:"start_date"`
	Deadline       string     `db:"deadline"`
	Progress       int        `db:"progress"` // 0..100
	Note           string     `db:"note"`     // the latest progress note
	Problems       string     `db:"problems"` // problems needing coordination
	Status         string     `db:"status"`
	CompletedOn    string     `db:"completed_on"` // "" while open
	Extensions     int        `db:"extensions"`   // approved extensions
	LastUpdateAt   *time.Time `db:"last_update_at"`
	Version        int        `db:"version"`
	CreatedAt      time.Time  `db:"created_at"`
	UpdatedAt      time.Time  `db:"updated_at"`

	// Loaded with the task.
	Owners     []*Member    `db:"-"` // responsible members (责任人)
	Milestones []*Milestone `db:"-"`
	LeadHead   *Member      `db:"-"` // the head of the lead unit, when known
}

// Done reports whether the task is complete.
func (t *Task) Done() bool { return t.Status == TaskDone }

// IsOwner reports whether a member is responsible for the task.
func (t *Task) IsOwner(memberID int64) bool {
	for _, m := range t.Owners {
		if m.ID == memberID {
			return true
		}
	}
	return false
}

// OwnerNames lists the responsible members as 姓名（分工会）, or "未指定".
func (t *Task) OwnerNames() string {
	if len(t.Owners) == 0 {
		return "未指定"
	}
	names := make([]string, len(t.Owners))
	for i, m := range t.Owners {
		names[i] = m.Display()
	}
	return strings.Join(names, "、")
}

// Limits on a task's text fields (characters).
const (
	MaxTaskTitle = 200
	MaxTaskText  = 1000
)

// ParseDate parses a calendar date "2006-01-02" (also "2006-1-2" and "2006/01/02"), as typed
// by officers or picked on a card ("2024-04-01 +0800"), and returns it normalised.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, ' '); i > 0 { // a date picker's "2024-04-01 +0800"
		s = s[:i]
	}
	s = strings.ReplaceAll(s, "/", "-")
	for _, layout := range []string{"2006-01-02", "2006-1-2"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d.Format(time.DateOnly), true
		}
	}
	return "", false
}

// ValidateTask checks a task as entered (by an officer, an import or the seed) and returns an
// EINVALID error naming the first problem, in Chinese. today ("2006-01-02") is the union's
// date: a new task's deadline may not be before it unless allowPast (the seed of a past plan).
func ValidateTask(t *Task, today string, allowPast bool) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	t.Title = strings.TrimSpace(t.Title)
	switch {
	case t.Year < 2000 || t.Year > 2100:
		return bad("年度无效：%d。", t.Year)
	case t.Number < 1 || t.Number > 99:
		return bad("序号应在 1 到 99 之间，收到 %d。", t.Number)
	case t.Title == "":
		return bad("请填写任务名称。")
	case utf8.RuneCountInString(t.Title) > MaxTaskTitle:
		return bad("任务名称太长（最多 %d 字）。", MaxTaskTitle)
	}
	for _, f := range []struct{ name, val string }{{"目标", t.Goal}, {"牵头单位", t.LeadUnit}, {"配合单位", t.PartnerUnits}, {"分管校领导", t.Leader}} {
		if utf8.RuneCountInString(f.val) > MaxTaskText {
			return bad("%s太长（最多 %d 字）。", f.name, MaxTaskText)
		}
	}
	d, ok := ParseDate(t.Deadline)
	if !ok {
		return bad("完成时限无效：%q（格式 2024-12-31）。", t.Deadline)
	}
	t.Deadline = d
	if t.StartDate == "" {
		t.StartDate = fmt.Sprintf("%d-01-01", t.Year)
	}
	s, ok := ParseDate(t.StartDate)
	if !ok {
		return bad("开始日期无效：%q（格式 2024-01-01）。", t.StartDate)
	}
	t.StartDate = s
	if t.Deadline < t.StartDate {
		return bad("完成时限 %s 早于开始日期 %s。", t.Deadline, t.StartDate)
	}
	if !allowPast && t.Deadline < today {
		return bad("完成时限 %s 已经过去（今天是 %s），新任务的时限不能早于今天。", t.Deadline, today)
	}
	for _, m := range t.Milestones {
		if err := validateMilestone(m); err != nil {
			return err
		}
	}
	return nil
}

// taskDate returns the SQL expression that reads a DATE column as "2006-01-02" text on both
// dialects (the MySQL driver would otherwise return DATE values as time.Time).
func taskDate(dialect, col string) string {
	if dialect == MySQL {
		return "COALESCE(DATE_FORMAT(" + col + ", '%Y-%m-%d'), '')"
	}
	return "COALESCE(" + col + ", '')"
}

// taskColumns are the columns of a Task, for the dialect.
func taskColumns(dialect string) string {
	return `t.id, t.year, t.number, t.title, t.goal, t.lead_unit, t.partner_units, t.leader,
		COALESCE(t.leader_member_id, 0) AS leader_member_id, ` +
		taskDate(dialect, "t.start_date") + ` AS start_date, ` + taskDate(dialect, "t.deadline") + ` AS deadline,
		t.progress, t.note, t.problems, t.status, ` + taskDate(dialect, "t.completed_on") + ` AS completed_on,
		t.extensions, t.last_update_at, t.version, t.created_at, t.updated_at`
}

// taskQuerier is what both a Tx and the read pool offer.
type taskQuerier interface {
	SelectContext(ctx context.Context, dest any, query string, args ...any) error
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// CreateTask validates and inserts a task with its owners and milestones, records it in the
// task's history and the audit trail as created by actor, and sets t.ID. A task with the same
// year and number exists already: ECONFLICT.
func (tx *Tx) CreateTask(ctx context.Context, t *Task, actor, actorName, today string, allowPast bool) error {
	const op = "store.CreateTask"
	if err := ValidateTask(t, today, allowPast); err != nil {
		return err
	}
	if t.Status == "" {
		t.Status = TaskOpen
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO tasks (year, number, title, goal, lead_unit, partner_units, leader,
		leader_member_id, start_date, deadline, progress, note, problems, status, extensions, version, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '', '', ?, 0, 1, ?, ?)`,
		t.Year, t.Number, t.Title, t.Goal, t.LeadUnit, t.PartnerUnits, t.Leader, nullID(t.LeaderMemberID),
		t.StartDate, t.Deadline, t.Status, tx.now, tx.now)
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: op, Message: fmt.Sprintf("%d 年第 %d 项任务已存在。", t.Year, t.Number), Err: err}
	} else if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if t.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	t.Version, t.Progress, t.CreatedAt, t.UpdatedAt = 1, 0, tx.now, tx.now
	for _, m := range t.Owners {
		if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO task_owners (task_id, member_id) VALUES (?, ?)`, t.ID, m.ID); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	for _, m := range t.Milestones {
		m.TaskID = t.ID
		if err := tx.insertMilestone(ctx, m); err != nil {
			return err
		}
	}
	detail := fmt.Sprintf("创建任务「%s」，完成时限 %s，责任人 %s", t.Title, t.Deadline, t.OwnerNames())
	return tx.TaskHistory(ctx, t.ID, actor, actorName, "create", detail)
}

// TaskByID returns a task with its owners, milestones and lead-unit head, or ENOTFOUND.
func (tx *Tx) TaskByID(ctx context.Context, id int64) (*Task, error) {
	return loadTask(ctx, tx, tx.db.Dialect, id)
}

// TaskByID returns a task with its owners, milestones and lead-unit head (read pool).
func (db *DB) TaskByID(ctx context.Context, id int64) (*Task, error) {
	return loadTask(ctx, db.r, db.Dialect, id)
}

func loadTask(ctx context.Context, q taskQuerier, dialect string, id int64) (*Task, error) {
	var t Task
	if err := q.GetContext(ctx, &t, `SELECT `+taskColumns(dialect)+` FROM tasks t WHERE t.id = ?`, id); err != nil {
		return nil, notFound("store.TaskByID", err, "找不到该任务，可能已被删除。")
	}
	if err := loadTaskDetails(ctx, q, dialect, []*Task{&t}); err != nil {
		return nil, err
	}
	return &t, nil
}

// TasksByYear lists a year's tasks by number, with owners, milestones and lead-unit heads.
func (db *DB) TasksByYear(ctx context.Context, year int) ([]*Task, error) {
	return tasksWhere(ctx, db.r, db.Dialect, `t.year = ?`, year)
}

// TasksByYear lists a year's tasks inside a transaction.
func (tx *Tx) TasksByYear(ctx context.Context, year int) ([]*Task, error) {
	return tasksWhere(ctx, tx, tx.db.Dialect, `t.year = ?`, year)
}

// OpenTasks lists every open task of every year, by year and number, with details.
func (db *DB) OpenTasks(ctx context.Context) ([]*Task, error) {
	return tasksWhere(ctx, db.r, db.Dialect, `t.status = ?`, TaskOpen)
}

// TaskYears lists the years that have tasks, newest first.
func (db *DB) TaskYears(ctx context.Context) ([]int, error) {
	var out []int
	if err := db.Select(ctx, &out, `SELECT DISTINCT year FROM tasks ORDER BY year DESC`); err != nil {
		return nil, fmt.Errorf("store.TaskYears: %w", err)
	}
	return out, nil
}

func tasksWhere(ctx context.Context, q taskQuerier, dialect, where string, args ...any) ([]*Task, error) {
	var out []*Task
	if err := q.SelectContext(ctx, &out, `SELECT `+taskColumns(dialect)+` FROM tasks t WHERE `+where+
		` ORDER BY t.year, t.number`, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.Tasks", Err: err}
	}
	if err := loadTaskDetails(ctx, q, dialect, out); err != nil {
		return nil, err
	}
	return out, nil
}

// loadTaskDetails fills owners, milestones and lead-unit heads of tasks in three queries.
func loadTaskDetails(ctx context.Context, q taskQuerier, dialect string, ts []*Task) error {
	const op = "store.loadTaskDetails"
	if len(ts) == 0 {
		return nil
	}
	byID := make(map[int64]*Task, len(ts))
	ids := make([]int64, 0, len(ts))
	units := map[string][]*Task{}
	for _, t := range ts {
		byID[t.ID] = t
		ids = append(ids, t.ID)
		t.Owners, t.Milestones, t.LeadHead = nil, nil, nil
		if t.LeadUnit != "" {
			units[t.LeadUnit] = append(units[t.LeadUnit], t)
		}
	}
	var owners []struct {
		TaskID int64 `db:"task_id"`
		Member
	}
	query, args, err := sqlx.In(`SELECT o.task_id, `+memberColumns+` FROM task_owners o JOIN members m ON m.id = o.member_id
		LEFT JOIN branches b ON b.id = m.branch_id WHERE o.task_id IN (?) ORDER BY o.task_id, m.name, m.id`, ids)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := q.SelectContext(ctx, &owners, query, args...); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for i := range owners {
		m := owners[i].Member
		byID[owners[i].TaskID].Owners = append(byID[owners[i].TaskID].Owners, &m)
	}
	var ms []*Milestone
	query, args, err = sqlx.In(`SELECT `+milestoneColumns(dialect)+` FROM task_milestones ms WHERE ms.task_id IN (?)
		ORDER BY ms.task_id, ms.planned, ms.id`, ids)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := q.SelectContext(ctx, &ms, query, args...); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, m := range ms {
		byID[m.TaskID].Milestones = append(byID[m.TaskID].Milestones, m)
	}
	if len(units) == 0 {
		return nil
	}
	names := make([]string, 0, len(units))
	for u := range units {
		names = append(names, u)
	}
	var heads []struct {
		Unit string `db:"unit"`
		Member
	}
	query, args, err = sqlx.In(`SELECT u.name AS unit, `+memberColumns+` FROM task_units u JOIN members m ON m.id = u.head_member_id
		LEFT JOIN branches b ON b.id = m.branch_id WHERE u.name IN (?)`, names)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := q.SelectContext(ctx, &heads, query, args...); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for i := range heads {
		m := heads[i].Member
		for _, t := range units[heads[i].Unit] {
			t.LeadHead = &m
		}
	}
	return nil
}

// TaskExists reports whether the year has a task with the number.
func (tx *Tx) TaskExists(ctx context.Context, year, number int) (bool, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM tasks WHERE year = ? AND number = ?`, year, number); err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.TaskExists", Err: err}
	}
	return n > 0, nil
}

// TaskUnit is a lead unit and the member who heads it.
type TaskUnit struct {
	Name         string `db:"name"`
	HeadMemberID int64  `db:"head_member_id"`
}

// SetUnitHead records the head of a lead unit (memberID 0 clears it), audited.
func (tx *Tx) SetUnitHead(ctx context.Context, unit string, memberID int64, actor string) error {
	const op = "store.SetUnitHead"
	unit = strings.TrimSpace(unit)
	if unit == "" {
		return Errorf(EINVALID, "单位名称为空。")
	}
	var cur sql.NullInt64
	err := tx.GetContext(ctx, &cur, `SELECT head_member_id FROM task_units WHERE name = ?`, unit)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		_, err = tx.ExecContext(ctx, `INSERT INTO task_units (name, head_member_id, updated_at) VALUES (?, ?, ?)`, unit, nullID(memberID), tx.now)
	case err == nil:
		if cur.Int64 == memberID {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE task_units SET head_member_id = ?, updated_at = ? WHERE name = ?`, nullID(memberID), tx.now, unit)
	}
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return tx.Audit(ctx, actor, "task_unit", unit, "head", fmt.Sprint(memberID))
}

// TaskUnits lists the lead units with their heads.
func (db *DB) TaskUnits(ctx context.Context) ([]TaskUnit, error) {
	var out []TaskUnit
	if err := db.Select(ctx, &out, `SELECT name, COALESCE(head_member_id, 0) AS head_member_id FROM task_units ORDER BY name`); err != nil {
		return nil, fmt.Errorf("store.TaskUnits: %w", err)
	}
	return out, nil
}
