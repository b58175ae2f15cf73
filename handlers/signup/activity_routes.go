package signup

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// routes registers the officer side: the activity forms and preview, publishing, export and
// the reminder opt-out.
func (h *handler) routes(r *bot.Router) {
	r.Command(bot.Command{Names: []string{"新建活动", "new-activity"}, Roles: store.Officers,
		Help: "新建报名活动（表单）", Handler: h.newActivityCmd})
	r.Command(bot.Command{Names: []string{"活动管理", "manage-activities"}, Roles: store.Officers,
		Help: "查看、编辑、发布、取消活动", Handler: h.manageCmd})
	r.Command(bot.Command{Names: []string{"导出", "export"}, Roles: store.Officers, Usage: "导出 [活动名称或编号]",
		Help: "导出活动报名名单（Excel，私信发送）", Handler: h.exportCmd, Solo: true})
	r.Command(bot.Command{Names: []string{"退订活动提醒", "mute-reminders"}, Help: "不再接收活动报名截止提醒", Handler: optOut})
	r.Command(bot.Command{Names: []string{"恢复活动提醒", "unmute-reminders"}, Help: "重新接收活动报名截止提醒", Handler: optIn})

	r.Action(bot.Action{Name: actNew, Roles: store.Officers, Handler: func(c *bot.Context) (*bot.Response, error) {
		resp, err := h.newActivityCmd(c)
		if resp != nil {
			resp.Reply = nil
		}
		return resp, err
	}})
	r.Action(bot.Action{Name: actCreate, Roles: store.Officers, Handler: h.createActivity})
	r.Action(bot.Action{Name: actEdit, Roles: store.Officers, Handler: h.editActivity})
	r.Action(bot.Action{Name: actUpdate, Roles: store.Officers, Handler: h.updateActivity})
	r.Action(bot.Action{Name: actPublish, Roles: store.Officers, Handler: h.publishActivity, Solo: true})
	r.Action(bot.Action{Name: actCancel, Roles: store.Officers, Handler: h.cancelActivity, Solo: true})
	r.Action(bot.Action{Name: actPreview, Roles: store.Officers, Handler: h.previewActivity})
	r.Action(bot.Action{Name: actExport, Roles: store.Officers, Handler: h.exportAction, Solo: true})
	r.Action(bot.Action{Name: actOptOut, Handler: optOut})
}
