package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Member is a union member as the bot knows them. OpenID is empty for a member imported from
// a roster whose Feishu account is not resolved yet; EmployeeNo (工号) is a string and keeps its
// leading zeros. Names are not unique: show Name with BranchName.
type Member struct {
	ID          int64        `db:"id"`
	OpenID      string       `db:"open_id"`
	UserID      string       `db:"user_id"`
	UnionID     string       `db:"union_id"`
	Name        string       `db:"name"`
	EmployeeNo  string       `db:"employee_no"`
	BranchID    int64        `db:"branch_id"`
	BranchName  string       `db:"branch_name"`
	Gender      string       `db:"gender"` // "M", "F" or ""
	Mobile      string       `db:"mobile"`
	Email       string       `db:"email"`
	Active      bool         `db:"active"`
	Placeholder bool         `db:"placeholder"` // the name is a stand-in the member should complete
	Birth       sql.NullTime `db:"birth_date"`  // for age rules; not written by SaveMember (SetBirthDate)
	CreatedAt   time.Time    `db:"created_at"`
	UpdatedAt   time.Time    `db:"updated_at"`
}

// Display is the member as shown to officers: 姓名（分工会）.
func (m *Member) Display() string {
	if m.BranchName == "" {
		return m.Name
	}
	return m.Name + "（" + m.BranchName + "）"
}

// MaskedMobile shows a mobile number as 138****1234.
func MaskedMobile(mobile string) string {
	if len(mobile) != 11 {
		if mobile == "" {
			return ""
		}
		return "****"
	}
	return mobile[:3] + "****" + mobile[7:]
}

const memberColumns = `m.id, COALESCE(m.open_id, '') AS open_id, COALESCE(m.user_id, '') AS user_id,
	COALESCE(m.union_id, '') AS union_id, m.name, COALESCE(m.employee_no, '') AS employee_no,
	COALESCE(m.branch_id, 0) AS branch_id, COALESCE(b.name, '') AS branch_name, m.gender, m.mobile, m.email,
	m.active, m.placeholder, m.birth_date, m.created_at, m.updated_at`

// Facts are the member's facts that sign-up rules look at (the member as read, e.g. the
// sender as the router resolved them, without another query).
func (m *Member) Facts() *MemberFacts {
	return &MemberFacts{ID: m.ID, OpenID: m.OpenID, Name: m.Name, Gender: m.Gender, BranchID: m.BranchID,
		BranchName: m.BranchName, EmployeeNo: m.EmployeeNo, Active: m.Active, Placeholder: m.Placeholder, Birth: m.Birth}
}

const memberFrom = ` FROM members m LEFT JOIN branches b ON b.id = m.branch_id `

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }
func nullID(id int64) sql.NullInt64      { return sql.NullInt64{Int64: id, Valid: id != 0} }

// MemberByOpenID returns the member with a Feishu open_id, or ENOTFOUND.
func (tx *Tx) MemberByOpenID(ctx context.Context, openID string) (*Member, error) {
	var m Member
	err := tx.GetContext(ctx, &m, `SELECT `+memberColumns+memberFrom+`WHERE m.open_id = ?`, openID)
	if err != nil {
		return nil, notFound("store.MemberByOpenID", err, "找不到该成员")
	}
	return &m, nil
}

// MemberByOpenID returns the member with a Feishu open_id, or ENOTFOUND (read pool).
func (db *DB) MemberByOpenID(ctx context.Context, openID string) (*Member, error) {
	var m Member
	err := db.Get(ctx, &m, `SELECT `+memberColumns+memberFrom+`WHERE m.open_id = ?`, openID)
	if err != nil {
		return nil, notFound("store.MemberByOpenID", err, "找不到该成员")
	}
	return &m, nil
}

// MemberByID returns a member by id, or ENOTFOUND.
func (tx *Tx) MemberByID(ctx context.Context, id int64) (*Member, error) {
	var m Member
	err := tx.GetContext(ctx, &m, `SELECT `+memberColumns+memberFrom+`WHERE m.id = ?`, id)
	if err != nil {
		return nil, notFound("store.MemberByID", err, "找不到该成员")
	}
	return &m, nil
}

// MemberByEmployeeNo returns a member by 工号, or ENOTFOUND.
func (tx *Tx) MemberByEmployeeNo(ctx context.Context, no string) (*Member, error) {
	var m Member
	err := tx.GetContext(ctx, &m, `SELECT `+memberColumns+memberFrom+`WHERE m.employee_no = ?`, no)
	if err != nil {
		return nil, notFound("store.MemberByEmployeeNo", err, "找不到工号为 "+no+" 的成员")
	}
	return &m, nil
}

// FindMembers finds active members by exact 工号, exact open_id or name (exact first, then
// prefix), at most limit of them.
func (tx *Tx) FindMembers(ctx context.Context, q string, limit int) ([]*Member, error) {
	q = strings.TrimSpace(q)
	var out []*Member
	err := tx.SelectContext(ctx, &out, `SELECT `+memberColumns+memberFrom+`WHERE m.active = 1 AND
		(m.employee_no = ? OR m.open_id = ? OR m.name = ? OR m.name LIKE ? ESCAPE '!')
		ORDER BY CASE WHEN m.employee_no = ? OR m.open_id = ? OR m.name = ? THEN 0 ELSE 1 END, m.id LIMIT ?`,
		q, q, q, likeEscape(q)+"%", q, q, q, limit)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.FindMembers", Err: err}
	}
	return out, nil
}

