package config

import (
	"errors"
	"fmt"
	"gopkg.in/yaml.v3"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// leaf is one settable key of Config, found by walking its yaml tags.
type leaf struct {
	key    string        // dotted key path, e.g. "outbox.rate_per_second"
	field  reflect.Value // the settable field
	secret string        // value of the secret tag: "", "true" or "dsn"
}

var durationType = reflect.TypeOf(time.Duration(0))

// structured is a leaf holding more than a scalar or a list of strings (aid.kinds): it
// decodes and encodes itself, and is set in the file only.
type structured interface {
	yaml.Unmarshaler
	yaml.Marshaler
}

// yamlName returns the key name of a struct field, or "" when the field is
// not part of the configuration (unexported or tagged yaml:"-").
func yamlName(f reflect.StructField) string {
	if !f.IsExported() {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
	switch name {
	case "-":
		return ""
	case "":
		return strings.ToLower(f.Name)
	}
	return name
}

// isSection reports whether a field of type t is a nested mapping rather
// than a leaf value.
func isSection(t reflect.Type) bool {
	return t.Kind() == reflect.Struct
}

// leaves returns every leaf key of the struct pointed to by v, in field
// order.
func leaves(v reflect.Value) []leaf {
	var out []leaf
	var walk func(v reflect.Value, prefix string)
	walk = func(v reflect.Value, prefix string) {
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name := yamlName(f)
			if name == "" {
				continue
			}
			key := prefix + name
			if isSection(f.Type) {
				walk(v.Field(i), key+".")
				continue
			}
			out = append(out, leaf{key: key, field: v.Field(i), secret: f.Tag.Get("secret")})
		}
	}
	walk(v.Elem(), "")
	return out
}

// setScalar parses s into the leaf field v according to its type. Lists
// ([]string) are parsed as comma-separated values with spaces trimmed and
// empty items dropped. The error describes the expected form; callers add
// the key or variable name.
func setScalar(v reflect.Value, s string) error {
	if v.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return errors.New(`must be a duration such as "500ms", "2s", "7h10m" or "168h"`)
		}
		v.SetInt(int64(d))
		return nil
	}
	if _, ok := v.Addr().Interface().(structured); ok {
		return errors.New("is a list of mappings: set it in the configuration file")
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return errors.New("must be true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return errors.New("must be an integer")
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, v.Type().Bits())
		if err != nil {
			return errors.New("must be a non-negative integer")
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(s), v.Type().Bits())
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return errors.New("must be a number")
		}
		v.SetFloat(f)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			panic(fmt.Sprintf("config: unsupported list type %s", v.Type()))
		}
		var items []string
		for _, item := range strings.Split(s, ",") {
			if item = strings.TrimSpace(item); item != "" {
				items = append(items, item)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		panic(fmt.Sprintf("config: unsupported field type %s", v.Type()))
	}
	return nil
}

// quoteValue quotes a rejected value for an error message, or hides it when
// the key is secret.
func quoteValue(s, secret string) string {
	if secret != "" {
		return "(value hidden)"
	}
	return strconv.Quote(s)
}

// levenshtein returns the edit distance between a and b.
func levenshtein(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
