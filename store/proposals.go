package store

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jmoiron/sqlx"
)

// Proposal kinds.
const (
	KindProposal   = "proposal"   // 提案
	KindSuggestion = "suggestion" // 意见建议 (converted by the committee, or filed late)
)

// Proposal is a staff-congress proposal (教代会提案). Phone is sealed (store/secret) by the
// handler; the store never sees it in the clear. Number is the 立案编号 ("" before 立案).
// Version grows with every change, so a card older than the last change is recognised.
type Proposal struct {
	ID                   int64      `db:"id"`
	SessionID            int64      `db:"session_id"`
	ProposerID           int64      `db:"proposer_id"`
	Kind                 string     `db:"kind"`
	Late                 bool       `db:"late"`
	State                string     `db:"state"`
	Title                string     `db:"title"`      // 案由
	Category             string     `db:"category"`   // 类别
	Reason               string     `db:"reason"`     // 理由（现状与依据）
	Suggestion           string     `db:"suggestion"` // 建议（办法与措施）
	SuggestedDepartments string     `db:"suggested_departments"`
	Phone                string     `db:"phone"` // sealed, "" for none
	Seq                  int        `db:"seq"`
	Number               string     `db:"number"`
	MergedIntoID         int64      `db:"merged_into_id"`
	Decision             string     `db:"decision"` // the committee's last decision (a Step*)
	DecisionNote         string     `db:"decision_note"`
	Round                int        `db:"round"`
	AssignedAt           *time.Time `db:"assigned_at"`
	ReplyDue             string     `db:"reply_due"`
	ReplyClass           string     `db:"reply_class"`
	ReplyText            string     `db:"reply_text"`
	RepliedAt            *time.Time `db:"replied_at"`
	SubmittedAt          *time.Time `db:"submitted_at"`
	ClosedAt             *time.Time `db:"closed_at"`
	KeyProposal          bool       `db:"key_proposal"`       // 重点提案, marked by the chair
	Excellent            bool       `db:"excellent"`          // 优秀提案, chosen by the committee
	ReplyReviewNote      string     `db:"reply_review_note"`  // why 答复审核 sent the reply back
	ReplySubmittedAt     *time.Time `db:"reply_submitted_at"` // the 主办's last reply (RepliedAt: when the proposer got it)
	Version              int        `db:"version"`
	CreatedAt            time.Time  `db:"created_at"`
	UpdatedAt            time.Time  `db:"updated_at"`

	ProposerName   string `db:"proposer_name"`
	ProposerOpenID string `db:"proposer_open_id"`
	SessionName    string `db:"session_name"`

	Cosigners []*Cosigner        `db:"-"`
	Opinions  []*ProposalOpinion `db:"-"` // the 协办 opinions of the current round, when loaded (ProposalOpinions)
	Trail     []AuditEntry       `db:"-"` // the 流转记录, oldest first, when loaded (ProposalTrail)

	// The handling, when loaded (ProposalHandling): the departments with their 签收, the
	// 退回 and the extension requests, oldest first.
	Departments []ProposalDepartment `db:"-"`
	Returns     []ProposalReturn     `db:"-"`
	Extensions  []ProposalExtension  `db:"-"`
}

// Co-signer (附议人) statuses.
const (
	CosignInvited   = "invited"
	CosignAgreed    = "agreed"
	CosignDeclined  = "declined"
	CosignWithdrawn = "withdrawn"
)

// Cosigner is an invitee's or a volunteer's 附议 of a proposal.
type Cosigner struct {
	ProposalID int64      `db:"proposal_id"`
	MemberID   int64      `db:"member_id"`
	Name       string     `db:"name"`
	OpenID     string     `db:"open_id"`
	Status     string     `db:"status"`
	InvitedAt  time.Time  `db:"invited_at"`
	AnsweredAt *time.Time `db:"answered_at"`
}

// Agreed counts the co-signers who agreed.
func (p *Proposal) Agreed() int {
	n := 0
	for _, c := range p.Cosigners {
		if c.Status == CosignAgreed {
			n++
		}
	}
	return n
}

// Cosigner returns a member's 附议 of p, or nil.
func (p *Proposal) Cosigner(memberID int64) *Cosigner {
	for _, c := range p.Cosigners {
		if c.MemberID == memberID {
			return c
		}
	}
	return nil
}

// Limits on a proposal's fields (characters), stated on the form.
const (
	MaxProposalTitle       = 50
	MaxProposalText        = 1000
	MaxProposalDepartments = 200
	MinProposalText        = 10
)

