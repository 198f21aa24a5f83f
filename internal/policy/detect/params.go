package detect

import (
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// paramTypes maps a detector id to the struct type of its parameters.
var paramTypes = struct {
	sync.RWMutex
	m map[string]reflect.Type
}{m: map[string]reflect.Type{}}

// RegisterParams records the typed parameters of detector id: params is a
// struct value whose yaml-tagged fields (string, bool, int, float64,
// []string, map[string]float64) are every parameter the detector reads.
// Policies are checked against it, so a misspelt or mistyped parameter is
// an error instead of a silent default. Call it from the detector's init.
func RegisterParams(id string, params any) {
	t := reflect.TypeOf(params)
	if t == nil || t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("detect: params of %q must be a struct, got %T", id, params))
	}
	paramTypes.Lock()
	defer paramTypes.Unlock()
	paramTypes.m[id] = t
}

// ParamError is one problem with a policy's detector parameters: Field is
// the parameter's name (with an index or key below it), Line its line in
// the policy file when it came from one.
type ParamError struct {
	Line  int
	Field string
	Msg   string
}

func (e *ParamError) Error() string { return "params." + e.Field + ": " + e.Msg }

// CheckParamsNode checks a params mapping read from YAML against the struct
// registered for detector id: unknown fields and values of the wrong type
// are errors, each with its line. A detector without registered params is
// not checked.
func CheckParamsNode(id string, n *yaml.Node) []*ParamError {
	paramTypes.RLock()
	t, ok := paramTypes.m[id]
	paramTypes.RUnlock()
	if !ok || n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return []*ParamError{{Line: n.Line, Msg: "must be a mapping of detector parameters"}}
	}
	return CheckStructNode(t, n)
}

// CheckStructNode checks a mapping read from YAML against the yaml-tagged
// fields of struct type t, as CheckParamsNode does for detectors; the
// activity and session rules check their typed params with it.
func CheckStructNode(t reflect.Type, n *yaml.Node) []*ParamError {
	if n.Kind != yaml.MappingNode {
		return []*ParamError{{Line: n.Line, Msg: "must be a mapping of parameters"}}
	}
	fields := ParamFields(t)
	var errs []*ParamError
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ft, known := fields[k.Value]
		if !known {
			errs = append(errs, &ParamError{Line: k.Line, Field: k.Value, Msg: unknownMsg(k.Value, fields)})
			continue
		}
		if msg := checkValue(ft, v); msg != "" {
			errs = append(errs, &ParamError{Line: v.Line, Field: k.Value, Msg: msg})
		}
	}
	return errs
}

// CheckParams checks params given as a map (the dashboard's JSON edits)
// as CheckParamsNode does, without lines.
func CheckParams(id string, p Params) error {
	var n yaml.Node
	if err := n.Encode(map[string]any(p)); err != nil {
		return fmt.Errorf("params: %w", err)
	}
	var msgs []string
	for _, e := range CheckParamsNode(id, &n) {
		msgs = append(msgs, e.Error())
	}
	if len(msgs) > 0 {
		return fmt.Errorf("%s", strings.Join(msgs, "; "))
	}
	return nil
}

// ParamFields maps each yaml name of struct type t's fields to its type.
func ParamFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// unknownMsg names the known fields, the closest first when it is a likely typo.
func unknownMsg(name string, fields map[string]reflect.Type) string {
	known := make([]string, 0, len(fields))
	for k := range fields {
		known = append(known, k)
	}
	sort.Strings(known)
	if len(known) == 0 {
		return "unknown field: this detector takes no parameters"
	}
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(name, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best != "" {
		return fmt.Sprintf("unknown field; did you mean %q? (known: %s)", best, strings.Join(known, ", "))
	}
	return "unknown field (known: " + strings.Join(known, ", ") + ")"
}

// checkValue returns what is wrong with v as a value of type t, or "".
func checkValue(t reflect.Type, v *yaml.Node) string {
	if v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return "" // unset: the detector's default
	}
	switch {
	case t.Kind() == reflect.String:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
			return "must be a string, got " + describe(v)
		}
	case t.Kind() == reflect.Bool:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!bool" {
			return "must be true or false, got " + describe(v)
		}
	case t.Kind() == reflect.Int:
		if !isInt(v) {
			return "must be a whole number, got " + describe(v)
		}
	case t.Kind() == reflect.Float64:
		if v.Kind != yaml.ScalarNode || v.Tag != "!!int" && v.Tag != "!!float" {
			return "must be a number, got " + describe(v)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
			return "" // one value for a list of one
		}
		if v.Kind != yaml.SequenceNode {
			return "must be a list of strings, got " + describe(v)
		}
		for i, e := range v.Content {
			if e.Kind != yaml.ScalarNode || e.Tag != "!!str" {
				return fmt.Sprintf("item %d must be a string, got %s", i, describe(e))
			}
		}
	case t.Kind() == reflect.Map && t.Key().Kind() == reflect.String && t.Elem().Kind() == reflect.Float64:
		if v.Kind != yaml.MappingNode {
			return "must be a mapping of names to numbers, got " + describe(v)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			if e := v.Content[i+1]; e.Kind != yaml.ScalarNode || e.Tag != "!!int" && e.Tag != "!!float" {
				return fmt.Sprintf("%s must be a number, got %s", v.Content[i].Value, describe(e))
			}
		}
	default:
		var dst = reflect.New(t)
		if err := v.Decode(dst.Interface()); err != nil {
			return "must be a " + t.String()
		}
	}
	return ""
}

// isInt reports whether v is a whole number (JSON numbers arrive as floats).
func isInt(v *yaml.Node) bool {
	if v.Kind != yaml.ScalarNode {
		return false
	}
	switch v.Tag {
	case "!!int":
		return true
	case "!!float":
		var f float64
		return v.Decode(&f) == nil && f == math.Trunc(f)
	}
	return false
}

// describe names what a YAML value is, for error messages.
func describe(v *yaml.Node) string {
	switch v.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	kind := map[string]string{"!!str": "string", "!!int": "number", "!!float": "number", "!!bool": "boolean"}[v.Tag]
	if kind == "" {
		kind = "value"
	}
	return fmt.Sprintf("%s %q", kind, v.Value)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
