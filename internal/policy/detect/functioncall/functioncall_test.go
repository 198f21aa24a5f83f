package functioncall

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func TestParseToolUses(t *testing.T) {
	tests := []struct {
		text  string
		names []string
		input []string
	}{
		{`tool_use name=bash input={"command":"ls -la"}`, []string{"bash"}, []string{`{"command":"ls -la"}`}},
		{`tool_use name="web_search" input={"q":"x"}`, []string{"web_search"}, []string{`{"q":"x"}`}},
		{"tool_use name=a\ntool_use name=b input=[1,2]", []string{"a", "b"}, []string{"", "[1,2]"}},
		{`tool_use name=x input={broken`, []string{"x"}, []string{""}},
		{`no tools here`, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got := ParseToolUses(tt.text)
			if len(got) != len(tt.names) {
				t.Fatalf("got %d tool uses, want %d", len(got), len(tt.names))
			}
			for i, tu := range got {
				if tu.Name != tt.names[i] || string(tu.Input) != tt.input[i] {
					t.Errorf("tool use %d = %q %q, want %q %q", i, tu.Name, tu.Input, tt.names[i], tt.input[i])
				}
				if tt.text[tu.NameStart:tu.NameEnd] != tu.Name {
					t.Errorf("span %d-%d does not hold the name", tu.NameStart, tu.NameEnd)
				}
			}
		})
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		params detect.Params
		text   string
		want   []string // "ENTITY:matched text"
	}{
		{"deny exact", detect.Params{"deny": []any{"bash"}}, `tool_use name=bash input={"command":"id"}`, []string{"DISALLOWED_TOOL:bash"}},
		{"deny glob", detect.Params{"deny": []any{"mcp__*__delete_*"}}, `tool_use name=mcp__github__delete_repo input={}`, []string{"DISALLOWED_TOOL:mcp__github__delete_repo"}},
		{"deny case", detect.Params{"deny": []any{"Bash"}}, `tool_use name=BASH input={}`, []string{"DISALLOWED_TOOL:BASH"}},
		{"allowed", detect.Params{"deny": []any{"bash"}}, `tool_use name=web_search input={}`, nil},
		{"allowlist", detect.Params{"allow": []any{"web_*", "calculator"}}, "tool_use name=web_fetch input={}\ntool_use name=computer input={}", []string{"DISALLOWED_TOOL:computer"}},
		{"mcp host", detect.Params{"mcp_allow": []any{"mcp.corp.example"}}, "tool_use name=q mcp_server_url=https://mcp.corp.example/sse", nil},
		{"mcp unknown", detect.Params{"mcp_allow": []any{"mcp.corp.example"}}, "tool_use name=q mcp_server_url=https://evil.example/sse", []string{"UNAPPROVED_MCP_SERVER:https://evil.example/sse"}},
		{"mcp glob", detect.Params{"mcp_allow": []any{"*.corp.example"}}, "mcp_server_url=https://a.corp.example/x", nil},
		{"mcp prefix", detect.Params{"mcp_allow": []any{"https://tools.example/org1"}}, "mcp_server_url=https://tools.example/org2/sse", []string{"UNAPPROVED_MCP_SERVER:https://tools.example/org2/sse"}},
		{"mcp lookalike host", detect.Params{"mcp_allow": []any{"mcp.corp.example"}}, "mcp_server_url=https://mcp.corp.example.evil.example/", []string{"UNAPPROVED_MCP_SERVER:https://mcp.corp.example.evil.example/"}},
		{"default deny", nil, "tool_use name=bash input={}\ntool_use name=web_search input={}\ntool_use name=mcp__drive__delete_file input={}", []string{"DISALLOWED_TOOL:bash", "DISALLOWED_TOOL:mcp__drive__delete_file"}},
		{"default deny skipped with allow", detect.Params{"allow": []any{"bash"}}, "tool_use name=bash input={}", nil},
		{"mcp empty allowlist", detect.Params{"mcp_allow": []any{}}, "mcp_server_url=https://a.example/", []string{"UNAPPROVED_MCP_SERVER:https://a.example/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range d.Detect(context.Background(), detect.Input{Text: tt.text, Role: detect.RoleTool}) {
				got = append(got, f.Entity+":"+tt.text[f.Start:f.End])
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	for _, p := range []detect.Params{{"deny": []any{"["}}, {"allow": []any{"a", "[x"}}} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%v) succeeded, want error", p)
		}
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func FuzzParseToolUses(f *testing.F) {
	f.Add(`tool_use name=bash input={"command":"ls"} mcp_server_url=https://x.example`)
	f.Add(`tool_use name="a" input=[`)
	f.Add("tool_use name=\xff input=\"")
	d, err := New(detect.Params{"deny": []any{"*"}, "mcp_allow": []any{"x.example"}})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, tu := range ParseToolUses(s) {
			if s[tu.NameStart:tu.NameEnd] != tu.Name {
				t.Fatal("name span mismatch")
			}
		}
		detecttest.CheckSpans(t, s, d.Detect(context.Background(), detect.Input{Text: s}))
	})
}

func BenchmarkDetect(b *testing.B) {
	text := strings.Repeat(`tool_use name=web_search input={"query":"quarterly revenue by region"} mcp_server_url=https://mcp.corp.example/sse`+"\n", 10)
	d, err := New(detect.Params{"deny": []any{"bash", "mcp__*__delete_*"}, "mcp_allow": []any{"mcp.corp.example"}})
	if err != nil {
		b.Fatal(err)
	}
	detecttest.Bench(b, d, detect.Input{Text: text})
}
