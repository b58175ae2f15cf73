package card

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Color is the colour of a card's header (Feishu's header "template").
type Color string

// Header colours Feishu supports.
const (
	Blue      Color = "blue"
	Wathet    Color = "wathet"
	Turquoise Color = "turquoise"
	Green     Color = "green"
	Yellow    Color = "yellow"
	Orange    Color = "orange"
	Red       Color = "red"
	Carmine   Color = "carmine"
	Violet    Color = "violet"
	Purple    Color = "purple"
	Indigo    Color = "indigo"
	Grey      Color = "grey"
)

var knownColors = map[Color]bool{
	Blue: true, Wathet: true, Turquoise: true, Green: true, Yellow: true, Orange: true,
	Red: true, Carmine: true, Violet: true, Purple: true, Indigo: true, Grey: true,
}

// Limits Feishu puts on a card.
const (
	// MaxBytes is the largest card JSON Feishu accepts (30 KB).
	MaxBytes = 30 * 1024
	// MaxComponents is the largest number of components in one card. Every rendered component
	// counts, containers and columns included, so the count errs on the safe side.
	MaxComponents = 200
)

// Card is a card under construction: a header and body elements. Build it with New, chain
// Subtitle, Color and Add, then send JSON. Methods modify the card and return it.
type Card struct {
	title    Text
	subtitle Text
	color    Color
	elements []Element
	// summary, when set, marks the card sensitive: Feishu shows summary in the chat list and
	// notifications instead of the card's text, and the card cannot be forwarded.
	summary string
}

// New starts a card with a Chinese title and a blue header.
func New(title string) *Card { return NewText(T(title)) }

// NewText starts a card whose title may carry an English variant, with a blue header.
func NewText(title Text) *Card { return &Card{title: title, color: Blue} }

// Subtitle sets the line under the title.
func (c *Card) Subtitle(s string) *Card { return c.SubtitleText(T(s)) }

// SubtitleText sets the line under the title, with an optional English variant.
func (c *Card) SubtitleText(t Text) *Card {
	c.subtitle = t
	return c
}

// Color sets the header colour.
func (c *Card) Color(col Color) *Card {
	c.color = col
	return c
}

// Sensitive marks the card as carrying sensitive content (aid, health, legal matters, ID
// numbers): summary, a neutral text like 你有一条帮扶申请待审核, is what Feishu shows in the
// chat list and in notifications instead of the card's text, and forwarding the card is off
// (enable_forward: false). An empty summary is refused by Validate.
func (c *Card) Sensitive(summary string) *Card {
	c.summary = summary
	if summary == "" {
		c.summary = "\x00"
	}
	return c
}

// IsSensitive reports whether Sensitive marked the card.
func (c *Card) IsSensitive() bool { return c.summary != "" }

// Add appends elements to the body, in order.
func (c *Card) Add(els ...Element) *Card {
	c.elements = append(c.elements, els...)
	return c
}

// Prepend inserts elements at the top of the body, before those already added (e.g. a note
// that a reminder comes late). The body is copied, so a shallow copy of a card
// (cp := *c; cp.Prepend(...)) leaves the original as it was.
func (c *Card) Prepend(els ...Element) *Card {
	body := make([]Element, 0, len(els)+len(c.elements))
	c.elements = append(append(body, els...), c.elements...)
	return c
}

// Validate reports the first reason Feishu would reject the card or the bot could not route its
// callbacks; the error wraps one of the Err* values of this package.
func (c *Card) Validate() error {
	_, err := c.build()
	return err
}

// JSON validates the card and returns its JSON, the content of an "interactive" message.
func (c *Card) JSON() ([]byte, error) { return c.build() }

// MustJSON is JSON for static cards and tests: it panics on an invalid card.
func (c *Card) MustJSON() []byte {
	b, err := c.build()
	if err != nil {
		panic(err)
	}
	return b
}

// String returns the card's JSON without validating it, for logs and debugging. Send JSON instead.
func (c *Card) String() string {
	b, err := marshal(c.wire())
	if err != nil {
		return fmt.Sprintf("card: %v", err)
	}
	return string(b)
}

// Map validates the card and returns it as a JSON object, for the Data of a callback response
// (callback.Card{Type: "raw", Data: m}). Numbers stay json.Number so ids keep every digit.
func (c *Card) Map() (map[string]any, error) {
	b, err := c.build()
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("card: decode own JSON: %w", err)
	}
	return m, nil
}

// build renders, validates and encodes the card.
func (c *Card) build() ([]byte, error) {
	w := c.wire()
	if err := validate(w); err != nil {
		return nil, err
	}
	b, err := marshal(w)
	if err != nil {
		return nil, fmt.Errorf("card: encode: %w", err)
	}
	if len(b) > MaxBytes {
		return nil, fmt.Errorf("card: %w: %d bytes, at most %d", ErrTooLarge, len(b), MaxBytes)
	}
	return b, nil
}

// wireCard is the card JSON 2.0 document.
type wireCard struct {
	Schema string     `json:"schema"`
	Config wireConfig `json:"config"`
	Header wireHeader `json:"header"`
	Body   wireBody   `json:"body"`
}

type wireConfig struct {
	// UpdateMulti makes the card shared, so it can be patched later; 2.0 supports only true.
	UpdateMulti bool `json:"update_multi"`
	// EnableForward false stops forwarding (sensitive cards); nil leaves Feishu's default.
	EnableForward *bool `json:"enable_forward,omitempty"`
	// Summary replaces the card's text in the chat list and notifications.
	Summary *wireSummary `json:"summary,omitempty"`
}

type wireSummary struct {
	Content string `json:"content"`
}

type wireHeader struct {
	Title    *textObject `json:"title"`
	Subtitle *textObject `json:"subtitle,omitempty"`
	Template Color       `json:"template,omitempty"`
}

type wireBody struct {
	Elements []node `json:"elements"`
}

// wire renders the card into its wire form.
func (c *Card) wire() wireCard {
	cfg := wireConfig{UpdateMulti: true}
	if c.summary != "" {
		no := false
		cfg.EnableForward, cfg.Summary = &no, &wireSummary{Content: c.summary}
	}
	return wireCard{
		Schema: "2.0",
		Config: cfg,
		Header: wireHeader{Title: c.title.object(), Subtitle: c.subtitle.plain(), Template: c.color},
		Body:   wireBody{Elements: render(c.elements)},
	}
}

// render renders elements into nodes; never nil, so an empty body encodes as [].
func render(els []Element) []node {
	out := []node{}
	for _, e := range els {
		if e != nil {
			out = e.render(out)
		}
	}
	return out
}
