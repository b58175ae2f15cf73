package card_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/larksuite/oapi-sdk-go/v3/event/dispatcher/callback"

	"github.com/unionbot/unionbot/bot/card"
	"github.com/unionbot/unionbot/internal/golden"
)

func TestGolden(t *testing.T) {
	tests := []struct {
		name string
		card *card.Card
	}{
		{"signup_info", signupCard()},
		{"new_activity_form", newActivityForm()},
		{"i18n_menu", i18nCard()},
		{"cancel_confirm", cancelCard()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { golden.Card(t, tt.name, tt.card) })
	}
}

func TestDeterministic(t *testing.T) {
	first := newActivityForm().MustJSON()
	for range 20 {
		if got := newActivityForm().MustJSON(); !bytes.Equal(got, first) {
			t.Fatalf("output changed between runs:\n%s\n%s", first, got)
		}
	}
}

// TestRoundTrip parses the card back as Feishu would and checks the facts the bot relies on.
func TestRoundTrip(t *testing.T) {
	b, err := newActivityForm().JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Schema string `json:"schema"`
		Config struct {
			UpdateMulti *bool `json:"update_multi"`
		} `json:"config"`
		Header struct {
			Title struct {
				Tag     string `json:"tag"`
				Content string `json:"content"`
			} `json:"title"`
			Template string `json:"template"`
		} `json:"header"`
		Body struct {
			Elements []map[string]any `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("card JSON does not parse: %v", err)
	}
	if doc.Schema != "2.0" {
		t.Errorf("schema = %q, want 2.0", doc.Schema)
	}
	if doc.Config.UpdateMulti == nil || !*doc.Config.UpdateMulti {
		t.Errorf("config.update_multi = %v, want true", doc.Config.UpdateMulti)
	}
	if doc.Header.Title.Tag != "plain_text" || doc.Header.Title.Content != "新建活动" {
		t.Errorf("header.title = %+v", doc.Header.Title)
	}

	var form map[string]any
	for _, el := range doc.Body.Elements {
		if el["tag"] == "form" {
			form = el
		}
	}
	if form == nil {
		t.Fatalf("no form at the root of body.elements")
	}
	if form["name"] != "new_activity" {
		t.Errorf("form name = %v", form["name"])
	}
	// No form below the root.
	for _, el := range doc.Body.Elements {
		if n := countTag(el["elements"], "form") + countTag(el["columns"], "form"); n > 0 {
			t.Errorf("%d forms below the root", n)
		}
	}

	// The names the form_value of the submit callback will be keyed by.
	var names []string
	collect(form["elements"], func(m map[string]any) {
		if name, ok := m["name"].(string); ok && m["tag"] != "button" {
			names = append(names, name)
		}
	})
	want := []string{"title", "description", "kind", "audience", "date", "deadline", "capacity", "lead", "organisers", "insurance"}
	if !slices.Equal(names, want) {
		t.Errorf("form field names = %v, want %v", names, want)
	}

	// The submit button calls back with an object value naming its route.
	var submits []map[string]any
	collect(form["elements"], func(m map[string]any) {
		if m["form_action_type"] == "submit" {
			submits = append(submits, m)
		}
	})
	if len(submits) != 1 {
		t.Fatalf("%d submit buttons, want 1", len(submits))
	}
	behaviors, _ := submits[0]["behaviors"].([]any)
	if len(behaviors) != 1 {
		t.Fatalf("submit behaviors = %v", submits[0]["behaviors"])
	}
	cb, _ := behaviors[0].(map[string]any)
	value, ok := cb["value"].(map[string]any)
	if cb["type"] != "callback" || !ok || value["action"] != "activity.create" {
		t.Errorf("submit behavior = %v, want a callback with value.action activity.create", cb)
	}
}

// TestCallbackValueDecodes feeds a button's value through the SDK's callback type, the way a
// click comes back: it must decode into Action.Value with the route intact.
func TestCallbackValueDecodes(t *testing.T) {
	m, err := signupCard().Map()
	if err != nil {
		t.Fatal(err)
	}
	var values []any
	collect(m["body"].(map[string]any)["elements"], func(n map[string]any) {
		bs, _ := n["behaviors"].([]any)
		for _, b := range bs {
			if bm := b.(map[string]any); bm["type"] == "callback" {
				values = append(values, bm["value"])
			}
		}
	})
	if len(values) != 2 {
		t.Fatalf("%d callback values, want 2", len(values))
	}
	for _, v := range values {
		raw, err := json.Marshal(map[string]any{"tag": "button", "value": v})
		if err != nil {
			t.Fatal(err)
		}
		var action callback.CallBackAction
		if err := json.Unmarshal(raw, &action); err != nil {
			t.Fatalf("SDK cannot decode the value %s: %v", raw, err)
		}
		route, _ := action.Value["action"].(string)
		if !strings.HasPrefix(route, "signup.") || action.Value["activity_id"] != float64(42) {
			t.Errorf("decoded value = %v", action.Value)
		}
	}
}

// TestMapInCallbackResponse embeds a card in the SDK's callback response and checks the wire form.
func TestMapInCallbackResponse(t *testing.T) {
	m, err := cancelCard().Map()
	if err != nil {
		t.Fatal(err)
	}
	resp := callback.CardActionTriggerResponse{
		Toast: &callback.Toast{Type: "info", Content: "已取消"},
		Card:  &callback.Card{Type: "raw", Data: m},
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var back struct {
		Card struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		} `json:"card"`
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Card.Type != "raw" {
		t.Errorf("card.type = %q", back.Card.Type)
	}
	var got, want any
	if err := json.Unmarshal(back.Card.Data, &got); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(cancelCard().MustJSON(), &want); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("card.data differs from the card JSON:\ngot  %s\nwant %s", back.Card.Data, cancelCard().MustJSON())
	}
}

func TestValueWithCopies(t *testing.T) {
	base := card.Action("signup.join")
	a := base.With("activity_id", 1)
	b := base.With("activity_id", 2)
	if _, ok := base["activity_id"]; ok {
		t.Errorf("With changed the base value: %v", base)
	}
	if a["activity_id"] != 1 || b["activity_id"] != 2 {
		t.Errorf("a = %v, b = %v", a, b)
	}
	if got := a.Route(); got != "signup.join" {
		t.Errorf("Route() = %q", got)
	}
	if got := (card.Value{"action": 7}).Route(); got != "" {
		t.Errorf("Route() of a non-string action = %q, want empty", got)
	}
}

func TestTextContent(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"你好", `{"text":"你好"}`},
		{`他说 "报名" \ 成功`, `{"text":"他说 \"报名\" \\ 成功"}`},
		{"第一行\n第二行\t", `{"text":"第一行\n第二行\t"}`},
		{`<at user_id="ou_1">张三</at> 请确认 & 回复`, `{"text":"<at user_id=\"ou_1\">张三</at> 请确认 & 回复"}`},
	}
	for _, tt := range tests {
		got := card.TextContent(tt.in)
		if got != tt.want {
			t.Errorf("TextContent(%q) = %s, want %s", tt.in, got, tt.want)
		}
		var back struct{ Text string }
		if err := json.Unmarshal([]byte(got), &back); err != nil || back.Text != tt.in {
			t.Errorf("TextContent(%q) decodes to %q, %v", tt.in, back.Text, err)
		}
	}
}

func TestEmptyElementsRenderNothing(t *testing.T) {
	c := card.New("通知").Add(
		card.Markdown(""), card.Note(""), card.Fields(), card.Buttons(), card.Columns(), nil,
		card.Markdown("正文"),
	)
	var doc struct {
		Body struct {
			Elements []json.RawMessage `json:"elements"`
		} `json:"body"`
	}
	if err := json.Unmarshal(c.MustJSON(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Body.Elements) != 1 {
		t.Errorf("body has %d elements, want 1: %s", len(doc.Body.Elements), c)
	}
}

func TestEmptyBodyIsAnArray(t *testing.T) {
	got := string(card.New("空").MustJSON())
	want := `{"schema":"2.0","config":{"update_multi":true},"header":{"title":{"tag":"plain_text","content":"空"},"template":"blue"},"body":{"elements":[]}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestMustJSONPanicsOnInvalidCard(t *testing.T) {
	defer func() {
		r := recover()
		err, ok := r.(error)
		if !ok || !errors.Is(err, card.ErrNoTitle) {
			t.Errorf("recovered %v, want an error wrapping ErrNoTitle", r)
		}
	}()
	card.New("").MustJSON()
}

func TestStringDoesNotValidate(t *testing.T) {
	s := card.New("").String()
	if !strings.Contains(s, `"schema":"2.0"`) {
		t.Errorf("String() = %s", s)
	}
}

// collect calls f on every JSON object under v.
func collect(v any, f func(map[string]any)) {
	switch v := v.(type) {
	case map[string]any:
		f(v)
		for _, child := range v {
			collect(child, f)
		}
	case []any:
		for _, child := range v {
			collect(child, f)
		}
	}
}

// countTag counts the objects under v whose tag is tag.
func countTag(v any, tag string) int {
	n := 0
	collect(v, func(m map[string]any) {
		if m["tag"] == tag {
			n++
		}
	})
	return n
}

// TestSensitive: a sensitive card carries a neutral summary and cannot be forwarded; an
// empty summary is refused.
func TestSensitive(t *testing.T) {
	c := card.New("法律援助").Add(card.Markdown("案情：……")).Sensitive("你有一条法律援助消息")
	m, err := c.Map()
	if err != nil {
		t.Fatal(err)
	}
	cfg := m["config"].(map[string]any)
	if cfg["enable_forward"] != false || cfg["summary"].(map[string]any)["content"] != "你有一条法律援助消息" || !c.IsSensitive() {
		t.Errorf("config = %v", cfg)
	}
	plain, _ := card.New("菜单").Map()
	if _, ok := plain["config"].(map[string]any)["enable_forward"]; ok {
		t.Error("an ordinary card sets enable_forward")
	}
	if err := card.New("x").Sensitive("").Validate(); err == nil {
		t.Error("a sensitive card without a summary was accepted")
	}
}
