package card

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"
)

// Reasons a card is refused. Errors from Validate, JSON and Map wrap one of them, with the
// path of the offending component (like body.elements[2].elements[0]); test with errors.Is.
var (
	// ErrNoTitle: the header title is empty.
	ErrNoTitle = errors.New("card has no title")
	// ErrFormNotAtRoot: a form sits in a column instead of directly in the body.
	ErrFormNotAtRoot = errors.New("form is not at the root of the body")
	// ErrNestedForm: a form sits inside another form.
	ErrNestedForm = errors.New("form inside a form")
	// ErrNoSubmit: a form has no Submit button, so it could never be sent.
	ErrNoSubmit = errors.New("form has no submit button")
	// ErrMissingName: a form, a form component or a button inside a form has no name.
	ErrMissingName = errors.New("component has no name")
	// ErrDuplicateName: two components of the card share a name (Feishu wants them unique in
	// the whole card, and form_value is keyed by them).
	ErrDuplicateName = errors.New("duplicate component name")
	// ErrOutsideForm: a form component or a Submit/Reset button is not inside a form.
	ErrOutsideForm = errors.New("form component outside a form")
	// ErrNoAction: a button would call back without a Value holding an "action" string, or a
	// button does nothing at all.
	ErrNoAction = errors.New("button has no callback action")
	// ErrInvalid: a component has a value Feishu rejects (an unknown colour, an empty select, an
	// initial date in the wrong layout, a max length over 1000, ...).
	ErrInvalid = errors.New("invalid component")
	// ErrTooManyComponents: the card has more than MaxComponents components.
	ErrTooManyComponents = errors.New("too many components")
	// ErrTooLarge: the card JSON is over MaxBytes.
	ErrTooLarge = errors.New("card JSON too large")
)

// maxInputLength is the largest max_length of an input.
const maxInputLength = 1000

// validate checks a rendered card against the rules of Feishu and of the bot's router.
func validate(w wireCard) error {
	if w.Header.Title.Content == "" {
		return fmt.Errorf("card: header: %w", ErrNoTitle)
	}
	if w.Header.Template != "" && !knownColors[w.Header.Template] {
		return fmt.Errorf("card: header: %w: unknown colour %q", ErrInvalid, w.Header.Template)
	}
	if w.Config.Summary != nil && strings.TrimSpace(strings.ReplaceAll(w.Config.Summary.Content, "\x00", "")) == "" {
		return fmt.Errorf("card: config: %w: a sensitive card needs a neutral summary", ErrInvalid)
	}
	v := validator{names: map[string]string{}}
	if err := v.walk(w.Body.Elements, "body.elements", nil, true); err != nil {
		return err
	}
	if v.tables > MaxTables {
		return fmt.Errorf("card: %w: %d tables, at most %d", ErrInvalid, v.tables, MaxTables)
	}
	if v.count > MaxComponents {
		return fmt.Errorf("card: %w: %d, at most %d", ErrTooManyComponents, v.count, MaxComponents)
	}
	return nil
}

// validator walks the rendered body once, counting components and collecting names.
type validator struct {
	names  map[string]string // component name → path where it was first seen
	count  int
	tables int
}

// formScope is the form being walked.
type formScope struct {
	submits int
}

// walk checks the nodes at path; form is the enclosing form (nil outside any) and root tells
// whether the nodes are the body's own elements.
func (v *validator) walk(ns []node, path string, form *formScope, root bool) error {
	for i := range ns {
		v.count++
		if err := v.check(&ns[i], fmt.Sprintf("%s[%d]", path, i), form, root); err != nil {
			return err
		}
	}
	return nil
}

// check checks one node and its children.
func (v *validator) check(n *node, path string, form *formScope, root bool) error {
	where := path + " (" + n.Tag
	if n.Name != "" {
		where += fmt.Sprintf(" %q", n.Name)
	}
	where += ")"

	switch {
	case n.Tag == tagForm:
		if form != nil {
			return fail(where, ErrNestedForm, "")
		}
		if !root {
			return fail(where, ErrFormNotAtRoot, "")
		}
		if err := v.name(n, where, true); err != nil {
			return err
		}
		fs := &formScope{}
		if err := v.walk(n.Elements, path+".elements", fs, false); err != nil {
			return err
		}
		if fs.submits == 0 {
			return fail(where, ErrNoSubmit, "add a Button with Form: card.Submit")
		}
		return nil

	case formFieldTags[n.Tag]:
		if form == nil {
			return fail(where, ErrOutsideForm, "put it in a card.Form")
		}
		if err := v.name(n, where, true); err != nil {
			return err
		}
		if msg := fieldProblem(n); msg != "" {
			return fail(where, ErrInvalid, "%s", msg)
		}

	case n.Tag == tagButton:
		if err := v.button(n, where, form); err != nil {
			return err
		}

	case n.Tag == tagTable:
		return v.table(n, where, root)
	}

	if err := v.walk(n.Columns, path+".columns", form, false); err != nil {
		return err
	}
	return v.walk(n.Elements, path+".elements", form, false)
}

// fail reports err at where, with an optional detail.
func fail(where string, err error, format string, args ...any) error {
	if format == "" {
		return fmt.Errorf("card: %s: %w", where, err)
	}
	return fmt.Errorf("card: %s: %w: %s", where, err, fmt.Sprintf(format, args...))
}

// name checks that a component has a name when it must, and that the name is unique.
func (v *validator) name(n *node, where string, required bool) error {
	if n.Name == "" {
		if required {
			return fail(where, ErrMissingName, "")
		}
		return nil
	}
	if first, ok := v.names[n.Name]; ok {
		return fail(where, ErrDuplicateName, "%q is also used at %s", n.Name, first)
	}
	v.names[n.Name] = where
	return nil
}

