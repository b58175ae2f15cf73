package store

import "context"

// Members lists every member, newest first (a first-time sender, registered by the bot, is on
// top), for `unionbot members list`.
func (db *DB) Members(ctx context.Context) ([]Member, error) {
	var out []Member
	err := db.Select(ctx, &out, `SELECT `+memberColumns+memberFrom+`ORDER BY m.id DESC`)
	return out, err
}
