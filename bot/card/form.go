package card

// Layouts (time.Format) of the initial values of the date pickers.
const (
	// DateLayout is the layout of DatePicker.Initial, e.g. "2024-04-01".
	DateLayout = "2006-01-02"
	// DateTimeLayout is the layout of DateTimePicker.Initial, e.g. "2024-04-01 14:30".
	DateTimeLayout = "2006-01-02 15:04"
)

// defaultPlaceholder is shown in selects and pickers that were given no placeholder; Feishu
// requires one where no initial value is set.
var defaultPlaceholder = T("请选择")

// Form is a form container: its fields are sent together, in the callback's form_value keyed
// by field name, when the user presses a Submit button of the form. It must be at the root of
// the body, have a name unique in the card, and hold a Submit button; the elements may be
// anything but another form.
func Form(name string, els ...Element) Element {
	return elementFunc(func(dst []node) []node {
		return append(dst, node{Tag: tagForm, Name: name, Elements: render(els)})
	})
}

// Input is a text field of a form. MaxLength is at most 1000 (0 leaves Feishu's default).
type Input struct {
	Name        string // the key of the value in form_value; unique in the card
	Label       Text   // shown above the field
	Placeholder Text   // shown while the field is empty
	Required    bool   // Feishu refuses to submit the form while the field is empty
	Multiline   bool   // a text area instead of a single line
	MaxLength   int    // the most characters the user may type, 1 to 1000; 0 for Feishu's default
	Default     string // the text the field starts with
}

func (in Input) render(dst []node) []node {
	n := node{
		Tag:          tagInput,
		Name:         in.Name,
		Label:        in.Label.plain(),
		Placeholder:  in.Placeholder.plain(),
		DefaultValue: in.Default,
		MaxLength:    in.MaxLength,
		Required:     in.Required,
		Width:        "fill",
	}
	if n.Label != nil {
		n.LabelPosition = "top"
	}
	if in.Multiline {
		n.InputType = "multiline_text"
	}
	return append(dst, n)
}

// Option is one choice of a Select or MultiSelect: the text shown and the value sent back.
type Option struct {
	Text  Text   // shown to the user
	Value string // sent back in form_value; unique in its select
}

func options(opts []Option) []option {
	out := make([]option, 0, len(opts))
	for _, o := range opts {
		out = append(out, option{Text: o.Text.object(), Value: o.Value})
	}
	return out
}

// labelled appends the label of a form component that has no label of its own (only inputs
// do) as a bold markdown line, then the component.
func labelled(dst []node, label Text, n node) []node {
	if !label.IsZero() {
		dst = append(dst, markdownNode(label.mapped(func(s string) string { return "**" + s + "**" })))
	}
	return append(dst, n)
}

// placeholder returns p, or the default placeholder.
func placeholder(p Text) *textObject {
	if p.IsZero() {
		return defaultPlaceholder.plain()
	}
	return p.plain()
}

// Select is a single-choice dropdown of a form; Initial is the value chosen at first.
type Select struct {
	Name        string   // the key of the value in form_value; unique in the card
	Label       Text     // shown above the dropdown, as a bold line
	Placeholder Text     // shown while nothing is chosen; 请选择 when zero
	Required    bool     // Feishu refuses to submit the form while nothing is chosen
	Options     []Option // the choices, at least one
	Initial     string   // the Value chosen at first, if any
}

func (s Select) render(dst []node) []node {
	return labelled(dst, s.Label, node{
		Tag:           tagSelect,
		Name:          s.Name,
		Placeholder:   placeholder(s.Placeholder),
		Required:      s.Required,
		InitialOption: s.Initial,
		Options:       options(s.Options),
		Width:         "fill",
	})
}

// MultiSelect is a multiple-choice dropdown of a form; Selected are the values chosen at first.
type MultiSelect struct {
	Name        string   // the key of the values in form_value; unique in the card
	Label       Text     // shown above the dropdown, as a bold line
	Placeholder Text     // shown while nothing is chosen; 请选择 when zero
	Required    bool     // Feishu refuses to submit the form while nothing is chosen
	Options     []Option // the choices, at least one
	Selected    []string // the Values chosen at first
}

func (s MultiSelect) render(dst []node) []node {
	return labelled(dst, s.Label, node{
		Tag:            tagMultiSelect,
		Name:           s.Name,
		Placeholder:    placeholder(s.Placeholder),
		Required:       s.Required,
		SelectedValues: s.Selected,
		Options:        options(s.Options),
		Width:          "fill",
	})
}

// PersonPicker picks one person of a form, or several with Multi; the callback carries open_ids.
// Candidates (open_ids) limits the choice; when empty, Feishu offers its default candidates
// (the members of the chat). Selected (open_ids, Multi only) are picked at first.
type PersonPicker struct {
	Name        string   // the key of the open_id(s) in form_value; unique in the card
	Label       Text     // shown above the picker, as a bold line
	Placeholder Text     // shown while nobody is picked; 请选择 when zero
	Required    bool     // Feishu refuses to submit the form while nobody is picked
	Multi       bool     // pick several people
	Candidates  []string // open_ids that may be picked; empty for Feishu's default
	Selected    []string // open_ids picked at first (Multi only)
}

func (p PersonPicker) render(dst []node) []node {
	n := node{
		Tag:            tagPerson,
		Name:           p.Name,
		Placeholder:    placeholder(p.Placeholder),
		Required:       p.Required,
		SelectedValues: p.Selected,
		Width:          "fill",
	}
	if p.Multi {
		n.Tag = tagMultiPerson
	}
	for _, id := range p.Candidates {
		n.Options = append(n.Options, option{Value: id})
	}
	return labelled(dst, p.Label, n)
}

// DatePicker picks a date in a form; Initial is in DateLayout. The callback carries the date
// with the user's zone, like "2024-04-01 +0800".
type DatePicker struct {
	Name        string // the key of the date in form_value; unique in the card
	Label       Text   // shown above the picker, as a bold line
	Placeholder Text   // shown while no date is picked; 请选择 when zero
	Required    bool   // Feishu refuses to submit the form while no date is picked
	Initial     string // the date picked at first, in DateLayout
}

func (d DatePicker) render(dst []node) []node {
	return labelled(dst, d.Label, node{
		Tag:         tagDatePicker,
		Name:        d.Name,
		Placeholder: placeholder(d.Placeholder),
		Required:    d.Required,
		InitialDate: d.Initial,
	})
}

// DateTimePicker picks a date and a time in a form; Initial is in DateTimeLayout. The callback
// carries it with the user's zone, like "2024-04-29 07:07 +0800".
type DateTimePicker struct {
	Name        string // the key of the date and time in form_value; unique in the card
	Label       Text   // shown above the picker, as a bold line
	Placeholder Text   // shown while nothing is picked; 请选择 when zero
	Required    bool   // Feishu refuses to submit the form while nothing is picked
	Initial     string // the date and time picked at first, in DateTimeLayout
}

func (d DateTimePicker) render(dst []node) []node {
	return labelled(dst, d.Label, node{
		Tag:             tagDateTimePicker,
		Name:            d.Name,
		Placeholder:     placeholder(d.Placeholder),
		Required:        d.Required,
		InitialDatetime: d.Initial,
	})
}

// Checker is a check box with its text, in a form; the callback carries whether it is checked.
type Checker struct {
	Name    string // the key of the checked state in form_value; unique in the card
	Text    Text   // shown beside the box
	Checked bool   // whether the box starts checked
}

func (c Checker) render(dst []node) []node {
	return append(dst, node{Tag: tagChecker, Name: c.Name, Text: c.Text.object(), Checked: c.Checked})
}
