package config

import (
	"flag"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite docs/CONFIG.md from the config types")

// TestConfigReference fails when docs/CONFIG.md no longer matches the config
// types: their fields, YAML keys, doc comments and defaults. Regenerate it
// with: go test ./internal/config -run TestConfigReference -update
func TestConfigReference(t *testing.T) {
	doc, undocumented := reference(t)
	if len(undocumented) > 0 {
		t.Errorf("config fields without a doc comment (docs/CONFIG.md would show nothing): %s", strings.Join(undocumented, ", "))
	}
	path := filepath.Join("..", "..", "docs", "CONFIG.md")
	if *update {
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != doc {
		t.Fatalf("docs/CONFIG.md is out of date with the config types; regenerate it:\n  go test ./internal/config -run TestConfigReference -update")
	}
}

// sourceTypes reads the struct types and their docs of one package's files.
type sourceTypes struct {
	structs map[string]*ast.StructType
	docs    map[string]string
}

func parsePackage(t *testing.T, dir string) sourceTypes {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	st := sourceTypes{structs: map[string]*ast.StructType{}, docs: map[string]string{}}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				if s, ok := ts.Type.(*ast.StructType); ok {
					st.structs[ts.Name.Name] = s
					doc := ts.Doc
					if doc == nil {
						doc = gd.Doc
					}
					st.docs[ts.Name.Name] = oneLine(doc.Text())
				}
			}
		}
	}
	return st
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// refWriter renders the reference: one section per mapping, each a table
// of its keys with type, default and description.
type refWriter struct {
	t            *testing.T
	pkgs         map[string]sourceTypes // "config", "sink"
	sections     []string
	done         map[string]string // type -> path of its section
	undocumented []string
}

type field struct {
	key, typ, def, doc string
}

func reference(t *testing.T) (string, []string) {
	w := &refWriter{t: t, done: map[string]string{}, pkgs: map[string]sourceTypes{
		"config": parsePackage(t, "."),
		"sink":   parsePackage(t, filepath.Join("..", "alert", "sink")),
	}}
	def := Default()
	withIntegration := &Config{Integrations: []Integration{{}}}
	withIntegration.ApplyDefaults()
	w.section("config", "Config", "", reflect.ValueOf(*def), map[string]reflect.Value{
		"integrations": reflect.ValueOf(withIntegration.Integrations[0]),
	})
	var b strings.Builder
	b.WriteString(`# Configuration reference

<!-- Generated from the config types (internal/config, internal/alert/sink)
by: go test ./internal/config -run TestConfigReference -update
A test fails when this file and the types disagree. -->

claudit reads one YAML file: ` + "`claudit.yaml`" + ` in the working directory, or the
file given with ` + "`--config`" + `. A missing default file means all defaults; an
unknown key, a wrong type or an invalid value is an error that names the file,
line and key. Durations are written ` + "`90s`, `5m`, `24h` or `7d`" + `. A relative
` + "`sqlite://`" + ` path is taken from the folder of the config file. Secrets are not
written in the file but named by an environment variable (` + "`*_env`" + `) or a file
(` + "`*_file`" + `).

`)
	for _, s := range w.sections {
		b.WriteString(s)
	}
	return b.String(), w.undocumented
}

