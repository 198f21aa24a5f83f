package scan

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
)

// severityEngine reports one finding per "!sev" word in the text, at that
// severity, so exit semantics can be tested independently of the detectors.
type severityEngine struct{}

func (severityEngine) Evaluate(_ context.Context, in detect.Input) policy.Result {
	var res policy.Result
	for i := 0; ; {
		j := strings.Index(in.Text[i:], "!")
		if j < 0 {
			return res
		}
		start := i + j
		end := start + 1
		for end < len(in.Text) && in.Text[end] >= 'a' && in.Text[end] <= 'z' {
			end++
		}
		sev := policy.Severity(in.Text[start+1 : end])
		res.Findings = append(res.Findings, policy.PolicyFinding{Policy: "test-" + string(sev), Severity: sev,
			Action: policy.ActionBlock, EffectiveAction: policy.ActionAlert,
			Finding: detect.Finding{Detector: "test", Entity: "MARK", Start: start, End: end, Score: 1,
				Excerpt: detect.Excerpt(in.Text, start, end)}})
		i = end
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name   string
		input  string
		failOn policy.Severity
		want   int
		max    policy.Severity
	}{
		{"no findings", "all quiet", policy.SeverityInfo, ExitClean, ""},
		{"below threshold", "a !medium b !low", policy.SeverityHigh, ExitClean, policy.SeverityMedium},
		{"at threshold", "a !high", policy.SeverityHigh, ExitFindings, policy.SeverityHigh},
		{"above threshold", "a !critical", policy.SeverityHigh, ExitFindings, policy.SeverityCritical},
		{"info fails on info", "!info", policy.SeverityInfo, ExitFindings, policy.SeverityInfo},
		{"critical only", "!high !medium", policy.SeverityCritical, ExitClean, policy.SeverityHigh},
		{"default is high", "!high", "", ExitFindings, policy.SeverityHigh},
		{"default passes medium", "!medium", "", ExitClean, policy.SeverityMedium},
		{"jsonl rows", "{\"text\": \"!low\"}\n{\"text\": \"!critical\", \"role\": \"tool\"}\n", policy.SeverityCritical, ExitFindings, policy.SeverityCritical},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			s := &Scanner{Engine: severityEngine{}, Out: NewJSONLWriter(&out), FailOn: tt.failOn}
			err := s.Scan(context.Background(), strings.NewReader(tt.input), "in")
			sum := s.Summary()
			if got := ExitStatus(sum, err); got != tt.want {
				t.Errorf("exit status = %d, want %d (summary %+v, err %v)", got, tt.want, sum, err)
			}
			if sum.Max != tt.max {
				t.Errorf("max severity = %q, want %q", sum.Max, tt.max)
			}
		})
	}
}

func TestExitStatusOnInputError(t *testing.T) {
	var out bytes.Buffer
	s := &Scanner{Engine: severityEngine{}, Out: NewJSONLWriter(&out), FailOn: policy.SeverityInfo}
	err := s.Scan(context.Background(), strings.NewReader("{\"text\": \"!critical\"}\nnot json\n"), "in")
	var ie *InputError
	if !errors.As(err, &ie) || ie.Line != 2 {
		t.Fatalf("err = %v, want an input error on line 2", err)
	}
	// The finding of line 1 is written, but the broken input decides the status.
	if got := ExitStatus(s.Summary(), err); got != ExitError {
		t.Errorf("exit status = %d, want %d", got, ExitError)
	}
	if !strings.Contains(out.String(), `"line":1`) {
		t.Errorf("finding before the error not written: %s", out.String())
	}
}

func TestRecordLines(t *testing.T) {
	var out bytes.Buffer
	s := &Scanner{Engine: severityEngine{}, Out: NewJSONLWriter(&out)}
	if err := s.Scan(context.Background(), strings.NewReader("one\ntwo !low\n\nfour !high\n"), "notes.txt"); err != nil {
		t.Fatal(err)
	}
	var lines []int
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r Record
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Source != "notes.txt" || r.Role != "user" || r.EffectiveAction != policy.ActionAlert {
			t.Errorf("record %+v", r)
		}
		lines = append(lines, r.Line)
	}
	if len(lines) != 2 || lines[0] != 2 || lines[1] != 4 {
		t.Errorf("lines = %v, want [2 4]", lines)
	}
}

// The real default policy set: the output carries redacted excerpts only.
func TestScanRedactsWithDefaultPolicies(t *testing.T) {
	eng, err := policy.Load("")
	if err != nil {
		t.Fatal(err)
	}
	// Built at run time so no credential-shaped literal sits in the source.
	key := "AKIA" + "ZQ3DRXWBLM7PTY2K"
	email := "kim.lindqvist@example.org"
	input := "contact " + email + "\naws_access_key_id = " + key + "\n"
	for _, format := range []string{"table", "jsonl"} {
		t.Run(format, func(t *testing.T) {
			var out bytes.Buffer
			w, err := NewWriter(&out, format)
			if err != nil {
				t.Fatal(err)
			}
			s := &Scanner{Engine: eng, Out: w, FailOn: policy.SeverityCritical}
			if err := s.Scan(context.Background(), strings.NewReader(input), "-"); err != nil {
				t.Fatal(err)
			}
			sum := s.Summary()
			if err := w.Close(sum); err != nil {
				t.Fatal(err)
			}
			got := out.String()
			for _, raw := range []string{key, email, "ZQ3DRX", "lindqvist"} {
				if strings.Contains(got, raw) {
					t.Errorf("output contains raw %q:\n%s", raw, got)
				}
			}
			if !strings.Contains(got, "aws-access-token") || !strings.Contains(got, "EMAIL") {
				t.Errorf("expected secret and email findings:\n%s", got)
			}
			if ExitStatus(sum, nil) != ExitFindings {
				t.Errorf("a critical secret should fail --fail-on critical: %+v", sum)
			}
		})
	}
}

func TestScanFiles(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "a.txt")
	if err := os.WriteFile(a, []byte("!low"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	s := &Scanner{Engine: severityEngine{}, Out: NewTableWriter(&out)}
	if err := s.ScanFiles(context.Background(), []string{a, "-"}, strings.NewReader("!medium")); err != nil {
		t.Fatal(err)
	}
	if err := s.ScanFiles(context.Background(), []string{filepath.Join(dir, "missing.txt")}, nil); err == nil || !strings.Contains(err.Error(), "missing.txt") {
		t.Errorf("missing file: err = %v", err)
	}
	if sum := s.Summary(); sum.Documents != 2 || sum.Findings != 2 {
		t.Errorf("summary %+v", sum)
	}
	if err := s.Out.Close(s.Summary()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"LOCATION", a + ":1", "-:1", "2 findings in 2 of 2 documents, highest severity medium; passing"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
