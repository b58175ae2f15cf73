package store

import (
	"context"
	"time"
)

// Aid requests in the retention purge.
//
// Retention (rule "aid_cases", job privacy.purge): a case is closed when it was paid (已发放),
// rejected or withdrawn (closed_at). Its materials (the files, the sealed form text and the
// reasons) are erased privacy.materials_retention_days after it closed; the case itself, with
// everything that belongs to it (family claim, objections, 公示 card), and so its line in the
// ledger, privacy.records_retention_days after. Approved cases not yet paid are not closed and
// are kept.

// aidFinal are the states a case is closed in (closed_at set).
var aidFinal = []any{AidClosed, AidRejected, AidWithdrawn}

const aidClosedBefore = `state IN (?, ?, ?) AND closed_at IS NOT NULL AND closed_at < ?`

var _ = RegisterRetention(RetentionRule{Name: "aid_cases",
	PurgeMaterials: func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error) {
		args := append(append([]any{}, aidFinal...), cutoff)
		if _, err := tx.ExecContext(ctx, `DELETE FROM aid_materials WHERE case_id IN (SELECT id FROM aid_cases WHERE `+
			aidClosedBefore+` AND materials_purged_at IS NULL)`, args...); err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, `UPDATE aid_cases SET details = '', reason = '', materials_purged_at = ?
			WHERE `+aidClosedBefore+` AND materials_purged_at IS NULL`, append([]any{tx.now}, args...)...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	},
	PurgeRecords: func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error) {
		args := append(append([]any{}, aidFinal...), cutoff)
		sub := `(SELECT id FROM aid_cases WHERE ` + aidClosedBefore + `)`
		for _, q := range []string{
			`DELETE FROM aid_materials WHERE case_id IN ` + sub,
			`DELETE FROM aid_family_claims WHERE case_id IN ` + sub,
			`DELETE FROM aid_objections WHERE case_id IN ` + sub,
		} {
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return 0, err
			}
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM live_cards WHERE kind = 'aid_publicity' AND entity_id IN `+sub, args...); err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM aid_cases WHERE `+aidClosedBefore, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	},
})
