// Package card builds Feishu (Lark) interactive cards in the card JSON 2.0 schema.
//
// The SDK only models the old 1.0 cards, so handlers build every card through this package:
// the builder is typed, its output is deterministic (struct field order, sorted callback
// values), and [Card.JSON] refuses cards that Feishu would reject or that would break the
// bot's callback routing.
//
// A card is a header and a list of body elements:
//
//	c := card.New("羽毛球比赛").Color(card.Green).Add(
//		card.Markdown("周六下午，体育馆二楼。"),
//		card.Fields(
//			card.Field{Label: card.T("时间"), Value: card.T("2024-04-20 14:00")},
//			card.Field{Label: card.T("名额"), Value: card.T("12 / 16")},
//		),
//		card.Buttons(
//			card.Button{Text: card.T("报名"), Type: card.Primary, Value: card.Action("signup.join").With("activity_id", 7)},
//		),
//	)
//	content, err := c.JSON() // the content of an msg_type "interactive" message
//
// Every user-visible string is a [Text]: [T] wraps a plain Chinese string (the common case),
// [I18n] adds an English variant that Feishu shows to clients set to English.
//
// Interactive components (inputs, selects, pickers, checkers) live in a [Form], which must sit
// at the root of the body, have a unique name, and contain a submit [Button]. Every callback
// button carries a [Value] whose "action" key names the route the bot's router dispatches on.
package card
