package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AidCase is an aid request (帮扶申请). Details and Reason are sealed by the handler (bound to
// the case's row); the store never sees them in the clear. Amounts are in fen. Version grows
// with every change, so a card older than the last change is recognised.
type AidCase struct {
	ID             int64      `db:"id"`
	MemberID       int64      `db:"member_id"`
	BranchID       int64      `db:"branch_id"`
	Kind           string     `db:"kind"`
	State          string     `db:"state"`
	ReturnedFrom   string     `db:"returned_from"`
	OpenedBy       int64      `db:"opened_by"`
	Emergency      bool       `db:"emergency"`
	Details        string     `db:"details"` // sealed JSON of the form's fields
	Reason         string     `db:"reason"`  // sealed: the last return or rejection reason
	SelfPaidFen    int64      `db:"self_paid_fen"`
	RequestedFen   int64      `db:"requested_fen"`
	ApprovedFen    int64      `db:"approved_fen"`
	LedgerYear     int        `db:"ledger_year"`
	LedgerMonth    int        `db:"ledger_month"`
	Publicity      bool       `db:"publicity"` // the member consented to a 公示
	PublicityUntil string     `db:"publicity_until"`
	PaidOn         string     `db:"paid_on"`
	Voucher        string     `db:"voucher"`
	Version        int        `db:"version"`
	CreatedAt      time.Time  `db:"created_at"`
	SubmittedAt    *time.Time `db:"submitted_at"`
	ApprovedAt     *time.Time `db:"approved_at"`
	ClosedAt       *time.Time `db:"closed_at"`
	UpdatedAt      time.Time  `db:"updated_at"`
	// MaterialsPurgedAt is when the case's materials and sealed texts were erased (the
	// retention purge, or the member's deletion request); nil while it has them.
	MaterialsPurgedAt *time.Time `db:"materials_purged_at"`

	MemberName   string `db:"member_name"`
	MemberOpenID string `db:"member_open_id"`
	EmployeeNo   string `db:"employee_no"`
	BranchName   string `db:"branch_name"`
}

const aidColumns = `a.id, a.member_id, COALESCE(a.branch_id, 0) AS branch_id, a.kind, a.state, a.returned_from,
	a.opened_by, a.emergency, a.details, a.reason, a.self_paid_fen, a.requested_fen, a.approved_fen, a.ledger_year,
	a.ledger_month, a.publicity, a.publicity_until, a.paid_on, a.voucher, a.version, a.created_at, a.submitted_at,
	a.approved_at, a.closed_at, a.updated_at, a.materials_purged_at, m.name AS member_name, COALESCE(m.open_id, '') AS member_open_id,
	COALESCE(m.employee_no, '') AS employee_no, COALESCE(b.name, '') AS branch_name`

const aidFrom = ` FROM aid_cases a JOIN members m ON m.id = a.member_id LEFT JOIN branches b ON b.id = a.branch_id `

// The sealed columns of aid requests (store.SealInto, rotated by `unionbot keys rotate`).
var (
	// SealedAidDetails is a case's form (申请事由及情况说明), as JSON.
	SealedAidDetails = RegisterSealed(SealedColumn{Table: "aid_cases", Column: "details"})
	// SealedAidReason is the last return or rejection reason, which the applicant sees.
	SealedAidReason = RegisterSealed(SealedColumn{Table: "aid_cases", Column: "reason"})
	// SealedAidMaterialName is a material's file name.
	SealedAidMaterialName = RegisterSealed(SealedColumn{Table: "aid_materials", Column: "name"})
	// SealedAidMaterialData is a material's contents.
	SealedAidMaterialData = RegisterSealed(SealedColumn{Table: "aid_materials", Column: "data"})
)

func init() {
	// Withdrawing the aid consent stops the member's pending requests (PIPL Art. 15).
	OnConsentWithdrawn(PurposeAid, func(ctx context.Context, tx *Tx, memberID int64, actor string) (int, error) {
		cases, err := tx.aidWhere(ctx, `a.member_id = ? AND a.state IN (?, ?, ?, ?, ?) ORDER BY a.id`, memberID,
			AidDraft, AidBranchReview, AidUnionReview, AidApproval, AidReturned)
		if err != nil {
			return 0, err
		}
		for _, a := range cases {
			if err := tx.StepAid(ctx, a, AidStepWithdraw, actor, AidChange{Detail: "consent withdrawn"}); err != nil {
				return 0, err
			}
		}
		return len(cases), nil
	})
}

// Limits on an aid request's fields (characters; amounts in fen).
const (
	MaxAidText   = 1000
	MaxAidReason = 300
	MaxAidFen    = 100_000_000 // 1,000,000 元: no request is larger
)

// CreateAidCase inserts a draft of kind for the member, opened by openedBy (the member, or an
// officer on their behalf), in the member's current 分工会, audited as actor; it sets a.ID.
func (tx *Tx) CreateAidCase(ctx context.Context, a *AidCase, actor string) error {
	const op = "store.CreateAidCase"
	a.State, a.Version = AidDraft, 1
	res, err := tx.ExecContext(ctx, `INSERT INTO aid_cases (member_id, branch_id, kind, state, opened_by, details, reason,
		self_paid_fen, requested_fen, version, created_at, updated_at) VALUES (?, ?, ?, ?, ?, '', '', ?, ?, 1, ?, ?)`,
		a.MemberID, nullID(a.BranchID), a.Kind, a.State, a.OpenedBy, a.SelfPaidFen, a.RequestedFen, tx.now, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	return tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), "create", a.Kind)
}

