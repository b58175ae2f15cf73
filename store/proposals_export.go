package store

import "context"

// ProposalCompilation is what the 提案汇编 shows of a session's registered proposals, by 立案编号:
// each with its co-signers, and by proposal id its proposer's 分工会, its departments (主办
// first) and its proposer's rating of the current round ("" for none). No phone numbers.
type ProposalCompilation struct {
	Proposals   []*Proposal
	Branch      map[int64]string
	Departments map[int64][]ProposalDepartment
	Rating      map[int64]string
}

// ProposalCompilationOf reads a session's registered proposals for the 提案汇编.
func (tx *Tx) ProposalCompilationOf(ctx context.Context, sessionID int64) (*ProposalCompilation, error) {
	const op = "store.ProposalCompilationOf"
	ps, err := proposalsWhere(ctx, tx, tx.db.Dialect, `p.session_id = ? AND p.number IS NOT NULL ORDER BY p.seq`, sessionID)
	if err != nil {
		return nil, err
	}
	out := &ProposalCompilation{Branch: map[int64]string{}, Departments: map[int64][]ProposalDepartment{}, Rating: map[int64]string{}}
	for _, p := range ps {
		p.Phone = "" // never leaves the store in a report
	}
	out.Proposals = ps
	var extra []struct {
		ID     int64  `db:"id"`
		Branch string `db:"branch"`
		Rating string `db:"rating"`
	}
	if err := tx.SelectContext(ctx, &extra, `SELECT p.id, COALESCE(b.name, '') AS branch, COALESCE(r.rating, '') AS rating
		FROM proposals p JOIN members m ON m.id = p.proposer_id LEFT JOIN branches b ON b.id = m.branch_id
		LEFT JOIN proposal_ratings r ON r.proposal_id = p.id AND r.round = p.round AND r.member_id = p.proposer_id
		WHERE p.session_id = ? AND p.number IS NOT NULL`, sessionID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, e := range extra {
		out.Branch[e.ID], out.Rating[e.ID] = e.Branch, e.Rating
	}
	var depts []struct {
		ProposalID int64 `db:"proposal_id"`
		ProposalDepartment
	}
	if err := tx.SelectContext(ctx, &depts, `SELECT pd.proposal_id, pd.department_id, d.name, pd.role FROM proposal_departments pd
		JOIN departments d ON d.id = pd.department_id JOIN proposals p ON p.id = pd.proposal_id
		WHERE p.session_id = ? AND p.number IS NOT NULL ORDER BY pd.proposal_id, pd.role DESC, d.name`, sessionID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, d := range depts {
		out.Departments[d.ProposalID] = append(out.Departments[d.ProposalID], d.ProposalDepartment)
	}
	return out, nil
}
