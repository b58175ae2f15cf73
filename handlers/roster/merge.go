package roster

import (
	"context"
	"fmt"

	"github.com/unionbot/unionbot/store"
)

// mergeMember folds member fromID into member intoID: fromID's roles move to intoID (keeping
// who granted them and when; a role intoID already holds stays as it is) and fromID is
// deleted, audited with actor. It returns the roles fromID held. It belongs in store (as
// Tx.MergeMember): every table that references members.id must be re-pointed here as it is
// added, or the delete fails on the foreign key and aborts the import.
func mergeMember(ctx context.Context, tx *store.Tx, intoID, fromID int64, actor string) ([]string, error) {
	const op = "roster.mergeMember"
	if intoID == fromID {
		return nil, &store.Error{Code: store.EINVALID, Op: op, Message: "不能将成员合并到其自身"}
	}
	roles, err := tx.Roles(ctx, fromID)
	if err != nil {
		return nil, err
	}
	insertIgnore := "INSERT OR IGNORE"
	if tx.Dialect() == store.MySQL {
		insertIgnore = "INSERT IGNORE"
	}
	steps := []struct {
		query string
		args  []any
	}{
		{insertIgnore + ` INTO member_roles (member_id, role, granted_by, granted_at)
			SELECT ?, role, granted_by, granted_at FROM member_roles WHERE member_id = ?`, []any{intoID, fromID}},
		{`DELETE FROM member_roles WHERE member_id = ?`, []any{fromID}},
		{`DELETE FROM members WHERE id = ?`, []any{fromID}},
	}
	tx.MembersChanged()
	for _, s := range steps {
		if _, err := tx.ExecContext(ctx, s.query, s.args...); err != nil {
			return nil, &store.Error{Code: store.EINTERNAL, Op: op, Err: err}
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