var phonePattern = regexp.MustCompile(`^[0-9+\- ]{7,20}$`)

// ValidProposalPhone reports whether s looks like a phone number (7 to 20 digits, +, - or spaces).
func ValidProposalPhone(s string) bool { return phonePattern.MatchString(s) }

// ValidateProposal checks a proposal's text as the proposer entered it against the session's
// categories and the limits, trims it, and returns EINVALID naming the first problem.
func ValidateProposal(p *Proposal, s *ProposalSession) error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	p.Title, p.Category = strings.TrimSpace(p.Title), strings.TrimSpace(p.Category)
	p.Reason, p.Suggestion = strings.TrimSpace(p.Reason), strings.TrimSpace(p.Suggestion)
	p.SuggestedDepartments = strings.TrimSpace(p.SuggestedDepartments)
	n := utf8.RuneCountInString
	switch {
	case p.Title == "":
		return bad("请填写案由。")
	case n(p.Title) > MaxProposalTitle:
		return bad("案由太长（最多 %d 字，现有 %d 字）。", MaxProposalTitle, n(p.Title))
	case !s.HasCategory(p.Category):
		return bad("请选择类别：%s。", strings.Join(s.Categories(), "、"))
	case n(p.Reason) < MinProposalText:
		return bad("请填写理由（现状与依据，至少 %d 字）。", MinProposalText)
	case n(p.Reason) > MaxProposalText:
		return bad("理由太长（最多 %d 字，现有 %d 字）。", MaxProposalText, n(p.Reason))
	case n(p.Suggestion) < MinProposalText:
		return bad("请填写建议（办法与措施，至少 %d 字）。", MinProposalText)
	case n(p.Suggestion) > MaxProposalText:
		return bad("建议太长（最多 %d 字，现有 %d 字）。", MaxProposalText, n(p.Suggestion))
	case n(p.SuggestedDepartments) > MaxProposalDepartments:
		return bad("建议承办单位太长（最多 %d 字）。", MaxProposalDepartments)
	}
	return nil
}

const proposalColumns = `p.id, p.session_id, p.proposer_id, p.kind, p.late, p.state, p.title, p.category, p.reason,
	p.suggestion, p.suggested_departments, p.phone, COALESCE(p.seq, 0) AS seq, COALESCE(p.number, '') AS number,
	COALESCE(p.merged_into_id, 0) AS merged_into_id, p.decision, p.decision_note, p.round, p.assigned_at, %s AS reply_due,
	p.reply_class, p.reply_text, p.replied_at, p.submitted_at, p.closed_at, p.key_proposal, p.excellent,
	p.reply_review_note, p.reply_submitted_at, p.version, p.created_at, p.updated_at,
	m.name AS proposer_name, COALESCE(m.open_id, '') AS proposer_open_id, s.name AS session_name`

const proposalFrom = ` FROM proposals p JOIN members m ON m.id = p.proposer_id JOIN proposal_sessions s ON s.id = p.session_id `

func proposalSelect(dialect string) string {
	return `SELECT ` + fmt.Sprintf(proposalColumns, taskDate(dialect, "p.reply_due")) + proposalFrom
}

// CreateProposal inserts a draft by the proposer (validated by the caller with
// ValidateProposal), audited as actor, and sets p.ID.
func (tx *Tx) CreateProposal(ctx context.Context, p *Proposal, actor string) error {
	const op = "store.CreateProposal"
	p.State, p.Kind, p.Round, p.Version = ProposalDraft, KindProposal, 1, 1
	res, err := tx.ExecContext(ctx, `INSERT INTO proposals (session_id, proposer_id, kind, late, state, title, category,
		reason, suggestion, suggested_departments, phone, decision_note, reply_text, round, version, created_at, updated_at)
		VALUES (?, ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, '', '', 1, 1, ?, ?)`,
		p.SessionID, p.ProposerID, p.Kind, p.State, p.Title, p.Category, p.Reason, p.Suggestion, p.SuggestedDepartments,
		p.Phone, tx.now, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if p.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	p.CreatedAt, p.UpdatedAt = tx.now, tx.now
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), "create", p.Title)
}

