package privacy

import (
	"errors"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
)

// ErrNotPrivate is returned when a sensitive message is addressed to a chat instead of one
// person.
var ErrNotPrivate = errors.New("privacy: sensitive content goes 1:1 only, not to a chat")

// SendPrivate queues cd to one member, by open_id, 1:1: a chat id (oc_...) or an empty
// receiver is refused with ErrNotPrivate. The card is marked sensitive with summary (a
// neutral text such as 你有一条法律援助消息) unless it already is. Nothing is logged.
func SendPrivate(c *bot.Context, openID string, cd *card.Card, summary string) error {
	if openID == "" || strings.HasPrefix(openID, "oc_") || !strings.HasPrefix(openID, "ou_") {
		return ErrNotPrivate
	}
	if !cd.IsSensitive() {
		cd.Sensitive(summary)
	}
	msg, err := bot.Card(cd)
	if err != nil {
		return err
	}
	return c.SendTo(openID, msg)
}

// Notify sends member openID the neutral notice text (你有一条帮扶申请待审核) 1:1, with a
// button (label, open) that brings the details: they are rendered when clicked, so they
// appear in no notification, preview or queued message.
func Notify(c *bot.Context, openID, text, label string, open card.Value) error {
	cd := card.New("工会助手").Color(card.Indigo).Add(
		card.Markdown(text),
		card.Buttons(card.Button{Text: card.T(label), Type: card.Primary, Value: open}),
	)
	return SendPrivate(c, openID, cd, text)
}

// ReplyPrivate answers with cd in place when the event came from a 1:1 chat; asked in a
// group, it sends cd 1:1 to the sender and answers the group with groupText only (a neutral
// line). cd is marked sensitive.
func ReplyPrivate(c *bot.Context, cd *card.Card, groupText string) (*bot.Response, error) {
	if !cd.IsSensitive() {
		cd.Sensitive("工会助手：你有一条私信")
	}
	if c.ChatType == "p2p" || (c.Kind == bot.KindCardAction && c.ChatType == "") {
		return bot.ReplyCard(cd), nil
	}
	if err := SendPrivate(c, c.Sender.OpenID, cd, ""); err != nil {
		return nil, err
	}
	return bot.Info(groupText), nil
}
