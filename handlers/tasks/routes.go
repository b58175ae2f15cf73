package tasks

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Card action names. Buttons carry the task ("task_id"), the version the card showed
// ("version"), an extension request ("ext_id", "approve") or the year ("year").
const (
	actBoard        = "tasks.board"         // the year's board (year)
	actShow         = "tasks.show"          // a task's card (task_id)
	actProgressForm = "tasks.progress_form" // the progress form (task_id)
	actProgress     = "tasks.progress"      // submit progress (task_id, version)
	actExtendForm   = "tasks.extend_form"   // the extension request form (task_id)
	actExtend       = "tasks.extend"        // submit an extension request (task_id)
	actDecide       = "tasks.decide"        // approve or refuse an extension (ext_id, approve)
	actManage       = "tasks.manage"        // the officers' form: owners, deadline, milestones (task_id)
	actOwners       = "tasks.owners"        // submit the owners (task_id, version)
	actDeadline     = "tasks.deadline"      // submit the deadline (task_id, version)
	actMilestone    = "tasks.milestone"     // add a milestone (task_id, version)
	actCreateForm   = "tasks.create_form"   // the new-task form (year)
	actCreate       = "tasks.create"        // submit a new task (year)
)

// Register adds the tracker's commands and card actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	h := New(d)
	r.Command(bot.Command{Names: []string{"实事", "tasks", "十件实事"}, Usage: "实事 [年份]",
		Help: "查看年度十件实事的进展（颜色、进度、责任人）", Handler: h.boardCommand})
	r.Command(bot.Command{Names: []string{"新建实事", "newtask"}, Roles: store.Officers,
		Help: "新建一项年度实事（工会干事）", Handler: h.createForm})
	r.Action(bot.Action{Name: actBoard, Handler: h.boardAction})
	r.Action(bot.Action{Name: actShow, Handler: h.show})
	r.Action(bot.Action{Name: actProgressForm, Handler: h.progressForm})
	r.Action(bot.Action{Name: actProgress, Handler: h.progress})
	r.Action(bot.Action{Name: actExtendForm, Handler: h.extendForm})
	r.Action(bot.Action{Name: actExtend, Handler: h.extend})
	r.Action(bot.Action{Name: actDecide, Roles: store.Officers, Handler: h.decide})
	r.Action(bot.Action{Name: actManage, Roles: store.Officers, Handler: h.manageForm})
	r.Action(bot.Action{Name: actOwners, Roles: store.Officers, Handler: h.setOwners})
	r.Action(bot.Action{Name: actDeadline, Roles: store.Officers, Handler: h.setDeadline})
	r.Action(bot.Action{Name: actMilestone, Roles: store.Officers, Handler: h.addMilestone})
	r.Action(bot.Action{Name: actCreateForm, Roles: store.Officers, Handler: h.createForm})
	r.Action(bot.Action{Name: actCreate, Roles: store.Officers, Handler: h.create})
}

// RegisterJobs adds the tracker's jobs (the reminder cadence, jobs.go) to the engine.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	c, err := NewCadence(d)
	if err != nil {
		return err
	}
	for _, j := range c.Jobs() {
		if err := e.Add(j); err != nil {
			return err
		}
	}
	return nil
}
