package signup

import (
	"fmt"
	"slices"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
	"github.com/unionbot/unionbot/jobs"
	"github.com/unionbot/unionbot/store"
)

// Card action names. Buttons carry the activity ("activity_id"), the version the card showed
// ("version"), the item ("item_id"), an entry ("entry_id"), a team ("team_id") or an
// invitation ("invite_id"), a decision ("approve", "accept"), and "personal": true on cards
// that were sent to one member only (1:1), which may show that member's own state. A click on
// a card without "personal" (a group card, shared by everyone who sees it) is answered with a
// toast for the clicker and a card that shows counts only.
const (
	// The member side.
	actJoin         = "signup.join"         // 报名 (activity_id, version, item_id)
	actCancelEntry  = "signup.cancel"       // cancel an entry (entry_id, activity_id; from)
	actShow         = "signup.card"         // an activity's card (activity_id)
	actMine         = "signup.mine"         // the member's sign-ups
	actTeamNew      = "signup.team.new"     // the team form (activity_id, version)
	actTeamCreate   = "signup.team.create"  // submit the team form (activity_id, version)
	actTeamShow     = "signup.team.show"    // a team's card (team_id)
	actTeamInvite   = "signup.team.invite"  // invite members (team_id)
	actInviteAnswer = "signup.invite"       // accept or decline an invitation (invite_id, accept)
	actCheckIn      = "signup.checkin"      // 签到 (activity_id)
	actDecide       = "signup.decide"       // a branch chair's decision (entry_id, approve)
	actUnitAdd      = "signup.unit.add"     // add people to a branch's roster (activity_id, version)
	actUnitConfirm  = "signup.unit.confirm" // confirm a branch's roster (activity_id)
	actOptOut       = "signup.optout"       // 不再提醒: no more closing reminders

	// The officer side.
	actNew     = "activity.new"     // open an empty 新建活动 form
	actCreate  = "activity.create"  // submit the 新建活动 form → a draft and its preview
	actEdit    = "activity.edit"    // open the form prefilled (activity_id, version)
	actUpdate  = "activity.update"  // submit the edit form (activity_id, version)
	actPublish = "activity.publish" // publish a draft (activity_id, version)
	actCancel  = "activity.cancel"  // cancel the activity, after a confirm dialog (activity_id, version)
	actExport  = "activity.export"  // the roster as .xlsx, 1:1 (activity_id)
	actPreview = "activity.preview" // show an activity's officer card (activity_id)
)

// JobName is the sign-up reminders job.
const JobName = "signup.reminders"

// Register adds the sign-up commands and card actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	newHandler(d).register(r)
}