// SaveAidDetails stores a case's declared amounts and 公示 wish while it is with the
// applicant (draft or returned) and unchanged since version; ECONFLICT otherwise. The details
// are sealed into the row after (SealInto SealedAidDetails).
func (tx *Tx) SaveAidDetails(ctx context.Context, a *AidCase, version int, actor string) error {
	const op = "store.SaveAidDetails"
	res, err := tx.ExecContext(ctx, `UPDATE aid_cases SET self_paid_fen = ?, requested_fen = ?, publicity = ?,
		version = version + 1, updated_at = ? WHERE id = ? AND version = ? AND state IN (?, ?)`,
		a.SelfPaidFen, a.RequestedFen, a.Publicity, tx.now, a.ID, version, AidDraft, AidReturned)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return &Error{Code: ECONFLICT, Op: op, Message: "该申请已提交或已变化，不能再修改。"}
	}
	a.Version = version + 1
	return tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), "edit", "")
}

// AidCaseByID returns a case, or ENOTFOUND.
func (tx *Tx) AidCaseByID(ctx context.Context, id int64) (*AidCase, error) {
	var a AidCase
	if err := tx.GetContext(ctx, &a, `SELECT `+aidColumns+aidFrom+`WHERE a.id = ?`, id); err != nil {
		return nil, notFound("store.AidCaseByID", err, "找不到该帮扶申请。")
	}
	return &a, nil
}

// AidCasesByMember lists a member's cases, newest first.
func (tx *Tx) AidCasesByMember(ctx context.Context, memberID int64) ([]*AidCase, error) {
	return tx.aidWhere(ctx, `a.member_id = ? ORDER BY a.id DESC`, memberID)
}

// AidCasesInStates lists the cases in the states (for a branch: branchID > 0), oldest first.
func (tx *Tx) AidCasesInStates(ctx context.Context, branchID int64, states ...string) ([]*AidCase, error) {
	q := `a.state IN (?` + strings.Repeat(", ?", len(states)-1) + `)`
	args := make([]any, 0, len(states)+1)
	for _, s := range states {
		args = append(args, s)
	}
	if branchID > 0 {
		q += ` AND a.branch_id = ?`
		args = append(args, branchID)
	}
	return tx.aidWhere(ctx, q+` ORDER BY a.id`, args...)
}

func (tx *Tx) aidWhere(ctx context.Context, where string, args ...any) ([]*AidCase, error) {
	var out []*AidCase
	if err := tx.SelectContext(ctx, &out, `SELECT `+aidColumns+aidFrom+`WHERE `+where, args...); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.aidWhere", Err: err}
	}
	return out, nil
}

