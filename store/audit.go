package store

import (
	"context"
	"fmt"
	"time"
)

// AuditEntry is one line of the append-only audit trail: who did what to which thing.
type AuditEntry struct {
	ID       int64     `db:"id"`
	At       time.Time `db:"at"`
	Actor    string    `db:"actor"`     // an open_id, "cli:<os user>" or "config"
	Entity   string    `db:"entity"`    // "member", "role", "activity", ...
	EntityID string    `db:"entity_id"` // the thing's id
	Action   string    `db:"action"`    // "grant", "revoke", "register", ...
	Detail   string    `db:"detail"`    // free text without sensitive data
}

const auditInsert = `INSERT INTO audit_log (at, actor, entity, entity_id, action, detail) VALUES (?, ?, ?, ?, ?, ?)`

// Audit appends an entry to the audit trail in the transaction.
func (tx *Tx) Audit(ctx context.Context, actor, entity, entityID, action, detail string) error {
	if _, err := tx.ExecContext(ctx, auditInsert, tx.now, actor, entity, entityID, action, detail); err != nil {
		return &Error{Code: EINTERNAL, Op: "store.Audit", Err: err}
	}
	return nil
}

// AuditTrail returns the audit entries of one thing, oldest first.
func (db *DB) AuditTrail(ctx context.Context, entity, entityID string) ([]AuditEntry, error) {
	var out []AuditEntry
	err := db.Select(ctx, &out, `SELECT id, at, actor, entity, entity_id, action, detail FROM audit_log
		WHERE entity = ? AND entity_id = ? ORDER BY id`, entity, entityID)
	if err != nil {
		return nil, fmt.Errorf("store.AuditTrail: %w", err)
	}
	return out, nil
}
