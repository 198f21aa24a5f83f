package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/scan"
)

func init() {
	register("scan", "scan text or JSONL against the policies; exit 1 on findings (for CI)", cmdScan)
}

func cmdScan(ctx context.Context, args []string) error {
	fs := newFlags("scan", "[flags] [FILE ...]", `
Scans text against the runtime policies and prints the findings, without a
server or a store. Input comes from the FILEs, or stdin when there are none
(or for "-").

Input, detected per file (--input):
  JSONL       every line an object {"text": "...", "role": "user"}; "role"
              (user, assistant, tool, file) defaults to --role and an optional
              "id" is echoed; other fields are ignored. Picked when the first
              non-empty line is such an object; a later line that is not is
              an error naming its line.
  plain text  the whole input is one document with role --role, or with
              --lines each non-blank line is one.
Lines may be up to 16 MiB and a whole plain-text input up to 64 MiB; input
must be UTF-8. Output shows redacted excerpts, never the matched text.

Exit status: 0 when no finding is at or above --fail-on, 1 when one is,
2 when the input, flags or policy file are wrong.

Examples:
  claudit scan notes.txt
  git diff | claudit scan --lines --fail-on critical
  claudit scan --format jsonl --fail-on medium prompts.jsonl > findings.jsonl`)
	policies := fs.String("policies", "", "policy file (default: the built-in policy set; see 'claudit policies')")
	format := fs.String("format", "table", "output: table or jsonl (one finding per line)")
	failOn := fs.String("fail-on", "high", "exit 1 when a finding has this severity or higher: info, low, medium, high or critical")
	role := fs.String("role", "user", "role of plain-text input and of JSONL rows without one: user, assistant, tool or file")
	input := fs.String("input", "auto", "input format: auto, jsonl or text")
	lines := fs.Bool("lines", false, "plain text: scan each non-blank line as its own document")
	files, err := parseInterspersed(fs, args)
	if err != nil {
		return err
	}
	sum, err := runScan(ctx, files, *policies, *format, *failOn, *role, *input, *lines)
	if err != nil {
		fmt.Fprintln(os.Stderr, "claudit scan: "+err.Error())
	}
	if code := scan.ExitStatus(sum, err); code != 0 {
		return exitCode(code)
	}
	return nil
}

func runScan(ctx context.Context, files []string, policies, format, failOn, role, input string, lines bool) (scan.Summary, error) {
	var sum scan.Summary
	sev, err := scan.ParseSeverity(failOn)
	if err != nil {
		return sum, fmt.Errorf("--fail-on: %w", err)
	}
	r, err := scan.ParseRole(role)
	if err != nil {
		return sum, fmt.Errorf("--role: %w", err)
	}
	mode, err := scan.ParseMode(input)
	if err != nil {
		return sum, fmt.Errorf("--input: %w", err)
	}
	out, err := scan.NewWriter(os.Stdout, format)
	if err != nil {
		return sum, fmt.Errorf("--format: %w", err)
	}
	eng, err := policy.Load(policies)
	if err != nil {
		return sum, err
	}
	s := &scan.Scanner{Engine: eng, Out: out, FailOn: sev,
		Options: scan.ReaderOptions{Mode: mode, Role: r, Lines: lines}}
	// A read from a terminal or pipe does not see the context, so an
	// interrupt ends the process here rather than waiting for more input.
	defer context.AfterFunc(ctx, func() {
		fmt.Fprintln(os.Stderr, "claudit scan: interrupted")
		os.Exit(130)
	})()
	if readsStdin(files) {
		if fi, err := os.Stdin.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			fmt.Fprintln(os.Stderr, "claudit scan: reading from the terminal; end with Ctrl-D (see --help)")
		}
	}
	if err := s.ScanFiles(ctx, files, os.Stdin); err != nil {
		out.Flush()
		return s.Summary(), err
	}
	sum = s.Summary()
	if err := out.Close(sum); err != nil {
		return sum, fmt.Errorf("write findings: %w", err)
	}
	if strings.EqualFold(format, "jsonl") {
		fmt.Fprintln(os.Stderr, scan.SummaryLine(sum))
	}
	return sum, nil
}

func readsStdin(files []string) bool {
	return len(files) == 0 || slices.Contains(files, "-")
}

// parseInterspersed parses flags that may follow the positional arguments
// ("scan a.txt --format jsonl"), returning the positional ones.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	if err := parse(fs, args); err != nil {
		return nil, err
	}
	return fs.Args(), nil
}
