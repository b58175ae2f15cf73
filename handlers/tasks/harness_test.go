package tasks_test

import (
	"strings"
	"testing"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/handlers/handlertest"
	"github.com/unionbot/unionbot/handlers/tasks"
	"github.com/unionbot/unionbot/store"
)

const admin = "ou_admin"

var shanghai = mustLoc("Asia/Shanghai")

func mustLoc(name string) *time.Location {
	l, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return l
}

// harness is the shared webhook rig with the tasks commands.
type harness struct{ *handlertest.Chat }

// newHarness wires the real router, resolver and handlers behind the signed webhook, with the
// database clock at start (Asia/Shanghai).
func newHarness(t *testing.T, db *store.DB, start time.Time) *harness {
	return &harness{handlertest.New(t, db, handlertest.Options{Admins: []string{admin}, Loc: shanghai, Deadline: 5 * time.Second,
		Now: start, IDPrefix: "om_t", Register: func(r *bot.Router, d handlers.Deps) { tasks.Register(r, d) }})}
}

// member creates a member with an open_id and a 工号, and grants roles.
func member(t testing.TB, db *store.DB, openID, name, no string, roles ...string) *store.Member {
	t.Helper()
	return handlertest.NewMember(t, db, handlertest.Person{OpenID: openID, Name: name, EmployeeNo: no, Roles: roles})
}

func (h *harness) member(openID, name, no string, roles ...string) *store.Member {
	h.T.Helper()
	return member(h.T, h.DB, openID, name, no, roles...)
}

// click sends a card action and returns the toast and the replacement card's data.
func (h *harness) click(sender string, value, form map[string]any) (toast, card string) {
	h.T.Helper()
	a := h.Answer(sender, value, form)
	return a.Toast.Content, a.Data()
}

func contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}