// OpenAidDraft returns the member's newest case that is with them for materials (a draft or
// returned for more), or nil.
func (tx *Tx) OpenAidDraft(ctx context.Context, memberID int64) (*AidCase, error) {
	cs, err := tx.aidWhere(ctx, `a.member_id = ? AND a.state IN (?, ?) ORDER BY a.updated_at DESC, a.id DESC`,
		memberID, AidDraft, AidReturned)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

// OtherBranchChairs counts the members holding the branch-chair role in branch, except
// memberID: when none, an application from the branch goes straight to 校工会审核.
func (tx *Tx) OtherBranchChairs(ctx context.Context, branchID, memberID int64) (int, error) {
	var n int
	err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM members m JOIN member_roles r ON r.member_id = m.id
		WHERE m.branch_id = ? AND r.role = ? AND m.id <> ? AND m.active = 1`, branchID, RoleBranchChair, memberID)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.OtherBranchChairs", Err: err}
	}
	return n, nil
}

// BranchChairOpenIDs returns the open_ids of the branch's chairs (except memberID).
func (tx *Tx) BranchChairOpenIDs(ctx context.Context, branchID, memberID int64) ([]string, error) {
	var out []string
	err := tx.SelectContext(ctx, &out, `SELECT m.open_id FROM members m JOIN member_roles r ON r.member_id = m.id
		WHERE m.branch_id = ? AND r.role = ? AND m.id <> ? AND m.active = 1 AND m.open_id IS NOT NULL ORDER BY m.id`,
		branchID, RoleBranchChair, memberID)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.BranchChairOpenIDs", Err: err}
	}
	return out, nil
}

// RoleOpenIDs returns the open_ids of the members holding any of roles (except memberID).
func (tx *Tx) RoleOpenIDs(ctx context.Context, memberID int64, roles ...string) ([]string, error) {
	var out []string
	args := []any{memberID}
	for _, r := range roles {
		args = append(args, r)
	}
	err := tx.SelectContext(ctx, &out, `SELECT DISTINCT m.open_id FROM members m JOIN member_roles r ON r.member_id = m.id
		WHERE m.id <> ? AND m.active = 1 AND m.open_id IS NOT NULL AND r.role IN (?`+strings.Repeat(", ?", len(roles)-1)+`)
		ORDER BY m.open_id`, args...)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.RoleOpenIDs", Err: err}
	}
	return out, nil
}

// CreateEmergencyAid records a case an officer opens and approves at once (送温暖, a death in
// the family), with its amount in the ledger of the transaction's year and month (in loc),
// audited in full as actor.
func (tx *Tx) CreateEmergencyAid(ctx context.Context, a *AidCase, loc *time.Location, actor string) error {
	const op = "store.CreateEmergencyAid"
	if _, err := AidNext(AidNew, "", AidStepEmergency); err != nil {
		return err
	}
	local := tx.now.In(loc)
	a.State, a.Version, a.Emergency = AidApproved, 1, true
	a.LedgerYear, a.LedgerMonth = local.Year(), int(local.Month())
	res, err := tx.ExecContext(ctx, `INSERT INTO aid_cases (member_id, branch_id, kind, state, opened_by, emergency, details,
		reason, requested_fen, approved_fen, ledger_year, ledger_month, version, created_at, submitted_at, approved_at, updated_at)
		VALUES (?, ?, ?, ?, ?, 1, '', '', ?, ?, ?, ?, 1, ?, ?, ?, ?)`,
		a.MemberID, nullID(a.BranchID), a.Kind, a.State, a.OpenedBy, a.ApprovedFen, a.ApprovedFen, a.LedgerYear, a.LedgerMonth,
		tx.now, tx.now, tx.now, tx.now)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if a.ID, err = res.LastInsertId(); err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	a.CreatedAt, a.UpdatedAt = tx.now, tx.now
	return tx.Audit(ctx, actor, "aid_case", fmt.Sprint(a.ID), AidStepEmergency, fmt.Sprintf("→ %s：%s %d", AidApproved, a.Kind, a.ApprovedFen))
}

// AidFamily is the family key of a member: their declared family, or the member alone.
func (tx *Tx) AidFamily(ctx context.Context, memberID int64) (string, error) {
	var f string
	err := tx.GetContext(ctx, &f, `SELECT family FROM aid_families WHERE member_id = ?`, memberID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Sprintf("m:%d", memberID), nil
	case err != nil:
		return "", &Error{Code: EINTERNAL, Op: "store.AidFamily", Err: err}
	}
	return "f:" + f, nil
}

// AidFamilyClaim returns the case holding the family's claim on kind in year, or 0.
func (tx *Tx) AidFamilyClaim(ctx context.Context, family, kind string, year int) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `SELECT case_id FROM aid_family_claims WHERE family = ? AND kind = ? AND year = ?`, family, kind, year)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.AidFamilyClaim", Err: err}
	}
	return id, nil
}

// ClaimAidFamily takes the family's one claim on kind in year for case id; a claim already
// taken (by a concurrent application) is ECONFLICT.
func (tx *Tx) ClaimAidFamily(ctx context.Context, family, kind string, year int, caseID int64) error {
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO aid_family_claims (family, kind, year, case_id) VALUES (?, ?, ?, ?)`,
		family, kind, year, caseID)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: "store.ClaimAidFamily", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Errorf(ECONFLICT, "本户（家庭）今年已申请过该项帮扶，每户每年限一人申请。")
	}
	return nil
}

