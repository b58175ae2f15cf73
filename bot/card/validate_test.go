package card_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/unionbot/unionbot/bot/card"
)

// submit is a valid submit button for forms under test.
func submit(name string) card.Element {
	return card.Buttons(card.Button{
		Text: card.T("提交"), Type: card.Primary, Name: name, Form: card.Submit, Value: card.Action("test.submit"),
	})
}

func TestValidate(t *testing.T) {
	manyDividers := make([]card.Element, card.MaxComponents+1)
	for i := range manyDividers {
		manyDividers[i] = card.Divider()
	}

	tests := []struct {
		name    string
		card    *card.Card
		want    error
		wantMsg string // a fragment the message must contain, to pin the path or detail
	}{
		{
			name: "empty title",
			card: card.New(""),
			want: card.ErrNoTitle,
		},
		{
			name: "nested form",
			card: card.New("表单").Add(card.Form("outer",
				card.Form("inner", card.Input{Name: "a"}, submit("inner_submit")),
				submit("outer_submit"),
			)),
			want:    card.ErrNestedForm,
			wantMsg: `body.elements[0].elements[0] (form "inner")`,
		},
		{
			name: "form in a column",
			card: card.New("表单").Add(card.Columns(card.Column{Elements: []card.Element{
				card.Form("f", card.Input{Name: "a"}, submit("s")),
			}})),
			want:    card.ErrFormNotAtRoot,
			wantMsg: "body.elements[0].columns[0].elements[0]",
		},
		{
			name: "duplicate field names in a form",
			card: card.New("表单").Add(card.Form("f",
				card.Input{Name: "title"},
				card.Input{Name: "title", Multiline: true},
				submit("s"),
			)),
			want:    card.ErrDuplicateName,
			wantMsg: `"title" is also used at body.elements[0].elements[0]`,
		},
		{
			name: "field named like its form",
			card: card.New("表单").Add(card.Form("f", card.Checker{Name: "f", Text: card.T("同意")}, submit("s"))),
			want: card.ErrDuplicateName,
		},
		{
			name: "same name in two forms",
			card: card.New("表单").Add(
				card.Form("f1", card.Input{Name: "x"}, submit("s1")),
				card.Form("f2", card.Input{Name: "x"}, submit("s2")),
			),
			want: card.ErrDuplicateName,
		},
		{
			name: "form without submit",
			card: card.New("表单").Add(card.Form("f",
				card.Input{Name: "a"},
				card.Buttons(card.Button{Text: card.T("重置"), Name: "r", Form: card.Reset}),
			)),
			want:    card.ErrNoSubmit,
			wantMsg: `(form "f")`,
		},
		{
			name: "form without name",
			card: card.New("表单").Add(card.Form("", card.Input{Name: "a"}, submit("s"))),
			want: card.ErrMissingName,
		},
		{
			name: "field without name",
			card: card.New("表单").Add(card.Form("f", card.DatePicker{Label: card.T("日期")}, submit("s"))),
			want: card.ErrMissingName,
		},
		{
			name: "button in a form without name",
			card: card.New("表单").Add(card.Form("f", card.Input{Name: "a"}, submit(""))),
			want: card.ErrMissingName,
		},
		{
			name: "input outside a form",
			card: card.New("表单").Add(card.Input{Name: "a"}),
			want: card.ErrOutsideForm,
		},
		{
			name: "submit button outside a form",
			card: card.New("卡片").Add(submit("s")),
			want: card.ErrOutsideForm,
		},
		{
			name: "value without action",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("报名"), Value: card.Value{"activity_id": 42}})),
			want: card.ErrNoAction,
		},
		{
			name: "action that is not a string",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("报名"), Value: card.Value{"action": 42}})),
			want: card.ErrNoAction,
		},
		{
			name: "empty action string",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("报名"), Value: card.Action("")})),
			want: card.ErrNoAction,
		},
		{
			name: "empty value",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("报名"), Value: card.Value{}})),
			want: card.ErrNoAction,
		},
		{
			name: "button that does nothing",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("报名")})),
			want: card.ErrNoAction,
		},
		{
			name: "submit without value",
			card: card.New("表单").Add(card.Form("f", card.Input{Name: "a"},
				card.Buttons(card.Button{Text: card.T("提交"), Name: "s", Form: card.Submit}))),
			want: card.ErrNoAction,
		},
		{
			name:    "oversized card",
			card:    card.New("公告").Add(card.Markdown(strings.Repeat("工会", 6000))),
			want:    card.ErrTooLarge,
			wantMsg: "at most 30720",
		},
		{
			name:    "more than 200 components",
			card:    card.New("列表").Add(manyDividers...),
			want:    card.ErrTooManyComponents,
			wantMsg: "201",
		},
		{
			name: "unknown colour",
			card: card.New("卡片").Color(card.Color("pink")),
			want: card.ErrInvalid,
		},
		{
			name: "max length over 1000",
			card: card.New("表单").Add(card.Form("f", card.Input{Name: "a", MaxLength: 2000}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "default longer than max length",
			card: card.New("表单").Add(card.Form("f", card.Input{Name: "a", MaxLength: 2, Default: "三个字"}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "initial date in the wrong layout",
			card: card.New("表单").Add(card.Form("f", card.DatePicker{Name: "d", Initial: "2024/04/01"}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "initial date-time in the wrong layout",
			card: card.New("表单").Add(card.Form("f", card.DateTimePicker{Name: "d", Initial: "2024-04-01"}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "select without options",
			card: card.New("表单").Add(card.Form("f", card.Select{Name: "k"}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "initial value that is not an option",
			card: card.New("表单").Add(card.Form("f", card.Select{
				Name: "k", Initial: "other", Options: []card.Option{{Text: card.T("文体"), Value: "sport"}},
			}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "duplicate option values",
			card: card.New("表单").Add(card.Form("f", card.MultiSelect{
				Name: "k", Options: []card.Option{{Text: card.T("甲"), Value: "a"}, {Text: card.T("乙"), Value: "a"}},
			}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "preselected person on a single picker",
			card: card.New("表单").Add(card.Form("f", card.PersonPicker{Name: "p", Selected: []string{"ou_1"}}, submit("s"))),
			want: card.ErrInvalid,
		},
		{
			name: "button without text",
			card: card.New("卡片").Add(card.Buttons(card.Button{Value: card.Action("x")})),
			want: card.ErrInvalid,
		},
		{
			name: "link without scheme",
			card: card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("详情"), URL: "union.example.edu.cn/a/1"})),
			want: card.ErrInvalid,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.card.Validate()
			if !errors.Is(err, tt.want) {
				t.Fatalf("Validate() = %v, want an error wrapping %q", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Validate() = %q, want it to mention %q", err, tt.wantMsg)
			}
			// JSON and Map refuse the card the same way.
			if b, jerr := tt.card.JSON(); !errors.Is(jerr, tt.want) || b != nil {
				t.Errorf("JSON() = %q, %v; want nil, %v", b, jerr, err)
			}
			if m, merr := tt.card.Map(); !errors.Is(merr, tt.want) || m != nil {
				t.Errorf("Map() = %v, %v; want nil, %v", m, merr, err)
			}
		})
	}
}

func TestValidateAccepts(t *testing.T) {
	exactly := make([]card.Element, card.MaxComponents)
	for i := range exactly {
		exactly[i] = card.Divider()
	}
	tests := []struct {
		name string
		card *card.Card
	}{
		{"exactly 200 components", card.New("列表").Add(exactly...)},
		{"link button without value", card.New("卡片").Add(card.Buttons(card.Button{Text: card.T("详情"), URL: "https://example.edu.cn"}))},
		{"reset button without value", card.New("表单").Add(card.Form("f", card.Input{Name: "a"}, submit("s"),
			card.Buttons(card.Button{Text: card.T("重置"), Name: "r", Form: card.Reset})))},
		{"two forms", card.New("表单").Add(
			card.Form("f1", card.Input{Name: "a"}, submit("s1")),
			card.Form("f2", card.Input{Name: "b"}, submit("s2")),
		)},
		{"preselected organisers among candidates", card.New("表单").Add(card.Form("f",
			card.PersonPicker{Name: "p", Multi: true, Candidates: []string{"ou_1", "ou_2"}, Selected: []string{"ou_2"}},
			submit("s")))},
		{"card without body", card.New("通知")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.card.Validate(); err != nil {
				t.Errorf("Validate() = %v, want nil", err)
			}
		})
	}
}
