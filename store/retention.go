package store

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"
)

// RetentionRule is how a flow's closed cases are purged (PIPL Art. 19: kept no longer than
// needed): first their materials (files, sealed texts beyond the case record), after
// privacy.materials_retention_days, then the case records themselves, after
// privacy.records_retention_days, both counted from the day the case was closed. A flow
// registers its rule once, in a package-level var of its store file:
//
//	var _ = RegisterRetention(RetentionRule{Name: "aid_cases", PurgeMaterials: ..., PurgeRecords: ...})
//
// The purge job (privacy.purge, DB.Purge) runs every rule in its own transaction and audits
// what it purged (entity "retention", the rule's name).
type RetentionRule struct {
	// Name names the rule in the audit trail ("legal_cases").
	Name string
	// PurgeMaterials erases the materials of the cases closed before cutoff that still have
	// them, and returns how many cases it purged. Nil: the flow keeps no materials apart.
	PurgeMaterials func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error)
	// PurgeRecords deletes the cases closed before cutoff, with every row that belongs to
	// them, and returns how many.
	PurgeRecords func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error)
}

var retentionRules struct {
	sync.Mutex
	list []RetentionRule
}

// RegisterRetention records a retention rule (a second rule of the same name replaces it).
func RegisterRetention(r RetentionRule) bool {
	retentionRules.Lock()
	defer retentionRules.Unlock()
	if i := slices.IndexFunc(retentionRules.list, func(x RetentionRule) bool { return x.Name == r.Name }); i >= 0 {
		retentionRules.list[i] = r
	} else {
		retentionRules.list = append(retentionRules.list, r)
	}
	return true
}

// RetentionRules are the registered rules, in registration order.
func RetentionRules() []RetentionRule {
	retentionRules.Lock()
	defer retentionRules.Unlock()
	return slices.Clone(retentionRules.list)
}

// PurgeReport is what a purge did, per rule.
type PurgeReport struct {
	Materials map[string]int // rule name → cases whose materials were purged
	Records   map[string]int // rule name → cases deleted
}

// Purge runs every retention rule for the instant now: materials of the cases closed more than
// materialsAge ago, records of those closed more than recordsAge ago; each step of each rule
// in its own transaction, audited as actor when it purged anything. A repeated run purges
// nothing more.
func (db *DB) Purge(ctx context.Context, now time.Time, materialsAge, recordsAge time.Duration, actor string) (PurgeReport, error) {
	rep := PurgeReport{Materials: map[string]int{}, Records: map[string]int{}}
	for _, r := range RetentionRules() {
		for _, step := range []struct {
			action string
			f      func(context.Context, *Tx, time.Time) (int, error)
			cutoff time.Time
			out    map[string]int
		}{
			{"purge_materials", r.PurgeMaterials, now.Add(-materialsAge), rep.Materials},
			{"purge_records", r.PurgeRecords, now.Add(-recordsAge), rep.Records},
		} {
			if step.f == nil {
				continue
			}
			err := db.InTx(ctx, func(tx *Tx) error {
				n, err := step.f(ctx, tx, utc(step.cutoff))
				if err != nil || n == 0 {
					step.out[r.Name] = 0
					return err
				}
				step.out[r.Name] = n
				return tx.Audit(ctx, actor, "retention", r.Name, step.action,
					fmt.Sprintf("%d cases closed before %s", n, utc(step.cutoff).Format(time.RFC3339)))
			})
			if err != nil {
				return rep, fmt.Errorf("store.Purge: %s %s: %w", r.Name, step.action, err)
			}
		}
	}
	return rep, nil
}

// Legal aid: the sealed texts are its materials; the case and its appointments its record.
var _ = RegisterRetention(RetentionRule{Name: "legal_cases",
	PurgeMaterials: func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error) {
		res, err := tx.ExecContext(ctx, `UPDATE legal_cases SET facts = '', other_party = '', materials_purged_at = ?
			WHERE status <> ? AND closed_at < ? AND materials_purged_at IS NULL`, tx.now, LegalOpen, cutoff)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	},
	PurgeRecords: func(ctx context.Context, tx *Tx, cutoff time.Time) (int, error) {
		if _, err := tx.ExecContext(ctx, `DELETE FROM legal_bookings WHERE case_id IN
			(SELECT id FROM legal_cases WHERE status <> ? AND closed_at < ?)`, LegalOpen, cutoff); err != nil {
			return 0, err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM legal_cases WHERE status <> ? AND closed_at < ?`, LegalOpen, cutoff)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		return int(n), err
	},
})
