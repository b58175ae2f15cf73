package store

import (
	"context"
	"time"
)

// AidUse is what a member has had from a kind in a calendar year: the approved amounts and
// the self-paid costs of those cases (for a formula), in fen. Computed, never stored.
type AidUse struct {
	ApprovedFen int64 `db:"approved"`
	SelfPaidFen int64 `db:"self_paid"`
	Cases       int   `db:"cases"`
}

// AidUsed sums a member's ledgered cases of kind in year.
func (tx *Tx) AidUsed(ctx context.Context, memberID int64, kind string, year int) (AidUse, error) {
	var u AidUse
	err := tx.GetContext(ctx, &u, `SELECT COALESCE(SUM(approved_fen), 0) AS approved, COALESCE(SUM(self_paid_fen), 0) AS self_paid,
		COUNT(*) AS cases FROM aid_cases WHERE member_id = ? AND kind = ? AND ledger_year = ? AND state IN (?, ?, ?)`,
		memberID, kind, year, aidLedgered[0], aidLedgered[1], aidLedgered[2])
	if err != nil {
		return u, &Error{Code: EINTERNAL, Op: "store.AidUsed", Err: err}
	}
	return u, nil
}

// AidLedgerRow is one approved amount in the ledger.
type AidLedgerRow struct {
	CaseID      int64      `db:"id"`
	MemberName  string     `db:"member_name"`
	EmployeeNo  string     `db:"employee_no"`
	BranchName  string     `db:"branch_name"`
	Kind        string     `db:"kind"`
	Month       int        `db:"ledger_month"`
	ApprovedFen int64      `db:"approved_fen"`
	State       string     `db:"state"`
	Emergency   bool       `db:"emergency"`
	PaidOn      string     `db:"paid_on"`
	Voucher     string     `db:"voucher"`
	ApprovedAt  *time.Time `db:"approved_at"`
}

// AidLedger lists every approved amount of year (cases in 公示, approved or paid), by month,
// branch, kind and case.
func (db *DB) AidLedger(ctx context.Context, year int) ([]AidLedgerRow, error) {
	var out []AidLedgerRow
	err := db.Select(ctx, &out, `SELECT a.id, m.name AS member_name, COALESCE(m.employee_no, '') AS employee_no,
		COALESCE(b.name, '') AS branch_name, a.kind, a.ledger_month, a.approved_fen, a.state, a.emergency, a.paid_on, a.voucher,
		a.approved_at`+aidFrom+`WHERE a.ledger_year = ? AND a.state IN (?, ?, ?)
		ORDER BY a.ledger_month, branch_name, a.kind, a.id`, year, aidLedgered[0], aidLedgered[1], aidLedgered[2])
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.AidLedger", Err: err}
	}
	return out, nil
}
