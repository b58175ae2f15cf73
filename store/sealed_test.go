package store_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

// testRing is a keyring with one key, k1.
func testRing(t testing.TB) *secret.Keyring {
	k, err := secret.NewKeyring("k1", map[string][]byte{"k1": bytes.Repeat([]byte{1}, secret.KeySize)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// sealTest is a sealed column of a table the rotation tests create.
var sealTest = store.RegisterSealed(store.SealedColumn{Table: "seal_test", Column: "v", Legacy: "test.v"})

func createSealTest(t *testing.T, db *store.DB) {
	t.Helper()
	if _, err := db.SQL().ExecContext(ctx, `CREATE TABLE seal_test (id BIGINT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.SQL().ExecContext(context.Background(), `DROP TABLE seal_test`) })
}

// TestSealInto: a value is sealed with the active key into its row, opens there only, and a
// value copied to another row does not open.
func TestSealInto(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createSealTest(t, db)
		keys := testRing(t)
		db.SQL().ExecContext(ctx, `INSERT INTO seal_test (id, v) VALUES (1, ''), (2, '')`)
		err := db.InTx(ctx, func(tx *store.Tx) error { return tx.SealInto(ctx, keys, sealTest, 1, "住院 15 天") })
		if err != nil {
			t.Fatal(err)
		}
		var v string
		db.Get(ctx, &v, `SELECT v FROM seal_test WHERE id = 1`)
		if !strings.HasPrefix(v, "v2:k1:") || strings.Contains(v, "住院") {
			t.Fatalf("stored %q", v)
		}
		if got, err := keys.Open(sealTest.Ref(1), v); err != nil || got != "住院 15 天" {
			t.Errorf("open = %q, %v", got, err)
		}
		// Copied to row 2, it does not open there.
		db.SQL().ExecContext(ctx, `UPDATE seal_test SET v = ? WHERE id = 2`, v)
		if _, err := keys.Open(sealTest.Ref(2), v); err == nil {
			t.Error("a value copied to another row opened")
		}
		// Without a key: refused with a message, nothing written.
		err = db.InTx(ctx, func(tx *store.Tx) error { return tx.SealInto(ctx, nil, sealTest, 1, "x") })
		if store.ErrorCode(err) != store.EINVALID || !strings.Contains(store.ErrorMessage(err), "密钥") {
			t.Errorf("no key: %v", err)
		}
		// An unregistered column is refused (rotation would never find it).
		err = db.InTx(ctx, func(tx *store.Tx) error {
			return tx.SealInto(ctx, keys, store.SealedColumn{Table: "seal_test", Column: "other"}, 1, "x")
		})
		if err == nil {
			t.Error("sealed into an unregistered column")
		}
	})
}

// TestRotateKeysResumesAfterCrash: a rotation from k1 (and v1 values) to k2 crashes half-way;
// run again, it re-seals the rest; every value opens to its plaintext (nothing sealed twice)
// and only k2 remains in use.
func TestRotateKeysResumesAfterCrash(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createSealTest(t, db)
		k1 := bytes.Repeat([]byte{1}, secret.KeySize)
		old := testRing(t)
		const n = 300
		for i := 1; i <= n; i++ {
			plain := fmt.Sprintf("诊断 %d", i)
			var v string
			var err error
			if i%3 == 0 { // a third in the v1 form, as stored before key ids
				v, err = secret.LegacySeal(k1, "test.v", plain)
			} else {
				v, err = old.Seal(sealTest.Ref(int64(i)), plain)
			}
			if err != nil {
				t.Fatal(err)
			}
			if i == 7 {
				v = "" // nothing stored: left alone
			}
			db.SQL().ExecContext(ctx, `INSERT INTO seal_test (id, v) VALUES (?, ?)`, i, v)
		}
		before, err := db.KeyUsage(ctx)
		if err != nil || before["k1"] != 199 || before[secret.LegacyKeyID] != 100 {
			t.Fatalf("usage before: %v, %v", before, err)
		}
		next, err := secret.NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte{2}, secret.KeySize), "k1": k1})
		if err != nil {
			t.Fatal(err)
		}
		crash := errors.New("crash")
		rep, err := db.RotateKeys(ctx, next, store.RotateOptions{Batch: 40, Actor: "cli:test", AfterValue: func(done int) error {
			if done == 150 {
				return crash
			}
			return nil
		}})
		if !errors.Is(err, crash) {
			t.Fatalf("crash not reported: %v", err)
		}
		mid, _ := db.KeyUsage(ctx)
		// Batches of 40: three committed (120 values), the fourth rolled back at 150.
		if mid["k2"] != 120 || mid["k1"]+mid[secret.LegacyKeyID] != 179 {
			t.Errorf("after the crash: %v", mid)
		}
		rep, err = db.RotateKeys(ctx, next, store.RotateOptions{Batch: 40, Actor: "cli:test"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Resealed != 179 || len(rep.InUse) != 1 || rep.InUse["k2"] != 299 {
			t.Errorf("resumed: %+v", rep)
		}
		// Every value opens to its plaintext with k2 alone: nothing was sealed twice.
		only2, _ := secret.NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte{2}, secret.KeySize)})
		var rows []struct {
			ID int64  `db:"id"`
			V  string `db:"v"`
		}
		db.Select(ctx, &rows, `SELECT id, v FROM seal_test ORDER BY id`)
		for _, r := range rows {
			if r.ID == 7 {
				if r.V != "" {
					t.Errorf("the empty value became %q", r.V)
				}
				continue
			}
			got, err := only2.Open(sealTest.Ref(r.ID), r.V)
			if want := fmt.Sprintf("诊断 %d", r.ID); err != nil || got != want {
				t.Errorf("row %d opens as %q, %v; want %q", r.ID, got, err, want)
			}
		}
		// A third run has nothing to do.
		if rep, err := db.RotateKeys(ctx, next, store.RotateOptions{Actor: "cli:test"}); err != nil || rep.Resealed != 0 {
			t.Errorf("third run: %+v, %v", rep, err)
		}
		var audited int
		db.Get(ctx, &audited, `SELECT COUNT(*) FROM audit_log WHERE entity = 'keys' AND action = 'rotate'`)
		if audited == 0 {
			t.Error("the rotation is not audited")
		}
	})
}

// TestRotateKeysMissingKey: a value sealed with a key that is not configured stops the
// rotation with an error naming its column and row, and changes nothing of that batch.
func TestRotateKeysMissingKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		createSealTest(t, db)
		v, _ := testRing(t).Seal(sealTest.Ref(1), "x")
		db.SQL().ExecContext(ctx, `INSERT INTO seal_test (id, v) VALUES (1, ?)`, v)
		only2, _ := secret.NewKeyring("k2", map[string][]byte{"k2": bytes.Repeat([]byte{2}, secret.KeySize)})
		_, err := db.RotateKeys(ctx, only2, store.RotateOptions{Actor: "cli:test"})
		if err == nil || !strings.Contains(err.Error(), "seal_test.v row 1") || !strings.Contains(err.Error(), `"k1"`) {
			t.Errorf("err = %v", err)
		}
		var after string
		db.Get(ctx, &after, `SELECT v FROM seal_test WHERE id = 1`)
		if after != v {
			t.Error("the value changed")
		}
	})
}
