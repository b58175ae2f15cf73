package card

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Text is a user-visible string: Chinese (zh_cn) by default, optionally with an English (en_us)
// variant. With En set, the text is emitted with Feishu's i18n_content so each reader sees the
// language of their client; without it, everyone sees Zh.
type Text struct {
	// Zh is the Chinese text; it is also the content shown to clients in other languages.
	Zh string
	// En is the optional English text.
	En string
}

// T is the common case: a Chinese-only text.
func T(zh string) Text { return Text{Zh: zh} }

// I18n is a text in Chinese and English.
func I18n(zh, en string) Text { return Text{Zh: zh, En: en} }

// IsZero reports whether the text is empty in every language.
func (t Text) IsZero() bool { return t.Zh == "" && t.En == "" }

// content is what goes into the content field: Zh, or En when only En is set.
func (t Text) content() string {
	if t.Zh != "" {
		return t.Zh
	}
	return t.En
}

// i18n returns the i18n_content object, or nil for a Chinese-only text.
func (t Text) i18n() *i18nContent {
	if t.En == "" {
		return nil
	}
	return &i18nContent{ZhCN: t.content(), EnUS: t.En}
}

// mapped applies f to every language of the text (used to wrap text in markdown syntax).
func (t Text) mapped(f func(string) string) Text {
	out := Text{Zh: f(t.Zh)}
	if t.En != "" {
		out.En = f(t.En)
	}
	return out
}

// plain renders the text as a plain_text object; nil for an empty text.
func (t Text) plain() *textObject {
	if t.IsZero() {
		return nil
	}
	return &textObject{Tag: "plain_text", Content: t.content(), I18nContent: t.i18n()}
}

// object renders the text as a plain_text object even when it is empty, for the places Feishu
// requires one; validation reports the empty ones that matter.
func (t Text) object() *textObject {
	if o := t.plain(); o != nil {
		return o
	}
	return &textObject{Tag: "plain_text"}
}

// textObject is Feishu's text object ({"tag":"plain_text","content":...}).
type textObject struct {
	Tag         string       `json:"tag"`
	Content     string       `json:"content"`
	I18nContent *i18nContent `json:"i18n_content,omitempty"`
	TextSize    string       `json:"text_size,omitempty"`
	TextColor   string       `json:"text_color,omitempty"`
}

// i18nContent is the per-language content of a text.
type i18nContent struct {
	ZhCN string `json:"zh_cn"`
	EnUS string `json:"en_us"`
}

// TextContent returns the content of a plain text message (msg_type "text"): {"text":"..."},
// escaped as JSON. Feishu's mention syntax (<at user_id="...">) is kept as typed.
func TextContent(s string) string {
	b, err := marshal(struct {
		Text string `json:"text"`
	}{s})
	if err != nil { // a struct with one string field always marshals
		panic(err)
	}
	return string(b)
}

// marshal encodes v compactly without escaping <, > and &, so markdown tags and mentions stay
// readable and the byte count matches what Feishu measures.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Escape makes text a person typed safe inside a markdown element or a Field's value: the
// characters markdown would read (<, >, *, [, ], `, ~) become look-alikes, so a name or a
// case's facts cannot add links, mentions or formatting.
func Escape(s string) string { return mdEscaper.Replace(s) }

var mdEscaper = strings.NewReplacer("<", "＜", ">", "＞", "*", "＊", "[", "［", "]", "］", "`", "'", "~", "～")
