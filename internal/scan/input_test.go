package scan

import (
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/policy/detect"
)

// readAll collects the documents of an input, or the first error.
func readAll(t *testing.T, input string, opts ReaderOptions) ([]Document, Mode, error) {
	t.Helper()
	rd := NewReader(strings.NewReader(input), "in", opts)
	var docs []Document
	for {
		d, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return docs, rd.Mode(), nil
		}
		if err != nil {
			return docs, rd.Mode(), err
		}
		docs = append(docs, d)
	}
}

type wantDoc struct {
	line int
	role detect.Role
	id   string
	text string
}

func TestReader(t *testing.T) {
	tests := []struct {
		name     string
		input    string
		opts     ReaderOptions
		wantMode Mode
		want     []wantDoc
		wantErr  string // substring; the error must be an *InputError when it names a line
	}{
		{
			name:     "jsonl auto with roles and ids",
			input:    "{\"text\": \"hello\", \"role\": \"assistant\", \"id\": \"a1\"}\n\n{\"text\": \"second\", \"id\": 42, \"label\": true}\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleAssistant, "a1", "hello"}, {3, detect.RoleUser, "42", "second"}},
		},
		{
			name:     "jsonl without trailing newline and with CRLF",
			input:    "{\"text\": \"a\"}\r\n{\"text\": \"b\", \"role\": \"TOOL\"}",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "a"}, {2, detect.RoleTool, "", "b"}},
		},
		{
			name:     "jsonl default role from options",
			input:    `{"text": "x"}`,
			opts:     ReaderOptions{Role: detect.RoleFile},
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleFile, "", "x"}},
		},
		{
			name:     "plain text is one document",
			input:    "\nfirst line\n{\"not\": \"jsonl\"}\nlast\n",
			wantMode: ModeText,
			want:     []wantDoc{{1, detect.RoleUser, "", "\nfirst line\n{\"not\": \"jsonl\"}\nlast\n"}},
		},
		{
			name:     "plain text lines",
			input:    "one\n\n  \r\ntwo\r\nthree",
			opts:     ReaderOptions{Lines: true, Role: detect.RoleAssistant},
			wantMode: ModeText,
			want:     []wantDoc{{1, detect.RoleAssistant, "", "one"}, {4, detect.RoleAssistant, "", "two"}, {5, detect.RoleAssistant, "", "three"}},
		},
		{
			name:     "forced text mode scans JSON as text",
			input:    "{\"text\": \"a\"}\n",
			opts:     ReaderOptions{Mode: ModeText, Lines: true},
			wantMode: ModeText,
			want:     []wantDoc{{1, detect.RoleUser, "", "{\"text\": \"a\"}"}},
		},
		{name: "empty input", input: "", wantMode: ModeText},
		{name: "blank input", input: "\n \n\t\n", wantMode: ModeText},
		{
			name:     "invalid json line names its line",
			input:    "{\"text\": \"ok\"}\n{\"text\": \"broken\"\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  "in: line 2: invalid JSON",
		},
		{
			name:     "plain line after jsonl is an error",
			input:    "{\"text\": \"ok\"}\n\nplain words\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  "in: line 3: invalid JSON",
		},
		{
			name:     "object without text",
			input:    "{\"text\": \"ok\"}\n{\"body\": \"x\"}\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  `in: line 2: no "text" string`,
		},
		{
			name:     "text of the wrong type",
			input:    "{\"text\": \"ok\"}\n{\"text\": 5}\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  `in: line 2: invalid JSON (field "text" must not be a JSON number)`,
		},
		{
			name:     "array line",
			input:    "{\"text\": \"ok\"}\n[1, 2]\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  "in: line 2: invalid JSON (the line is a JSON array, not an object)",
		},
		{
			name:     "unknown role",
			input:    "{\"text\": \"ok\", \"role\": \"system\"}\n",
			wantMode: ModeJSONL,
			wantErr:  `in: line 1: role "system": use user, assistant, tool or file`,
		},
		{
			name:     "forced jsonl on plain text",
			input:    "hello\n",
			opts:     ReaderOptions{Mode: ModeJSONL},
			wantMode: ModeJSONL,
			wantErr:  "in: line 1: invalid JSON",
		},
		{
			name:     "invalid utf-8 in jsonl",
			input:    "{\"text\": \"ok\"}\n{\"text\": \"bad \xff\"}\n",
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  "in: line 2: invalid UTF-8 at byte 15",
		},
		{
			name:     "invalid utf-8 in plain text names line and byte",
			input:    "fine\nalso fine\nab\xc3(\n",
			wantMode: ModeText,
			wantErr:  "in: line 3: invalid UTF-8 at byte 3",
		},
		{
			name:     "invalid utf-8 in lines mode",
			input:    "fine\n\xe2\x82\n",
			opts:     ReaderOptions{Lines: true},
			wantMode: ModeText,
			want:     []wantDoc{{1, detect.RoleUser, "", "fine"}},
			wantErr:  "in: line 2: invalid UTF-8 at byte 1",
		},
		{
			name:     "line too long",
			input:    "{\"text\": \"ok\"}\n{\"text\": \"" + strings.Repeat("a", 100) + "\"}\n",
			opts:     ReaderOptions{MaxLineBytes: 64},
			wantMode: ModeJSONL,
			want:     []wantDoc{{1, detect.RoleUser, "", "ok"}},
			wantErr:  "in: line 2: line is longer than 64 bytes",
		},
		{
			name:     "first line too long",
			input:    strings.Repeat("a", 100),
			opts:     ReaderOptions{MaxLineBytes: 64},
			wantErr:  "in: line 1: line is longer than 64 bytes",
			wantMode: "",
		},
		{
			name:     "document too large",
			input:    "short\n" + strings.Repeat("b", 100),
			opts:     ReaderOptions{MaxDocumentBytes: 50},
			wantMode: ModeText,
			wantErr:  "input is larger than 50 bytes",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs, mode, err := readAll(t, tt.input, tt.opts)
			if mode != tt.wantMode {
				t.Errorf("mode = %q, want %q", mode, tt.wantMode)
			}
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("unexpected error: %v", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not contain %q", err, tt.wantErr)
			}
			if err != nil && strings.Contains(tt.wantErr, "line ") {
				var ie *InputError
				if !errors.As(err, &ie) {
					t.Errorf("error %T is not an *InputError", err)
				}
			}
			if len(docs) != len(tt.want) {
				t.Fatalf("got %d documents, want %d: %+v", len(docs), len(tt.want), docs)
			}
			for i, w := range tt.want {
				d := docs[i]
				if d.Line != w.line || d.Role != w.role || d.ID != w.id || d.Text != w.text || d.Source != "in" {
					t.Errorf("doc %d = %+v, want %+v", i, d, w)
				}
			}
		})
	}
}

