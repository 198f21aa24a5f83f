// Package policyset edits a policy file as the dashboard's policies page
// does: every policy of the file (text policies, session and activity
// rules) as a unit with a form built from its registered typed params,
// edits checked by the policy file loader itself, the difference between
// two sets, ready-made sets (templates) and trial runs of a set over
// stored events. A set is kept as YAML so the operator's file keeps its
// comments and order when the dashboard installs it.
package policyset

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/activity"
	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/session"
)

// Set is a policy file: its YAML and the Config the policy loader reads
// from it.
type Set struct {
	YAML   []byte
	Config *policy.Config
}

// Parse reads a policy file with the policy loader; name appears in its
// errors.
func Parse(data []byte, name string) (*Set, error) {
	cfg, err := policy.ParseConfig(data, name)
	if err != nil {
		return nil, err
	}
	return &Set{YAML: data, Config: cfg}, nil
}

// Version is the policy version the set loads as.
func (s *Set) Version() string { return s.Config.Version() }

// Kinds of units.
const (
	KindText     = "text"     // a policy of the policies list, run on each message
	KindSession  = "session"  // a session rule, run on a whole chat
	KindActivity = "activity" // an activity rule, run on access events
	KindSettings = "settings" // the settings the session or activity rules share
)

// Unit is one policy of a set as the page shows it.
type Unit struct {
	Kind string
	// Key names the unit: the policy name for text policies, the
	// findings' policy ("session.<rule>", "activity.<rule>") for rules,
	// "session" or "activity" for the shared settings.
	Key      string
	Name     string
	Detector string // text policies: the detector id; rules: their tag
	Enabled  bool
	Severity string
	Action   string
	Roles    []string // text policies; empty means every role
	// Threshold is the minimum finding score (text policies).
	Threshold string
	// Count and Window are a rule's threshold ("" when the rule has none).
	Count, Window string
	Groups        []string
	// Params are the typed params, one form field each.
	Params []Field
	// HasCommon is false for the shared settings, which have params only.
	HasCommon bool
}

// Field is one typed parameter as a form input.
type Field struct {
	Name string // the yaml name
	// Input is the form control: checkbox, number, text, list (one value
	// a line), map (NAME: number a line) or duration.
	Input   string
	Type    string // the Go type, shown as a hint
	Value   string
	Checked bool
	Step    string // number inputs: "1" or "any"
}

// Severities and Actions are the values the forms offer.
var (
	Severities = []string{"info", "low", "medium", "high", "critical"}
	Actions    = []string{"log", "alert", "block", "modify"}
	Roles      = []string{"user", "assistant", "tool", "file"}
)

// Units lists every policy of the set: text policies in file order, then
// session rules, the session settings, activity rules and the activity
// settings.
func (s *Set) Units() []Unit {
	c := s.Config
	var out []Unit
	for _, p := range c.Policies {
		u := Unit{Kind: KindText, Key: p.Name, Name: p.Name, Detector: p.Detector, Enabled: p.Enabled,
			Severity: string(p.Severity), Action: string(p.Action), Groups: p.Groups, HasCommon: true,
			Threshold: formatFloat(p.Threshold)}
		for _, r := range p.Roles {
			u.Roles = append(u.Roles, string(r))
		}
		if t, ok := detect.ParamsType(p.Detector); ok {
			u.Params = fields(t, map[string]any(p.Params))
		}
		out = append(out, u)
	}
	for _, r := range c.Session.Rules {
		su, ok := session.Lookup(r.Name)
		if !ok {
			continue
		}
		out = append(out, ruleUnit(KindSession, r.Name, su.Tag, r.Rule, su.Params, paramsOrDefault(r.Params, su.DefaultParams)))
	}
	out = append(out, Unit{Kind: KindSettings, Key: "session", Name: "session settings", Enabled: true,
		Params: fields(reflect.TypeOf(sessionSettings{}), structMap(sessionSettings{
			AttackDetectors: c.Session.AttackDetectors, SensitiveDetectors: c.Session.SensitiveDetectors}))})
	for _, r := range c.Activity.Rules {
		au, ok := activity.Lookup(r.Name)
		if !ok {
			continue
		}
		out = append(out, ruleUnit(KindActivity, r.Name, au.Tag, r.Rule, au.Params, paramsOrDefault(r.Params, au.DefaultParams)))
	}
	out = append(out, Unit{Kind: KindSettings, Key: "activity", Name: "activity settings", Enabled: true,
		Params: fields(reflect.TypeOf(activitySettings{}), structMap(activitySettings{AllowedDomains: c.Activity.AllowedDomains,
			WorkStart: c.Activity.WorkStart, WorkEnd: c.Activity.WorkEnd, Timezone: c.Activity.Timezone}))})
	return out
}

// Unit returns the unit of the set named key.
func (s *Set) Unit(key string) (Unit, bool) {
	for _, u := range s.Units() {
		if u.Key == key {
			return u, true
		}
	}
	return Unit{}, false
}

