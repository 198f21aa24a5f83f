package scan

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"
)

// Writer receives the findings of a scan.
type Writer interface {
	Write(Record) error
	// Close writes what follows the findings (the table's summary) and flushes.
	Close(Summary) error
	// Flush writes buffered findings without a summary, for a scan that failed.
	Flush() error
}

// NewWriter returns the writer for an output format: "table" or "jsonl".
func NewWriter(w io.Writer, format string) (Writer, error) {
	switch strings.ToLower(format) {
	case "table":
		return NewTableWriter(w), nil
	case "jsonl":
		return NewJSONLWriter(w), nil
	}
	return nil, fmt.Errorf("output format %q: use table or jsonl", format)
}

// JSONLWriter writes one JSON object per finding.
type JSONLWriter struct {
	enc *json.Encoder
}

// NewJSONLWriter writes findings to w as JSON Lines.
func NewJSONLWriter(w io.Writer) *JSONLWriter {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return &JSONLWriter{enc: enc}
}

// Write implements Writer.
func (j *JSONLWriter) Write(r Record) error { return j.enc.Encode(r) }

// Close implements Writer; JSONL output has no trailer, so it stays
// machine-readable line by line.
func (j *JSONLWriter) Close(Summary) error { return nil }

// Flush implements Writer; every finding is already written.
func (j *JSONLWriter) Flush() error { return nil }

// tableFlushRows bounds how many rows the tabwriter buffers; columns are
// aligned within each block of this many rows.
const tableFlushRows = 500

// maxExcerptRunes keeps table rows on one terminal line.
const maxExcerptRunes = 48

// TableWriter writes findings as an aligned, human-readable table.
type TableWriter struct {
	out  io.Writer
	tw   *tabwriter.Writer
	rows int
}

// NewTableWriter writes findings to w as a table.
func NewTableWriter(w io.Writer) *TableWriter {
	return &TableWriter{out: w, tw: tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)}
}

// Write implements Writer.
func (t *TableWriter) Write(r Record) error {
	if t.rows%tableFlushRows == 0 {
		if t.rows > 0 {
			if err := t.tw.Flush(); err != nil {
				return err
			}
		}
		fmt.Fprintln(t.tw, "LOCATION\tROLE\tSEVERITY\tACTION\tPOLICY\tENTITY\tSCORE\tEXCERPT")
	}
	t.rows++
	loc := r.Source + ":" + strconv.Itoa(r.Line)
	if r.ID != "" {
		loc += " [" + r.ID + "]"
	}
	entity := r.Entity
	if r.Decoded != "" {
		entity += " (in " + r.Decoded + ")"
	}
	_, err := fmt.Fprintf(t.tw, "%s\t%s\t%s\t%s\t%s\t%s\t%.2f\t%s\n",
		cell(loc, 60), r.Role, r.Severity, r.EffectiveAction, cell(r.Policy, 40), cell(entity, 48), r.Score, cell(r.Excerpt, maxExcerptRunes))
	return err
}

// Flush implements Writer.
func (t *TableWriter) Flush() error { return t.tw.Flush() }

// Close implements Writer: it flushes the table and writes a summary line.
func (t *TableWriter) Close(s Summary) error {
	if err := t.tw.Flush(); err != nil {
		return err
	}
	if t.rows > 0 {
		fmt.Fprintln(t.out)
	}
	_, err := fmt.Fprintln(t.out, SummaryLine(s))
	return err
}

// SummaryLine describes a scan's outcome in one sentence.
func SummaryLine(s Summary) string {
	if s.Findings == 0 {
		return fmt.Sprintf("no findings in %s", plural(s.Documents, "document"))
	}
	line := fmt.Sprintf("%s in %d of %s, highest severity %s", plural(s.Findings, "finding"), s.Flagged, plural(s.Documents, "document"), s.Max)
	if s.Failed {
		return line + fmt.Sprintf("; failing: at least one finding at or above --fail-on %s", s.FailOn)
	}
	return line + fmt.Sprintf("; passing: none at or above --fail-on %s", s.FailOn)
}

// cell makes s safe and short for a terminal table: control and bidi
// characters (which could rewrite the terminal or reorder the row) become
// "?", tabs and newlines a space, and long values are cut with "…".
func cell(s string, max int) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == max {
			b.WriteString("…")
			break
		}
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			r = ' '
		case r == utf8.RuneError, unicode.IsControl(r), unicode.Is(unicode.Bidi_Control, r), unicode.Is(unicode.Cf, r):
			r = '?'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
