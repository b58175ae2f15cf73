package legalaid

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Card action names. Buttons on a case carry "case_id" and the case's "version"; the intake
// form sends category, urgent, facts, other_party, dispute_date; 预约 sends "start" (the slot's
// start, Unix seconds); 结案 sends the form's note.
const (
	actConsent  = "legal.consent"  // 同意 on the legal consent card (purpose, version): then the intake form
	actNew      = "legal.new"      // the intake form
	actSubmit   = "legal.submit"   // submit the intake form
	actShow     = "legal.show"     // a case's card (case_id)
	actSlots    = "legal.slots"    // the free slots of the duty lawyer (case_id, version)
	actBook     = "legal.book"     // book a slot (case_id, version, start)
	actCancel   = "legal.cancel"   // cancel the appointment (case_id, version)
	actWithdraw = "legal.withdraw" // the member withdraws the case (case_id, version)
	actClose    = "legal.close"    // an officer closes the case with the form's note (case_id, version)
	actList     = "legal.list"     // the open cases (legal staff)
)

// Register adds legal aid's commands and card actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	h := New(d)
	r.Command(bot.Command{Names: []string{"法律援助", "legalaid"},
		Help: "法律咨询与援助：单聊登记，预约值班律师", Handler: h.start})
	r.Command(bot.Command{Names: []string{"法律援助案件", "legalcases"}, Roles: store.LegalStaff,
		Help: "办理中的法律援助申请（法律援助专员、律师）", Handler: h.list})
	r.Action(bot.Action{Name: actConsent, Handler: h.consent})
	r.Action(bot.Action{Name: actNew, Handler: h.newForm})
	r.Action(bot.Action{Name: actSubmit, Handler: h.submit})
	r.Action(bot.Action{Name: actShow, Handler: h.show})
	r.Action(bot.Action{Name: actSlots, Handler: h.slots})
	r.Action(bot.Action{Name: actBook, Handler: h.book})
	r.Action(bot.Action{Name: actCancel, Handler: h.cancel})
	r.Action(bot.Action{Name: actWithdraw, Handler: h.withdraw})
	r.Action(bot.Action{Name: actClose, Roles: store.LegalOfficers, Handler: h.close})
	r.Action(bot.Action{Name: actList, Roles: store.LegalStaff, Handler: h.list})
}

// RegisterJobs adds legal aid's reminders job.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	h := New(d)
	return e.Add(jobs.Job{Name: JobReminders, Spec: h.Cfg.Schedule, Run: h.reminders,
		Help: "legal aid: arbitration-limit reminders (" + h.Cfg.LimitReminders + " days before) and appointment reminders the day before"})
}
