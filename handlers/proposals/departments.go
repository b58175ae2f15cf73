package proposals

import (
	"fmt"
	"strings"

	"github.com/unionbot/unionbot/bot"
	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/store"
)

// DepartmentsCard lists the departments (承办单位) with their contacts and 分管校领导, each with
// 修改, and 新增承办单位.
func DepartmentsCard(ds []*store.Department, leaders map[int64]string) *card.Card {
	cd := card.New("承办单位").Color(card.Indigo)
	for _, d := range ds {
		var names []string
		for _, m := range d.Contacts {
			names = append(names, md(m.Name))
		}
		line := fmt.Sprintf("**%s** · 联系人：%s", md(d.Name), orNoneText(strings.Join(names, "、")))
		if l := leaders[d.ID]; l != "" {
			line += " · 分管校领导：" + md(l)
		}
		cd.Add(card.Markdown(line), card.Buttons(card.Button{Text: card.T("修改"), Value: card.Action(actDepartmentForm).With("department_id", d.ID)}))
	}
	if len(ds) == 0 {
		cd.Add(card.Markdown("还没有承办单位。"))
	}
	return cd.Add(card.Buttons(card.Button{Text: card.T("新增承办单位"), Type: card.Primary, Value: card.Action(actDepartmentForm).With("department_id", 0)}))
}

func orNoneText(s string) string {
	if s == "" {
		return "无"
	}
	return s
}

// DepartmentFormCard adds a department (d nil) or edits one's contacts and 分管校领导 (its
// name stays), picked with the person picker.
func DepartmentFormCard(d *store.Department, leaderOpenID string) *card.Card {
	title, id := "新增承办单位", int64(0)
	var els []card.Element
	var contacts, leader []string
	if d != nil {
		title, id = "修改承办单位："+d.Name, d.ID
		for _, m := range d.Contacts {
			if m.OpenID != "" {
				contacts = append(contacts, m.OpenID)
			}
		}
		if leaderOpenID != "" {
			leader = []string{leaderOpenID}
		}
	} else {
		els = append(els, card.Input{Name: "name", Label: card.T("单位名称（最多 50 字）"), Required: true, MaxLength: 50})
	}
	els = append(els,
		card.PersonPicker{Name: "contacts", Label: card.T("联系人（承办联系人，可多选）"), Multi: true, Required: true, Selected: contacts},
		card.PersonPicker{Name: "leader", Label: card.T("分管校领导（至多一位，可不选）"), Multi: true, Selected: leader},
		card.Buttons(card.Button{Text: card.T("保存"), Type: card.Primary, Name: "save_department", Form: card.Submit,
			Value: card.Action(actDepartmentSave).With("department_id", id)}))
	return card.New(title).Color(card.Blue).Add(
		card.Markdown("联系人获得「承办联系人」角色，只为本单位答复；不再是任何单位联系人的，角色随之撤销。"),
		card.Form("department_form", els...))
}

// departments answers 承办单位: the list.
func (h *Handlers) departments(c *bot.Context) (*bot.Response, error) {
	ds, err := c.Tx.Departments(c.Ctx)
	if err != nil {
		return nil, err
	}
	leaders := map[int64]string{}
	for _, d := range ds {
		if d.LeaderMemberID != 0 {
			m, err := c.Tx.MemberByID(c.Ctx, d.LeaderMemberID)
			if err != nil {
				return nil, err
			}
			leaders[d.ID] = m.Name
		}
	}
	return bot.ReplyCard(DepartmentsCard(ds, leaders)), nil
}

// departmentForm is the form: empty (department_id 0) or the department's.
func (h *Handlers) departmentForm(c *bot.Context) (*bot.Response, error) {
	id := c.Int("department_id")
	if id == 0 {
		return bot.ReplyCard(DepartmentFormCard(nil, "")), nil
	}
	d, err := c.Tx.DepartmentByID(c.Ctx, id)
	if err != nil {
		return c.Refusal(err)
	}
	leader := ""
	if d.LeaderMemberID != 0 {
		m, err := c.Tx.MemberByID(c.Ctx, d.LeaderMemberID)
		if err != nil {
			return nil, err
		}
		leader = m.OpenID
	}
	return bot.ReplyCard(DepartmentFormCard(d, leader)), nil
}

// departmentSave adds a department or saves one's contacts and 分管校领导 (store.SaveDepartment:
// the contacts get the role, former ones lose it). Everyone picked must be known to the bot; a
// new department's name must be free. A problem is named and nothing is written.
func (h *Handlers) departmentSave(c *bot.Context) (*bot.Response, error) {
	d := &store.Department{}
	id := c.Int("department_id")
	if id != 0 {
		old, err := c.Tx.DepartmentByID(c.Ctx, id)
		if err != nil {
			return c.Refusal(err)
		}
		d.Name = old.Name
	} else {
		d.Name = strings.TrimSpace(c.FormString("name"))
		if _, err := c.Tx.DepartmentByName(c.Ctx, d.Name); err == nil {
			return bot.Warn(fmt.Sprintf("承办单位「%s」已存在，请在列表中点「修改」。", d.Name)), nil
		} else if store.ErrorCode(err) != store.ENOTFOUND {
			return nil, err
		}
	}
	members := func(ids []string) ([]*store.Member, error) {
		var out []*store.Member
		for _, oid := range ids {
			m, err := c.Tx.MemberByOpenID(c.Ctx, oid)
			if store.ErrorCode(err) == store.ENOTFOUND {
				return nil, store.Errorf(store.EINVALID, "所选人员中有人还没有使用过本机器人，请先导入会员名单或请其给我发一条消息。")
			} else if err != nil {
				return nil, err
			}
			out = append(out, m)
		}
		return out, nil
	}
	var err error
	if d.Contacts, err = members(c.FormStrings("contacts")); err != nil {
		return c.Refusal(err)
	}
	if len(d.Contacts) == 0 {
		return bot.Warn("请至少选择一位联系人。"), nil
	}
	leaders, err := members(c.FormStrings("leader"))
	if err != nil {
		return c.Refusal(err)
	}
	if len(leaders) > 1 {
		return bot.Warn("分管校领导至多选一位。"), nil
	}
	if len(leaders) == 1 {
		d.LeaderMemberID = leaders[0].ID
	}
	created, err := c.Tx.SaveDepartment(c.Ctx, d, c.Sender.OpenID)
	if err != nil {
		return c.Refusal(err)
	}
	r, err := h.departments(c)
	if err != nil {
		return nil, err
	}
	r.Toast = &bot.Toast{Type: "success", Text: map[bool]string{true: "已新增承办单位「" + d.Name + "」。", false: "已保存承办单位「" + d.Name + "」。"}[created]}
	return r, nil
}
