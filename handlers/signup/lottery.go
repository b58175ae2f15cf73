package signup

import (
	"fmt"

	"github.com/unionbot/unionbot/bot"
)

// draw answers 抽签 <活动> (officers), for a lottery activity whose sign-up has closed.
func (h *handler) draw(c *bot.Context) (*bot.Response, error) {
	a, err := h.findActivity(c, c.ArgText)
	if err != nil {
		return c.Refusal(err)
	}
	res, err := c.Tx.DrawLottery(c.Ctx, a.ID, 0)
	if err != nil {
		return nil, err
	}
	if err := tellDrawn(c.Ctx, c.Tx, res); err != nil {
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
		return c.Refusal(err)
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
