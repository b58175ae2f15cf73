package handlertest_test

import (
	"fmt"
	"testing"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/store/storetest"
)

// recorder is a testing.TB that keeps the rig's errors and cleanups instead of acting on them.
type recorder struct {
	testing.TB
	errs     []string
	cleanups []func()
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *recorder) Cleanup(f func()) { r.cleanups = append(r.cleanups, f) }

// TestRigCatchesRefusalAfterWrite: a handler that writes and then refuses fails the test of
// whoever drives it through the rig.
func TestRigCatchesRefusalAfterWrite(t *testing.T) {
	db := storetest.Open(t, "sqlite")
	rec := &recorder{TB: t}
	chat := handlertest.New(rec, db, handlertest.Options{Register: func(r *bot.Router, d handlers.Deps) {
		r.Command(bot.Command{Names: []string{"晚拒"}, Handler: func(c *bot.Context) (*bot.Response, error) {
			if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "test", "1", "write", ""); err != nil {
				return nil, err
			}
			return bot.Warn("不行"), nil
		}})
	}})
	if got := chat.Say("ou_late", "晚拒"); got != "不行" {
		t.Errorf("reply %q, want the refusal", got)
	}
	for i := len(rec.cleanups) - 1; i >= 0; i-- {
		rec.cleanups[i]()
	}
	if len(rec.errs) != 1 {
		t.Fatalf("rig errors %q, want one about the refusal after a write", rec.errs)
	}
}
