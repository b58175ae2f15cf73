package card

// node is one rendered component of the card body, in wire form. Every public element renders
// into nodes; validation and counting run on the nodes, so they judge exactly what is sent.
// Field order is the JSON key order, which keeps golden files stable.
type node struct {
	Tag  string `json:"tag,omitempty"` // empty only for a table's column definitions
	Name string `json:"name,omitempty"`
	Type string `json:"type,omitempty"` // button style

	// Text content.
	Text        *textObject  `json:"text,omitempty"`
	Content     string       `json:"content,omitempty"`
	I18nContent *i18nContent `json:"i18n_content,omitempty"`

	// Form fields.
	Label           *textObject `json:"label,omitempty"`
	LabelPosition   string      `json:"label_position,omitempty"`
	Placeholder     *textObject `json:"placeholder,omitempty"`
	DefaultValue    string      `json:"default_value,omitempty"`
	InputType       string      `json:"input_type,omitempty"`
	MaxLength       int         `json:"max_length,omitempty"`
	Required        bool        `json:"required,omitempty"`
	InitialOption   string      `json:"initial_option,omitempty"`
	InitialDate     string      `json:"initial_date,omitempty"`
	InitialDatetime string      `json:"initial_datetime,omitempty"`
	SelectedValues  []string    `json:"selected_values,omitempty"`
	Options         []option    `json:"options,omitempty"`
	Checked         bool        `json:"checked,omitempty"`

	// Layout.
	FlexMode string `json:"flex_mode,omitempty"`
	Width    string `json:"width,omitempty"`
	Weight   int    `json:"weight,omitempty"`

	// Buttons.
	Confirm        *confirmObject `json:"confirm,omitempty"`
	FormActionType string         `json:"form_action_type,omitempty"`
	Behaviors      []behavior     `json:"behaviors,omitempty"`

	// Tables: the columns are nodes without a tag (name, display_name, data_type, width).
	DisplayName     string           `json:"display_name,omitempty"`
	DataType        string           `json:"data_type,omitempty"`
	HorizontalAlign string           `json:"horizontal_align,omitempty"`
	PageSize        int              `json:"page_size,omitempty"`
	FreezeFirst     bool             `json:"freeze_first_column,omitempty"`
	Rows            []map[string]any `json:"rows,omitempty"`

	// Containers (and a table's column definitions).
	Columns  []node `json:"columns,omitempty"`
	Elements []node `json:"elements,omitempty"`
}

// option is one choice of a select or a candidate of a person picker.
type option struct {
	Text  *textObject `json:"text,omitempty"`
	Value string      `json:"value"`
}

// confirmObject is a button's confirmation dialog.
type confirmObject struct {
	Title *textObject `json:"title"`
	Text  *textObject `json:"text"`
}

// behavior is what a button does: open a URL or call the bot back with a value.
type behavior struct {
	Type       string `json:"type"`
	DefaultURL string `json:"default_url,omitempty"`
	Value      Value  `json:"value,omitempty"`
}

// Tags of the rendered components.
const (
	tagMarkdown       = "markdown"
	tagDiv            = "div"
	tagHR             = "hr"
	tagColumnSet      = "column_set"
	tagColumn         = "column"
	tagButton         = "button"
	tagForm           = "form"
	tagInput          = "input"
	tagSelect         = "select_static"
	tagMultiSelect    = "multi_select_static"
	tagPerson         = "select_person"
	tagMultiPerson    = "multi_select_person"
	tagDatePicker     = "date_picker"
	tagDateTimePicker = "picker_datetime"
	tagChecker        = "checker"
	tagTable          = "table"
)

// formFieldTags are the components that only work inside a form and need a name there.
var formFieldTags = map[string]bool{
	tagInput:          true,
	tagSelect:         true,
	tagMultiSelect:    true,
	tagPerson:         true,
	tagMultiPerson:    true,
	tagDatePicker:     true,
	tagDateTimePicker: true,
	tagChecker:        true,
}
