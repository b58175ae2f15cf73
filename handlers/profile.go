package handlers

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

var employeeNoPattern = regexp.MustCompile(`^[0-9A-Za-z-]{1,32}$`)

func (h *handlers) profileShow(c *bot.Context) (*bot.Response, error) {
	cd, err := h.profileCard(c)
	if err != nil {
		return nil, err
	}
	return bot.ReplyCard(cd), nil
}

func (h *handlers) profileCard(c *bot.Context) (*card.Card, error) {
	m, err := c.Tx.MemberByID(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	branches, err := h.DB.Branches(c.Ctx)
	if err != nil {
		return nil, err
	}
	gender := map[string]string{"M": "男", "F": "女"}[m.Gender]
	fields := []card.Field{
		{Label: card.T("姓名"), Value: card.T(orDash(m.Name))},
		{Label: card.T("工号"), Value: card.T(orDash(m.EmployeeNo))},
		{Label: card.T("分工会"), Value: card.T(orDash(m.BranchName))},
		{Label: card.T("性别"), Value: card.T(orDash(gender))},
	}
	els := []card.Element{
		card.Input{Name: "name", Label: card.T("姓名"), Required: true, MaxLength: 32, Default: defaultName(m)},
		card.Input{Name: "employee_no", Label: card.T("工号"), Placeholder: card.T("如 000123"), MaxLength: 32, Default: m.EmployeeNo},
	}
	if len(branches) > 0 {
		opts := make([]card.Option, len(branches))
		for i, b := range branches {
			opts[i] = card.Option{Text: card.T(b.Name), Value: b.Name}
		}
		els = append(els, card.Select{Name: "branch", Label: card.T("分工会"), Options: opts, Initial: m.BranchName})
	}
	els = append(els,
		card.Select{Name: "gender", Label: card.T("性别"), Initial: m.Gender,
			Options: []card.Option{{Text: card.T("男"), Value: "M"}, {Text: card.T("女"), Value: "F"}}},
		card.Buttons(card.Button{Text: card.T("保存"), Type: card.Primary, Form: card.Submit, Name: "profile_submit",
			Value: card.Action(actProfileSave)}))
	return card.New("我的信息").Color(card.Turquoise).Add(
		card.Fields(fields...),
		card.Note("工号只能登记一次；如需更正已登记的工号，请联系工会干事。"),
		card.Form("profile", els...),
	), nil
}

func (h *handlers) profileSave(c *bot.Context) (*bot.Response, error) {
	m, err := c.Tx.MemberByID(c.Ctx, c.Sender.MemberID)
	if err != nil {
		return nil, err
	}
	name := strings.TrimSpace(c.FormString("name"))
	empNo := strings.TrimSpace(c.FormString("employee_no"))
	branch := strings.TrimSpace(c.FormString("branch"))
	gender := c.FormString("gender")
	switch {
	case name == "" || name == PlaceholderName:
		return bot.Warn("请填写你的真实姓名"), nil
	case utf8.RuneCountInString(name) > 32:
		return bot.Warn("姓名太长了（最多 32 个字）"), nil
	case empNo != "" && !employeeNoPattern.MatchString(empNo):
		return bot.Warn("工号只能包含数字、字母和短横线"), nil
	case m.EmployeeNo != "" && empNo != m.EmployeeNo:
		return bot.Warn(fmt.Sprintf("工号已登记为 %s，如需更正请联系工会干事", m.EmployeeNo)), nil
	case gender != "" && gender != "M" && gender != "F":
		return bot.Warn("请选择性别"), nil
	}
	var changed []string
	if name != m.Name {
		m.Name, m.Placeholder = name, false
		changed = append(changed, "name")
	}
	if empNo != m.EmployeeNo {
		if other, err := c.Tx.MemberByEmployeeNo(c.Ctx, empNo); err == nil && other.ID != m.ID {
			return bot.Warn(fmt.Sprintf("工号 %s 已登记在另一位成员名下，请联系工会干事核对", empNo)), nil
		}
		m.EmployeeNo = empNo
		changed = append(changed, "employee_no")
	}
	if branch != "" && branch != m.BranchName {
		id, err := c.Tx.BranchByName(c.Ctx, branch)
		if err != nil {
			return nil, err
		}
		m.BranchID, m.BranchName = id, branch
		changed = append(changed, "branch")
	}
	if gender != "" && gender != m.Gender {
		m.Gender = gender
		changed = append(changed, "gender")
	}
	if len(changed) == 0 {
		return bot.Info("信息没有变化。"), nil
	}
	if err := c.Tx.SaveMember(c.Ctx, m); err != nil {
		return nil, err
	}
	if err := c.Tx.Audit(c.Ctx, c.Sender.OpenID, "member", fmt.Sprint(m.ID), "profile", strings.Join(changed, ",")); err != nil {
		return nil, err
	}
	c.Sender.Name = m.Name
	cd, err := h.profileCard(c)
	if err != nil {
		return nil, err
	}
	return &bot.Response{Toast: &bot.Toast{Type: "success", Text: "已保存"}, Card: cd}, nil
}

func defaultName(m *store.Member) string {
	if m.Placeholder {
		return ""
	}
	return m.Name
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
