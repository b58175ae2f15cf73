package handlers

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
)

// failedMessages shows admins the newest messages Feishu refused for good, with the code and
// the reason (for example a member outside the app's availability), and whom they were for.
func (h *handlers) failedMessages(c *bot.Context) (*bot.Response, error) {
	rows, err := h.DB.FailedOutbox(c.Ctx, 10)
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return bot.Info("最近没有发送失败的消息。"), nil
	}
	var lines []string
	for _, r := range rows {
		to := r.ReceiveIDType + " " + r.ReceiveID
		if m, err := c.Tx.MemberByOpenID(c.Ctx, r.ReceiveID); err == nil {
			to = m.Display()
		}
		lines = append(lines, fmt.Sprintf("- %s → %s：错误码 %d，%s（尝试 %d 次）",
			r.CreatedAt.In(h.Loc).Format("01-02 15:04"), to, r.LastCode, truncate(r.LastError, 60), r.Attempts))
	}
	cd := card.New("发送失败的消息").Color(card.Red).Add(card.Markdown(strings.Join(lines, "\n")),
		card.Note("230013：对方不在应用可用范围内；230053：对方屏蔽了机器人；230002：机器人不在群里。"))
	return bot.ReplyCard(cd), nil
}
