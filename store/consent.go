package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// Consent purposes: each is a separate consent (PIPL Art. 29: sensitive personal information
// needs its own, explicit consent), with its own text (handlers/privacy).
const (
	PurposeAid          = "aid"           // 帮扶申请: health, income, family
	PurposeLegal        = "legal"         // 法律援助: a legal matter, often against the school
	PurposeAidPublicity = "aid_publicity" // 公示 of an approved aid case (PIPL Art. 25)
)

// PurposeNames are the purposes as members read them.
var PurposeNames = map[string]string{PurposeAid: "帮扶申请", PurposeLegal: "法律援助", PurposeAidPublicity: "帮扶公示"}

// Consent is a member's acceptance of a purpose's text, in one version.
type Consent struct {
	ID          int64      `db:"id"`
	MemberID    int64      `db:"member_id"`
	Purpose     string     `db:"purpose"`
	Version     int        `db:"version"`
	AcceptedAt  time.Time  `db:"accepted_at"`
	WithdrawnAt *time.Time `db:"withdrawn_at"`
}

// Active reports whether the consent stands (not withdrawn).
func (c *Consent) Active() bool { return c != nil && c.WithdrawnAt == nil }

// ActiveConsent is the member's standing consent to purpose, nil when there is none.
func (tx *Tx) ActiveConsent(ctx context.Context, memberID int64, purpose string) (*Consent, error) {
	var c Consent
	err := tx.GetContext(ctx, &c, `SELECT id, member_id, purpose, version, accepted_at, withdrawn_at FROM consents
		WHERE member_id = ? AND purpose = ? AND withdrawn_at IS NULL ORDER BY id DESC LIMIT 1`, memberID, purpose)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	} else if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ActiveConsent", Err: err}
	}
	return &c, nil
}

// HasConsent reports whether the member has a standing consent to purpose in version
// minVersion or later (a flow whose text changed asks again).
func (tx *Tx) HasConsent(ctx context.Context, memberID int64, purpose string, minVersion int) (bool, error) {
	c, err := tx.ActiveConsent(ctx, memberID, purpose)
	return c != nil && c.Version >= minVersion, err
}

// Consents are every consent the member gave, newest first, withdrawn ones included.
func (tx *Tx) Consents(ctx context.Context, memberID int64) ([]Consent, error) {
	out := []Consent{}
	if err := tx.SelectContext(ctx, &out, `SELECT id, member_id, purpose, version, accepted_at, withdrawn_at
		FROM consents WHERE member_id = ? ORDER BY id DESC`, memberID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.Consents", Err: err}
	}
	return out, nil
}

// AcceptConsent records the member's acceptance of purpose's text in version, audited. A
// standing consent of the same or a later version is kept as it is (a second click writes
// nothing) and returned; an older one is replaced.
func (tx *Tx) AcceptConsent(ctx context.Context, memberID int64, purpose string, version int, actor string) (*Consent, error) {
	const op = "store.AcceptConsent"
	cur, err := tx.ActiveConsent(ctx, memberID, purpose)
	if err != nil {
		return nil, err
	}
	if cur != nil && cur.Version >= version {
		return cur, nil
	}
	if cur != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE consents SET withdrawn_at = ? WHERE id = ?`, tx.now, cur.ID); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO consents (member_id, purpose, version, accepted_at) VALUES (?, ?, ?, ?)`,
		memberID, purpose, version, tx.now)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	id, _ := res.LastInsertId()
	if err := tx.Audit(ctx, actor, "consent", fmt.Sprint(memberID), "accept", fmt.Sprintf("%s v%d", purpose, version)); err != nil {
		return nil, err
	}
	return &Consent{ID: id, MemberID: memberID, Purpose: purpose, Version: version, AcceptedAt: tx.now}, nil
}

// WithdrawalHook stops what a purpose's consent allowed, when the member withdraws it: a
// flow cancels the member's pending cases (drafts, cases under review) in the same
// transaction, and returns how many it stopped. It queues no message; the handler tells.
type WithdrawalHook func(ctx context.Context, tx *Tx, memberID int64, actor string) (int, error)

var withdrawalHooks struct {
	sync.Mutex
	m map[string][]WithdrawalHook
}

// OnConsentWithdrawn registers f to run when a member withdraws their consent to purpose
// (WithdrawConsent). Flows register in a package-level var or init of their store file.
func OnConsentWithdrawn(purpose string, f WithdrawalHook) {
	withdrawalHooks.Lock()
	defer withdrawalHooks.Unlock()
	if withdrawalHooks.m == nil {
		withdrawalHooks.m = map[string][]WithdrawalHook{}
	}
	withdrawalHooks.m[purpose] = append(withdrawalHooks.m[purpose], f)
}

// WithdrawConsent ends the member's consent to purpose, audited, and runs the purpose's
// withdrawal hooks in the same transaction (pending cases stop). It returns how many cases
// the hooks stopped; ENOTFOUND when there is no standing consent.
func (tx *Tx) WithdrawConsent(ctx context.Context, memberID int64, purpose, actor string) (int, error) {
	const op = "store.WithdrawConsent"
	res, err := tx.ExecContext(ctx, `UPDATE consents SET withdrawn_at = ? WHERE member_id = ? AND purpose = ? AND withdrawn_at IS NULL`,
		tx.now, memberID, purpose)
	if err != nil {
		return 0, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return 0, &Error{Code: ENOTFOUND, Op: op, Message: "你没有需要撤回的同意。"}
	}
	withdrawalHooks.Lock()
	hooks := append([]WithdrawalHook(nil), withdrawalHooks.m[purpose]...)
	withdrawalHooks.Unlock()
	stopped := 0
	for _, f := range hooks {
		n, err := f(ctx, tx, memberID, actor)
		if err != nil {
			return 0, err
		}
		stopped += n
	}
	if err := tx.Audit(ctx, actor, "consent", fmt.Sprint(memberID), "withdraw", fmt.Sprintf("%s; %d pending cases stopped", purpose, stopped)); err != nil {
		return 0, err
	}
	return stopped, nil
}
