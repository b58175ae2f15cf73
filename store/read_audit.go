package store

import (
	"context"
	"fmt"
	"time"
)

// Viewing is one view of a sensitive record, for the read audit: who looked, at what, and
// how. It names the record and never holds its content.
type Viewing struct {
	Viewer   string // the viewer's open_id, or "cli:<os user>"
	ViewerID int64  // the viewer's member id; 0 for the command line
	OwnerID  int64  // the member the record is about, who may see who viewed it
	Entity   string // "legal_case", "aid_case", "member_data", ...
	EntityID int64
	What     string // how: "card", "file", "export", ... (a short code)
}

// ReadEntry is one row of the read audit.
type ReadEntry struct {
	ID       int64     `db:"id"`
	At       time.Time `db:"at"`
	Viewer   string    `db:"viewer"`
	ViewerID int64     `db:"viewer_id"`
	OwnerID  int64     `db:"owner_id"`
	Entity   string    `db:"entity"`
	EntityID int64     `db:"entity_id"`
	What     string    `db:"what"`
	// ViewerName is the viewer's name when they are a member ("" otherwise).
	ViewerName string `db:"viewer_name"`
}

// AuditRead writes v to the read audit in the transaction. Prefer Reveal, which makes showing
// the record depend on this row.
func (tx *Tx) AuditRead(ctx context.Context, v Viewing) error {
	const op = "store.AuditRead"
	if v.Viewer == "" || v.Entity == "" || v.What == "" {
		return &Error{Code: EINTERNAL, Op: op, Err: fmt.Errorf("incomplete viewing %+v", v)}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO read_audit (at, viewer, viewer_id, owner_id, entity, entity_id, what)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, tx.now, v.Viewer, v.ViewerID, v.OwnerID, v.Entity, v.EntityID, v.What)
	if err != nil {
		return &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	return nil
}

// Reveal is how sensitive data is read for a person: it writes the read-audit row for v in
// tx and only then runs read (which opens the sealed values, renders the card, builds the
// file), returning its result. When the row cannot be written, read never runs and the zero
// T is returned with the error: nothing is shown without its audit row (fail closed). The row
// commits with the transaction that shows the data; a handler that fails afterwards rolls
// both back.
//
//	cd, err := store.Reveal(c.Ctx, c.Tx, store.Viewing{...What: "card"}, func() (*card.Card, error) {
//		facts, err := keys.Open(store.SealedLegalFacts.Ref(id), lc.Facts)
//		...
//	})
func Reveal[T any](ctx context.Context, tx *Tx, v Viewing, read func() (T, error)) (T, error) {
	var zero T
	if err := tx.AuditRead(ctx, v); err != nil {
		return zero, err
	}
	out, err := read()
	if err != nil {
		return zero, err
	}
	return out, nil
}

const readColumns = `r.id, r.at, r.viewer, r.viewer_id, r.owner_id, r.entity, r.entity_id, r.what,
	COALESCE(m.name, '') AS viewer_name`

// ReadsOf are the views of one record, newest first (at most limit; 0 for all).
func (tx *Tx) ReadsOf(ctx context.Context, entity string, id int64, limit int) ([]ReadEntry, error) {
	out := []ReadEntry{}
	q := `SELECT ` + readColumns + ` FROM read_audit r LEFT JOIN members m ON m.id = r.viewer_id
		WHERE r.entity = ? AND r.entity_id = ? ORDER BY r.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	if err := tx.SelectContext(ctx, &out, q, entity, id); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ReadsOf", Err: err}
	}
	return out, nil
}

// ReadsAbout are the views of every record about member ownerID, newest first (at most limit;
// 0 for all), for the member's own data page.
func (tx *Tx) ReadsAbout(ctx context.Context, ownerID int64, limit int) ([]ReadEntry, error) {
	out := []ReadEntry{}
	q := `SELECT ` + readColumns + ` FROM read_audit r LEFT JOIN members m ON m.id = r.viewer_id
		WHERE r.owner_id = ? ORDER BY r.id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	if err := tx.SelectContext(ctx, &out, q, ownerID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.ReadsAbout", Err: err}
	}
	return out, nil
}
