package cli

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/store"
	"github.com/unionbot/unionbot/store/secret"
	"github.com/unionbot/unionbot/store/storetest"
)

// TestKeysRotate: proposal phones sealed in the v1 form and with k1 are re-sealed with the new
// active key k2 by `keys rotate`, which then says k1 is no longer used; `keys status` counts
// per key id; a value of a key that is not configured is named.
func TestKeysRotate(t *testing.T) {
	for _, dialect := range storetest.Dialects() {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			env, db := cliEnv(t, dialect)
			k1, k2 := bytes.Repeat([]byte{1}, secret.KeySize), bytes.Repeat([]byte{2}, secret.KeySize)
			b64 := base64.StdEncoding.EncodeToString
			old, _ := secret.NewKeyring("k1", map[string][]byte{"k1": k1})
			var ids []int64
			err := db.InTx(ctx, func(tx *store.Tx) error {
				m, _, err := tx.RegisterMember(ctx, &store.Member{OpenID: "ou_p", Name: "张老师"})
				if err != nil {
					return err
				}
				s := &store.ProposalSession{Name: "第四届第三次", Code: "4-3", CongressDate: "2027-04-15", MinCosigners: 2,
					OpensAt: time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC), ClosesAt: time.Date(2027, 3, 31, 10, 0, 0, 0, time.UTC)}
				if err := tx.CreateProposalSession(ctx, s, "cli:test"); err != nil {
					return err
				}
				for i := 0; i < 5; i++ {
					p := &store.Proposal{SessionID: s.ID, ProposerID: m.ID, Title: fmt.Sprint("案由", i), Category: "其他", Reason: "r", Suggestion: "s"}
					if err := tx.CreateProposal(ctx, p, "ou_p"); err != nil {
						return err
					}
					ids = append(ids, p.ID)
					phone := fmt.Sprint("1380000000", i)
					if i < 2 {
						v1, _ := secret.LegacySeal(k1, "proposal.phone", phone)
						if _, err := tx.ExecContext(ctx, `UPDATE proposals SET phone = ? WHERE id = ?`, v1, p.ID); err != nil {
							return err
						}
					} else if err := tx.SealInto(ctx, old, store.SealedProposalPhone, p.ID, phone); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			env1 := append(env, "UNIONBOT_SECURITY_DATA_KEY="+b64(k1))
			if code, out, errOut := cli(t, env1, "keys", "status"); code != 0 || !strings.Contains(out, "k1 (active): 3 values") || !strings.Contains(out, "v1 (old form") {
				t.Errorf("status: %d\n%s%s", code, out, errOut)
			}
			// Without k1 configured, the rotation names what it cannot open and changes nothing.
			only2 := append(env, "UNIONBOT_SECURITY_DATA_KEY="+b64(k2), "UNIONBOT_SECURITY_DATA_KEY_ID=k2")
			if code, _, errOut := cli(t, only2, "keys", "rotate"); code != 1 || !strings.Contains(errOut, "proposals.phone row") {
				t.Errorf("rotate without k1: %d %s", code, errOut)
			}
			env2 := append(only2, "UNIONBOT_SECURITY_OLD_KEYS=k1:"+b64(k1))
			code, out, errOut := cli(t, env2, "keys", "rotate", "-batch", "2")
			if code != 0 || !strings.Contains(out, "proposals.phone: 5 values re-sealed") || !strings.Contains(out, "k2 (active): 5 values") ||
				!strings.Contains(out, "old keys no longer used, may be removed from security.old_keys: k1") {
				t.Fatalf("rotate: %d\n%s%s", code, out, errOut)
			}
			next, _ := secret.NewKeyring("k2", map[string][]byte{"k2": k2})
			for i, id := range ids {
				var v string
				db.Get(ctx, &v, `SELECT phone FROM proposals WHERE id = ?`, id)
				if got, err := next.Open(store.SealedProposalPhone.Ref(id), v); err != nil || got != fmt.Sprint("1380000000", i) {
					t.Errorf("proposal %d: %q, %v", id, got, err)
				}
			}
			if code, out, _ := cli(t, env2, "keys", "rotate"); code != 0 || !strings.HasPrefix(out, "0 values re-sealed") {
				t.Errorf("second rotate: %d\n%s", code, out)
			}
			if code, _, _ := cli(t, env2, "keys", "spin"); code != 2 {
				t.Errorf("unknown subcommand: %d", code)
			}
		})
	}
}
