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
	"time"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/config"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/store"
)

// Handlers are the tracker's chat flows.
type Handlers struct {
	handlers.Deps
	Cfg  config.Tasks // Deps.Config.Tasks
	Pace Pace
}

// New returns the tracker's handlers for d (d.Config.Tasks, or the defaults).
func New(d handlers.Deps) *Handlers {
	d = d.WithDefaults()
	cfg := d.Config.Tasks
	return &Handlers{Deps: d, Cfg: cfg, Pace: Pace{NearDays: cfg.NearDays, Margin: cfg.PaceMargin}}
}

// today is the union's date of the event, at midnight in the union's zone.
func (h *Handlers) today(c *bot.Context) time.Time {
	t := c.Now.In(h.Loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, h.Loc)
}

func isOfficer(s *bot.Sender) bool { return s.HasAny(store.Officers) }

// actor is the sender as the history names them.
func actor(c *bot.Context) (id, name string) { return c.Sender.OpenID, c.Sender.Name }
