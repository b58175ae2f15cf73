package store

import (
	"context"
	"fmt"
	"time"
)

// Material statuses.
const (
	MaterialPending = "pending" // noted from the message; not fetched yet
	MaterialStored  = "stored"  // fetched, sealed and stored
	MaterialRefused = "refused" // too large, of a refused type, or gone: Note says why
)

// AidMaterial is a photo or file attached to a case. Name and Data are sealed by the
// handler; Data is loaded only by AidMaterialData.
type AidMaterial struct {
	ID        int64      `db:"id"`
	CaseID    int64      `db:"case_id"`
	MessageID string     `db:"message_id"`
	FileKey   string     `db:"file_key"`
	ResType   string     `db:"res_type"` // "image" or "file"
	Name      string     `db:"name"`     // sealed
	Ext       string     `db:"ext"`
	Size      int64      `db:"size"`
	Status    string     `db:"status"`
	Note      string     `db:"note"`
	CreatedAt time.Time  `db:"created_at"`
	FetchedAt *time.Time `db:"fetched_at"`
	Data      string     `db:"-"` // sealed
}

const materialColumns = `id, case_id, message_id, file_key, res_type, name, ext, size, status, note, created_at, fetched_at`

// AddAidMaterial notes a material sent for a case, to be fetched; false when the message's
// resource was noted already (a redelivery).
func (tx *Tx) AddAidMaterial(ctx context.Context, m *AidMaterial) (bool, error) {
	const op = "store.AddAidMaterial"
	res, err := tx.ExecContext(ctx, tx.insertIgnore()+` INTO aid_materials (case_id, message_id, file_key, res_type, name, ext,
		size, data, status, note, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, '', ?, '', ?)`,
		m.CaseID, m.MessageID, m.FileKey, m.ResType, m.Name, m.Ext, MaterialPending, tx.now)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	if m.ID, err = res.LastInsertId(); err != nil {
		return false, &Error{Code: EINTERNAL, Op: op, Err: err}
	}
	m.Status, m.CreatedAt = MaterialPending, tx.now
	return true, nil
}

// AidMaterials lists a case's materials (without their data), oldest first.
func (tx *Tx) AidMaterials(ctx context.Context, caseID int64) ([]*AidMaterial, error) {
	var out []*AidMaterial
	if err := tx.SelectContext(ctx, &out, `SELECT `+materialColumns+` FROM aid_materials WHERE case_id = ? ORDER BY id`, caseID); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.AidMaterials", Err: err}
	}
	return out, nil
}

// CountAidMaterials counts a case's materials that are stored or still to be fetched.
func (tx *Tx) CountAidMaterials(ctx context.Context, caseID int64) (int, error) {
	var n int
	if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM aid_materials WHERE case_id = ? AND status <> ?`, caseID, MaterialRefused); err != nil {
		return 0, &Error{Code: EINTERNAL, Op: "store.CountAidMaterials", Err: err}
	}
	return n, nil
}

// PendingAidMaterials lists materials still to be fetched, oldest first.
func (db *DB) PendingAidMaterials(ctx context.Context, limit int) ([]*AidMaterial, error) {
	var out []*AidMaterial
	if err := db.Select(ctx, &out, `SELECT `+materialColumns+` FROM aid_materials WHERE status = ? ORDER BY id LIMIT ?`,
		MaterialPending, limit); err != nil {
		return nil, &Error{Code: EINTERNAL, Op: "store.PendingAidMaterials", Err: err}
	}
	return out, nil
}

// StoreAidMaterial marks a fetched material stored if it is still pending (its name and data
// are sealed into the row in the same transaction: SealInto); false when another replica stored
// it first.
func (tx *Tx) StoreAidMaterial(ctx context.Context, m *AidMaterial) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE aid_materials SET ext = ?, size = ?, status = ?, fetched_at = ?
		WHERE id = ? AND status = ?`, m.Ext, m.Size, MaterialStored, tx.now, m.ID, MaterialPending)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.StoreAidMaterial", Err: err}
	}
	n, _ := res.RowsAffected()
	if n > 0 {
		m.Status = MaterialStored
		return true, tx.Audit(ctx, "system", "aid_case", fmt.Sprint(m.CaseID), "material", fmt.Sprintf("%d: %s %d B", m.ID, m.Ext, m.Size))
	}
	return false, nil
}

// RefuseAidMaterial marks a pending material refused with the reason (no sensitive text);
// false when it was no longer pending.
func (tx *Tx) RefuseAidMaterial(ctx context.Context, id int64, note string) (bool, error) {
	res, err := tx.ExecContext(ctx, `UPDATE aid_materials SET status = ?, note = ?, fetched_at = ? WHERE id = ? AND status = ?`,
		MaterialRefused, note, tx.now, id, MaterialPending)
	if err != nil {
		return false, &Error{Code: EINTERNAL, Op: "store.RefuseAidMaterial", Err: err}
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// AidMaterialData returns a stored material with its sealed data, or ENOTFOUND.
func (tx *Tx) AidMaterialData(ctx context.Context, id int64) (*AidMaterial, error) {
	var row struct {
		AidMaterial
		Data string `db:"data"`
	}
	if err := tx.GetContext(ctx, &row, `SELECT `+materialColumns+`, data FROM aid_materials WHERE id = ? AND status = ?`, id, MaterialStored); err != nil {
		return nil, notFound("store.AidMaterialData", err, "找不到该材料。")
	}
	m := row.AidMaterial
	m.Data = row.Data
	return &m, nil
}
