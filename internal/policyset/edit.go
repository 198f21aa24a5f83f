package policyset

import (
	"fmt"
	"net/url"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Form keys an edit reads besides the params ("p.<name>"). A full form
// sends "form"; a toggle sends "enabled" alone.
var commonKeys = []string{"enabled", "severity", "action", "threshold", "roles", "count", "window"}

// Edit returns the set with unit key changed as form says: "enabled"
// (true or false), "severity", "action", "threshold", "roles" (text
// policies), "count", "window" (rules) and "p.<param>" for each typed
// param. A value equal to the current one leaves the file as it is; an
// empty value removes the key, so the default applies. The result is
// checked by the policy loader; its complaints come back as FieldErrors
// keyed by form field, and s is unchanged.
func (s *Set) Edit(key string, form url.Values) (*Set, error) {
	u, ok := s.Unit(key)
	if !ok {
		return nil, fmt.Errorf("no policy named %q in the set", key)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(s.YAML, &doc); err != nil {
		return nil, fmt.Errorf("read policy set: %w", err)
	}
	root := docRoot(&doc)
	var target *yaml.Node
	var prefix string
	switch u.Kind {
	case KindText:
		pols := mapGet(root, "policies")
		if pols == nil || pols.Kind != yaml.SequenceNode {
			return nil, fmt.Errorf("policy set has no policies list")
		}
		for i, item := range pols.Content {
			if n := mapGet(item, "name"); n != nil && n.Value == u.Name {
				target, prefix = item, fmt.Sprintf("policies[%d].", i)
				break
			}
		}
		if target == nil {
			return nil, fmt.Errorf("no policy named %q in the set", key)
		}
	case KindSession, KindActivity:
		target, prefix = ensureMap(ensureMap(root, u.Kind), u.Name), u.Kind+"."+u.Name+"."
	default:
		target, prefix = ensureMap(root, u.Key), u.Key+"."
	}
	errs := FieldErrors{}
	if u.HasCommon {
		editCommon(target, u, form)
	}
	params := target
	if u.Kind == KindText {
		params = mapGet(target, "params")
		if params == nil {
			params = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		}
	}
	for _, f := range u.Params {
		fk := "p." + f.Name
		if !form.Has(fk) {
			continue
		}
		vals := form[fk]
		v := strings.TrimSpace(vals[len(vals)-1]) // a checkbox follows its hidden "false"
		cur := f.Value
		if f.Input == "checkbox" {
			cur = fmt.Sprint(f.Checked)
		}
		if normalize(f.Input, v) == normalize(f.Input, cur) {
			continue
		}
		if v == "" {
			mapDel(params, f.Name)
			continue
		}
		n, msg := valueNode(f.Input, v)
		if msg != "" {
			errs[fk] = append(errs[fk], msg)
			continue
		}
		mapSet(params, f.Name, n)
	}
	if u.Kind == KindText {
		if len(params.Content) == 0 {
			mapDel(target, "params")
		} else if mapGet(target, "params") == nil {
			mapSet(target, "params", params)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	data, err := encode(&doc)
	if err != nil {
		return nil, err
	}
	next, err := Parse(data, "draft")
	if err != nil {
		return nil, fieldErrors(err, u, prefix)
	}
	return next, nil
}

// editCommon sets the fields every policy has.
func editCommon(target *yaml.Node, u Unit, form url.Values) {
	if form.Has("enabled") {
		on := form["enabled"][len(form["enabled"])-1] == "true"
		if on != u.Enabled {
			mapSet(target, "enabled", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(on)})
		}
	}
	set := func(name, cur, tag string) {
		if !form.Has(name) {
			return
		}
		v := strings.TrimSpace(form.Get(name))
		switch {
		case v == cur:
		case v == "":
			mapDel(target, name)
		default:
			mapSet(target, name, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v})
		}
	}
	set("severity", u.Severity, "!!str")
	set("action", u.Action, "!!str")
	if u.Kind == KindText {
		set("threshold", u.Threshold, "")
		// Roles are checkboxes: the full form says it was sent with "form".
		if form.Has("form") {
			var rs []string
			for _, r := range Roles {
				if slices.Contains(form["roles"], r) {
					rs = append(rs, r)
				}
			}
			if strings.Join(rs, ",") != strings.Join(u.Roles, ",") {
				if len(rs) == 0 {
					mapDel(target, "roles")
				} else {
					mapSet(target, "roles", listNode(rs))
				}
			}
		}
		return
	}
	set("count", u.Count, "")
	set("window", u.Window, "!!str")
}

// valueNode builds the YAML value of a form input. Numbers are written
// plain, so the loader reads "abc" as text and says the field wants a
// number; everything else typed is text.
func valueNode(input, v string) (*yaml.Node, string) {
	switch input {
	case "checkbox":
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: fmt.Sprint(v == "true" || v == "on")}, ""
	case "number":
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v}, ""
	case "list":
		return listNode(splitList(v)), ""
	case "map":
		m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
		for _, line := range splitLines(v) {
			k, val, ok := strings.Cut(line, ":")
			if !ok || strings.TrimSpace(k) == "" {
				return nil, fmt.Sprintf("line %q is not NAME: number", line)
			}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: strings.TrimSpace(k)},
				&yaml.Node{Kind: yaml.ScalarNode, Value: strings.TrimSpace(val)})
		}
		return m, ""
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v}, ""
}

