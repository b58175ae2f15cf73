package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ProposalReturn is a department's 退回 of a mis-assigned proposal: the department (and its
// role then), the contact who returned it, the reason, and when the assignment it returned was
// made. Statistics count 退回数 per department from these rows (table proposal_returns).
type ProposalReturn struct {
	ID           int64     `db:"id"`
	ProposalID   int64     `db:"proposal_id"`
	DepartmentID int64     `db:"department_id"`
	Department   string    `db:"department"`
	Role         string    `db:"role"` // DeptHost or DeptHelper
	Round        int       `db:"round"`
	MemberID     int64     `db:"member_id"`
	MemberName   string    `db:"member_name"`
	Reason       string    `db:"reason"`
	AssignedAt   time.Time `db:"assigned_at"`
	ReturnedAt   time.Time `db:"returned_at"`
}

// ProposalExtension is the 主办's request for a later reply deadline and the committee's
// decision. Statistics count extensions from these rows (table proposal_extensions; approved
// ones moved the deadline).
type ProposalExtension struct {
	ID            int64      `db:"id"`
	ProposalID    int64      `db:"proposal_id"`
	DepartmentID  int64      `db:"department_id"`
	Department    string     `db:"department"`
	Round         int        `db:"round"`
	RequestedBy   int64      `db:"requested_by"`
	RequesterName string     `db:"requester_name"`
	OldDue        string     `db:"old_due"`
	RequestedDue  string     `db:"requested_due"`
	Reason        string     `db:"reason"`
	Status        string     `db:"status"` // ExtensionPending, ExtensionApproved, ExtensionRefused
	DecidedBy     int64      `db:"decided_by"`
	DecisionNote  string     `db:"decision_note"`
	DecidedAt     *time.Time `db:"decided_at"`
	CreatedAt     time.Time  `db:"created_at"`
}

// PendingExtension returns p's extension request awaiting the committee, or nil (after
// ProposalHandling).
func (p *Proposal) PendingExtension() *ProposalExtension {
	for i := range p.Extensions {
		if p.Extensions[i].Status == ExtensionPending {
			return &p.Extensions[i]
		}
	}
	return nil
}

// Department returns p's assignment to a department, or nil (after ProposalHandling).
func (p *Proposal) Department(id int64) *ProposalDepartment {
	for i := range p.Departments {
		if p.Departments[i].DepartmentID == id {
			return &p.Departments[i]
		}
	}
	return nil
}

// ProposalHandling loads p's departments (with their 签收), its 退回 and its extension
// requests.
func (tx *Tx) ProposalHandling(ctx context.Context, p *Proposal) error {
	const op = "store.ProposalHandling"
	var err error
	if p.Departments, err = tx.ProposalDepartments(ctx, p.ID); err != nil {
		return err
	}
	p.Returns = nil
	if err := tx.SelectContext(ctx, &p.Returns, `SELECT r.id, r.proposal_id, r.department_id, d.name AS department, r.role,
		r.round, r.member_id, m.name AS member_name, r.reason, r.assigned_at, r.returned_at FROM proposal_returns r
		JOIN departments d ON d.id = r.department_id JOIN members m ON m.id = r.member_id
		WHERE r.proposal_id = ? ORDER BY r.id`, p.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	p.Extensions = nil
	if err := tx.SelectContext(ctx, &p.Extensions, `SELECT e.id, e.proposal_id, e.department_id, d.name AS department, e.round,
		e.requested_by, m.name AS requester_name, `+taskDate(tx.db.Dialect, "e.old_due")+` AS old_due,
		`+taskDate(tx.db.Dialect, "e.requested_due")+` AS requested_due, e.reason, e.status,
		COALESCE(e.decided_by, 0) AS decided_by, e.decision_note, e.decided_at, e.created_at FROM proposal_extensions e
		JOIN departments d ON d.id = e.department_id JOIN members m ON m.id = e.requested_by
		WHERE e.proposal_id = ? ORDER BY e.id`, p.ID); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return nil
}

// AcknowledgeAssignment records a department's 签收 of its assignment to a proposal by a
// contact; it reports false when the department had already acknowledged it (nothing written).
func (tx *Tx) AcknowledgeAssignment(ctx context.Context, proposalID, departmentID, memberID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE proposal_departments SET acknowledged_at = ?, acknowledged_by = ?
		WHERE proposal_id = ? AND department_id = ? AND acknowledged_at IS NULL`, tx.now, memberID, proposalID, departmentID)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AcknowledgeAssignment", Err: err}
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AddProposalReturn records a department's 退回 (the proposal's step is the caller's).
func (tx *Tx) AddProposalReturn(ctx context.Context, r *ProposalReturn) error {
	res, err := tx.ExecContext(ctx, `INSERT INTO proposal_returns (proposal_id, department_id, role, round, member_id, reason,
		assigned_at, returned_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ProposalID, r.DepartmentID, r.Role, r.Round, r.MemberID,
		r.Reason, r.AssignedAt, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.AddProposalReturn", Err: err}
	}
	r.ReturnedAt = tx.now
	r.ID, _ = res.LastInsertId()
	return nil
}

// AddProposalExtension records the 主办's extension request (the proposal's step is the
// caller's).
func (tx *Tx) AddProposalExtension(ctx context.Context, e *ProposalExtension) error {
	e.Status = ExtensionPending
	res, err := tx.ExecContext(ctx, `INSERT INTO proposal_extensions (proposal_id, department_id, round, requested_by, old_due,
		requested_due, reason, status, decision_note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', ?)`, e.ProposalID,
		e.DepartmentID, e.Round, e.RequestedBy, e.OldDue, e.RequestedDue, e.Reason, e.Status, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.AddProposalExtension", Err: err}
	}
	e.CreatedAt = tx.now
	e.ID, _ = res.LastInsertId()
	return nil
}

// DecideProposalExtension sets a pending extension request's decision (ExtensionApproved or
// ExtensionRefused); one decided meanwhile is ECONFLICT.
func (tx *Tx) DecideProposalExtension(ctx context.Context, id int64, status string, deciderID int64, note string) error {
	const op = "store.DecideProposalExtension"
	res, err := tx.ExecContext(ctx, `UPDATE proposal_extensions SET status = ?, decided_by = ?, decision_note = ?, decided_at = ?
		WHERE id = ? AND status = ?`, status, deciderID, note, tx.now, id, ExtensionPending)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "该延期申请已处理。"}
	}
	return nil
}

// ProposalsInStates lists the proposals of every session in the given states, by id, with
// their co-signers: what the reminder jobs look at.
func (tx *Tx) ProposalsInStates(ctx context.Context, states ...string) ([]*Proposal, error) {
	q, args, err := sqlx.In(`p.state IN (?) ORDER BY p.id`, states)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ProposalsInStates", Err: err}
	}
	return proposalsWhere(ctx, tx, tx.db.Dialect, q, args...)
}

// SetProposalKey marks or unmarks a proposal as 重点提案 (the chair's decision; audited as
// actor). A proposal changed since p was read: ECONFLICT.
func (tx *Tx) SetProposalKey(ctx context.Context, p *Proposal, key bool, actor string) error {
	const op = "store.SetProposalKey"
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET key_proposal = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		key, tx.now, p.ID, p.Version)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案刚刚被其他人更新，请刷新后重试。"}
	}
	p.KeyProposal, p.Version = key, p.Version+1
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), "key", fmt.Sprint(key))
}
