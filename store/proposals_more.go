package store

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Audit actions on a proposal that are marks, not steps of the state machine: 重点提案 (the
// chair's) and 优秀提案 (the committee's). They are in the 流转记录 all the same.
const (
	ActionMarkKey         = "mark_key"
	ActionUnmarkKey       = "unmark_key"
	ActionMarkExcellent   = "mark_excellent"
	ActionUnmarkExcellent = "unmark_excellent"
	ActionOpinion         = "opinion"
)

// ProposalOpinion is a 协办 department's opinion on a proposal in a round, sent to the 主办
// before its reply.
type ProposalOpinion struct {
	ProposalID     int64     `db:"proposal_id"`
	DepartmentID   int64     `db:"department_id"`
	DepartmentName string    `db:"department_name"`
	Round          int       `db:"round"`
	MemberID       int64     `db:"member_id"`
	MemberName     string    `db:"member_name"`
	Text           string    `db:"text"`
	CreatedAt      time.Time `db:"created_at"`
}

// MaxOpinion is the longest 协办 opinion (characters).
const MaxOpinion = MaxProposalText

// SaveProposalOpinion records a 协办 department's opinion on p in p's round (replacing the
// department's earlier one of the round), audited as actor. The caller checked that the member
// answers for the department and that p awaits its reply.
func (tx *Tx) SaveProposalOpinion(ctx context.Context, p *Proposal, departmentID, memberID int64, text, actor string) error {
	const op = "store.SaveProposalOpinion"
	text = strings.TrimSpace(text)
	if text == "" {
		return Errorf(EINVALID, "请填写协办意见。")
	}
	if n := utf8.RuneCountInString(text); n > MaxOpinion {
		return Errorf(EINVALID, "协办意见太长（最多 %d 字，现有 %d 字）。", MaxOpinion, n)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM proposal_opinions WHERE proposal_id = ? AND department_id = ? AND round = ?`,
		p.ID, departmentID, p.Round); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO proposal_opinions (proposal_id, department_id, round, member_id, text, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`, p.ID, departmentID, p.Round, memberID, text, tx.now); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), ActionOpinion, fmt.Sprintf("第 %d 轮 单位 %d", p.Round, departmentID))
}

// ProposalOpinions loads the 协办 opinions of p's current round into p.Opinions, by department.
func (tx *Tx) ProposalOpinions(ctx context.Context, p *Proposal) error {
	p.Opinions = nil
	if err := tx.SelectContext(ctx, &p.Opinions, `SELECT o.proposal_id, o.department_id, d.name AS department_name, o.round,
		o.member_id, m.name AS member_name, o.text, o.created_at FROM proposal_opinions o
		JOIN departments d ON d.id = o.department_id JOIN members m ON m.id = o.member_id
		WHERE o.proposal_id = ? AND o.round = ? ORDER BY d.name, o.department_id`, p.ID, p.Round); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.ProposalOpinions", Err: err}
	}
	return nil
}

// ReplyPublished reports whether the proposer has been given p's reply text: it was approved
// (or needed no approval) after it was last submitted.
func (p *Proposal) ReplyPublished() bool {
	if p.ReplyText == "" || p.RepliedAt == nil {
		return false
	}
	return p.ReplySubmittedAt == nil || !p.RepliedAt.Before(*p.ReplySubmittedAt)
}

