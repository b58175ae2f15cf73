package store_test

import (
	"context"
	"testing"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/storetest"
)

func TestReminderOptOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		err := db.InTx(ctx, func(tx *store.Tx) error {
			for _, step := range []struct {
				out, want bool
			}{{true, true}, {true, false}, {false, true}, {false, false}, {true, true}} {
				if got, err := tx.SetReminderOptOut(ctx, 5, step.out); err != nil || got != step.want {
					t.Errorf("SetReminderOptOut(%v) = %v, %v; want %v", step.out, got, err, step.want)
				}
			}
			ids, err := tx.ReminderOptOuts(ctx)
			if err != nil || len(ids) != 1 || !ids[5] {
				t.Errorf("opt-outs = %v, %v", ids, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if trail, _ := db.AuditTrail(ctx, "member", "5"); len(trail) != 3 {
			t.Errorf("audit = %+v", trail)
		}
	})
}
