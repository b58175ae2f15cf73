package privacy

import (
	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/handlers"
)

// Card action names. The consent card's buttons carry "purpose" and "version" (the text's).
const (
	// ActionAccept records a consent given on its own (purpose, version); flows that continue
	// after consent use their own action and call Accept.
	ActionAccept = "privacy.accept"
	// ActionDecline answers 不同意 (purpose): nothing is stored.
	ActionDecline = "privacy.decline"
	// ActionMyData shows 我的数据.
	ActionMyData = "privacy.mydata"
	// ActionExport sends the member's data as a file 1:1 (format: "json" or "xlsx").
	ActionExport = "privacy.export"
	// ActionWithdraw withdraws the member's consent to purpose.
	ActionWithdraw = "privacy.withdraw"
	// ActionErase is 申请删除.
	ActionErase = "privacy.erase"
)

// Register adds the privacy actions to the router.
func Register(r *bot.Router, d handlers.Deps) {
	h := New(d)
	r.Action(bot.Action{Name: ActionAccept, Handler: h.accept})
	r.Action(bot.Action{Name: ActionDecline, Handler: h.decline})
	r.Command(bot.Command{Names: []string{"我的数据", "mydata"},
		Help: "查看、下载、更正你的数据，撤回同意，申请删除", Handler: h.myData})
	r.Action(bot.Action{Name: ActionMyData, Handler: h.myData})
	r.Action(bot.Action{Name: ActionExport, Handler: h.export})
	r.Action(bot.Action{Name: ActionWithdraw, Handler: h.withdraw})
	r.Action(bot.Action{Name: ActionErase, Handler: h.erase})
}
