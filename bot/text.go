package bot

import (
	"encoding/json"
	"strings"
	"unicode"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// messageText extracts the plain text of a text or rich-text (post) message, with every
// mention key (@_user_1) removed. ok is false for other message types (images, files...).
func messageText(msg *larkim.EventMessage) (text string, ok bool) {
	if msg == nil || msg.Content == nil || msg.MessageType == nil {
		return "", false
	}
	switch *msg.MessageType {
	case "text":
		var c struct {
			Text string `json:"text"`
		}
		if json.Unmarshal([]byte(*msg.Content), &c) != nil {
			return "", false
		}
		text = c.Text
	case "post":
		text, ok = postText(*msg.Content)
		if !ok {
			return "", false
		}
	default:
		return "", false
	}
	for _, m := range msg.Mentions {
		if m != nil && m.Key != nil {
			text = strings.ReplaceAll(text, *m.Key, " ")
		}
	}
	text = strings.ReplaceAll(text, "@_all", " ")
	return normalizeSpace(text), true
}

// messageAttachment reads an image ({"image_key":..}) or file ({"file_key":..,"file_name":..})
// message, or returns nil.
func messageAttachment(msg *larkim.EventMessage) *Attachment {
	if msg == nil || msg.Content == nil || msg.MessageType == nil {
		return nil
	}
	var c struct {
		ImageKey string `json:"image_key"`
		FileKey  string `json:"file_key"`
		FileName string `json:"file_name"`
	}
	if json.Unmarshal([]byte(*msg.Content), &c) != nil {
		return nil
	}
	switch *msg.MessageType {
	case "image":
		if c.ImageKey != "" {
			return &Attachment{Type: "image", Key: c.ImageKey}
		}
	case "file":
		if c.FileKey != "" {
			return &Attachment{Type: "file", Key: c.FileKey, Name: c.FileName}
		}
	}
	return nil
}

// postText flattens a rich-text message: {"title":..,"content":[[{"tag":"text","text":..}]]},
// possibly wrapped in a locale ({"zh_cn":{...}}).
func postText(content string) (string, bool) {
	type elem struct {
		Tag  string `json:"tag"`
		Text string `json:"text"`
	}
	type post struct {
		Title   string   `json:"title"`
		Content [][]elem `json:"content"`
	}
	var p post
	if json.Unmarshal([]byte(content), &p) != nil {
		return "", false
	}
	if p.Content == nil {
		var byLocale map[string]post
		if json.Unmarshal([]byte(content), &byLocale) != nil {
			return "", false
		}
		for _, l := range []string{"zh_cn", "en_us"} {
			if v, ok := byLocale[l]; ok {
				p = v
				break
			}
		}
	}
	var b strings.Builder
	for _, line := range p.Content {
		for _, e := range line {
			if e.Tag == "text" || e.Tag == "a" {
				b.WriteString(e.Text)
			}
		}
		b.WriteByte('\n')
	}
	return b.String(), true
}

// unprintable reports whether r cannot be shown in a chat: control characters (other than the
// line breaks and tabs normalizeSpace handles) and the invisible direction marks and overrides
// (U+202E and its kin) that make a name read backwards.
func unprintable(r rune) bool {
	switch {
	case r == '\n' || r == '\t':
		return false
	case unicode.IsControl(r):
		return true
	case r == '\u200e' || r == '\u200f' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
		return true
	}
	return false
}

// printable drops the characters a chat cannot show (unprintable).
func printable(s string) string {
	if strings.IndexFunc(s, unprintable) < 0 {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unprintable(r) {
			return -1
		}
		return r
	}, s)
}

// normalizeSpace trims and collapses whitespace within each line, including the full-width
// space (U+3000) that Chinese input methods type, and drops empty lines; line breaks are kept,
// so a pasted list (holiday arrangements, names) arrives one entry per line.
func normalizeSpace(s string) string {
	s = printable(s)
	var lines []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.Join(strings.FieldsFunc(line, unicode.IsSpace), " "); line != "" {
			lines = append(lines, line)
		}
	}
	return strings.Join(lines, "\n")
}

// splitCommand splits text into its command word (lower-cased, a leading "/" dropped), the
// remaining words and the remaining text.
func splitCommand(text string) (cmd string, args []string, rest string) {
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return "", nil, ""
	}
	cmd = strings.ToLower(strings.TrimPrefix(fields[0], "/"))
	rest = strings.TrimSpace(strings.TrimPrefix(text, fields[0]))
	return cmd, fields[1:], rest
}
