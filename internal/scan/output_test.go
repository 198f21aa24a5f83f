package scan

import (
	"bytes"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
)

func TestCell(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		want     string
	}{
		{"plain", "ab****cd", 48, "ab****cd"},
		{"terminal escape", "\x1b]0;pwned\x07x", 48, "?]0;pwned?x"},
		{"bidi override", "ab\u202ecd", 48, "ab?cd"},
		{"newlines and tabs", "a\nb\tc\rd", 48, "a b c d"},
		{"cut", "abcdefgh", 5, "abcde…"},
		{"exact length", "abcde", 5, "abcde"},
		{"runes not bytes", "ééééé", 3, "ééé…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := cell(tt.in, tt.max); got != tt.want {
				t.Errorf("cell(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
			}
		})
	}
}

func TestSummaryLine(t *testing.T) {
	tests := []struct {
		s    Summary
		want string
	}{
		{Summary{Documents: 1, FailOn: "high"}, "no findings in 1 document"},
		{Summary{Documents: 3, Flagged: 1, Findings: 1, Max: "low", FailOn: "high"}, "1 finding in 1 of 3 documents, highest severity low; passing: none at or above --fail-on high"},
		{Summary{Documents: 2, Flagged: 2, Findings: 5, Max: "critical", FailOn: "high", Failed: true}, "5 findings in 2 of 2 documents, highest severity critical; failing: at least one finding at or above --fail-on high"},
	}
	for _, tt := range tests {
		if got := SummaryLine(tt.s); got != tt.want {
			t.Errorf("SummaryLine(%+v) = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestTableWriter(t *testing.T) {
	var out bytes.Buffer
	w := NewTableWriter(&out)
	recs := []Record{
		{Source: "a.jsonl", Line: 3, ID: "m-1", Role: "user", Policy: "secrets", Entity: "aws-access-token",
			Severity: policy.SeverityCritical, EffectiveAction: policy.ActionAlert, Score: 0.9, Excerpt: "AK****2K"},
		{Source: "a.jsonl", Line: 9, Role: "tool", Policy: "prompt-injection", Entity: "PROMPT_INJECTION",
			Severity: policy.SeverityHigh, EffectiveAction: policy.ActionAlert, Score: 0.75, Excerpt: "ig*****ns", Decoded: "BASE64"},
	}
	for _, r := range recs {
		if err := w.Write(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(Summary{Documents: 2, Flagged: 2, Findings: 2, Max: "critical", FailOn: "high", Failed: true}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{
		"LOCATION         ROLE  SEVERITY  ACTION  POLICY            ENTITY                        SCORE  EXCERPT",
		"a.jsonl:3 [m-1]  user  critical  alert   secrets           aws-access-token              0.90   AK****2K",
		"a.jsonl:9        tool  high      alert   prompt-injection  PROMPT_INJECTION (in BASE64)  0.75   ig*****ns",
		"",
		"2 findings in 2 of 2 documents, highest severity critical; failing: at least one finding at or above --fail-on high",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(want, "\n"))
	}
}

func TestNewWriter(t *testing.T) {
	for _, f := range []string{"table", "JSONL"} {
		if _, err := NewWriter(&bytes.Buffer{}, f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, "csv"); err == nil {
		t.Error("csv accepted")
	}
}
