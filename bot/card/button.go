package card

import "maps"

// ButtonType is the style of a button.
type ButtonType string

// Button styles. The zero ButtonType is Default.
const (
	Default ButtonType = "default"
	Primary ButtonType = "primary"
	Danger  ButtonType = "danger"
)

// FormAction binds a button inside a form to the form: Submit sends every field with the
// button's Value, Reset clears the fields.
type FormAction string

// The form actions of a Button inside a form.
const (
	Submit FormAction = "submit"
	Reset  FormAction = "reset"
)

// Value is the payload a callback button sends back to the bot. It is always a JSON object (the
// SDK cannot decode anything else) and must hold an "action" string naming the route the
// router dispatches on; other keys are that route's parameters. Build it with Action and With,
// or as a literal: card.Value{"action": "signup.join", "activity_id": 7}.
type Value map[string]any

// ActionKey is the key of Value that names the callback route.
const ActionKey = "action"

// Action starts a Value for the given route.
func Action(route string) Value { return Value{ActionKey: route} }

// With returns a copy of v with key set to val, so a shared base value is never changed.
func (v Value) With(key string, val any) Value {
	out := make(Value, len(v)+1)
	maps.Copy(out, v)
	out[key] = val
	return out
}

// Route returns the "action" string of v, or "" when it has none.
func (v Value) Route() string {
	s, _ := v[ActionKey].(string)
	return s
}

// Confirm is a dialog the user must accept before a button acts.
type Confirm struct {
	Title Text // the question, like 确认取消报名？
	Text  Text // what follows if the user accepts
}

// Button is a button of a Buttons row. It calls the bot back with Value, opens URL, or both; a
// Reset button may do neither. Inside a form it needs a Name unique in the card, and Form
// makes it submit or reset the form.
type Button struct {
	Text    Text       // the label
	Type    ButtonType // the style; Default when zero
	Value   Value      // sent back to the bot on a click; needs an "action" string
	URL     string     // opened on a click
	Name    string     // identifies the button in the callback; required inside a form
	Confirm *Confirm   // asks before acting, for destructive buttons
	Form    FormAction // Submit or Reset, for buttons inside a form
}

// Buttons is a row of buttons that wraps on narrow screens; no buttons render nothing.
func Buttons(bs ...Button) Element {
	return elementFunc(func(dst []node) []node {
		if len(bs) == 0 {
			return dst
		}
		row := node{Tag: tagColumnSet, FlexMode: "flow"}
		for _, b := range bs {
			row.Columns = append(row.Columns, node{
				Tag: tagColumn, Width: "auto", Elements: []node{b.node()},
			})
		}
		return append(dst, row)
	})
}

// node renders the button.
func (b Button) node() node {
	n := node{
		Tag:            tagButton,
		Name:           b.Name,
		Type:           or(string(b.Type), string(Default)),
		Text:           b.Text.object(),
		FormActionType: string(b.Form),
	}
	if b.Confirm != nil {
		n.Confirm = &confirmObject{Title: b.Confirm.Title.object(), Text: b.Confirm.Text.object()}
	}
	if b.URL != "" {
		n.Behaviors = append(n.Behaviors, behavior{Type: "open_url", DefaultURL: b.URL})
	}
	if b.Value != nil {
		n.Behaviors = append(n.Behaviors, behavior{Type: "callback", Value: b.Value})
	}
	return n
}
