package card

// Element is one piece of a card body or of a form: made by Markdown, Note, Divider, Fields,
// Columns, Buttons and Form, or one of the form components (Input, Select, ...).
type Element interface {
	// render appends the element's wire components to dst.
	render(dst []node) []node
}

// elementFunc lets the small constructors below be Elements without a type each.
type elementFunc func(dst []node) []node

func (f elementFunc) render(dst []node) []node { return f(dst) }

// Markdown is a block of Feishu markdown (bold, links, lists, <at id=open_id></at>,
// <font color='red'>...</font>). An empty string renders nothing.
func Markdown(md string) Element { return MarkdownText(T(md)) }

// MarkdownText is Markdown with an optional English variant.
func MarkdownText(md Text) Element {
	return elementFunc(func(dst []node) []node {
		if md.IsZero() {
			return dst
		}
		return append(dst, markdownNode(md))
	})
}

func markdownNode(md Text) node {
	return node{Tag: tagMarkdown, Content: md.content(), I18nContent: md.i18n()}
}

// Note is a line of small grey text, for hints and footers (JSON 2.0 dropped the note
// component). The text is shown as typed, not as markdown. An empty string renders nothing.
func Note(s string) Element { return NoteText(T(s)) }

// NoteText is Note with an optional English variant.
func NoteText(t Text) Element {
	return elementFunc(func(dst []node) []node {
		if t.IsZero() {
			return dst
		}
		txt := t.plain()
		txt.TextSize = "notation"
		txt.TextColor = "grey"
		return append(dst, node{Tag: tagDiv, Text: txt})
	})
}

// Divider is a horizontal rule.
func Divider() Element {
	return elementFunc(func(dst []node) []node { return append(dst, node{Tag: tagHR}) })
}

// Field is one labelled value of Fields. Value is markdown, so it may hold links and mentions.
type Field struct {
	Label Text // shown in bold
	Value Text // markdown
}

// Fields lays labelled values out two per row, each as a bold label over its value: the
// compact summary of an activity, a proposal or a case. An odd last field takes the whole row.
func Fields(fs ...Field) Element {
	return elementFunc(func(dst []node) []node {
		for i := 0; i < len(fs); i += 2 {
			row := node{Tag: tagColumnSet}
			for _, f := range fs[i:min(i+2, len(fs))] {
				row.Columns = append(row.Columns, node{
					Tag: tagColumn, Width: "weighted", Weight: 1,
					Elements: []node{markdownNode(fieldMarkdown(f))},
				})
			}
			dst = append(dst, row)
		}
		return dst
	})
}

// fieldMarkdown renders a field as "**label**\nvalue" in each language it has.
func fieldMarkdown(f Field) Text {
	label := f.Label.mapped(func(s string) string {
		if s == "" {
			return ""
		}
		return "**" + s + "**"
	})
	join := func(l, v string) string {
		switch {
		case l == "":
			return v
		case v == "":
			return l
		}
		return l + "\n" + v
	}
	out := Text{Zh: join(label.Zh, f.Value.Zh)}
	if f.Label.En != "" || f.Value.En != "" {
		out.En = join(or(label.En, label.Zh), or(f.Value.En, f.Value.Zh))
	}
	return out
}

// or returns s, or def when s is empty.
func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Column is one column of Columns. Weight sets its share of the width; 0 sizes it to its content.
type Column struct {
	Weight   int       // share of the row's width; 0 sizes the column to its content
	Elements []Element // the column's content, top to bottom
}

// Columns lays elements out side by side (Feishu's column_set); no columns render nothing.
// A form cannot go in a column.
func Columns(cols ...Column) Element {
	return elementFunc(func(dst []node) []node {
		if len(cols) == 0 {
			return dst
		}
		row := node{Tag: tagColumnSet}
		for _, c := range cols {
			col := node{Tag: tagColumn, Width: "auto", Elements: render(c.Elements)}
			if c.Weight > 0 {
				col.Width, col.Weight = "weighted", c.Weight
			}
			row.Columns = append(row.Columns, col)
		}
		return append(dst, row)
	})
}