func (h *handler) register(r *bot.Router) {
	// The member side: sign-up, cancel, lists, teams, unit rosters, confirmations, check-in,
	// the lottery and the reminder opt-out.
	r.Command(bot.Command{Names: []string{"活动", "activities"}, Help: "查看可以报名的活动", Handler: h.activities})
	r.Command(bot.Command{Names: []string{"我的报名", "mine"}, Help: "查看或取消我的报名", Handler: h.mine})
	r.Command(bot.Command{Names: []string{"名单", "roster"}, Usage: "名单 <活动名称或编号>", Help: "查看活动报名名单",
		Handler: h.roster})
	r.Command(bot.Command{Names: []string{"组队", "team"}, Usage: "组队 <活动名称或编号>", Help: "为组队活动创建队伍",
		Handler: h.teamCmd})
	r.Command(bot.Command{Names: []string{"分工会报名", "unit-signup"}, Roles: store.BranchOfficers, Usage: "分工会报名 <活动名称或编号>",
		Help: "分工会主席统一报名本分工会人员", Handler: h.unitCmd})
	r.Command(bot.Command{Names: []string{"待确认", "pending"}, Roles: store.BranchOfficers, Help: "确认本分工会成员的报名",
		Handler: h.pending})
	r.Command(bot.Command{Names: []string{"签到", "checkin"}, Roles: store.Officers, Usage: "签到 <活动名称或编号>",
		Help: "开启活动签到（在当前会话发出签到卡片）", Handler: h.checkInOpen})
	r.Command(bot.Command{Names: []string{"签到情况", "checkin-status"}, Roles: store.Officers, Usage: "签到情况 <活动名称或编号>",
		Help: "查看签到和缺席名单", Handler: h.checkInStatus})
	r.Command(bot.Command{Names: []string{"抽签", "draw"}, Roles: store.Officers, Usage: "抽签 <活动名称或编号>", MinArgs: 1,
		Help: "为报名已截止的抽签活动抽签", Handler: h.draw, Solo: true})
	r.Command(bot.Command{Names: []string{"抽签核验", "verify-draw"}, Roles: store.Officers, Usage: "抽签核验 <活动名称或编号>", MinArgs: 1,
		Help: "按保存的种子重算抽签结果并核对", Handler: h.verifyDraw})
	r.Command(bot.Command{Names: []string{"退订活动提醒", "mute-reminders"}, Help: "不再接收活动报名截止提醒", Handler: optOut})
	r.Command(bot.Command{Names: []string{"恢复活动提醒", "unmute-reminders"}, Help: "重新接收活动报名截止提醒", Handler: optIn})

	// The officer side: the activity forms and preview, publishing and export.
	r.Command(bot.Command{Names: []string{"新建活动", "new-activity"}, Roles: store.Officers,
		Help: "新建报名活动（表单）", Handler: h.newActivityCmd})
	r.Command(bot.Command{Names: []string{"活动管理", "manage-activities"}, Roles: store.Officers,
		Help: "查看、编辑、发布、取消活动", Handler: h.manageCmd})
	r.Command(bot.Command{Names: []string{"导出", "export"}, Roles: store.Officers, Usage: "导出 [活动名称或编号]",
		Help: "导出活动报名名单（Excel，私信发送）", Handler: h.exportCmd, Solo: true})

	for _, a := range []bot.Action{
		// 报名 clicks on one activity contend for its seat counter: they take it in batches.
		{Name: actJoin, Handler: h.join, Serial: func(c *bot.Context) string {
			if a := c.Int("activity_id"); a != 0 {
				return fmt.Sprint("activity:", a)
			}
			return ""
		}},
		{Name: actCancelEntry, Handler: h.cancel},
		{Name: actShow, Handler: h.show},
		{Name: actMine, Handler: h.mineAction},
		{Name: actTeamNew, Handler: h.teamNew},
		{Name: actTeamCreate, Handler: h.teamCreate},
		{Name: actTeamShow, Handler: h.teamShow},
		{Name: actTeamInvite, Handler: h.teamInvite},
		{Name: actInviteAnswer, Handler: h.inviteAnswer},
		{Name: actCheckIn, Handler: h.checkIn},
		{Name: actDecide, Roles: store.BranchOfficers, Handler: h.decide},
		{Name: actUnitAdd, Roles: store.BranchOfficers, Handler: h.unitAdd},
		{Name: actUnitConfirm, Roles: store.BranchOfficers, Handler: h.unitConfirm},
		{Name: actOptOut, Handler: optOut},

		{Name: actNew, Roles: store.Officers, Handler: h.newActivityAction},
		{Name: actCreate, Roles: store.Officers, Handler: h.createActivity},
		{Name: actEdit, Roles: store.Officers, Handler: h.editActivity},
		{Name: actUpdate, Roles: store.Officers, Handler: h.updateActivity},
		{Name: actPublish, Roles: store.Officers, Handler: h.publishActivity, Solo: true},
		{Name: actCancel, Roles: store.Officers, Handler: h.cancelActivity, Solo: true},
		{Name: actPreview, Roles: store.Officers, Handler: h.previewActivity},
		{Name: actExport, Roles: store.Officers, Handler: h.exportAction, Solo: true},
	} {
		a.Handler = h.refuseOldKeys(a.Name, a.Handler)
		r.Action(a)
	}
}

// RegisterJobs adds the job signup.reminders (remind.go) to the engine.
func RegisterJobs(e *jobs.Engine, d handlers.Deps) error {
	r := &reminders{Deps: d.WithDefaults()}
	r.cards = newActivityCards(r.DB, r.Loc, r.Log)
	return e.Add(jobs.Job{
		Name: JobName,
		Spec: r.Config.Signup.RemindersSchedule,
		Help: "sign-ups: closing reminders; at close the lottery, team checks, summary, cancellation; event reminders; finishing; stale group cards",
		Run:  r.run,
	})
}

// oldKeys are the callback keys of cards posted before the keys were spelled out.
var oldKeys = []string{"a", "v", "i", "p", "e", "t", "n", "ok"}

// refuseOldKeys answers a click on a card that carries old keys with the stale-card answer,
// writing nothing: the activity's current card when the button named one ("a"), else a toast.
// No handler reads the old keys.
func (h *handler) refuseOldKeys(name string, next bot.HandlerFunc) bot.HandlerFunc {
	return func(c *bot.Context) (*bot.Response, error) {
		if !slices.ContainsFunc(oldKeys, func(k string) bool { _, ok := c.Value[k]; return ok }) {
			return next(c)
		}
		if id, _ := c.IntOK("a"); id != 0 {
			a, err := c.Tx.Activity(c.Ctx, id)
			switch {
			case err == nil && strings.HasPrefix(name, "activity."):
				return h.previewResponse(c, a, msgOldCard)
			case err == nil && name == actCheckIn:
				return &bot.Response{Toast: &bot.Toast{Type: "warning", Text: msgOldCard}, Card: h.checkInCard(a)}, nil
			case err == nil:
				return h.staleCard(c, a, c.Int("p") == 1)
			case store.ErrorCode(err) != store.ENOTFOUND:
				return nil, err
			}
		}
		return &bot.Response{Toast: &bot.Toast{Type: "warning", Text: msgOldCard}}, nil
	}
}