// MarkProposal sets or clears one of p's marks: column is "key_proposal" (重点提案) or
// "excellent" (优秀提案), audited as actor; the caller checked that the mark differs. One set
// so meanwhile (a concurrent click) is ECONFLICT. A mark does not change p's version: cards
// showing p stay usable.
func (tx *Tx) MarkProposal(ctx context.Context, p *Proposal, column string, on bool, actor string) error {
	const op = "store.MarkProposal"
	actions := map[string][2]string{"key_proposal": {ActionUnmarkKey, ActionMarkKey}, "excellent": {ActionUnmarkExcellent, ActionMarkExcellent}}
	a, ok := actions[column]
	if !ok {
		return &Error{Code: EINTERNAL, Op: op, Message: "unknown mark " + column}
	}
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET `+column+` = ?, updated_at = ? WHERE id = ? AND `+column+` <> ?`, on, tx.now, p.ID, on)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案刚刚被其他人更新，请刷新后重试。"}
	}
	action := a[0]
	if on {
		action = a[1]
	}
	if column == "key_proposal" {
		p.KeyProposal = on
	} else {
		p.Excellent = on
	}
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), action, p.Number)
}

// MembersWithRole lists the members holding a role (with a Feishu account or not), by name.
func (tx *Tx) MembersWithRole(ctx context.Context, role string) ([]*Member, error) {
	var out []*Member
	if err := tx.SelectContext(ctx, &out, `SELECT `+memberColumns+memberFrom+`JOIN member_roles r ON r.member_id = m.id
		WHERE r.role = ? AND m.active = 1 ORDER BY m.name, m.id`, role); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.MembersWithRole", Err: err}
	}
	return out, nil
}

// DelegateRecord is a delegate's 履职记录 in a session: the proposals they filed (drafts
// aside), those they co-signed (agreed), and the ratings they gave.
type DelegateRecord struct {
	Proposed []*Proposal
	Cosigned []*Proposal
	Ratings  []RecordRating
}

// RecordRating is a rating a delegate gave, with the proposal's title and number.
type RecordRating struct {
	ProposalRating
	Title  string `db:"title"`
	Number string `db:"number"`
}

// DelegateRecordOf gathers a member's 履职记录 in a session.
func (tx *Tx) DelegateRecordOf(ctx context.Context, memberID, sessionID int64) (*DelegateRecord, error) {
	var r DelegateRecord
	var err error
	if r.Proposed, err = proposalsWhere(ctx, tx, tx.db.Dialect, `p.session_id = ? AND p.proposer_id = ? AND p.state <> ? ORDER BY p.id`,
		sessionID, memberID, ProposalDraft); err != nil {
		return nil, err
	}
	if r.Cosigned, err = proposalsWhere(ctx, tx, tx.db.Dialect, `p.session_id = ? AND p.id IN (SELECT proposal_id FROM proposal_cosigners
		WHERE member_id = ? AND status = ?) ORDER BY p.id`, sessionID, memberID, CosignAgreed); err != nil {
		return nil, err
	}
	if err := tx.SelectContext(ctx, &r.Ratings, `SELECT r.proposal_id, r.round, r.member_id, r.rating, r.comment, r.created_at,
		p.title, COALESCE(p.number, '') AS number FROM proposal_ratings r JOIN proposals p ON p.id = r.proposal_id
		WHERE p.session_id = ? AND r.member_id = ? ORDER BY r.created_at, r.proposal_id, r.round`, sessionID, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.DelegateRecordOf", Err: err}
	}
	return &r, nil
}

// SessionHandlingOver reports whether every registered proposal of a session (with a 立案编号,
// not merged) is closed (已办结), and how many are not: 优秀提案 are chosen then.
func (tx *Tx) SessionHandlingOver(ctx context.Context, sessionID int64) (bool, int, error) {
	var open, all int
	if err := tx.GetContext(ctx, &all, `SELECT COUNT(*) FROM proposals WHERE session_id = ? AND number IS NOT NULL AND state <> ?`,
		sessionID, ProposalMerged); err != nil {
		return false, 0, &Error{Code: EINTERNAL, Op: "store.SessionHandlingOver", Err: err}
	}
	if err := tx.GetContext(ctx, &open, `SELECT COUNT(*) FROM proposals WHERE session_id = ? AND number IS NOT NULL AND state NOT IN (?, ?)`,
		sessionID, ProposalMerged, ProposalClosed); err != nil {
		return false, 0, &Error{Code: EINTERNAL, Op: "store.SessionHandlingOver", Err: err}
	}
	return all > 0 && open == 0, open, nil
}
