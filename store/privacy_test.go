package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func privacyMember(t *testing.T, db *store.DB, openID, name string) int64 {
	t.Helper()
	var id int64
	err := db.InTx(ctx, func(tx *store.Tx) error {
		m, _, err := tx.RegisterMember(ctx, &store.Member{OpenID: openID, Name: name})
		if m != nil {
			id = m.ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// TestReveal: the data is read only after its read-audit row is written; the owner sees who
// viewed; when the row cannot be written, read never runs and nothing is returned.
func TestReveal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		owner := privacyMember(t, db, "ou_owner", "王老师")
		officer := privacyMember(t, db, "ou_off", "李干事")
		v := store.Viewing{Viewer: "ou_off", ViewerID: officer, OwnerID: owner, Entity: "legal_case", EntityID: 9, What: "card"}
		var got string
		err := db.InTx(ctx, func(tx *store.Tx) error {
			var err error
			got, err = store.Reveal(ctx, tx, v, func() (string, error) { return "案情", nil })
			return err
		})
		if err != nil || got != "案情" {
			t.Fatalf("Reveal = %q, %v", got, err)
		}
		err = db.InTx(ctx, func(tx *store.Tx) error {
			reads, err := tx.ReadsOf(ctx, "legal_case", 9, 0)
			if err != nil {
				return err
			}
			if len(reads) != 1 || reads[0].ViewerName != "李干事" || reads[0].What != "card" || reads[0].OwnerID != owner {
				t.Errorf("ReadsOf = %+v", reads)
			}
			about, err := tx.ReadsAbout(ctx, owner, 10)
			if len(about) != 1 || about[0].EntityID != 9 {
				t.Errorf("ReadsAbout = %+v", about)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		// The audit fails (its table is gone): nothing is read, nothing returned.
		if _, err := db.SQL().ExecContext(ctx, `DROP TABLE read_audit`); err != nil {
			t.Fatal(err)
		}
		ran := false
		err = db.InTx(ctx, func(tx *store.Tx) error {
			got, err = store.Reveal(ctx, tx, v, func() (string, error) { ran = true; return "案情", nil })
			return err
		})
		if err == nil || ran || got != "" {
			t.Errorf("with the audit failing: read ran %v, got %q, err %v", ran, got, err)
		}
	})
}

// TestConsents: accepting is recorded once per version and audited; a newer version asks
// again; withdrawing ends it, runs the purpose's hooks in the same transaction, and a second
// withdrawal is refused.
func TestConsents(t *testing.T) {
	var hooked []int64
	store.OnConsentWithdrawn("test_purpose", func(ctx context.Context, tx *store.Tx, memberID int64, actor string) (int, error) {
		hooked = append(hooked, memberID)
		return 2, nil
	})
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		hooked = nil
		m := privacyMember(t, db, "ou_c", "赵老师")
		tx := func(f func(tx *store.Tx) error) {
			t.Helper()
			if err := db.InTx(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		tx(func(tx *store.Tx) error {
			ok, err := tx.HasConsent(ctx, m, "test_purpose", 1)
			if ok {
				t.Error("consent before accepting")
			}
			return err
		})
		tx(func(tx *store.Tx) error {
			for i := 0; i < 2; i++ { // a second click writes nothing
				if _, err := tx.AcceptConsent(ctx, m, "test_purpose", 1, "ou_c"); err != nil {
					return err
				}
			}
			return nil
		})
		tx(func(tx *store.Tx) error {
			all, err := tx.Consents(ctx, m)
			if len(all) != 1 || all[0].Version != 1 || !all[0].Active() {
				t.Errorf("consents %+v", all)
			}
			if ok, _ := tx.HasConsent(ctx, m, "test_purpose", 1); !ok {
				t.Error("no consent after accepting")
			}
			if ok, _ := tx.HasConsent(ctx, m, "test_purpose", 2); ok {
				t.Error("version 1 counts as version 2")
			}
			if ok, _ := tx.HasConsent(ctx, m, "other", 1); ok {
				t.Error("consent to one purpose counts for another")
			}
			return err
		})
		tx(func(tx *store.Tx) error {
			n, err := tx.WithdrawConsent(ctx, m, "test_purpose", "ou_c")
			if n != 2 || len(hooked) != 1 || hooked[0] != m {
				t.Errorf("withdraw stopped %d, hooks %v", n, hooked)
			}
			return err
		})
		tx(func(tx *store.Tx) error {
			if ok, _ := tx.HasConsent(ctx, m, "test_purpose", 1); ok {
				t.Error("consent after withdrawing")
			}
			_, err := tx.WithdrawConsent(ctx, m, "test_purpose", "ou_c")
			if store.ErrorCode(err) != store.ENOTFOUND {
				t.Errorf("second withdrawal: %v", err)
			}
			return nil
		})
		var trail []string
		db.Select(ctx, &trail, `SELECT action FROM audit_log WHERE entity = 'consent' ORDER BY id`)
		if strings.Join(trail, ",") != "accept,withdraw" {
			t.Errorf("audit trail %v", trail)
		}
		// A hook that fails rolls the withdrawal back.
		store.OnConsentWithdrawn("failing", func(context.Context, *store.Tx, int64, string) (int, error) {
			return 0, errors.New("boom")
		})
		tx(func(tx *store.Tx) error { _, err := tx.AcceptConsent(ctx, m, "failing", 1, "ou_c"); return err })
		if err := db.InTx(ctx, func(tx *store.Tx) error { _, err := tx.WithdrawConsent(ctx, m, "failing", "ou_c"); return err }); err == nil {
			t.Error("a failing hook did not fail the withdrawal")
		}
		tx(func(tx *store.Tx) error {
			if ok, _ := tx.HasConsent(ctx, m, "failing", 1); !ok {
				t.Error("the consent was withdrawn although the hook failed")
			}
			return nil
		})
	})
}