// UpdateProposalText saves the proposer's edit of a proposal still editable and unchanged since
// version was read; it reports whether the text (案由, 理由, 建议) changed. A proposal that
// moved meanwhile: ECONFLICT.
func (tx *Tx) UpdateProposalText(ctx context.Context, p *Proposal, version int, actor string) error {
	const op = "store.UpdateProposalText"
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET title = ?, category = ?, reason = ?, suggestion = ?,
		suggested_departments = ?, phone = ?, version = version + 1, updated_at = ?
		WHERE id = ? AND version = ? AND state IN (?, ?, ?)`,
		p.Title, p.Category, p.Reason, p.Suggestion, p.SuggestedDepartments, p.Phone, tx.now, p.ID, version,
		ProposalDraft, ProposalCosigning, ProposalReturned)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案已变化或已提交，不能再修改。"}
	}
	p.Version = version + 1
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), "edit", p.Title)
}

// ProposalByID returns a proposal with its co-signers, or ENOTFOUND.
func (tx *Tx) ProposalByID(ctx context.Context, id int64) (*Proposal, error) {
	ps, err := proposalsWhere(ctx, tx, tx.db.Dialect, `p.id = ?`, id)
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, Errorf(ENOTFOUND, "找不到该提案。")
	}
	return ps[0], nil
}

// ProposalByNumber returns a session's proposal by its 立案编号, or ENOTFOUND.
func (tx *Tx) ProposalByNumber(ctx context.Context, number string) (*Proposal, error) {
	ps, err := proposalsWhere(ctx, tx, tx.db.Dialect, `p.number = ?`, strings.TrimSpace(number))
	if err != nil {
		return nil, err
	}
	if len(ps) == 0 {
		return nil, Errorf(ENOTFOUND, "找不到立案编号为「%s」的提案。", number)
	}
	return ps[0], nil
}

// ProposalsByMember lists the proposals a member proposed, newest first.
func (tx *Tx) ProposalsByMember(ctx context.Context, memberID int64) ([]*Proposal, error) {
	return proposalsWhere(ctx, tx, tx.db.Dialect, `p.proposer_id = ? ORDER BY p.id DESC`, memberID)
}

// ProposalsBySession lists a session's proposals in the given states (all when none), by
// 立案编号 then id.
func (tx *Tx) ProposalsBySession(ctx context.Context, sessionID int64, states ...string) ([]*Proposal, error) {
	where, args := `p.session_id = ?`, []any{sessionID}
	if len(states) > 0 {
		q, a, err := sqlx.In(` AND p.state IN (?)`, states)
		if err != nil {
			return nil, &Error{Code: EINTERNAL, Op: "store.ProposalsBySession", Err: err}
		}
		where += q
		args = append(args, a...)
	}
	return proposalsWhere(ctx, tx, tx.db.Dialect, where+` ORDER BY COALESCE(p.seq, 1000000), p.id`, args...)
}

// SearchProposals finds proposals whose 案由 contains q, newest first, at most limit.
func (tx *Tx) SearchProposals(ctx context.Context, q string, limit int) ([]*Proposal, error) {
	return proposalsWhere(ctx, tx, tx.db.Dialect, fmt.Sprintf(`p.title LIKE ? ESCAPE '!' ORDER BY p.id DESC LIMIT %d`, limit), "%"+likeEscape(q)+"%")
}

// proposalsWhere loads proposals (where may end with ORDER BY / LIMIT) and their co-signers.
func proposalsWhere(ctx context.Context, q taskQuerier, dialect, where string, args ...any) ([]*Proposal, error) {
	const op = "store.Proposals"
	var ps []*Proposal
	if err := q.SelectContext(ctx, &ps, proposalSelect(dialect)+`WHERE `+where, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if len(ps) == 0 {
		return nil, nil
	}
	byID := map[int64]*Proposal{}
	ids := make([]int64, 0, len(ps))
	for _, p := range ps {
		byID[p.ID] = p
		ids = append(ids, p.ID)
	}
	var cs []*Cosigner
	query, qargs, err := sqlx.In(`SELECT c.proposal_id, c.member_id, m.name, COALESCE(m.open_id, '') AS open_id, c.status,
		c.invited_at, c.answered_at FROM proposal_cosigners c JOIN members m ON m.id = c.member_id
		WHERE c.proposal_id IN (?) ORDER BY c.proposal_id, c.invited_at, c.member_id`, ids)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if err := q.SelectContext(ctx, &cs, query, qargs...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	for _, c := range cs {
		byID[c.ProposalID].Cosigners = append(byID[c.ProposalID].Cosigners, c)
	}
	return ps, nil
}

// cosigning claims a proposal in co-signing for a change of its 附议 (its version grows, so
// older cards are stale): a proposal submitted meanwhile is ECONFLICT, so that no 附议 changes
// after submission even when the two race.
func (tx *Tx) cosigning(ctx context.Context, op string, proposalID int64) error {
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET version = version + 1, updated_at = ? WHERE id = ? AND state = ?`,
		tx.now, proposalID, ProposalCosigning)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案已不在征集附议中，附议已截止。"}
	}
	return nil
}

