package store

import (
	"context"
	"fmt"
)

// MergeMember folds member fromID into member intoID: fromID's roles move to intoID (keeping
// who granted them and when; a role intoID already holds stays as it is) and fromID is
// deleted, audited with actor. It returns the roles fromID held. Every table that references
// members.id must be re-pointed here as it is added, or the delete fails on the foreign key
// and aborts the import.
func (tx *Tx) MergeMember(ctx context.Context, intoID, fromID int64, actor string) ([]string, error) {
	const op = "store.MergeMember"
	if intoID == fromID {
		return nil, &Error{Code: EINVALID, Op: op, Message: "不能将成员合并到其自身"}
	}
	roles, err := tx.Roles(ctx, fromID)
	if err != nil {
		return nil, err
	}
	steps := []struct {
		query string
		args  []any
	}{
		{tx.insertIgnore() + ` INTO member_roles (member_id, role, granted_by, granted_at)
			SELECT ?, role, granted_by, granted_at FROM member_roles WHERE member_id = ?`, []any{intoID, fromID}},
		{`DELETE FROM member_roles WHERE member_id = ?`, []any{fromID}},
		{`DELETE FROM members WHERE id = ?`, []any{fromID}},
	}
	tx.MembersChanged()
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
			return nil, &Error{Code: EINTERNAL, Op: op, Err: err}
		}
	}
	for _, r := range roles {
		if err := tx.Audit(ctx, actor, "role", fmt.Sprint(intoID), "merge", fmt.Sprintf("%s from member %d", r, fromID)); err != nil {
			return nil, err
		}
	}
	if err := tx.Audit(ctx, actor, "member", fmt.Sprint(fromID), "merge", fmt.Sprintf("merged into member %d", intoID)); err != nil {
		return nil, err
	}
	return roles, nil
}
