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

// Department is a unit that answers proposals (承办单位: 教务处, 人事处 ...), with its contact
// persons (承办联系人), who act for it, and the 分管校领导 escalations go to.
type Department struct {
	ID             int64     `db:"id"`
	Name           string    `db:"name"`
	LeaderMemberID int64     `db:"leader_member_id"`
	CreatedAt      time.Time `db:"created_at"`
	UpdatedAt      time.Time `db:"updated_at"`

	Contacts []*Member `db:"-"`
}

// HasContact reports whether a member is one of the department's contacts.
func (d *Department) HasContact(memberID int64) bool {
	for _, m := range d.Contacts {
		if m.ID == memberID {
			return true
		}
	}
	return false
}

// SaveDepartment creates a department or updates the one with the same name: its leader and
// its contacts, which replace the old ones. Every contact holds RoleContact; a former contact
// who is no longer a contact of any department loses it. It reports whether the department
// was new. Audited as actor.
func (tx *Tx) SaveDepartment(ctx context.Context, d *Department, actor string) (created bool, err error) {
	const op = "store.SaveDepartment"
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" || utf8.RuneCountInString(d.Name) > 50 {
		return false, Errorf(EINVALID, "单位名称应为 1 到 50 个字，收到「%s」。", d.Name)
	}
	var id int64
	err = tx.GetContext(ctx, &id, `SELECT id FROM departments WHERE name = ?`, d.Name)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if id == 0 {
		res, err := tx.ExecContext(ctx, `INSERT INTO departments (name, leader_member_id, created_at, updated_at) VALUES (?, ?, ?, ?)`,
			d.Name, nullID(d.LeaderMemberID), tx.now, tx.now)
		if err != nil {
			return false, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if id, err = res.LastInsertId(); err != nil {
			return false, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		created = true
	} else if _, err := tx.ExecContext(ctx, `UPDATE departments SET leader_member_id = ?, updated_at = ? WHERE id = ?`,
		nullID(d.LeaderMemberID), tx.now, id); err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	d.ID = id
	var old []int64
	if err := tx.SelectContext(ctx, &old, `SELECT member_id FROM department_contacts WHERE department_id = ?`, id); err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM department_contacts WHERE department_id = ?`, id); err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	var names []string
	for _, m := range d.Contacts {
		if _, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO department_contacts (department_id, member_id) VALUES (?, ?)`, id, m.ID); err != nil {
			return false, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if _, err := tx.GrantRole(ctx, m.ID, RoleContact, actor); err != nil {
			return false, err
		}
		names = append(names, m.Name)
	}
	for _, mid := range old {
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM department_contacts WHERE member_id = ?`, mid); err != nil {
			return false, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
		if n == 0 {
			if _, err := tx.RevokeRole(ctx, mid, RoleContact, actor); err != nil {
				return false, err
			}
		}
	}
	action := "update"
	if created {
		action = "create"
	}
	return created, tx.Audit(ctx, actor, "department", fmt.Sprint(id), action, d.Name+" 联系人："+strings.Join(names, "、"))
}

// Departments lists every department by name, with its contacts.
func (tx *Tx) Departments(ctx context.Context) ([]*Department, error) {
	return departmentsWhere(ctx, tx, `1 = 1`)
}

// DepartmentByName returns a department with its contacts, or ENOTFOUND.
func (tx *Tx) DepartmentByName(ctx context.Context, name string) (*Department, error) {
	ds, err := departmentsWhere(ctx, tx, `d.name = ?`, strings.TrimSpace(name))
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, Errorf(ENOTFOUND, "找不到承办单位「%s」。", name)
	}
	return ds[0], nil
}

// DepartmentByID returns a department with its contacts, or ENOTFOUND.
func (tx *Tx) DepartmentByID(ctx context.Context, id int64) (*Department, error) {
	ds, err := departmentsWhere(ctx, tx, `d.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 {
		return nil, Errorf(ENOTFOUND, "找不到该承办单位。")
	}
	return ds[0], nil
}

// ContactDepartments lists the ids of the departments a member is a contact of.
func (tx *Tx) ContactDepartments(ctx context.Context, memberID int64) ([]int64, error) {
	var out []int64
	if err := tx.SelectContext(ctx, &out, `SELECT department_id FROM department_contacts WHERE member_id = ? ORDER BY department_id`, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ContactDepartments", Err: err}
	}
	return out, nil
}

func departmentsWhere(ctx context.Context, q taskQuerier, where string, args ...any) ([]*Department, error) {
	const op = "store.Departments"
	var ds []*Department
	if err := q.SelectContext(ctx, &ds, `SELECT d.id, d.name, COALESCE(d.leader_member_id, 0) AS leader_member_id,
		d.created_at, d.updated_at FROM departments d WHERE `+where+` ORDER BY d.name, d.id`, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(ds) == 0 {
		return nil, nil
	}
	byID := map[int64]*Department{}
	ids := make([]int64, 0, len(ds))
	for _, d := range ds {
		byID[d.ID] = d
		ids = append(ids, d.ID)
	}
	var rows []struct {
		DepartmentID int64 `db:"department_id"`
		Member
	}
	query, qargs, err := sqlx.In(`SELECT c.department_id, `+memberColumns+` FROM department_contacts c JOIN members m ON m.id = c.member_id
		LEFT JOIN branches b ON b.id = m.branch_id WHERE c.department_id IN (?) ORDER BY c.department_id, m.name, m.id`, ids)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := q.SelectContext(ctx, &rows, query, qargs...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for i := range rows {
		m := rows[i].Member
		byID[rows[i].DepartmentID].Contacts = append(byID[rows[i].DepartmentID].Contacts, &m)
	}
	return ds, nil
}
