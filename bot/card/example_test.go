package card_test

import (
	"errors"
	"fmt"

	"github.com/unionbot/unionbot/bot/card"
)

func ExampleNew() {
	c := card.New("报名成功").Color(card.Green).Add(
		card.Markdown("你已报名 **羽毛球比赛**。"),
		card.Buttons(card.Button{
			Text:  card.T("取消报名"),
			Type:  card.Danger,
			Value: card.Action("signup.cancel").With("activity_id", 42),
		}),
	)
	b, err := c.JSON()
	if err != nil {
		panic(err)
	}
	fmt.Println(string(b))
	// Output:
	// {"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"报名成功"},"template":"green"},"body":{"elements":[{"tag":"markdown","content":"你已报名 **羽毛球比赛**。"},{"tag":"column_set","flex_mode":"flow","columns":[{"tag":"column","width":"auto","elements":[{"tag":"button","type":"danger","text":{"tag":"plain_text","content":"取消报名"},"behaviors":[{"type":"callback","value":{"action":"signup.cancel","activity_id":42}}]}]}]}]}}
}

func ExampleForm() {
	c := card.New("提交提案").Add(card.Form("proposal",
		card.Input{Name: "title", Label: card.T("提案标题"), Required: true, MaxLength: 50},
		card.Input{Name: "body", Label: card.T("提案内容"), Multiline: true},
		card.Buttons(card.Button{
			Text: card.T("提交"), Type: card.Primary, Name: "submit", Form: card.Submit,
			Value: card.Action("proposal.create"),
		}),
	))
	fmt.Println(c.Validate())

	// A form without a submit button could never be sent.
	bad := card.New("提交提案").Add(card.Form("proposal", card.Input{Name: "title"}))
	err := bad.Validate()
	fmt.Println(errors.Is(err, card.ErrNoSubmit))
	fmt.Println(err)
	// Output:
	// <nil>
	// true
	// card: body.elements[0] (form "proposal"): form has no submit button: add a Button with Form: card.Submit
}

func ExampleTextContent() {
	fmt.Println(card.TextContent(`报名已截止，"羽毛球比赛" 名额已满`))
	// Output: {"text":"报名已截止，\"羽毛球比赛\" 名额已满"}
}
