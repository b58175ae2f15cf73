package store_test

import (
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestMemberCache: the router's member lookup is reused for a short while, a change written
// through the store is seen by the very next lookup, and what a lookup returns is the
// caller's own copy.
func TestMemberCache(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		m := &store.Member{OpenID: "ou_cache", Name: "缓存", Gender: "F", Active: true}
		if err := db.InTx(ctx, func(tx *store.Tx) error { return tx.CreateMember(ctx, m) }); err != nil {
			t.Fatal(err)
		}
		got, roles, err := db.MemberWithRoles(ctx, "ou_cache")
		if err != nil || got.Name != "缓存" || len(roles) != 0 {
			t.Fatalf("first lookup: %+v %v %v", got, roles, err)
		}
		got.Name = "被调用方改了" // the caller's copy
		roles = append(roles, "admin")

		// A change behind the store's back (another replica, the command line) is not seen
		// within the TTL...
		if _, err := db.SQL().ExecContext(ctx, `UPDATE members SET name = '别处改名' WHERE open_id = 'ou_cache'`); err != nil {
			t.Fatal(err)
		}
		got, roles, _ = db.MemberWithRoles(ctx, "ou_cache")
		if got.Name != "缓存" || len(roles) != 0 {
			t.Errorf("cached lookup: name %q roles %v; want the first answer, unchanged by its caller", got.Name, roles)
		}

		// ...but a change through the store is seen at once.
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.GrantRole(ctx, m.ID, store.RoleOfficer, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, roles, _ = db.MemberWithRoles(ctx, "ou_cache")
		if got.Name != "别处改名" || len(roles) != 1 || roles[0] != store.RoleOfficer {
			t.Errorf("after a grant: name %q roles %v; want the database's", got.Name, roles)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.RevokeRole(ctx, m.ID, store.RoleOfficer, "test")
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, roles, _ = db.MemberWithRoles(ctx, "ou_cache"); len(roles) != 0 {
			t.Errorf("after a revoke: roles %v", roles)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.SetBirthDate(ctx, m.ID, "1980-05-01") })
		if err != nil {
			t.Fatal(err)
		}
		if got, _, _ = db.MemberWithRoles(ctx, "ou_cache"); !got.Birth.Valid {
			t.Errorf("after setting the birth date: %+v", got)
		}

		// A change elsewhere is seen once the TTL has passed.
		if _, err := db.SQL().ExecContext(ctx, `UPDATE members SET name = '过期后可见' WHERE open_id = 'ou_cache'`); err != nil {
			t.Fatal(err)
		}
		time.Sleep(store.MemberCacheTTL + 100*time.Millisecond)
		if got, _, _ = db.MemberWithRoles(ctx, "ou_cache"); got.Name != "过期后可见" {
			t.Errorf("after the TTL: name %q", got.Name)
		}
	})
}