// DeclareAidFamily records members as one family (family key), audited as actor. A member
// already in another family moves to this one.
func (tx *Tx) DeclareAidFamily(ctx context.Context, family string, memberIDs []int64, actor string) error {
	for _, id := range memberIDs {
		if _, err := tx.ExecContext(ctx, `DELETE FROM aid_families WHERE member_id = ?`, id); err != nil {
			return &Error{Code: EINTERNAL, Op: "store.DeclareAidFamily", Err: err}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO aid_families (member_id, family, declared_by, declared_at) VALUES (?, ?, ?, ?)`,
			id, family, actor, tx.now); err != nil {
			return &Error{Code: EINTERNAL, Op: "store.DeclareAidFamily", Err: err}
		}
		if err := tx.Audit(ctx, actor, "aid_family", family, "declare", fmt.Sprint(id)); err != nil {
			return err
		}
	}
	return nil
}

// EnrolAid enrols a member in the mutual-aid fund for year with the fee paid, audited as
// actor; it reports false when they were enrolled already.
func (tx *Tx) EnrolAid(ctx context.Context, year int, memberID, feeFen int64, actor string) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO aid_enrolments (year, member_id, fee_fen, enrolled_by, enrolled_at)
		VALUES (?, ?, ?, ?, ?)`, year, memberID, feeFen, actor, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.EnrolAid", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, actor, "aid_enrolment", fmt.Sprint(year), "enrol", fmt.Sprint(memberID))
}

// AidEnrolled reports whether a member is enrolled in the fund for year.
func (tx *Tx) AidEnrolled(ctx context.Context, year int, memberID int64) (bool, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM aid_enrolments WHERE year = ? AND member_id = ?`, year, memberID); err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AidEnrolled", Err: err}
	}
	return n > 0, nil
}

// AddAidObjection records a member's objection to a case's 公示; false when they objected
// already.
func (tx *Tx) AddAidObjection(ctx context.Context, caseID, memberID int64) (bool, error) {
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO aid_objections (case_id, member_id, created_at) VALUES (?, ?, ?)`,
		caseID, memberID, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.AddAidObjection", Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, tx.Audit(ctx, fmt.Sprint(memberID), "aid_case", fmt.Sprint(caseID), "objection", "")
}

// AidPublicityDue lists the cases in 公示 whose end date is before today (a date in the
// union's zone).
func (tx *Tx) AidPublicityDue(ctx context.Context, today string) ([]*AidCase, error) {
	return tx.aidWhere(ctx, `a.state = ? AND a.publicity_until < ? ORDER BY a.id`, AidPublicity, today)
}

// AidPublicityEnded lists the cases whose 公示 ended (or was revoked) and whose end date is on
// or after since: their 公示 cards are brought to 公示结束 (again) until Feishu no longer lets
// them be updated.
func (tx *Tx) AidPublicityEnded(ctx context.Context, since string) ([]*AidCase, error) {
	return tx.aidWhere(ctx, `a.publicity_until >= ? AND a.publicity_until <> '' AND a.state <> ? ORDER BY a.id`, since, AidPublicity)
}
