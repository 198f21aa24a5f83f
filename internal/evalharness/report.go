package evalharness

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"unicode"
)

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

var header = []string{"FILE", "DETECTOR", "ENTITY", "ROWS", "TP", "FP", "FN", "TN", "PRECISION", "RECALL", "F1", "FPR"}

// rows flattens the report: per detector a row-level line ("any"), then for
// entity-labeled files the micro average and one line per entity type.
func (r *Report) rows() [][]string {
	var out [][]string
	for _, f := range r.Files {
		for _, d := range f.Results {
			out = append(out, metricRow(f.File, d.Detector, "any", d.Overall))
			if d.Micro != nil {
				out = append(out, metricRow(f.File, d.Detector, "micro", *d.Micro))
			}
			for _, e := range d.Entities {
				name := e.Entity
				if !e.Supported {
					name += " †"
				}
				out = append(out, metricRow(f.File, d.Detector, name, e.Metrics))
			}
		}
	}
	return out
}

func metricRow(file, detector, entity string, m Metrics) []string {
	return []string{file, detector, printable(entity), strconv.Itoa(m.Rows), strconv.Itoa(m.TP), strconv.Itoa(m.FP),
		strconv.Itoa(m.FN), strconv.Itoa(m.TN), rate(m.Precision), rate(m.Recall), rate(m.F1), rate(m.FPR)}
}

// printable keeps labels from the data from breaking a table row.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return '?'
		}
		return r
	}, s)
}

func rate(f *float64) string {
	if f == nil {
		return "—"
	}
	return strconv.FormatFloat(*f, 'f', 3, 64)
}

// notes explain the settings behind the numbers and what was left out.
func (r *Report) notes() []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range r.Files {
		for _, d := range f.Results {
			if seen[d.Detector] {
				continue
			}
			seen[d.Detector] = true
			n := fmt.Sprintf("%s: ", d.Detector)
			if d.Policy == "" {
				n += "no policy for it in the set, factory defaults"
			} else {
				state := "enabled"
				if !d.PolicyEnabled {
					state = "disabled by default"
				}
				n += fmt.Sprintf("params of policy %q (%s)", d.Policy, state)
			}
			n += fmt.Sprintf(", role %s, threshold %s", d.Role, strconv.FormatFloat(d.Threshold, 'f', -1, 64))
			if d.Model != nil {
				if *d.Model {
					n += ", rules and trained model"
				} else {
					n += ", rules only (no trained model embedded)"
				}
			}
			out = append(out, n)
		}
	}
	for _, f := range r.Files {
		for _, d := range f.Results {
			if d.UntypedPositives > 0 {
				out = append(out, fmt.Sprintf("%s: rows labeled plain true (%d) count in \"any\" only", f.File, d.UntypedPositives))
			}
			if len(d.Unscored) > 0 {
				out = append(out, fmt.Sprintf("%s: %s predicted types no row is labeled with (not scored): %s", f.File, d.Detector, countList(d.Unscored)))
			}
		}
	}
	for _, f := range r.Files {
		if f.Evaluated != f.Rows {
			out = append(out, fmt.Sprintf("%s: %d of %d rows in split %s", f.File, f.Evaluated, f.Rows, r.Split))
		}
	}
	if len(r.Unmapped) > 0 {
		out = append(out, "skipped, no detector mapped: "+strings.Join(r.Unmapped, ", "))
	}
	return out
}

func countList(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}

const legend = `"any" scores rows: a labeled positive against any finding at or above the threshold.
"micro" and entity lines score (row, entity type) pairs; † marks labeled types the detector does not report (left out of micro).
— means undefined (nothing to divide by).`

var sourceHeader = []string{"FILE", "DETECTOR", "SOURCE", "ROWS", "POSITIVES", "RECALL", "NEGATIVES", "FP"}

// sourceRows flattens the per-source scores, when the report has them.
func (r *Report) sourceRows() [][]string {
	var out [][]string
	for _, f := range r.Files {
		for _, d := range f.Results {
			for _, s := range d.Sources {
				out = append(out, []string{f.File, d.Detector, printable(s.Source), strconv.Itoa(s.Rows),
					strconv.Itoa(s.TP + s.FN), rate(s.Recall), strconv.Itoa(s.FP + s.TN), strconv.Itoa(s.FP)})
			}
		}
	}
	return out
}

// WriteTable writes the report as an aligned table with notes.
func (r *Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "claudit eval: %s, split %s\n\n", r.Dir, r.Split)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, row := range r.rows() {
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if src := r.sourceRows(); len(src) > 0 {
		fmt.Fprintln(w, "\nBy source:")
		fmt.Fprintln(tw, strings.Join(sourceHeader, "\t"))
		for _, row := range src {
			fmt.Fprintln(tw, strings.Join(row, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	fmt.Fprintln(w)
	for _, n := range r.notes() {
		fmt.Fprintln(w, "  "+n)
	}
	_, err := fmt.Fprintln(w, "\n"+legend)
	return err
}

// WriteMarkdown writes the report as a Markdown table with notes, for docs/DETECTION.md.
func (r *Report) WriteMarkdown(w io.Writer) error {
	fmt.Fprintf(w, "Data: `%s`, split `%s`.\n", r.Dir, r.Split)
	writeMarkdownTable(w, header, r.rows())
	if src := r.sourceRows(); len(src) > 0 {
		writeMarkdownTable(w, sourceHeader, src)
	}
	fmt.Fprintln(w)
	for _, n := range r.notes() {
		fmt.Fprintln(w, "- "+n)
	}
	_, err := fmt.Fprintln(w, "\n"+legend)
	return err
}

// writeMarkdownTable writes a blank line and then a Markdown table, numbers
// right-aligned from the fourth column.
func writeMarkdownTable(w io.Writer, header []string, rows [][]string) {
	h := make([]string, len(header))
	sep := make([]string, len(header))
	for i, c := range header {
		h[i] = strings.ToLower(c)
		sep[i] = "---"
		if i >= 3 {
			sep[i] = "---:"
		}
	}
	fmt.Fprintf(w, "\n| %s |\n|%s|\n", strings.Join(h, " | "), strings.Join(sep, "|"))
	for _, row := range rows {
		cells := make([]string, len(row))
		for i, c := range row {
			cells[i] = strings.ReplaceAll(c, "|", `\|`)
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	}
}
