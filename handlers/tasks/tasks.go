// Package tasks is the ten-task tracker (十件实事) and its supervision (督办): the year's board
// with colours, each task's card (milestones, history, extensions), progress reports and
// extension requests by the responsible members, assignment by officers, the YAML import and
// the embedded seed, and the reminder cadence run on the job engine (jobs.go).
//
// Who may do what: every member may look at the board and the tasks; a task's responsible
// members and the officers (工会干事, 主席, 管理员) may report progress (officers report for
// a responsible member who cannot, and the history records who did); only responsible members
// ask for extensions; only officers decide them, assign owners, set deadlines, add milestones
// and create tasks.
package tasks

import (
	"strconv"
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
)

// officerRoles may manage tasks (admins pass every check).
var officerRoles = []string{store.RoleOfficer, store.RoleChair}

// Handlers are the tracker's chat flows.
type Handlers struct {
	handlers.Deps
	Cfg  config.Tasks
	Pace Pace
}

// New returns the tracker's handlers for the configuration.
func New(d handlers.Deps, cfg config.Tasks) *Handlers {
	if d.Loc == nil {
		d.Loc = time.UTC
	}
	return &Handlers{Deps: d, Cfg: cfg, Pace: Pace{NearDays: cfg.NearDays, Margin: cfg.PaceMargin}}
}

// Register adds the tracker's commands and card actions to the router.
func Register(r *bot.Router, d handlers.Deps, cfg config.Tasks) {
	New(d, cfg).register(r)
}

func (h *Handlers) register(r *bot.Router) {
	r.Command(bot.Command{Names: []string{"实事", "tasks", "十件实事"}, Usage: "实事 [年份]",
		Help: "查看年度十件实事的进展（颜色、进度、责任人）", Handler: h.boardCommand})
	r.Command(bot.Command{Names: []string{"新建实事", "newtask"}, Roles: officerRoles,
		Help: "新建一项年度实事（工会干事）", Handler: h.createForm})
	r.Action(bot.Action{Name: "tasks.board", Handler: h.boardAction})
	r.Action(bot.Action{Name: "tasks.show", Handler: h.show})
	r.Action(bot.Action{Name: "tasks.progress_form", Handler: h.progressForm})
	r.Action(bot.Action{Name: "tasks.progress", Handler: h.progress})
	r.Action(bot.Action{Name: "tasks.extend_form", Handler: h.extendForm})
	r.Action(bot.Action{Name: "tasks.extend", Handler: h.extend})
	r.Action(bot.Action{Name: "tasks.decide", Roles: officerRoles, Handler: h.decide})
	r.Action(bot.Action{Name: "tasks.manage", Roles: officerRoles, Handler: h.manageForm})
	r.Action(bot.Action{Name: "tasks.owners", Roles: officerRoles, Handler: h.setOwners})
	r.Action(bot.Action{Name: "tasks.deadline", Roles: officerRoles, Handler: h.setDeadline})
	r.Action(bot.Action{Name: "tasks.milestone", Roles: officerRoles, Handler: h.addMilestone})
	r.Action(bot.Action{Name: "tasks.create_form", Roles: officerRoles, Handler: h.createForm})
	r.Action(bot.Action{Name: "tasks.create", Roles: officerRoles, Handler: h.create})
}

// today is the union's date of the event, at midnight in the union's zone.
func (h *Handlers) today(c *bot.Context) time.Time {
	t := c.Now.In(h.Loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
}

func isOfficer(s *bot.Sender) bool { return s.HasAny(officerRoles) }

// valueInt reads an integer from a card's callback value (numbers arrive as float64 or
// json.Number, or as strings from older cards).
func valueInt(v map[string]any, key string) int64 {
	switch x := v[key].(type) {
	case float64:
		return int64(x)
	case int:
		return int64(x)
	case int64:
		return x
	case string:
		n, _ := strconv.ParseInt(x, 10, 64)
		return n
	case interface{ Int64() (int64, error) }:
		n, _ := x.Int64()
		return n
	}
	return 0
}

func valueBool(v map[string]any, key string) bool {
	b, _ := v[key].(bool)
	return b
}

// actor is the sender as the history names them.
func actor(c *bot.Context) (id, name string) { return c.Sender.OpenID, c.Sender.Name }