// RegisterMember creates a member for a first-time sender (OpenID set). When a member with
// that open_id exists it is returned unchanged instead.
func (tx *Tx) RegisterMember(ctx context.Context, m *Member) (*Member, bool, error) {
	const op = "store.RegisterMember"
	if m.OpenID == "" {
		return nil, false, &Error{Code: EINVALID, Op: op, Message: "缺少飞书用户标识"}
	}
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO members (open_id, user_id, union_id, name, employee_no,
		branch_id, gender, mobile, email, active, placeholder, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)`,
		m.OpenID, nullString(m.UserID), nullString(m.UnionID), m.Name, nullString(m.EmployeeNo), nullID(m.BranchID),
		m.Gender, m.Mobile, m.Email, m.Placeholder, tx.now, tx.now)
	if err != nil {
		return nil, false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	n, _ := res.RowsAffected()
	got, err := tx.MemberByOpenID(ctx, m.OpenID)
	if err != nil {
		return nil, false, err
	}
	if n == 1 {
		if err := tx.Audit(ctx, m.OpenID, "member", fmt.Sprint(got.ID), "register", "first message"); err != nil {
			return nil, false, err
		}
	}
	return got, n == 1, nil
}

// SaveMember writes every field of an existing member (by ID).
func (tx *Tx) SaveMember(ctx context.Context, m *Member) error {
	const op = "store.SaveMember"
	tx.MembersChanged()
	_, err := tx.ExecContext(ctx, `UPDATE members SET open_id = ?, user_id = ?, union_id = ?, name = ?, employee_no = ?,
		branch_id = ?, gender = ?, mobile = ?, email = ?, active = ?, placeholder = ?, updated_at = ? WHERE id = ?`,
		nullString(m.OpenID), nullString(m.UserID), nullString(m.UnionID), m.Name, nullString(m.EmployeeNo),
		nullID(m.BranchID), m.Gender, m.Mobile, m.Email, m.Active, m.Placeholder, tx.now, m.ID)
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: op, Message: "工号或飞书账号已属于另一位成员", Err: err}
	} else if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	m.UpdatedAt = tx.now
	return nil
}

// CreateMember inserts a new member (for the roster import; OpenID may be empty).
func (tx *Tx) CreateMember(ctx context.Context, m *Member) error {
	const op = "store.CreateMember"
	res, err := tx.ExecContext(ctx, `INSERT INTO members (open_id, user_id, union_id, name, employee_no, branch_id,
		gender, mobile, email, active, placeholder, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		nullString(m.OpenID), nullString(m.UserID), nullString(m.UnionID), m.Name, nullString(m.EmployeeNo),
		nullID(m.BranchID), m.Gender, m.Mobile, m.Email, m.Active, m.Placeholder, tx.now, tx.now)
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: op, Message: "工号或飞书账号已属于另一位成员", Err: err}
	} else if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	m.ID, err = res.LastInsertId()
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	m.CreatedAt, m.UpdatedAt = tx.now, tx.now
	return nil
}

// Branch is a 分工会.
type Branch struct {
	ID        int64     `db:"id"`
	Name      string    `db:"name"`
	CreatedAt time.Time `db:"created_at"`
}

// EnsureBranch returns the id of the branch with name, creating it when new.
func (tx *Tx) EnsureBranch(ctx context.Context, name string) (int64, error) {
	const op = "store.EnsureBranch"
	name = strings.TrimSpace(name)
	if name == "" {
		return 0, &Error{Code: EINVALID, Op: op, Message: "分工会名称为空"}
	}
	if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO branches (name, created_at) VALUES (?, ?)`, name, tx.now); err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM branches WHERE name = ?`, name); err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return id, nil
}

// Branches lists the branches by name.
func (db *DB) Branches(ctx context.Context) ([]Branch, error) {
	var out []Branch
	if err := db.Select(ctx, &out, `SELECT id, name, created_at FROM branches ORDER BY name`); err != nil {
		return nil, fmt.Errorf("store.Branches: %w", err)
	}
	return out, nil
}

// CountMembers counts active members.
func (db *DB) CountMembers(ctx context.Context) (int, error) {
	var n int
	if err := db.Get(ctx, &n, `SELECT COUNT(*) FROM members WHERE active = 1`); err != nil {
		return 0, fmt.Errorf("store.CountMembers: %w", err)
	}
	return n, nil
}

// BranchByName returns a branch's id by exact name, or ENOTFOUND.
func (tx *Tx) BranchByName(ctx context.Context, name string) (int64, error) {
	var id int64
	if err := tx.GetContext(ctx, &id, `SELECT id FROM branches WHERE name = ?`, strings.TrimSpace(name)); err != nil {
		return 0, notFound("store.BranchByName", err, "没有名为「"+name+"」的分工会")
	}
	return id, nil
}
