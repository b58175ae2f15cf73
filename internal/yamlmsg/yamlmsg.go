// Package yamlmsg words the YAML decoder's type errors for the officers who write the files,
// in Chinese, without Go's type names ("cannot unmarshal !!map into []struct { Name string
// ... }" becomes "取值类型不对：应为列表，却是键值对").
package yamlmsg

import (
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"
)

// unmarshal matches yaml.v3's "cannot unmarshal !!TAG `VALUE` into GO-TYPE" (a local tag such
// as !x has one "!").
var unmarshal = regexp.MustCompile("^cannot unmarshal !!?(\\S*)(?: `(.*)`)? into (.+)$")

// TypeError rewrites one "cannot unmarshal ..." message (after its "line N: ") in Chinese; it
// returns ok false for any other message.
func TypeError(msg string) (string, bool) {
	m := unmarshal.FindStringSubmatch(strings.TrimSpace(msg))
	if m == nil {
		return "", false
	}
	got := yamlKind(m[1])
	if v := m[2]; v != "" {
		if utf8.RuneCountInString(v) > 20 {
			v = string([]rune(v)[:20]) + "…"
		}
		got += "「" + v + "」"
	}
	return fmt.Sprintf("取值类型不对：应为%s，却是%s", goKind(m[3]), got), true
}

func yamlKind(tag string) string {
	switch tag {
	case "map":
		return "键值对"
	case "seq":
		return "列表"
	case "str":
		return "文字"
	case "int":
		return "整数"
	case "float":
		return "数字"
	case "bool":
		return "是非值"
	case "null":
		return "空值"
	case "timestamp":
		return "时间"
	}
	return "其他取值"
}

func goKind(t string) string {
	t = strings.TrimLeft(t, "*")
	switch {
	case strings.HasPrefix(t, "[]"):
		return "列表"
	case strings.HasPrefix(t, "map["), strings.HasPrefix(t, "struct"):
		return "键值对"
	case strings.HasPrefix(t, "int"), strings.HasPrefix(t, "uint"):
		return "整数"
	case strings.HasPrefix(t, "float"):
		return "数字"
	case t == "string":
		return "文字"
	case t == "bool":
		return "true 或 false"
	case t == "time.Time":
		return "时间"
	}
	return "另一种取值"
}
