package code

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, p detect.Params) detect.Detector {
	t.Helper()
	d, err := New(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func TestSourceCode(t *testing.T) {
	d := newDetector(t, nil)
	tests := []struct {
		name string
		text string
		want string // entity, "" for none
	}{
		{"go", "can you review this?\n\nfunc (s *Server) Handle(w http.ResponseWriter) {\n\tdata, err := load()\n\tif err != nil {\n\t\treturn\n\t}\n}\n", "SOURCE_CODE:go"},
		{"python", "def parse(path):\n    with open(path) as f:\n        return f.read()\n\nclass Loader(Base):\n    pass\n", "SOURCE_CODE:python"},
		{"javascript", "const x = require('fs');\nconsole.log(x.readFileSync('a'));\n", "SOURCE_CODE:javascript"},
		{"java", "public class Main {\n  public static void main(String[] args) {\n    System.out.println(\"hi\");\n  }\n}\n", "SOURCE_CODE:java"},
		{"c", "#include <stdio.h>\nint main(void) {\n  printf(\"hi\\n\");\n}\n", "SOURCE_CODE:c"},
		{"sql", "SELECT id, email FROM users u\nJOIN orders o ON o.user_id = u.id\nWHERE u.id = 4\n", "SOURCE_CODE:sql"},
		{"shell", "#!/bin/bash\nexport PATH=/opt/bin\nls -la | grep foo\n", "SOURCE_CODE:shell"},
		{"fenced with tag", "here:\n```rust\nlet v = 1;\n```\n", "SOURCE_CODE:rust"},
		{"prose", "I think we should select the best option from the list and update the team.\nLet me know what you think.", ""},
		{"single line", "use fmt.Println to print", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			detecttest.CheckEntity(t, tt.text, fs, tt.want)
		})
	}
}

func TestMarkers(t *testing.T) {
	d := newDetector(t, detect.Params{"markers": []any{"acme-payments", "*.corp.example", "Copyright (c) Acme", `re:ACME-\d{4}`}})
	tests := []struct {
		text string
		want int
	}{
		{"clone git@github.com:acme/acme-payments.git", 1},
		{"the host is build01.eu.corp.example:8443", 1},
		{"// Copyright (c) Acme Corp 2024", 1},
		{"ticket ACME-1234 and ACME-99", 1},
		{"nothing proprietary here, corp.example.org", 0},
	}
	for _, tt := range tests {
		n := 0
		for _, f := range d.Detect(context.Background(), detect.Input{Text: tt.text}) {
			if f.Entity == ProprietaryMarker {
				n++
			}
		}
		if n != tt.want {
			t.Errorf("%q: got %d markers, want %d", tt.text, n, tt.want)
		}
	}
	if _, err := New(detect.Params{"markers": []any{"re:("}}); err == nil {
		t.Error("bad regex marker: want error")
	}
}

func FuzzDetect(f *testing.F) {
	d := newDetector(f, detect.Params{"markers": []any{"*.corp.example"}})
	f.Add("```go\nfunc main() {}\n```")
	f.Add("def x():\n  pass\n")
	f.Add("```")
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s}) {
			if fd.Start < 0 || fd.End > len(s) || fd.Start > fd.End {
				t.Fatalf("bad span %d..%d for len %d", fd.Start, fd.End, len(s))
			}
		}
	})
}