// sessionSettings and activitySettings are the shared keys of the session
// and activity blocks, as typed params so they get a form like the rules'.
type sessionSettings struct {
	AttackDetectors    []string `yaml:"attack_detectors"`
	SensitiveDetectors []string `yaml:"sensitive_detectors"`
}

type activitySettings struct {
	AllowedDomains []string `yaml:"allowed_domains"`
	WorkStart      int      `yaml:"work_start"`
	WorkEnd        int      `yaml:"work_end"`
	Timezone       string   `yaml:"timezone"`
}

func ruleUnit(kind, name, tag string, r policy.Rule, t reflect.Type, params any) Unit {
	u := Unit{Kind: kind, Key: kind + "." + name, Name: name, Detector: tag, Enabled: r.Enabled,
		Severity: string(r.Severity), Action: string(r.Action), Groups: r.Groups, HasCommon: true,
		Params: fields(t, structMap(params))}
	if r.Count > 0 {
		u.Count = strconv.Itoa(r.Count)
	}
	if r.Window > 0 {
		u.Window = formatDuration(time.Duration(r.Window))
	}
	return u
}

func paramsOrDefault(p, def any) any {
	if p == nil {
		return def
	}
	return p
}

// structMap turns a params struct into its yaml names and values.
func structMap(v any) map[string]any {
	out := map[string]any{}
	b, err := yaml.Marshal(v)
	if err != nil {
		return out
	}
	_ = yaml.Unmarshal(b, &out) // the struct was just marshalled: it reads back
	return out
}

// fields builds the form fields of params struct type t with the values
// set in vals (yaml names; absent ones are the defaults and show empty).
func fields(t reflect.Type, vals map[string]any) []Field {
	var out []Field
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fd := Field{Name: name, Type: typeName(f.Type)}
		v, set := vals[name]
		switch {
		case f.Type.Kind() == reflect.Bool:
			fd.Input = "checkbox"
			b, _ := v.(bool)
			fd.Checked = b
		case f.Type.Kind() == reflect.Int || f.Type.Kind() == reflect.Int64 && f.Type != reflect.TypeOf(time.Duration(0)):
			fd.Input, fd.Step = "number", "1"
		case f.Type.Kind() == reflect.Float64:
			fd.Input, fd.Step = "number", "any"
		case f.Type == reflect.TypeOf(time.Duration(0)) || f.Type == reflect.TypeOf(policy.Duration(0)):
			fd.Input = "duration"
		case f.Type.Kind() == reflect.Slice && f.Type.Elem().Kind() == reflect.String:
			fd.Input = "list"
		case f.Type.Kind() == reflect.Map:
			fd.Input = "map"
		default:
			fd.Input = "text"
		}
		if set && fd.Input != "checkbox" {
			fd.Value = formatValue(v)
		}
		out = append(out, fd)
	}
	return out
}

func typeName(t reflect.Type) string {
	switch {
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list of text"
	case t.Kind() == reflect.Map:
		return "names to numbers"
	case t.Kind() == reflect.Float64:
		return "number"
	case t.Kind() == reflect.Int:
		return "whole number"
	case t.Kind() == reflect.Bool:
		return "yes or no"
	case t.Kind() == reflect.String:
		return "text"
	}
	return t.String()
}

// formatValue shows a param value as its form input holds it: lists one
// item a line, mappings "NAME: value" a line.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case []any:
		s := make([]string, len(x))
		for i, e := range x {
			s[i] = fmt.Sprint(e)
		}
		return strings.Join(s, "\n")
	case []string:
		return strings.Join(x, "\n")
	case float64:
		return formatFloat(x)
	case int:
		if x == 0 {
			return ""
		}
		return strconv.Itoa(x)
	}
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Map {
		lines := make([]string, 0, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			lines = append(lines, fmt.Sprint(it.Key().Interface())+": "+formatValue(it.Value().Interface()))
		}
		sort.Strings(lines)
		return strings.Join(lines, "\n")
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64) string {
	if f == 0 {
		return ""
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// formatDuration writes 30m0s as 30m and 1h0m0s as 1h.
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

// FieldErrors are the loader's complaints about one edit, keyed by form
// field ("severity", "window", "p.entities"; "" for the unit as a whole).
type FieldErrors map[string][]string

func (e FieldErrors) Error() string {
	keys := make([]string, 0, len(e))
	for k := range e {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		for _, m := range e[k] {
			if k == "" {
				parts = append(parts, m)
			} else {
				parts = append(parts, strings.TrimPrefix(k, "p.")+": "+m)
			}
		}
	}
	return strings.Join(parts, "; ")
}

// loaderErrors splits a policy loader error into its field errors.
func loaderErrors(err error) []*policy.FieldError {
	var list []error
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		list = j.Unwrap()
	} else {
		list = []error{err}
	}
	var out []*policy.FieldError
	for _, e := range list {
		var fe *policy.FieldError
		if errors.As(e, &fe) {
			out = append(out, fe)
			continue
		}
		out = append(out, &policy.FieldError{Msg: e.Error()})
	}
	return out
}

// encode writes a YAML document with the policy file's indentation.
func encode(doc *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("write policy set: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("write policy set: %w", err)
	}
	return b.Bytes(), nil
}
