package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/unionbot/unionbot/schema"
	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

var ctx = context.Background()

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		res, err := schema.Migrate(ctx, db.SQL(), db.Dialect)
		if err != nil {
			t.Fatal(err)
		}
		if len(res) != 0 {
			t.Errorf("second migrate applied %d migrations, want 0", len(res))
		}
		v, err := schema.Version(ctx, db.SQL(), db.Dialect)
		if err != nil || v < 1 {
			t.Errorf("version = %d, %v; want >= 1", v, err)
		}
	})
}

// TestSQLiteSettings checks the settings every SQLite connection, writer and readers, is
// opened with: WAL, foreign keys on, and a commit that is on disk when it returns.
func TestSQLiteSettings(t *testing.T) {
	db := storetest.Open(t, store.SQLite)
	for _, c := range []struct {
		pragma string
		want   string
	}{{"journal_mode", "wal"}, {"synchronous", "2"}, {"foreign_keys", "1"}, {"temp_store", "2"}} {
		var w, r string
		if err := db.SQL().QueryRowContext(ctx, "PRAGMA "+c.pragma).Scan(&w); err != nil {
			t.Fatal(err)
		}
		if err := db.Get(ctx, &r, "PRAGMA "+c.pragma); err != nil {
			t.Fatal(err)
		}
		if w != c.want || r != c.want {
			t.Errorf("PRAGMA %s: writer %q, reader %q; want %q", c.pragma, w, r, c.want)
		}
	}
}

// TestTimeRule checks the one rule for time: an instant written from any zone reads back as
// the same instant in UTC, and the database holds it as UTC wall-clock text.
func TestTimeRule(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		shanghai, _ := time.LoadLocation("Asia/Shanghai")
		at := time.Date(2024, 3, 8, 9, 30, 15, 123456000, shanghai) // 01:30:15 UTC
		db.Now = func() time.Time { return at }
		tx, err := db.BeginTx(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Audit(ctx, "cli:test", "test", "1", "time", ""); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		trail, err := db.AuditTrail(ctx, "test", "1")
		if err != nil || len(trail) != 1 {
			t.Fatalf("trail = %v, %v", trail, err)
		}
		got := trail[0].At
		if !got.Equal(at) {
			t.Errorf("read back %v, want instant %v", got, at)
		}
		if got.Location() != time.UTC {
			t.Errorf("read back in %v, want UTC", got.Location())
		}
		var text string
		q := `SELECT CAST(at AS CHAR) FROM audit_log`
		if db.Dialect == store.SQLite {
			q = `SELECT CAST(at AS TEXT) FROM audit_log`
		}
		if err := db.SQL().QueryRow(q).Scan(&text); err != nil {
			t.Fatal(err)
		}
		if want := "2024-03-08 01:30:15.123456"; len(text) < len(want) || text[:len(want)] != want {
			t.Errorf("stored %q, want UTC wall clock %q...", text, want)
		}
	})
}

func TestMarkProcessedDeduplicates(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		// A rolled-back transaction leaves no key: the redelivery is redone.
		tx, _ := db.BeginTx(ctx)
		if ok, err := tx.MarkProcessed(ctx, "om_1", "message"); !ok || err != nil {
			t.Fatalf("first mark = %v, %v", ok, err)
		}
		tx.Rollback()
		if seen, _ := db.IsProcessed(ctx, "om_1"); seen {
			t.Fatal("rolled-back key is recorded")
		}
		// Concurrent deliveries: exactly one wins.
		var wins atomic.Int32
		var wg sync.WaitGroup
		for i := 0; i < 8; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := db.InTx(ctx, func(tx *store.Tx) error {
					ok, err := tx.MarkProcessed(ctx, "om_1", "message")
					if ok {
						wins.Add(1)
					}
					return err
				})
				if err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if wins.Load() != 1 {
			t.Errorf("%d deliveries won, want 1", wins.Load())
		}
		// Pruning keeps recent keys and drops old ones.
		db.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
		n, err := db.PruneProcessed(ctx, 7*24*time.Hour)
		if err != nil || n != 1 {
			t.Errorf("pruned %d, %v; want 1", n, err)
		}
	})
}

