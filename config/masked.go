package config

import (
	"bytes"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// secretMask replaces a secret value, or the password part of a DSN.
const secretMask = "****"

// Masked returns the effective configuration as YAML, in the layout of the
// configuration file, with secrets hidden: app_secret, verification_token
// and encrypt_key are shown as "****" plus their last 2 characters (only
// "****" when the value is shorter than 8 characters), an empty value is
// shown as "", and the password in a MySQL DSN (user:password@...) is
// replaced by "****". Durations are written as "500ms", "2s", "168h".
// The check-config subcommand prints this.
func (c *Config) Masked() string {
	root := structNode(reflect.ValueOf(c).Elem())
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Encoding a tree of plain scalars cannot fail.
		panic(fmt.Sprintf("config: encode masked configuration: %v", err))
	}
	if err := enc.Close(); err != nil {
		panic(fmt.Sprintf("config: encode masked configuration: %v", err))
	}
	return buf.String()
}

// structNode renders the struct v as a YAML mapping.
func structNode(v reflect.Value) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	t := v.Type()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := yamlName(f)
		if name == "" {
			continue
		}
		key := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: name}
		var val *yaml.Node
		if isSection(f.Type) {
			val = structNode(v.Field(i))
		} else {
			val = leafNode(v.Field(i), f.Tag.Get("secret"))
		}
		m.Content = append(m.Content, key, val)
	}
	return m
}

// leafNode renders one leaf value, masking it according to its secret tag.
func leafNode(v reflect.Value, secret string) *yaml.Node {
	if v.Type() == durationType {
		return strNode(formatDuration(time.Duration(v.Int())))
	}
	if m, ok := v.Interface().(yaml.Marshaler); ok {
		var n yaml.Node
		if err := n.Encode(m); err != nil {
			panic(fmt.Sprintf("config: encode %s: %v", v.Type(), err))
		}
		return &n
	}
	switch v.Kind() {
	case reflect.String:
		s := v.String()
		switch secret {
		case "":
		case "dsn":
			s = MaskDSN(s)
		default:
			s = maskSecret(s)
		}
		return strNode(s)
	case reflect.Slice:
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
		for i := 0; i < v.Len(); i++ {
			item := v.Index(i).String()
			if secret != "" { // "ID:KEY" items (security.old_keys) keep their id
				if id, rest, ok := strings.Cut(item, ":"); ok {
					item = id + ":" + maskSecret(rest)
				} else {
					item = maskSecret(item)
				}
			}
			seq.Content = append(seq.Content, strNode(item))
		}
		return seq
	case reflect.Bool:
		return plainNode(strconv.FormatBool(v.Bool()))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return plainNode(strconv.FormatInt(v.Int(), 10))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return plainNode(strconv.FormatUint(v.Uint(), 10))
	case reflect.Float32, reflect.Float64:
		return plainNode(strconv.FormatFloat(v.Float(), 'g', -1, 64))
	}
	panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
}

// plainNode returns an unquoted, untagged scalar (numbers and booleans;
// Load parses them by the field's type, so 50 is fine for a float).
func plainNode(s string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: s}
}

// strNode returns a string scalar; the encoder quotes it when needed, and
// an empty string always shows as "".
func strNode(s string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}
	if s == "" {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// maskSecret hides s except for its last 2 characters, which help to tell
// which secret is configured; values shorter than 8 characters are hidden
// entirely. The empty string stays empty so that a missing secret is
// visible.
func maskSecret(s string) string {
	if s == "" {
		return ""
	}
	r := []rune(s)
	if len(r) < 8 {
		return secretMask
	}
	return secretMask + string(r[len(r)-2:])
}

// MaskDSN returns dsn with the password of a MySQL-style DSN
// (user:password@tcp(host:port)/dbname?params) replaced by "****". The
// password is located the way the MySQL driver does it: between the first
// ':' and the last '@' before the last '/'. DSNs without a password, such
// as SQLite file paths, are returned unchanged.
func MaskDSN(dsn string) string {
	end := strings.LastIndexByte(dsn, '/')
	if end < 0 {
		end = len(dsn)
	}
	at := strings.LastIndexByte(dsn[:end], '@')
	if at < 0 {
		return dsn
	}
	colon := strings.IndexByte(dsn[:at], ':')
	if colon < 0 || colon+1 == at {
		return dsn // no password
	}
	return dsn[:colon+1] + secretMask + dsn[at:]
}

// formatDuration renders d the way it is written in the configuration
// file: 168h instead of time.Duration's 168h0m0s.
func formatDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