// button checks a button: its form binding, its name, and what it does when pressed.
func (v *validator) button(n *node, where string, form *formScope) error {
	if n.Text == nil || n.Text.Content == "" {
		return fail(where, ErrInvalid, "button has no text")
	}
	switch FormAction(n.FormActionType) {
	case "":
	case Submit, Reset:
		if form == nil {
			return fail(where, ErrOutsideForm, "a %s button must be inside a card.Form", n.FormActionType)
		}
		if FormAction(n.FormActionType) == Submit {
			form.submits++
		}
	default:
		return fail(where, ErrInvalid, "unknown form action %q", n.FormActionType)
	}
	if err := v.name(n, where, form != nil); err != nil {
		return err
	}
	if n.Confirm != nil && n.Confirm.Title.Content == "" {
		return fail(where, ErrInvalid, "confirmation has no title")
	}

	callback := false
	for _, b := range n.Behaviors {
		switch b.Type {
		case "callback":
			callback = true
			if len(b.Value) == 0 {
				return fail(where, ErrNoAction, "the Value is empty; use card.Action(route)")
			}
			if b.Value.Route() == "" {
				return fail(where, ErrNoAction, "the Value has no non-empty %q string", ActionKey)
			}
		case "open_url":
			if u, err := url.Parse(b.DefaultURL); err != nil || u.Scheme == "" || (u.Host == "" && u.Opaque == "") {
				return fail(where, ErrInvalid, "bad URL %q", b.DefaultURL)
			}
		}
	}
	switch {
	case FormAction(n.FormActionType) == Submit && !callback:
		return fail(where, ErrNoAction, "a submit button needs a Value naming the route that receives the form")
	case len(n.Behaviors) == 0 && FormAction(n.FormActionType) != Reset:
		return fail(where, ErrNoAction, "the button does nothing; give it a Value or a URL")
	}
	return nil
}

// fieldProblem describes what is wrong with a form component's values, or returns "".
func fieldProblem(n *node) string {
	switch n.Tag {
	case tagInput:
		if n.MaxLength < 0 || n.MaxLength > maxInputLength {
			return fmt.Sprintf("max length %d is not in [1, %d]", n.MaxLength, maxInputLength)
		}
		if n.MaxLength > 0 && utf8.RuneCountInString(n.DefaultValue) > n.MaxLength {
			return fmt.Sprintf("default value is longer than the max length %d", n.MaxLength)
		}
	case tagSelect, tagMultiSelect:
		if len(n.Options) == 0 {
			return "no options"
		}
		values := map[string]bool{}
		for _, o := range n.Options {
			switch {
			case o.Value == "":
				return "an option has no value"
			case o.Text == nil || o.Text.Content == "":
				return fmt.Sprintf("option %q has no text", o.Value)
			case values[o.Value]:
				return fmt.Sprintf("option value %q appears twice", o.Value)
			}
			values[o.Value] = true
		}
		if n.InitialOption != "" && !values[n.InitialOption] {
			return fmt.Sprintf("initial value %q is not an option", n.InitialOption)
		}
		for _, s := range n.SelectedValues {
			if !values[s] {
				return fmt.Sprintf("selected value %q is not an option", s)
			}
		}
	case tagPerson, tagMultiPerson:
		if n.Tag == tagPerson && len(n.SelectedValues) > 0 {
			return "Selected needs Multi"
		}
		candidates := map[string]bool{}
		for _, o := range n.Options {
			if o.Value == "" {
				return "a candidate has no open_id"
			}
			candidates[o.Value] = true
		}
		for _, s := range n.SelectedValues {
			if len(candidates) > 0 && !candidates[s] {
				return fmt.Sprintf("selected person %q is not a candidate", s)
			}
		}
	case tagDatePicker:
		if n.InitialDate != "" {
			if _, err := time.Parse(DateLayout, n.InitialDate); err != nil {
				return fmt.Sprintf("initial date %q is not like %s", n.InitialDate, DateLayout)
			}
		}
	case tagDateTimePicker:
		if n.InitialDatetime != "" {
			if _, err := time.Parse(DateTimeLayout, n.InitialDatetime); err != nil {
				return fmt.Sprintf("initial date-time %q is not like %s", n.InitialDatetime, DateTimeLayout)
			}
		}
	case tagChecker:
		if n.Text == nil || n.Text.Content == "" {
			return "checker has no text"
		}
	}
	return ""
}

// table checks a table: at the root of the body, a page size of 1 to 10, 1 to 50 columns with
// unique names. Its column definitions are not components.
func (v *validator) table(n *node, where string, root bool) error {
	v.tables++
	switch {
	case !root:
		return fail(where, ErrInvalid, "a table must sit at the root of the body")
	case n.PageSize < 1 || n.PageSize > MaxTablePageSize:
		return fail(where, ErrInvalid, "page size %d, want 1 to %d", n.PageSize, MaxTablePageSize)
	case len(n.Columns) == 0 || len(n.Columns) > MaxTableColumns:
		return fail(where, ErrInvalid, "%d columns, want 1 to %d", len(n.Columns), MaxTableColumns)
	}
	seen := map[string]bool{}
	for _, c := range n.Columns {
		if c.Name == "" || seen[c.Name] {
			return fail(where, ErrInvalid, "column name %q empty or used twice", c.Name)
		}
		seen[c.Name] = true
	}
	return nil
}