// section renders the mapping of type typeName at path, with defaults from
// def (an invalid Value: none) and the defaults of list elements by key.
func (w *refWriter) section(pkg, typeName, path string, def reflect.Value, elemDefs map[string]reflect.Value) {
	st, ok := w.pkgs[pkg].structs[typeName]
	if !ok {
		w.t.Fatalf("no struct %s.%s", pkg, typeName)
	}
	w.done[pkg+"."+typeName] = path
	idx := len(w.sections)
	w.sections = append(w.sections, "") // this section comes before its children
	var rows []field
	type child struct {
		pkg, typ, path string
		def            reflect.Value
	}
	var children []child
	for _, f := range st.Fields.List {
		if len(f.Names) == 0 || f.Tag == nil {
			continue
		}
		key := reflect.StructTag(strings.Trim(f.Tag.Value, "`")).Get("yaml")
		key, _, _ = strings.Cut(key, ",")
		if key == "" || key == "-" {
			continue
		}
		name := f.Names[0].Name
		full := strings.TrimPrefix(path+"."+key, ".")
		doc := oneLine(f.Doc.Text())
		if doc == "" {
			doc = oneLine(f.Comment.Text())
		}
		var fdef reflect.Value
		if def.IsValid() {
			fdef = def.FieldByName(name)
		}
		typ, sub, subPkg, list := w.describe(pkg, f.Type)
		if sub != "" {
			if doc == "" {
				doc = w.pkgs[subPkg].docs[sub]
			}
			subPath := full
			if list {
				subPath += "[]"
			}
			if prev, ok := w.done[subPkg+"."+sub]; ok {
				typ += fmt.Sprintf(" (as `%s`)", prev)
			} else {
				cdef := fdef
				if list || (cdef.IsValid() && cdef.Kind() == reflect.Pointer) {
					cdef = elemDefs[key]
				}
				children = append(children, child{subPkg, sub, subPath, cdef})
				w.done[subPkg+"."+sub] = subPath
				typ += fmt.Sprintf(": see `%s`", subPath)
			}
		}
		if doc == "" && pkg == "config" {
			w.undocumented = append(w.undocumented, full)
		}
		rows = append(rows, field{key: key, typ: typ, def: showDefault(fdef, sub != ""), doc: strings.ReplaceAll(doc, "|", `\|`)})
	}
	var b strings.Builder
	if path == "" {
		b.WriteString("## Top level\n\n")
	} else {
		fmt.Fprintf(&b, "## `%s`\n\n", path)
	}
	if d, ok := sectionIntro[path]; ok {
		b.WriteString(d + "\n\n")
	} else if d := w.pkgs[pkg].docs[typeName]; d != "" && path != "" {
		b.WriteString(d + "\n\n")
	}
	b.WriteString("| key | type | default | description |\n| --- | --- | --- | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", r.key, r.typ, r.def, r.doc)
	}
	b.WriteString("\n")
	w.sections[idx] = b.String()
	for _, c := range children {
		delete(w.done, c.pkg+"."+c.typ)
		w.section(c.pkg, c.typ, c.path, c.def, nil)
	}
}

// sectionIntro replaces a type's doc comment where it reads as Go, not YAML.
var sectionIntro = map[string]string{
	"sinks[]": "One alert or event destination. `type` picks the sink, and only the block of that type " +
		"(`webhook`, `slack`, `splunk_hec`, `syslog`, `ocsf` or `email`) may be set, e.g. " +
		"`{type: webhook, name: soc, filter: {min_severity: high}, webhook: {url: https://soc.example/hook}}`.",
}

// describe names a field's YAML type; sub is the struct type that has its
// own section (in package subPkg), list whether it is a list of them.
func (w *refWriter) describe(pkg string, e ast.Expr) (typ, sub, subPkg string, list bool) {
	switch x := e.(type) {
	case *ast.Ident:
		switch x.Name {
		case "string":
			return "string", "", "", false
		case "int", "int64":
			return "integer", "", "", false
		case "bool":
			return "boolean", "", "", false
		case "Duration":
			return "duration", "", "", false
		}
		if _, ok := w.pkgs[pkg].structs[x.Name]; ok {
			return "mapping", x.Name, pkg, false
		}
	case *ast.StarExpr:
		typ, sub, subPkg, list = w.describe(pkg, x.X)
		return typ, sub, subPkg, list
	case *ast.SelectorExpr:
		switch x.Sel.Name {
		case "Duration":
			return "duration", "", "", false
		case "Node": // sinks: decoded by internal/alert/sink
			return "list of mappings", "Config", "sink", true
		}
	case *ast.ArrayType:
		typ, sub, subPkg, _ = w.describe(pkg, x.Elt)
		if sub != "" {
			return "list of mappings", sub, subPkg, true
		}
		if id, ok := x.Elt.(*ast.SelectorExpr); ok && id.Sel.Name == "Node" {
			return "list of mappings", "Config", "sink", true
		}
		return "list of " + typ + "s", "", "", false
	case *ast.MapType:
		k, _, _, _ := w.describe(pkg, x.Key)
		v, _, _, _ := w.describe(pkg, x.Value)
		return "mapping of " + k + " to " + v, "", "", false
	}
	w.t.Fatalf("config reference: no YAML type for %T %v", e, e)
	return "", "", "", false
}

// showDefault writes a default value as it would be written in YAML.
func showDefault(v reflect.Value, mapping bool) string {
	if !v.IsValid() || mapping || v.IsZero() {
		return ""
	}
	switch x := v.Interface().(type) {
	case Duration:
		return "`" + shortDuration(x.Duration) + "`"
	case time.Duration:
		return "`" + shortDuration(x) + "`"
	case []string:
		return "`[" + strings.Join(x, ", ") + "]`"
	case map[string]string:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		return "`" + strings.Join(keys, ", ") + "`"
	}
	return fmt.Sprintf("`%v`", v.Interface())
}

func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return d.String()
}