func TestOutboxLeaseExpiryAndRetry(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now()
		db.Now = func() time.Time { return now }
		key := "reminder:1"
		for i := 0; i < 2; i++ {
			var created bool
			err := db.InTx(ctx, func(tx *store.Tx) (err error) {
				created, err = tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
					ReceiveID: "ou_b", MsgType: "text", Content: `{}`, DedupKey: &key})
				return err
			})
			if err != nil || created != (i == 0) {
				t.Fatalf("enqueue %d: created=%v err=%v", i, created, err)
			}
		}
		a, _ := db.ClaimOutbox(ctx, "a", 10, time.Minute)
		if len(a) != 1 {
			t.Fatalf("claimed %d, want 1", len(a))
		}
		if b, _ := db.ClaimOutbox(ctx, "b", 10, time.Minute); len(b) != 0 {
			t.Fatalf("b claimed a leased message")
		}
		now = now.Add(2 * time.Minute) // a died; its lease ran out
		b, _ := db.ClaimOutbox(ctx, "b", 10, time.Minute)
		if len(b) != 1 || b[0].Attempts != 2 {
			t.Fatalf("b claimed %v, want the message on attempt 2", b)
		}
		if err := db.MarkRetry(ctx, a[0], now, 1, "x"); store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("stale worker MarkRetry = %v, want conflict", err)
		}
		if err := db.MarkRetry(ctx, b[0], now.Add(time.Hour), 99991400, "rate limited"); err != nil {
			t.Fatal(err)
		}
		if c, _ := db.ClaimOutbox(ctx, "c", 10, time.Minute); len(c) != 0 {
			t.Errorf("claimed a message before its retry time")
		}
		next, ok, _ := db.NextOutboxDue(ctx)
		if !ok || !next.Equal(now.Add(time.Hour).UTC().Truncate(time.Microsecond)) {
			t.Errorf("next due = %v %v", next, ok)
		}
		now = now.Add(2 * time.Hour)
		c, _ := db.ClaimOutbox(ctx, "c", 10, time.Minute)
		if len(c) != 1 {
			t.Fatal("retry not due")
		}
		if err := db.MarkFailed(ctx, c[0], 230013, "user outside availability"); err != nil {
			t.Fatal(err)
		}
		failed, _ := db.FailedOutbox(ctx, 10)
		if len(failed) != 1 || failed[0].LastCode != 230013 {
			t.Errorf("failed = %+v", failed)
		}
	})
}

// TestStaleSendRecorded: a worker whose claim ran out (the database was away while it sent)
// still records the send, since the message went out; the worker that claimed it since then
// finds it no longer pending.
func TestStaleSendRecorded(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		now := time.Now()
		db.Now = func() time.Time { return now }
		err := db.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.Enqueue(ctx, &store.OutboxMessage{Kind: store.OutboxSend, ReceiveIDType: "open_id",
				ReceiveID: "ou_b", MsgType: "text", Content: `{}`})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		a, _ := db.ClaimOutbox(ctx, "a", 10, time.Minute)
		now = now.Add(2 * time.Minute)
		b, _ := db.ClaimOutbox(ctx, "b", 10, time.Minute)
		if len(a) != 1 || len(b) != 1 {
			t.Fatalf("claims %d, %d", len(a), len(b))
		}
		if err := db.MarkSent(ctx, a[0], "om_a"); err != nil {
			t.Fatalf("stale worker's send not recorded: %v", err)
		}
		if err := db.MarkSent(ctx, b[0], "om_b"); store.ErrorCode(err) != store.ECONFLICT {
			t.Errorf("second MarkSent = %v, want conflict", err)
		}
		if m, _ := db.OutboxByID(ctx, a[0].ID); m.Status != store.OutboxSent || m.MessageID != "om_a" {
			t.Errorf("row %s %s, want sent as om_a", m.Status, m.MessageID)
		}
	})
}

func TestEnqueueRejectsIncompleteMessages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, m := range []*store.OutboxMessage{
			{Kind: store.OutboxSend},
			{Kind: store.OutboxReply},
			{Kind: "fax"},
		} {
			err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.Enqueue(ctx, m); return err })
			if store.ErrorCode(err) != store.EINVALID {
				t.Errorf("%s: err = %v, want invalid", m.Kind, err)
			}
		}
	})
}

func TestMembersAndRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var id int64
		err := db.InTx(ctx, func(tx *store.Tx) error {
			m, created, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_1", Name: "欧阳·娜娜", Placeholder: false})
			if err != nil || !created {
				return errors.Join(err, errors.New("not created"))
			}
			_, again, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_1", Name: "other"})
			if err != nil || again {
				return errors.Join(err, errors.New("registered twice"))
			}
			bid, err := tx.EnsureBranch(ctx, "信息工程学院分工会")
			if err != nil {
				return err
			}
			if bid2, _ := tx.EnsureBranch(ctx, "信息工程学院分工会"); bid2 != bid {
				t.Errorf("branch created twice")
			}
			m.BranchID, m.EmployeeNo, m.Gender = bid, "000123", "F"
			id = m.ID
			if err := tx.SaveMember(ctx, m); err != nil {
				return err
			}
			other := &store.Member{Name: "张三", EmployeeNo: "000123", Active: true}
			if err := tx.CreateMember(ctx, other); store.ErrorCode(err) != store.ECONFLICT {
				t.Errorf("duplicate 工号: err = %v, want conflict", err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		m, err := db.MemberByOpenID(ctx, "ou_1")
		if err != nil {
			t.Fatal(err)
		}
		if m.EmployeeNo != "000123" || m.BranchName != "信息工程学院分工会" || m.Name != "欧阳·娜娜" {
			t.Errorf("member = %+v", m)
		}
		if _, err := db.MemberByOpenID(ctx, "ou_nobody"); store.ErrorCode(err) != store.ENOTFOUND {
			t.Errorf("missing member: %v", err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			if ok, err := tx.GrantRole(ctx, id, store.RoleOfficer, "ou_admin"); !ok || err != nil {
				t.Errorf("grant = %v %v", ok, err)
			}
			if ok, _ := tx.GrantRole(ctx, id, store.RoleOfficer, "ou_admin"); ok {
				t.Errorf("granted twice")
			}
			if _, err := tx.GrantRole(ctx, id, "pope", "ou_admin"); store.ErrorCode(err) != store.EINVALID {
				t.Errorf("unknown role: %v", err)
			}
			if ok, err := tx.RevokeRole(ctx, id, store.RoleOfficer, "ou_admin"); !ok || err != nil {
				t.Errorf("revoke = %v %v", ok, err)
			}
			_, err := tx.GrantRole(ctx, id, store.RoleDelegate, "cli:root")
			found, err := tx.FindMembers(ctx, "欧阳", 5)
			if err != nil {
				t.Error(err)
			}
			if len(found) != 1 || found[0].ID != id {
				t.Errorf("find by name prefix = %v", found)
			}
			found, _ = tx.FindMembers(ctx, "000123", 5)
			if len(found) != 1 {
				t.Errorf("find by 工号 = %v", found)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		trail, _ := db.AuditTrail(ctx, "role", "1")
		var got []string
		for _, e := range trail {
			got = append(got, e.Actor+" "+e.Action+" "+e.Detail)
		}
		want := []string{"ou_admin grant officer", "ou_admin revoke officer", "cli:root grant delegate"}
		if len(got) != len(want) {
			t.Fatalf("audit = %q, want %q", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("audit[%d] = %q, want %q", i, got[i], want[i])
			}
		}
		holders, _ := db.RoleHolders(ctx)
		if len(holders) != 1 || holders[0].Role != store.RoleDelegate {
			t.Errorf("holders = %+v", holders)
		}
	})
}

func TestMaskedMobile(t *testing.T) {
	for in, want := range map[string]string{"13812341234": "138****1234", "": "", "123": "****"} {
		if got := store.MaskedMobile(in); got != want {
			t.Errorf("MaskedMobile(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMemberWithRoles(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var id int64
		db.InTx(ctx, func(tx *store.Tx) error {
			m, _, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_r", Name: "赵六"})
			id = m.ID
			return err
		})
		m, roles, err := db.MemberWithRoles(ctx, "ou_r")
		if err != nil || m.ID != id || len(roles) != 0 {
			t.Fatalf("no roles: %+v %v %v", m, roles, err)
		}
		db.InTx(ctx, func(tx *store.Tx) error {
			tx.GrantRole(ctx, id, store.RoleOfficer, "t")
			_, err := tx.GrantRole(ctx, id, store.RoleDelegate, "t")
			return err
		})
		_, roles, _ = db.MemberWithRoles(ctx, "ou_r")
		if len(roles) != 2 || roles[0] != store.RoleDelegate || roles[1] != store.RoleOfficer {
			t.Errorf("roles = %v", roles)
		}
		if _, _, err := db.MemberWithRoles(ctx, "ou_none"); store.ErrorCode(err) != store.ENOTFOUND {
			t.Errorf("missing: %v", err)
		}
	})
}
