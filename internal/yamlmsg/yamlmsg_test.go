package yamlmsg

import "testing"

func TestTypeError(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"cannot unmarshal !!map into []struct { Name string \"yaml:\\\"name\\\"\" }", "取值类型不对：应为列表，却是键值对"},
		{"cannot unmarshal !!str `abc` into int", "取值类型不对：应为整数，却是文字「abc」"},
		{"cannot unmarshal !!seq into string", "取值类型不对：应为文字，却是列表"},
		{"cannot unmarshal !!str `一二三四五六七八九十一二三四五六七八九十多` into *bool", "取值类型不对：应为true 或 false，却是文字「一二三四五六七八九十一二三四五六七八九十…」"},
		{"cannot unmarshal !!int `7` into tasks.fileSpec", "取值类型不对：应为另一种取值，却是整数「7」"},
		{"cannot unmarshal !0000 `000` into struct { Name string \"yaml:\\\"name\\\"\" }", "取值类型不对：应为键值对，却是其他取值「000」"},
	} {
		got, ok := TypeError(c.in)
		if !ok || got != c.want {
			t.Errorf("%q: %q %v, want %q", c.in, got, ok, c.want)
		}
	}
	if _, ok := TypeError("did not find expected key"); ok {
		t.Error("a syntax error taken for a type error")
	}
}
