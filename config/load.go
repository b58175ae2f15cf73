package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// Load builds the configuration: it starts from Default, overlays the YAML
// file at path (skipped when path is ""), then overlays the environment
// variables in environ (os.Environ() form, "KEY=value"; when a variable
// appears twice the last one wins).
//
// In the file, every key must be known; a key given without a value (or as
// null) keeps its default, lists are YAML sequences and durations are
// strings such as "500ms" or "168h". Every key can be overridden by the
// variable EnvVar(key), e.g. UNIONBOT_OUTBOX_RATE_PER_SECOND; lists are
// comma-separated there, and a variable set to an empty value is ignored.
//
// All problems found (unknown keys, malformed values) are reported at once,
// one per line of the error. Load does not check that values make sense
// together: call Validate or ValidateServe for that.
func Load(path string, environ []string) (*Config, error) {
	c := Default()
	var fileErr error
	if path != "" {
		fileErr = loadFile(c, path)
	}
	if err := errors.Join(fileErr, applyEnv(c, environ)); err != nil {
		return nil, err
	}
	return c, nil
}

// loadFile overlays the YAML file at path onto c.
func loadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read config file: %w", err)
	}
	name := filepath.Clean(path)
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil // empty file: defaults only
		}
		return fmt.Errorf("%s: %v", name, err)
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return fmt.Errorf("%s: %v", name, err)
	default:
		return fmt.Errorf("%s line %d: a second YAML document (---) is not supported; keep the whole configuration in one document", name, extra.Line)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	d := &fileDecoder{file: name}
	d.mapping(doc.Content[0], reflect.ValueOf(c).Elem(), "")
	return errors.Join(d.errs...)
}

// fileDecoder walks a YAML node tree alongside the Config struct, setting
// leaves and collecting every problem with its line.
type fileDecoder struct {
	file string
	errs []error
}

func (d *fileDecoder) errorf(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%s line %d: %s", d.file, n.Line, fmt.Sprintf(format, args...)))
}

// resolve follows YAML aliases (*name) to the anchored node.
func resolve(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// isNull reports whether n is an empty value or null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes the kind of n for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	default:
		return "a single value"
	}
}

// mapping decodes the mapping n into the struct v whose keys are prefixed
// by prefix ("" at the top level, else "section.").
func (d *fileDecoder) mapping(n *yaml.Node, v reflect.Value, prefix string) {
	n = resolve(n)
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		what := "the top level of the file"
		if prefix != "" {
			what = fmt.Sprintf("%q", strings.TrimSuffix(prefix, "."))
		}
		d.errorf(n, "%s must be a mapping of keys, got %s", what, kindName(n))
		return
	}
	t := v.Type()
	seen := make(map[string]int)
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := resolve(n.Content[i]), n.Content[i+1]
		if kn.Kind != yaml.ScalarNode {
			d.errorf(kn, "keys must be plain names, got %s", kindName(kn))
			continue
		}
		name := kn.Value
		key := prefix + name
		if first, dup := seen[name]; dup {
			d.errorf(kn, "duplicate key %q (first set on line %d)", key, first)
			continue
		}
		seen[name] = kn.Line
		idx := -1
		for j := 0; j < t.NumField(); j++ {
			if yamlName(t.Field(j)) == name {
				idx = j
				break
			}
		}
		if idx < 0 {
			d.errorf(kn, "unknown key %q%s", key, suggest(t, prefix, name))
			continue
		}
		f := t.Field(idx)
		if isSection(f.Type) {
			d.mapping(vn, v.Field(idx), key+".")
			continue
		}
		d.leaf(vn, v.Field(idx), key, f.Tag.Get("secret"))
	}
}

// leaf decodes the value node n into the leaf field v.
func (d *fileDecoder) leaf(n *yaml.Node, v reflect.Value, key, secret string) {
	n = resolve(n)
	if isNull(n) {
		return // keep the default
	}
	if u, ok := v.Addr().Interface().(yaml.Unmarshaler); ok { // a structured value (aid.kinds)
		if err := n.Decode(u); err != nil {
			d.errorf(n, "%s: %v", key, err)
		}
		return
	}
	if v.Kind() == reflect.Slice {
		if n.Kind != yaml.SequenceNode {
			d.errorf(n, "%s: must be a list such as [ou_xxx, ou_yyy], got %s", key, kindName(n))
			return
		}
		items := make([]string, 0, len(n.Content))
		ok := true
		for _, item := range n.Content {
			item = resolve(item)
			if item.Kind != yaml.ScalarNode || isNull(item) {
				d.errorf(item, "%s: list items must be strings", key)
				ok = false
				continue
			}
			items = append(items, item.Value)
		}
		switch {
		case !ok:
		case len(items) == 0:
			v.Set(reflect.Zero(v.Type())) // an empty list: none
		default:
			v.Set(reflect.ValueOf(items).Convert(v.Type()))
		}
		return
	}
	if n.Kind != yaml.ScalarNode {
		d.errorf(n, "%s: must be a single value, got %s", key, kindName(n))
		return
	}
	tmp := reflect.New(v.Type()).Elem()
	if err := setScalar(tmp, n.Value); err != nil {
		d.errorf(n, "%s: invalid value %s: %v", key, quoteValue(n.Value, secret), err)
		return
	}
	v.Set(tmp)
}

// suggest returns a " (did you mean ...?)" hint for the unknown key name
// found in the section of type t, or "".
func suggest(t reflect.Type, prefix, name string) string {
	// A known key placed in the wrong section, e.g. app_id at the top level.
	for _, l := range leaves(reflect.New(reflect.TypeOf(Config{}))) {
		if l.key != prefix+name && (l.key == name || strings.HasSuffix(l.key, "."+name)) {
			return fmt.Sprintf(" (did you mean %q?)", l.key)
		}
	}
	// A misspelt sibling.
	best, bestDist := "", max(1, len(name)/3)+1
	for i := 0; i < t.NumField(); i++ {
		sib := yamlName(t.Field(i))
		if sib == "" {
			continue
		}
		if dist := levenshtein(strings.ToLower(name), sib); dist < bestDist {
			best, bestDist = sib, dist
		}
	}
	if best != "" {
		return fmt.Sprintf(" (did you mean %q?)", prefix+best)
	}
	return ""
}

// applyEnv overlays the UNIONBOT_* variables of environ onto c.
func applyEnv(c *Config, environ []string) error {
	env := make(map[string]string)
	for _, kv := range environ {
		k, v, ok := strings.Cut(kv, "=")
		if ok && strings.HasPrefix(k, EnvPrefix) {
			env[k] = v
		}
	}
	if len(env) == 0 {
		return nil
	}
	var errs []error
	for _, l := range leaves(reflect.ValueOf(c)) {
		name := EnvVar(l.key)
		s, ok := env[name]
		if !ok || strings.TrimSpace(s) == "" {
			continue
		}
		tmp := reflect.New(l.field.Type()).Elem()
		if err := setScalar(tmp, s); err != nil {
			errs = append(errs, fmt.Errorf("environment variable %s (%s): invalid value %s: %v", name, l.key, quoteValue(s, l.secret), err))
			continue
		}
		l.field.Set(tmp)
	}
	return errors.Join(errs...)
}
