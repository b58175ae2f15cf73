package card_test

import "github.com/unionbot/unionbot/bot/card"

// Cards shaped like the ones the union bot sends; shared by the golden and round-trip tests.

// signupCard is the sign-up card of an activity: facts, seats, join/cancel and a details link.
func signupCard() *card.Card {
	join := card.Action("signup.join").With("activity_id", 42)
	return card.New("羽毛球比赛").
		Subtitle("校工会 · 文体活动").
		Color(card.Green).
		Add(
			card.Markdown("欢迎全体教职工报名参加春季羽毛球比赛，**男女单打、混合双打**均可报名。"),
			card.Fields(
				card.Field{Label: card.T("时间"), Value: card.T("2024-04-20 14:00")},
				card.Field{Label: card.T("地点"), Value: card.T("体育馆二楼")},
				card.Field{Label: card.T("名额"), Value: card.T("12 / 16")},
				card.Field{Label: card.T("报名截止"), Value: card.T("2024-04-18 18:00")},
				card.Field{Label: card.T("组织者"), Value: card.T("<at id=ou_3c14f3a59eaf2825dbe25359f15></at>")},
			),
			card.Divider(),
			card.Buttons(
				card.Button{Text: card.T("报名"), Type: card.Primary, Value: join},
				card.Button{Text: card.T("取消报名"), Value: card.Action("signup.cancel").With("activity_id", 42)},
				card.Button{Text: card.T("活动详情"), URL: "https://union.example.edu.cn/activities/42"},
			),
			card.Note("报名成功后将在活动前一天提醒你。"),
		)
}

// newActivityForm is the 新建活动 form, with every kind of form component.
func newActivityForm() *card.Card {
	return card.New("新建活动").
		Color(card.Blue).
		Add(
			card.Markdown("填写活动信息后点击 **创建**，活动将发布到工会群。"),
			card.Form("new_activity",
				card.Input{
					Name: "title", Label: card.T("活动名称"), Placeholder: card.T("如：春季羽毛球比赛"),
					Required: true, MaxLength: 50,
				},
				card.Input{
					Name: "description", Label: card.T("活动说明"), Placeholder: card.T("时间安排、注意事项等"),
					Multiline: true, MaxLength: 1000,
				},
				card.Select{
					Name: "kind", Label: card.T("活动类型"), Required: true, Initial: "sport",
					Options: []card.Option{
						{Text: card.T("文体活动"), Value: "sport"},
						{Text: card.T("春秋游"), Value: "outing"},
						{Text: card.T("慰问"), Value: "visit"},
						{Text: card.T("培训讲座"), Value: "lecture"},
					},
				},
				card.MultiSelect{
					Name: "audience", Label: card.T("面向对象"), Placeholder: card.T("可多选"),
					Selected: []string{"staff"},
					Options: []card.Option{
						{Text: card.T("在职教职工"), Value: "staff"},
						{Text: card.T("退休教职工"), Value: "retired"},
						{Text: card.T("教职工家属"), Value: "family"},
					},
				},
				card.DatePicker{Name: "date", Label: card.T("活动日期"), Required: true, Initial: "2024-04-20"},
				card.DateTimePicker{Name: "deadline", Label: card.T("报名截止"), Placeholder: card.T("选择截止时间")},
				card.Input{Name: "capacity", Label: card.T("名额"), Placeholder: card.T("不填表示不限"), MaxLength: 4},
				card.PersonPicker{Name: "lead", Label: card.T("负责人"), Required: true},
				card.PersonPicker{Name: "organisers", Label: card.T("组织者"), Multi: true, Placeholder: card.T("选择组织者")},
				card.Checker{Name: "insurance", Text: card.T("需要保险")},
				card.Buttons(
					card.Button{
						Text: card.T("创建"), Type: card.Primary, Name: "create", Form: card.Submit,
						Value: card.Action("activity.create"),
					},
					card.Button{Text: card.T("重置"), Name: "reset", Form: card.Reset},
				),
			),
		)
}

// i18nCard is the bot's menu, in Chinese and English.
func i18nCard() *card.Card {
	return card.NewText(card.I18n("工会助手", "Union assistant")).
		SubtitleText(card.I18n("湖南信息学院工会", "Hunan University of Information Technology Union")).
		Color(card.Indigo).
		Add(
			card.MarkdownText(card.I18n("你好！请选择要办理的事项：", "Hello! What would you like to do?")),
			card.Fields(
				card.Field{Label: card.I18n("进行中的活动", "Open activities"), Value: card.T("3")},
				card.Field{Label: card.I18n("我的提案", "My proposals"), Value: card.I18n("1 件待附议", "1 awaiting seconds")},
			),
			card.Buttons(
				card.Button{Text: card.I18n("活动报名", "Sign up"), Type: card.Primary, Value: card.Action("menu.activities")},
				card.Button{Text: card.I18n("提交提案", "New proposal"), Value: card.Action("menu.proposal")},
				card.Button{Text: card.I18n("申请帮扶", "Ask for aid"), Value: card.Action("menu.aid")},
			),
			card.NoteText(card.I18n("发送“帮助”查看全部命令。", "Send \"help\" to list every command.")),
		)
}

// cancelCard asks to confirm cancelling a sign-up, with a danger button behind a dialog.
func cancelCard() *card.Card {
	return card.New("取消报名").
		Color(card.Orange).
		Add(
			card.Markdown("你已报名 **羽毛球比赛**（2024-04-20 14:00）。"),
			card.Buttons(
				card.Button{
					Text: card.T("取消报名"), Type: card.Danger,
					Value:   card.Action("signup.cancel").With("activity_id", 42).With("confirmed", true),
					Confirm: &card.Confirm{Title: card.T("确认取消报名？"), Text: card.T("取消后名额将释放给候补人员。")},
				},
				card.Button{Text: card.T("保留报名"), Value: card.Action("signup.keep").With("activity_id", 42)},
			),
		)
}
