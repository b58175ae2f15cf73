package signup

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/store"
)

// registerMember registers the member side: sign-up, cancel, lists, teams, unit rosters,
// confirmations, check-in and the lottery commands.
func registerMember(r *bot.Router, h *handler) {
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

	// 报名 clicks on one activity contend for its seat counter: they take it in batches.
	r.Action(bot.Action{Name: actJoin, Handler: h.join, Serial: func(c *bot.Context) string {
		if a := c.Int("a"); a != 0 {
			return fmt.Sprint("activity:", a)
		}
		return ""
	}})
	r.Action(bot.Action{Name: actCancelEntry, Handler: h.cancel})
	r.Action(bot.Action{Name: actShow, Handler: h.show})
	r.Action(bot.Action{Name: actMine, Handler: func(c *bot.Context) (*bot.Response, error) {
		cd, err := h.mineCard(c)
		if err != nil {
			return nil, err
		}
		return h.inPlaceOrPrivate(c, cd, "")
	}})
	r.Action(bot.Action{Name: actTeamNew, Handler: func(c *bot.Context) (*bot.Response, error) {
		a, err := c.Tx.Activity(c.Ctx, c.Int("a"))
		if err != nil {
			return nil, err
		}
		if a.Status == store.ActivityCancelled || int(c.Int("v")) != a.Version {
			return h.stale(c, a)
		}
		return h.teamForm(c, a)
	}})
	r.Action(bot.Action{Name: actTeamCreate, Handler: h.teamCreate})
	r.Action(bot.Action{Name: actTeamShow, Handler: h.teamShow})
	r.Action(bot.Action{Name: actTeamInvite, Handler: h.teamInvite})
	r.Action(bot.Action{Name: actInviteAnswer, Handler: h.inviteAnswer})
	r.Action(bot.Action{Name: actCheckIn, Handler: h.checkIn})
	r.Action(bot.Action{Name: actDecide, Roles: store.BranchOfficers, Handler: h.decide})
	r.Action(bot.Action{Name: actUnitAdd, Roles: store.BranchOfficers, Handler: h.unitAdd})
	r.Action(bot.Action{Name: actUnitConfirm, Roles: store.BranchOfficers, Handler: h.unitConfirm})
}

// draw answers 抽签 <活动> (officers), for a lottery activity whose sign-up has closed.
func (h *handler) draw(c *bot.Context) (*bot.Response, error) {
	a, err := h.findActivity(c, c.ArgText)
	if err != nil {
		return nil, err
	}
	res, err := c.Tx.DrawLottery(c.Ctx, a.ID, 0)
	if err != nil {
		return nil, err
	}
	if a, err = c.Tx.Activity(c.Ctx, a.ID); err != nil {
		return nil, err
	}
	if err := RefreshPublished(c.Ctx, c.Tx, a, h.Loc); err != nil {
		return nil, err
	}
	return bot.Success(fmt.Sprintf("「%s」已抽签：%d 人报名，%d 人中签，%d 人候补。抽签种子 %d（可用「抽签核验 %d」复核）。每位报名人已收到私信通知。",
		a.Title, len(res.Order), res.Confirmed, res.Waitlisted, res.Seed, a.ID)), nil
}

// verifyDraw answers 抽签核验 <活动>: the draw recomputed from its stored seed.
func (h *handler) verifyDraw(c *bot.Context) (*bot.Response, error) {
	a, err := h.findPastActivity(c, c.ArgText)
	if err != nil {
		return nil, err
	}
	order, ok, err := h.DB.CheckLottery(c.Ctx, a.ID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return bot.Fail(fmt.Sprintf("「%s」的抽签结果与种子 %d 重算的顺序不一致，请联系管理员核查。", a.Title, a.LotterySeed)), nil
	}
	return bot.Success(fmt.Sprintf("「%s」核验通过：按种子 %d 重算 %d 人的抽签顺序，与保存的结果一致。", a.Title, a.LotterySeed, len(order))), nil
}
