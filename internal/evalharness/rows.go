package evalharness

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// MaxLineBytes bounds one line of a labeled file.
const MaxLineBytes = 16 << 20

// Row is one labeled example.
type Row struct {
	Line int
	Text string
	// Positive is the boolean label, or whether the entity list is non-empty.
	Positive bool
	// Entities is the entity-list label, upper-cased; nil for a boolean label.
	Entities []string
	Source   string
	License  string
}

type rawRow struct {
	Text    *string         `json:"text"`
	Label   json.RawMessage `json:"label"`
	Source  string          `json:"source"`
	License string          `json:"license"`
}

// RowReader streams a labeled JSONL file line by line.
type RowReader struct {
	name string
	sc   *bufio.Scanner
	line int
}

// NewRowReader reads rows from r; name is used in errors.
func NewRowReader(r io.Reader, name string) *RowReader {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	return &RowReader{name: name, sc: sc}
}

// Next returns the next row, skipping blank lines, or io.EOF.
func (rr *RowReader) Next() (Row, error) {
	for rr.sc.Scan() {
		rr.line++
		b := bytes.TrimSpace(rr.sc.Bytes())
		if len(b) == 0 {
			continue
		}
		row, err := parseRow(b)
		if err != nil {
			return Row{}, fmt.Errorf("%s:%d: %w", rr.name, rr.line, err)
		}
		row.Line = rr.line
		return row, nil
	}
	if err := rr.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Row{}, fmt.Errorf("%s:%d: line is longer than %d MiB", rr.name, rr.line+1, MaxLineBytes>>20)
		}
		return Row{}, fmt.Errorf("read %s: %w", rr.name, err)
	}
	return Row{}, io.EOF
}

func parseRow(b []byte) (Row, error) {
	var raw rawRow
	if err := json.Unmarshal(b, &raw); err != nil {
		return Row{}, fmt.Errorf("invalid JSON: %v", err)
	}
	if raw.Text == nil {
		return Row{}, errors.New(`no "text" string`)
	}
	row := Row{Text: *raw.Text, Source: raw.Source, License: raw.License}
	lb := bytes.TrimSpace(raw.Label)
	switch {
	case len(lb) == 0:
		return Row{}, errors.New(`no "label": use true, false or a list of entity types`)
	case lb[0] == 't' || lb[0] == 'f':
		if err := json.Unmarshal(lb, &row.Positive); err != nil {
			return Row{}, fmt.Errorf("label %.40s: use true, false or a list of entity types", lb)
		}
	case lb[0] == '[':
		var list []string
		if err := json.Unmarshal(lb, &list); err != nil {
			return Row{}, fmt.Errorf("label %.40s: entity list must hold strings", lb)
		}
		row.Entities = make([]string, 0, len(list))
		for _, e := range list {
			if e = strings.ToUpper(strings.TrimSpace(e)); e != "" {
				row.Entities = append(row.Entities, e)
			}
		}
		row.Positive = len(row.Entities) > 0
	default:
		return Row{}, fmt.Errorf("label %.40s: use true, false or a list of entity types", lb)
	}
	return row, nil
}
