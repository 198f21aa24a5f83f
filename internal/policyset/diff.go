package policyset

import "strings"

// Change is how one policy differs between two sets.
type Change struct {
	Key    string
	Kind   string
	Status string // added, removed or changed
	Fields []FieldChange
}

// FieldChange is one field of a changed policy; "" is the default.
type FieldChange struct {
	Field, From, To string
}

// Diff lists the policies that differ from installed to draft: the
// draft's order first, then the policies the draft removes.
func Diff(installed, draft *Set) []Change {
	from := map[string]Unit{}
	for _, u := range installed.Units() {
		from[u.Key] = u
	}
	var out []Change
	seen := map[string]bool{}
	for _, u := range draft.Units() {
		seen[u.Key] = true
		old, ok := from[u.Key]
		if !ok {
			out = append(out, Change{Key: u.Key, Kind: u.Kind, Status: "added"})
			continue
		}
		if fs := diffFields(flat(old), flat(u)); len(fs) > 0 {
			out = append(out, Change{Key: u.Key, Kind: u.Kind, Status: "changed", Fields: fs})
		}
	}
	for _, u := range installed.Units() {
		if !seen[u.Key] {
			out = append(out, Change{Key: u.Key, Kind: u.Kind, Status: "removed"})
		}
	}
	return out
}

// ChangedKeys are the keys of the policies Diff lists.
func ChangedKeys(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Key
	}
	return out
}

type kv struct{ k, v string }

// flat lists a unit's fields and their shown values, in form order.
func flat(u Unit) []kv {
	out := []kv{}
	if u.HasCommon {
		out = append(out, kv{"enabled", map[bool]string{true: "on", false: "off"}[u.Enabled]},
			kv{"severity", u.Severity}, kv{"action", u.Action}, kv{"roles", strings.Join(u.Roles, ", ")},
			kv{"threshold", u.Threshold}, kv{"count", u.Count}, kv{"window", u.Window}, kv{"groups", strings.Join(u.Groups, ", ")})
	}
	for _, f := range u.Params {
		v := strings.Join(splitLines(f.Value), ", ")
		if f.Input == "checkbox" {
			v = map[bool]string{true: "yes", false: ""}[f.Checked]
		}
		out = append(out, kv{"params." + f.Name, v})
	}
	return out
}

func diffFields(a, b []kv) []FieldChange {
	old := map[string]string{}
	for _, x := range a {
		old[x.k] = x.v
	}
	var out []FieldChange
	for _, x := range b {
		if o := old[x.k]; o != x.v {
			out = append(out, FieldChange{Field: x.k, From: o, To: x.v})
		}
		delete(old, x.k)
	}
	for _, x := range a {
		if _, gone := old[x.k]; gone && x.v != "" {
			out = append(out, FieldChange{Field: x.k, From: x.v})
		}
	}
	return out
}
