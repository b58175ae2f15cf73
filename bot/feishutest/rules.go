package feishutest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
)

// Rules the fake enforces only when asked (WithCardRules, WithAvailability): Feishu refuses a
// card JSON 2.0 it cannot render, and a message to someone outside the app's availability.
// Tests that send hand-made cards leave them off; the emulator turns them on.

// WithCardRules makes the fake refuse (HTTP 400, code 230099) an interactive message, patch,
// card update or batch card that Feishu would refuse: an unknown component tag, a 1.0 tag in a
// 2.0 card (sub-code 200861), a table not at the root of the body, more than 5 tables, a
// table's page size outside 1 to 10, a form inside a form, a form without a submit button, a form
// field without a name, two fields with one name or two components with one element_id, more
// than 200 components.
func WithCardRules() Option {
	return func(c *config) { c.cardRules = true }
}

// WithAvailability makes the fake refuse (HTTP 400, code 230013) a message sent by open_id to
// a user who is not in its directory (AddUser): the app's availability is the directory.
func WithAvailability() Option {
	return func(c *config) { c.availability = true }
}

const maxCardComponents = 200

// components2 are the body components of a card JSON 2.0.
var components2 = map[string]bool{
	"markdown": true, "div": true, "hr": true, "img": true, "img_combination": true, "column_set": true,
	"form": true, "collapsible_panel": true, "interactive_container": true, "table": true, "chart": true,
	"person": true, "person_list": true, "avatar": true, "button": true, "overflow": true, "input": true,
	"select_static": true, "multi_select_static": true, "select_person": true, "multi_select_person": true,
	"select_img": true, "date_picker": true, "picker_time": true, "picker_datetime": true, "checker": true,
	"audio": true,
}

// v1Only are 1.0 components Feishu refuses in a 2.0 card.
var v1Only = map[string]bool{"action": true, "note": true}

// fields are the components whose value a form submits under their name.
var fields = map[string]bool{
	"input": true, "select_static": true, "multi_select_static": true, "select_person": true,
	"multi_select_person": true, "select_img": true, "date_picker": true, "picker_time": true,
	"picker_datetime": true, "checker": true,
}

// cardProblem is why Feishu would refuse a card, or "".
func cardProblem(content []byte) string {
	var card struct {
		Schema string `json:"schema"`
		Body   struct {
			Elements []json.RawMessage `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(content, &card); err != nil {
		return "ErrCode: 200621; ErrMsg: parse card json err"
	}
	if card.Schema != "2.0" {
		return "" // 1.0 cards are not checked
	}
	c := &cardCheck{names: map[string]bool{}, ids: map[string]bool{}}
	c.elements(card.Body.Elements, false)
	if c.problem == "" && c.count > maxCardComponents {
		c.problem = fmt.Sprintf("ErrMsg: the card has %d components, more than %d", c.count, maxCardComponents)
	}
	return c.problem
}

type cardCheck struct {
	names, ids map[string]bool
	count      int
	tables     int
	depth      int  // 0 at the root of the body
	submit     bool // a submit button was seen in the current form
	problem    string
}

func (c *cardCheck) fail(format string, args ...any) {
	if c.problem == "" {
		c.problem = fmt.Sprintf(format, args...)
	}
}

type element struct {
	Tag            string            `json:"tag"`
	Name           string            `json:"name"`
	ElementID      string            `json:"element_id"`
	FormActionType string            `json:"form_action_type"`
	Elements       []json.RawMessage `json:"elements"`
	Columns        []json.RawMessage `json:"columns"`
	PageSize       *int              `json:"page_size"`
}

func (c *cardCheck) elements(list []json.RawMessage, inForm bool) {
	for _, raw := range list {
		var e element
		if err := json.Unmarshal(raw, &e); err != nil {
			c.fail("ErrCode: 200621; ErrMsg: parse card json err")
			return
		}
		c.element(e, inForm)
	}
}

// nested checks the elements of a container (not the root of the body).
func (c *cardCheck) nested(list []json.RawMessage, inForm bool) {
	c.depth++
	c.elements(list, inForm)
	c.depth--
}

func (c *cardCheck) element(e element, inForm bool) {
	c.count++
	switch {
	case v1Only[e.Tag]:
		c.fail("ErrCode: 200861; ErrMsg: tag %q of a 1.0 card in a 2.0 card", e.Tag)
	case !components2[e.Tag]:
		c.fail("ErrMsg: unknown tag %q", e.Tag)
	}
	if e.ElementID != "" {
		if c.ids[e.ElementID] {
			c.fail("ErrMsg: element_id %q used twice", e.ElementID)
		}
		c.ids[e.ElementID] = true
	}
	if fields[e.Tag] && inForm {
		switch {
		case e.Name == "":
			c.fail("ErrMsg: a %s in a form has no name", e.Tag)
		case c.names[e.Name]:
			c.fail("ErrMsg: the name %q is used twice", e.Name)
		}
		c.names[e.Name] = true
	}
	switch e.Tag {
	case "form":
		if inForm {
			c.fail("ErrMsg: a form inside a form")
		}
		if e.Name == "" || c.names[e.Name] {
			c.fail("ErrMsg: a form needs a unique name (%q)", e.Name)
		}
		c.names[e.Name] = true
		c.submit = false
		c.nested(e.Elements, true)
		if !c.submit {
			c.fail("ErrMsg: the form %q has no submit button", e.Name)
		}
	case "button":
		if inForm && e.FormActionType == "submit" {
			c.submit = true
		}
	case "column_set":
		for _, raw := range e.Columns {
			var col element
			if err := json.Unmarshal(raw, &col); err != nil || col.Tag != "column" {
				c.fail("ErrMsg: a column_set holds %q, not a column", col.Tag)
				return
			}
			c.count++
			c.nested(col.Elements, inForm)
		}
	case "table":
		c.tables++
		if c.tables > 5 {
			c.fail("ErrMsg: more than 5 tables in a card")
		}
		if c.depth > 0 {
			c.fail("ErrMsg: a table must sit at the root of the body")
		}
		if e.PageSize != nil && (*e.PageSize < 1 || *e.PageSize > 10) {
			c.fail("ErrMsg: table page_size %d not in [1,10]", *e.PageSize)
		}
	case "collapsible_panel", "interactive_container":
		c.nested(e.Elements, inForm)
	}
}

// checkCardLocked applies WithCardRules to a card (nil reply when it passes or the rules are
// off).
func (s *Server) checkCard(msgType string, content []byte) (reply, bool) {
	if !s.cardRules || msgType != "interactive" {
		return reply{}, true
	}
	if p := cardProblem(content); p != "" {
		return errReply(http.StatusBadRequest, CodeBadCard, "Failed to create card content, ext="+p), false
	}
	return reply{}, true
}

// availableLocked applies WithAvailability to a receiver. s.mu must be held.
func (s *Server) availableLocked(idType, id string) bool {
	if !s.availability || idType != "open_id" {
		return true
	}
	return slices.ContainsFunc(s.users, func(u User) bool { return u.OpenID == id })
}
