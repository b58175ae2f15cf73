package bot

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	larkim "github.com/larksuite/oapi-sdk-go/v3/service/im/v1"
)

// FuzzMessageText decodes a message's content (text, post, anything) and splits it into a
// command: no panic, nothing unprintable left, and the command word has no space in it.
func FuzzMessageText(f *testing.F) {
	for _, s := range []struct{ typ, content string }{
		{"text", `{"text":"菜单"}`}, {"text", `{"text":"@_user_1 授权 张三 代表"}`}, {"text", `{"text":"\u0000\u001b[2J\u202e名单 1"}`},
		{"post", `{"title":"t","content":[[{"tag":"text","text":"实事"},{"tag":"at","user_id":"x"}]]}`},
		{"post", `{"zh_cn":{"title":"","content":[[{"tag":"a","text":"link","href":"x"}]]}}`},
		{"text", `{"text":5}`}, {"text", `null`}, {"post", `{"content":"x"}`}, {"image", `{"image_key":"x"}`}, {"text", `{"text":"/HELP  a  b "}`},
	} {
		f.Add(s.typ, s.content)
	}
	f.Fuzz(func(t *testing.T, typ, content string) {
		msg := &larkim.EventMessage{MessageType: &typ, Content: &content}
		text, _ := messageText(msg)
		for _, r := range text {
			if unprintable(r) {
				t.Fatalf("unprintable %U left in %q", r, text)
			}
		}
		cmd, args, rest := splitCommand(text)
		if strings.ContainsAny(cmd, " \t\n") || (cmd == "" && (len(args) > 0 || rest != "")) {
			t.Fatalf("split %q: %q %q %q", text, cmd, args, rest)
		}
		if !utf8.ValidString(cmd) && utf8.ValidString(text) {
			t.Fatalf("split %q made invalid UTF-8: %q", text, cmd)
		}
	})
}

// FuzzContextValues reads a button's value and a form's values of any JSON shape with every
// accessor handlers use: nothing panics, and a key that is absent reads as zero.
func FuzzContextValues(f *testing.F) {
	for _, s := range []struct{ value, form string }{
		{`{"activity_id": 1, "version": 2, "approve": true}`, `{"title": "x", "invitees": ["ou_a", "ou_b"]}`},
		{`{"activity_id": "12", "approve": "true"}`, `{"invitees": "ou_a"}`},
		{`{"activity_id": 1e308, "version": -1e308, "approve": 1}`, `{"capacity": 1e300}`},
		{`{"activity_id": 12345678901234567890123}`, `{"x": null}`},
		{`{"activity_id": null, "approve": null}`, `{"invitees": [null, 1, {"a": []}]}`},
		{`{"activity_id": {"a": [1]}, "approve": [true]}`, `{"title": {"zh_cn": "x"}}`},
		{`{"activity_id": "0x10", "version": " 7 "}`, `{"title": "\u0000\u202e"}`},
		{`{"activity_id": -9223372036854775808, "version": 9223372036854775807}`, `{}`},
	} {
		f.Add(s.value, s.form)
	}
	keys := []string{"activity_id", "version", "approve", "title", "invitees", "capacity", "x", "missing"}
	f.Fuzz(func(t *testing.T, value, form string) {
		var v, fv map[string]any
		if json.Unmarshal([]byte(value), &v) != nil {
			v = nil
		}
		if json.Unmarshal([]byte(form), &fv) != nil {
			fv = nil
		}
		c := &Context{Value: v, FormValue: fv}
		for _, k := range keys {
			c.Int(k)
			c.IntOK(k)
			c.Bool(k)
			c.String(k)
			c.FormString(k)
			c.FormStrings(k)
		}
		if c.Int("missing") != 0 || c.Bool("missing") || c.String("missing") != "" || c.FormString("missing") != "" {
			t.Fatal("an absent key read as something")
		}
	})
}
