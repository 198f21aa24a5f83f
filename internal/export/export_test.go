package export

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// records are hand-written events covering what an export must survive:
// formulas in every kind of cell, invalid UTF-8, markup, line breaks,
// quotes, non-Latin text, files and tool calls, and an access event with
// its raw JSON.
func records() []Record {
	at := time.Date(2026, 3, 4, 5, 6, 7, 890000000, time.UTC)
	return []Record{
		FromMessage(store.Message{IntegrationID: 1, ID: "msg_1", ChatID: "chat_1", Role: "user", Model: "claude-sonnet-4",
			UserID: "user_1", UserEmail: "ana@example.com", CreatedAt: at, Tokens: 12,
			Text:  "=HYPERLINK(\"http://evil.example\",\"click\")\nsecond line, with a comma and \"quotes\"",
			Files: []store.FileMeta{{ID: "file_1", Kind: "upload", Filename: "+budget.xlsx", MimeType: "application/vnd.ms-excel", SizeBytes: 2048}},
			Tags:  []string{"PII: EMAIL", "No Secrets"}, Violations: 1}),
		FromMessage(store.Message{IntegrationID: 1, ID: "msg_2", ChatID: "chat_1", Role: "assistant", Model: "claude-sonnet-4",
			CreatedAt: at.Add(time.Second), Text: "bad bytes \xff\xfe here; <script>alert(1)</script>; 日本語",
			ToolCalls: []store.ToolCall{{ID: "tool_1", Name: "@fetch", Input: `{"url":"http://10.0.0.1/"}`, MCPServerURL: "http://10.0.0.1/mcp"}}}),
		FromMessage(store.Message{IntegrationID: 2, ID: "msg_3", ChatID: "chat_2", Role: "user", CreatedAt: at.Add(2 * time.Second),
			UserEmail: "-2+3@example.com", Text: "  -1+1", Model: "\tclaude"}),
		FromMessage(store.Message{IntegrationID: 2, ID: "msg_4", ChatID: "chat_2", Role: "user", CreatedAt: at.Add(3 * time.Second), Text: "-42.5"}),
		FromActivity(store.Activity{IntegrationID: 1, ID: "act_1", CreatedAt: at.Add(4 * time.Second), Type: "claude_file_shared",
			ActorUserID: "user_1", ActorEmail: "ana@example.com", IP: "203.0.113.9", UserAgent: "=cmd|' /C calc'!A0",
			Tags: []string{"Unexpected sharing"}, Raw: json.RawMessage(`{"type":"claude_file_shared","id":"act_1"}`)}),
		// An interaction: the prompt and its response in one record, the
		// response's formula defused in the output cell.
		FromInteraction(&store.Message{IntegrationID: 1, ID: "msg_5", ChatID: "chat_3", Role: "user", Model: "claude-opus-4", UserID: "user_1",
			UserEmail: "ana@example.com", CreatedAt: at.Add(5 * time.Second), Text: "sum these", Tokens: 3, Tags: []string{"No PII"}},
			&store.Message{IntegrationID: 1, ID: "msg_6", ChatID: "chat_3", Role: "assistant", Model: "claude-opus-4", CreatedAt: at.Add(6 * time.Second),
				Text: "=SUM(A1:A9)", Tokens: 4, Tags: []string{"Code"}, Violations: 1,
				ToolCalls: []store.ToolCall{{ID: "tool_2", Name: "calc", Input: `{}`}}}),
	}
}

// TestGolden writes the records in each format and compares with
// testdata/export.<format>; go test ./internal/export -update rewrites them.
func TestGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var b bytes.Buffer
			enc, err := NewEncoder(&b, format)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range records() {
				if err := enc.Write(r); err != nil {
					t.Fatal(err)
				}
			}
			if err := enc.Close(); err != nil {
				t.Fatal(err)
			}
			if enc.Count() != len(records()) {
				t.Errorf("count %d, want %d", enc.Count(), len(records()))
			}
			path := filepath.Join("testdata", "export."+format)
			if *update {
				if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("%s differs from %s:\n%s", format, path, b.String())
			}
		})
	}
}

// TestCSVCellsAreSafe checks every cell of the CSV export: no cell a
// spreadsheet would run as a formula, and only valid UTF-8.
func TestCSVCellsAreSafe(t *testing.T) {
	var b bytes.Buffer
	enc, _ := NewEncoder(&b, "csv")
	for _, r := range records() {
		if err := enc.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	enc.Close()
	out := b.String()
	if !strings.Contains(out, "'=HYPERLINK") || !strings.Contains(out, "'+budget.xlsx") || !strings.Contains(out, "'@fetch") ||
		!strings.Contains(out, "'=cmd") || !strings.Contains(out, "'  -1+1") || !strings.Contains(out, "'-2+3@example.com") || !strings.Contains(out, "'\tclaude") {
		t.Errorf("a formula cell was not defused:\n%s", out)
	}
	if !strings.Contains(out, ",-42.5,") {
		t.Errorf("a negative number was quoted:\n%s", out)
	}
	if !strings.Contains(out, "bad bytes \uFFFD here") || strings.Contains(out, "\xff") {
		t.Errorf("invalid UTF-8 was not replaced:\n%s", out)
	}
}

// TestJSONIsValid checks that the JSON and JSONL exports parse back, with
// the invalid bytes replaced and the markup escaped as data.
func TestJSONIsValid(t *testing.T) {
	for _, format := range []string{"json", "jsonl"} {
		var b bytes.Buffer
		enc, _ := NewEncoder(&b, format)
		for _, r := range records() {
			enc.Write(r)
		}
		enc.Close()
		var got []Record
		if format == "json" {
			if err := json.Unmarshal(b.Bytes(), &got); err != nil {
				t.Fatalf("json: %v", err)
			}
		} else {
			for _, line := range strings.Split(strings.TrimSpace(b.String()), "\n") {
				var r Record
				if err := json.Unmarshal([]byte(line), &r); err != nil {
					t.Fatalf("jsonl line %q: %v", line, err)
				}
				got = append(got, r)
			}
		}
		if len(got) != len(records()) || !strings.Contains(got[1].Text, "\uFFFD") || got[4].Kind != "access" {
			t.Errorf("%s round trip: %+v", format, got)
		}
	}
}

func TestUnknownFormat(t *testing.T) {
	if _, err := NewEncoder(&bytes.Buffer{}, "xml"); err == nil || !strings.Contains(err.Error(), "csv, json, jsonl") {
		t.Errorf("err = %v", err)
	}
}
