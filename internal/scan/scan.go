// Package scan runs the policy engine over text given on the command line:
// JSONL rows ({"text": ..., "role": ...}) or plain text from files or stdin,
// streamed one document at a time, with findings written as JSONL or a table
// and a severity threshold that decides the exit status in CI.
//
// Output carries only the findings' redacted excerpts, never the matched text.
package scan

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
)

// ParseSeverity checks a --fail-on value.
func ParseSeverity(s string) (policy.Severity, error) {
	sev := policy.Severity(strings.ToLower(strings.TrimSpace(s)))
	if sev.Rank() < 0 {
		return "", fmt.Errorf("severity %q: use info, low, medium, high or critical", s)
	}
	return sev, nil
}

// Exit statuses of a scan, for CI: findings and broken runs are told apart.
const (
	ExitClean    = 0 // no finding at or above the threshold
	ExitFindings = 1 // some finding at or above the threshold
	ExitError    = 2 // the input, flags or policy file are wrong
)

// ExitStatus maps a scan's outcome to its exit status. An error wins over
// findings: a scan that stopped early has not seen all of its input.
func ExitStatus(s Summary, err error) int {
	switch {
	case err != nil:
		return ExitError
	case s.Failed:
		return ExitFindings
	}
	return ExitClean
}

// Record is one finding as written by scan, located in its input.
type Record struct {
	Source string `json:"source"`
	// Line is the input line of the finding: the JSONL row or --lines line,
	// or for a whole plain-text document the line the finding starts on.
	Line int    `json:"line"`
	ID   string `json:"id,omitempty"`
	Role string `json:"role"`

	Policy          string          `json:"policy"`
	Detector        string          `json:"detector"`
	Entity          string          `json:"entity"`
	Severity        policy.Severity `json:"severity"`
	Action          policy.Action   `json:"action"`
	EffectiveAction policy.Action   `json:"effective_action"`
	Score           float64         `json:"score"`
	// Start and End are byte offsets in the document's text.
	Start   int    `json:"start"`
	End     int    `json:"end"`
	Excerpt string `json:"excerpt"`
	Decoded string `json:"decoded,omitempty"`
	// Method is "rule" or "model" for detectors with both layers.
	Method string `json:"method,omitempty"`
}

// Summary counts what a scan saw.
type Summary struct {
	Documents int             `json:"documents"`
	Flagged   int             `json:"flagged_documents"`
	Findings  int             `json:"findings"`
	Max       policy.Severity `json:"max_severity,omitempty"`
	FailOn    policy.Severity `json:"fail_on"`
	// Failed is true when some finding is at or above FailOn.
	Failed bool `json:"failed"`
}

// Evaluator is the part of policy.Engine that scan uses.
type Evaluator interface {
	Evaluate(ctx context.Context, in detect.Input) policy.Result
}

// Scanner evaluates documents and writes their findings.
type Scanner struct {
	Engine Evaluator
	Out    Writer
	// FailOn is the lowest severity that fails the scan; empty means high.
	FailOn  policy.Severity
	Options ReaderOptions
	summary Summary
}

// Summary returns the counts so far.
func (s *Scanner) Summary() Summary {
	sum := s.summary
	sum.FailOn = s.failOn()
	return sum
}

// failOn defaults to high, the CLI's default.
func (s *Scanner) failOn() policy.Severity {
	if s.FailOn == "" {
		return policy.SeverityHigh
	}
	return s.FailOn
}

// ScanFiles scans each path in turn; no paths or "-" means stdin.
func (s *Scanner) ScanFiles(ctx context.Context, paths []string, stdin io.Reader) error {
	if len(paths) == 0 {
		paths = []string{"-"}
	}
	for _, p := range paths {
		if err := s.scanPath(ctx, p, stdin); err != nil {
			return err
		}
	}
	return nil
}

func (s *Scanner) scanPath(ctx context.Context, path string, stdin io.Reader) error {
	if path == "-" {
		return s.Scan(ctx, stdin, "-")
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input: %w", err)
	}
	defer f.Close()
	return s.Scan(ctx, f, path)
}

// Scan reads documents from r and writes the findings of each.
func (s *Scanner) Scan(ctx context.Context, r io.Reader, name string) error {
	rd := NewReader(r, name, s.Options)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		doc, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := s.scanDocument(ctx, doc); err != nil {
			return err
		}
	}
}

func (s *Scanner) scanDocument(ctx context.Context, doc Document) error {
	s.summary.Documents++
	res := s.Engine.Evaluate(ctx, detect.Input{Text: doc.Text, Role: doc.Role, FileName: doc.Source})
	if len(res.Findings) == 0 {
		return nil
	}
	s.summary.Flagged++
	// Findings come ordered by offset; sorting again keeps line counting
	// one pass over the text even if that ever changes.
	fs := res.Findings
	sort.SliceStable(fs, func(i, j int) bool { return fs[i].Finding.Start < fs[j].Finding.Start })
	line, pos := doc.Line, 0
	for _, f := range fs {
		s.summary.Findings++
		if f.Severity.Rank() > s.summary.Max.Rank() {
			s.summary.Max = f.Severity
		}
		if f.Severity.Rank() >= s.failOn().Rank() {
			s.summary.Failed = true
		}
		if doc.multiline && f.Finding.Start > pos && f.Finding.Start <= len(doc.Text) {
			line += strings.Count(doc.Text[pos:f.Finding.Start], "\n")
			pos = f.Finding.Start
		}
		if err := s.Out.Write(record(doc, f, line)); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
	}
	return nil
}

// record describes a finding on the given input line.
func record(doc Document, f policy.PolicyFinding, line int) Record {
	return Record{
		Source: doc.Source, Line: line, ID: doc.ID, Role: string(doc.Role),
		Policy: f.Policy, Detector: f.Finding.Detector, Entity: f.Finding.Entity,
		Severity: f.Severity, Action: f.Action, EffectiveAction: f.EffectiveAction,
		Score: f.Finding.Score, Start: f.Finding.Start, End: f.Finding.End,
		Excerpt: f.Finding.Excerpt, Decoded: f.Decoded, Method: f.Finding.Source,
	}
}
