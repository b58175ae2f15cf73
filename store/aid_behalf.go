package store

import "context"

// OpenAidDraftOrBehalf returns the newest case that is with memberID for materials: their own
// draft or returned request, or (opener) one they opened on a member's behalf as an officer;
// nil when there is none.
func (tx *Tx) OpenAidDraftOrBehalf(ctx context.Context, memberID int64, opener bool) (*AidCase, error) {
	if !opener {
		return tx.OpenAidDraft(ctx, memberID)
	}
	cs, err := tx.aidWhere(ctx, `(a.member_id = ? OR a.opened_by = ?) AND a.state IN (?, ?) ORDER BY a.updated_at DESC, a.id DESC`,
		memberID, memberID, AidDraft, AidReturned)
	if err != nil || len(cs) == 0 {
		return nil, err
	}
	return cs[0], nil
}

// AidCasesOpenedFor lists the cases an officer opened on members' behalf that are with them
// (a draft, or returned for more), oldest first.
func (tx *Tx) AidCasesOpenedFor(ctx context.Context, officerID int64) ([]*AidCase, error) {
	return tx.aidWhere(ctx, `a.opened_by = ? AND a.member_id <> ? AND a.state IN (?, ?) ORDER BY a.id`,
		officerID, officerID, AidDraft, AidReturned)
}
