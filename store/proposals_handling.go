package store

import (
	"context"
	"fmt"
	"time"
)

// Department roles in a proposal's handling (交办).
const (
	DeptHost   = "host"   // 主办
	DeptHelper = "helper" // 协办
)

// ProposalsMergedInto lists the proposals merged (并案) into a proposal.
func (tx *Tx) ProposalsMergedInto(ctx context.Context, id int64) ([]*Proposal, error) {
	return proposalsWhere(ctx, tx, tx.db.Dialect, `p.merged_into_id = ? ORDER BY p.id`, id)
}

// NextProposalNumber returns the next 立案编号 of a session: its sequence number and the
// number shown (code-001). The unique key (session_id, seq) refuses a number given twice.
func (tx *Tx) NextProposalNumber(ctx context.Context, s *ProposalSession) (int, string, error) {
	var seq int
	if err := tx.GetContext(ctx, &seq, `SELECT COALESCE(MAX(seq), 0) + 1 FROM proposals WHERE session_id = ?`, s.ID); err != nil {
		return 0, "", &Error{Code: EINTERNAL, Op: "store.NextProposalNumber", Err: err}
	}
	return seq, fmt.Sprintf("%s-%03d", s.Code, seq), nil
}

// ProposalHost returns the id of a proposal's 主办 department (0 before 交办).
func (tx *Tx) ProposalHost(ctx context.Context, id int64) (int64, error) {
	var out []int64
	if err := tx.SelectContext(ctx, &out, `SELECT department_id FROM proposal_departments WHERE proposal_id = ? AND role = ?`, id, DeptHost); err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.ProposalHost", Err: err}
	}
	if len(out) == 0 {
		return 0, nil
	}
	return out[0], nil
}

// ProposalDepartment is a department a proposal is assigned to, with its 签收 (nil until the
// department acknowledged the assignment).
type ProposalDepartment struct {
	DepartmentID   int64      `db:"department_id"`
	Name           string     `db:"name"`
	Role           string     `db:"role"`
	AssignedAt     time.Time  `db:"assigned_at"`
	AcknowledgedAt *time.Time `db:"acknowledged_at"`
	AckName        string     `db:"ack_name"` // the contact who acknowledged
}

// ProposalDepartments lists a proposal's departments, the 主办 first.
func (tx *Tx) ProposalDepartments(ctx context.Context, id int64) ([]ProposalDepartment, error) {
	var out []ProposalDepartment
	if err := tx.SelectContext(ctx, &out, `SELECT pd.department_id, d.name, pd.role, pd.assigned_at, pd.acknowledged_at,
		COALESCE(m.name, '') AS ack_name FROM proposal_departments pd JOIN departments d ON d.id = pd.department_id
		LEFT JOIN members m ON m.id = pd.acknowledged_by WHERE pd.proposal_id = ? ORDER BY pd.role DESC, d.name`, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ProposalDepartments", Err: err}
	}
	return out, nil
}

// SetProposalDepartments records the 交办: one host and the helpers (replacing any before).
func (tx *Tx) SetProposalDepartments(ctx context.Context, id, host int64, helpers []int64) error {
	const op = "store.SetProposalDepartments"
	if _, err := tx.ExecContext(ctx, `DELETE FROM proposal_departments WHERE proposal_id = ?`, id); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	rows := map[int64]string{host: DeptHost}
	for _, d := range helpers {
		if d != host {
			rows[d] = DeptHelper
		}
	}
	for d, role := range rows {
		if _, err := tx.ExecContext(ctx, `INSERT INTO proposal_departments (proposal_id, department_id, role, assigned_at) VALUES (?, ?, ?, ?)`,
			id, d, role, tx.now); err != nil {
			return &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	return nil
}

// Ratings.
const (
	RatingSatisfied   = "satisfied"   // 满意
	RatingBasic       = "basic"       // 基本满意
	RatingUnsatisfied = "unsatisfied" // 不满意
)

// ProposalRating is one rater's rating of a proposal's reply in a round.
type ProposalRating struct {
	ProposalID int64     `db:"proposal_id"`
	Round      int       `db:"round"`
	MemberID   int64     `db:"member_id"`
	Rating     string    `db:"rating"`
	Comment    string    `db:"comment"`
	CreatedAt  time.Time `db:"created_at"`
}

// ProposalRatingOf returns a member's rating of a proposal in a round, or nil.
func (tx *Tx) ProposalRatingOf(ctx context.Context, id int64, round int, memberID int64) (*ProposalRating, error) {
	var out []ProposalRating
	if err := tx.SelectContext(ctx, &out, `SELECT proposal_id, round, member_id, rating, comment, created_at FROM proposal_ratings
		WHERE proposal_id = ? AND round = ? AND member_id = ?`, id, round, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ProposalRatingOf", Err: err}
	}
	if len(out) == 0 {
		return nil, nil
	}
	return &out[0], nil
}

// RateProposal records a rating (once per rater and round: a second is ECONFLICT), audited.
func (tx *Tx) RateProposal(ctx context.Context, r *ProposalRating, actor string) error {
	const op = "store.RateProposal"
	_, err := tx.ExecContext(ctx, `INSERT INTO proposal_ratings (proposal_id, round, member_id, rating, comment, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, r.ProposalID, r.Round, r.MemberID, r.Rating, r.Comment, tx.now)
	if isUniqueViolation(err) {
		return &Error{Code: ECONFLICT, Op: op, Message: "你已评价过本轮答复。", Err: err}
	} else if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	// "rating", not the step's "rate": a rating is not a step of the 流转记录 (a co-signer's
	// changes nothing, and the proposer's is followed by its step).
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(r.ProposalID), "rating", fmt.Sprintf("第 %d 轮 %s", r.Round, r.Rating))
}