func listNode(items []string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
	for _, it := range items {
		n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: it})
	}
	return n
}

// splitList reads a list input: one item a line, or separated by commas.
func splitList(v string) []string {
	var out []string
	for _, line := range splitLines(v) {
		for _, it := range strings.Split(line, ",") {
			if it = strings.TrimSpace(it); it != "" {
				out = append(out, it)
			}
		}
	}
	return out
}

func splitLines(v string) []string {
	var out []string
	for _, line := range strings.Split(strings.ReplaceAll(v, "\r\n", "\n"), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return out
}

// normalize makes two spellings of one value equal: list items however
// separated, map lines in any order.
func normalize(input, v string) string {
	switch input {
	case "list":
		return strings.Join(splitList(v), "\n")
	case "map":
		lines := splitLines(v)
		for i, l := range lines {
			k, val, _ := strings.Cut(l, ":")
			lines[i] = strings.TrimSpace(k) + ":" + strings.TrimSpace(val)
		}
		slices.Sort(lines)
		return strings.Join(lines, "\n")
	case "checkbox":
		return fmt.Sprint(v == "true" || v == "on")
	}
	return strings.TrimSpace(v)
}

// fieldErrors keys the loader's errors about unit u (whose fields start
// with prefix in the loader's paths) by form field.
func fieldErrors(err error, u Unit, prefix string) FieldErrors {
	out := FieldErrors{}
	for _, fe := range loaderErrors(err) {
		key, msg := "", fe.Msg
		if rest, ok := strings.CutPrefix(fe.Field, prefix); ok {
			if key = formKey(u, rest); key == "" {
				msg = rest + ": " + msg
			}
		} else if fe.Field != "" && fe.Field != strings.TrimSuffix(prefix, ".") {
			msg = fe.Field + ": " + msg
		}
		out[key] = append(out[key], msg)
	}
	return out
}

// formKey maps a loader field path inside a unit ("params.entities[2]",
// "window", "kinds") to its form field.
func formKey(u Unit, rest string) string {
	if u.Kind == KindText {
		if p, ok := strings.CutPrefix(rest, "params."); ok {
			return "p." + firstSegment(p)
		}
		if rest == "params" {
			return ""
		}
	}
	seg := firstSegment(rest)
	if slices.Contains(commonKeys, seg) || seg == "groups" || seg == "exclude_groups" {
		return seg
	}
	return "p." + seg
}

func firstSegment(s string) string {
	if i := strings.IndexAny(s, ".["); i >= 0 {
		return s[:i]
	}
	return s
}

// WithForm returns u showing the values of a form that did not pass, so
// the page shows what was typed beside the loader's complaints.
func (u Unit) WithForm(form url.Values) Unit {
	get := func(k string, dst *string) {
		if form.Has(k) {
			*dst = form.Get(k)
		}
	}
	get("severity", &u.Severity)
	get("action", &u.Action)
	get("threshold", &u.Threshold)
	get("count", &u.Count)
	get("window", &u.Window)
	if form.Has("form") && u.Kind == KindText {
		u.Roles = form["roles"]
	}
	u.Params = slices.Clone(u.Params)
	for i, f := range u.Params {
		vals, ok := form["p."+f.Name]
		if !ok {
			continue
		}
		v := vals[len(vals)-1]
		if f.Input == "checkbox" {
			u.Params[i].Checked = v == "true"
		} else {
			u.Params[i].Value = v
		}
	}
	return u
}

// YAML node helpers: a document's root mapping and the keys of mappings.

func docRoot(doc *yaml.Node) *yaml.Node {
	if doc.Kind != yaml.DocumentNode {
		*doc = yaml.Node{Kind: yaml.DocumentNode}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		doc.Content = []*yaml.Node{{Kind: yaml.MappingNode, Tag: "!!map"}}
	}
	return doc.Content[0]
}

func mapGet(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func mapSet(m *yaml.Node, key string, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = v
			return
		}
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
}

func mapDel(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = slices.Delete(m.Content, i, i+2)
			return
		}
	}
}

// ensureMap returns the mapping under key, adding an empty one (or
// replacing a null) when there is none.
func ensureMap(m *yaml.Node, key string) *yaml.Node {
	if n := mapGet(m, key); n != nil && n.Kind == yaml.MappingNode {
		return n
	}
	n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	mapSet(m, key, n)
	return n
}