// InviteCosigner records an invitation (or a delegate's own 附议 from the card when agreed)
// of a proposal in co-signing; an invitation already there is left as it is and reports false.
func (tx *Tx) InviteCosigner(ctx context.Context, proposalID, memberID int64, status, actor string) (bool, error) {
	const op = "store.InviteCosigner"
	if err := tx.cosigning(ctx, op, proposalID); err != nil {
		return false, err
	}
	var answered any
	if status != CosignInvited {
		answered = tx.now
	}
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO proposal_cosigners (proposal_id, member_id, status, invited_at, answered_at)
		VALUES (?, ?, ?, ?, ?)`, proposalID, memberID, status, tx.now, answered)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, actor, "proposal", fmt.Sprint(proposalID), "cosign_"+status, fmt.Sprint(memberID))
}

// AnswerCosign sets a co-signer's answer (agreed, declined, withdrawn) of a proposal in
// co-signing if it is still from the status the caller read; it reports whether it changed.
func (tx *Tx) AnswerCosign(ctx context.Context, proposalID, memberID int64, from, to, actor string) (bool, error) {
	const op = "store.AnswerCosign"
	if err := tx.cosigning(ctx, op, proposalID); err != nil {
		return false, err
	}
	res, err := tx.ExecContext(ctx, `UPDATE proposal_cosigners SET status = ?, answered_at = ? WHERE proposal_id = ? AND member_id = ? AND status = ?`,
		to, tx.now, proposalID, memberID, from)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, actor, "proposal", fmt.Sprint(proposalID), "cosign_"+to, fmt.Sprint(memberID))
}

// trailActions are the audit actions that make a proposal's 流转记录 (its steps, not every
// edit or 附议 answer).
var trailActions = []string{"create", StepInvite, StepSubmit, StepLate, StepRegister, StepMerge, StepToSuggestion,
	StepReject, StepReturn, StepAssign, StepReply, StepReplyReview, StepApproveReply, StepRedoReply, StepRate, StepSecondRound,
	StepUnrated, ActionMarkKey, ActionUnmarkKey, ActionMarkExcellent, ActionUnmarkExcellent,
	StepDeptReturn, StepAcknowledge, StepExtendRequest, StepExtendGrant, StepExtendRefuse, StepSetDue}

// ProposalTrail loads p's 流转记录 from the audit trail: its steps with when, oldest first.
func (tx *Tx) ProposalTrail(ctx context.Context, p *Proposal) error {
	q, args, err := sqlx.In(`SELECT id, at, actor, entity, entity_id, action, detail FROM audit_log
		WHERE entity = 'proposal' AND entity_id = ? AND action IN (?) ORDER BY id`, fmt.Sprint(p.ID), trailActions)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.ProposalTrail", Err: err}
	}
	p.Trail = nil
	if err := tx.SelectContext(ctx, &p.Trail, q, args...); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.ProposalTrail", Err: err}
	}
	return nil
}

// ReclassifyProposal sets a proposal's category (the committee's 重新分类), if it is unchanged
// since version was read, audited as actor; a proposal changed meanwhile: ECONFLICT.
func (tx *Tx) ReclassifyProposal(ctx context.Context, p *Proposal, category, actor string) error {
	const op = "store.ReclassifyProposal"
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET category = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?`,
		category, tx.now, p.ID, p.Version)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "提案刚刚被其他人更新，请刷新后重试。"}
	}
	detail := p.Category + " → " + category
	p.Category, p.Version = category, p.Version+1
	return tx.Audit(ctx, actor, "proposal", fmt.Sprint(p.ID), "reclassify", detail)
}

// FiledProposals lists the newest proposals ever filed (submitted, in any session), at most
// limit, for the similar-title check while drafting.
func (tx *Tx) FiledProposals(ctx context.Context, limit int) ([]*Proposal, error) {
	return proposalsWhere(ctx, tx, tx.db.Dialect, fmt.Sprintf(`p.submitted_at IS NOT NULL ORDER BY p.id DESC LIMIT %d`, limit))
}