func TestReaderLongLinesWithinLimit(t *testing.T) {
	// Lines longer than the bufio buffer but under the limit are read whole.
	long := strings.Repeat("x", 200<<10)
	docs, _, err := readAll(t, `{"text": "`+long+`"}`+"\n"+`{"text": "y"}`, ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(docs) != 2 || docs[0].Text != long || docs[1].Line != 2 {
		t.Fatalf("got %d docs", len(docs))
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		in      string
		wantErr bool
	}{{"high", false}, {"CRITICAL", false}, {"info", false}, {"severe", true}, {"", true}}
	for _, tt := range tests {
		_, err := ParseSeverity(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseSeverity(%q) error = %v", tt.in, err)
		}
	}
	if _, err := ParseRole("Assistant"); err != nil {
		t.Error(err)
	}
	if _, err := ParseRole("system"); err == nil {
		t.Error("system accepted as a role")
	}
	if _, err := ParseMode("yaml"); err == nil {
		t.Error("yaml accepted as an input mode")
	}
}

func FuzzReader(f *testing.F) {
	f.Add("{\"text\": \"a\", \"role\": \"user\"}\n{\"text\": \"b\"}\n", false)
	f.Add("plain\ntext\n", true)
	f.Add("\xff\n{", false)
	f.Add("{\"text\": \"\\ud800\"}", false)
	f.Fuzz(func(t *testing.T, input string, lines bool) {
		rd := NewReader(strings.NewReader(input), "fuzz", ReaderOptions{Lines: lines, MaxLineBytes: 1 << 10, MaxDocumentBytes: 4 << 10})
		for range 10000 {
			d, err := rd.Next()
			if err != nil {
				return
			}
			if !utf8.ValidString(d.Text) {
				t.Fatalf("document text is not valid UTF-8: %q", d.Text)
			}
			if d.Line < 1 {
				t.Fatalf("document line %d", d.Line)
			}
		}
		t.Fatal("reader did not finish")
	})
}
