package classifier

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path/filepath"
)

// Row is one line of a labeled JSONL evaluation file:
// {"text": ..., "label": true|false|[entity types], "source": ..., "license": ...}.
type Row struct {
	Text    string
	Label   bool
	Source  string
	License string
}

type rawRow struct {
	Text    *string         `json:"text"`
	Label   json.RawMessage `json:"label"`
	Source  string          `json:"source"`
	License string          `json:"license"`
}

// MaxLineBytes bounds one JSONL line.
const MaxLineBytes = 4 << 20

// ReadRows parses a labeled JSONL stream. A boolean label is taken as is; a
// list label (entity types) counts as positive when it is non-empty. Blank
// lines are skipped; any other malformed line is an error naming its number.
func ReadRows(r io.Reader) ([]Row, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), MaxLineBytes)
	var rows []Row
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		row, err := parseRow(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read rows: %w", err)
	}
	return rows, nil
}

func parseRow(b []byte) (Row, error) {
	var raw rawRow
	if err := json.Unmarshal(b, &raw); err != nil {
		return Row{}, fmt.Errorf("decode row: %w", err)
	}
	if raw.Text == nil {
		return Row{}, errors.New("row has no text")
	}
	label, err := parseLabel(raw.Label)
	if err != nil {
		return Row{}, err
	}
	return Row{Text: *raw.Text, Label: label, Source: raw.Source, License: raw.License}, nil
}

func parseLabel(raw json.RawMessage) (bool, error) {
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil && len(bytes.TrimSpace(raw)) > 0 && raw[0] != 'n' {
		return b, nil
	}
	var list []string
	if err := json.Unmarshal(raw, &list); err == nil && list != nil {
		return len(list) > 0, nil
	}
	return false, fmt.Errorf("label must be a boolean or a list of entity types, got %.40q", string(raw))
}

// Split names the part of a data set a row belongs to.
type Split int

// The three disjoint parts of a data set.
const (
	SplitTrain Split = iota
	SplitCalibration
	SplitTest
)

// SplitRule documents SplitOf for provenance files.
const SplitRule = "fnv1a32(text) % 100 < 20 → test; else fnv1a32(\"calibration\\x00\" + text) % 100 < 15 → calibration; else train"

// SplitOf assigns a text to a split by a hash of the text alone, so the split
// is stable across runs, machines and row order, and duplicate texts always
// land together.
func SplitOf(text string) Split {
	if fnv1a(text)%100 < 20 {
		return SplitTest
	}
	if fnv1a("calibration\x00"+text)%100 < 15 {
		return SplitCalibration
	}
	return SplitTrain
}

func fnv1a(s string) uint32 {
	h := fnv.New32a()
	io.WriteString(h, s)
	return h.Sum32()
}

// SplitRows partitions rows by SplitOf.
func SplitRows(rows []Row) (train, calib, test []Example) {
	for _, r := range rows {
		e := Example{Text: r.Text, Label: r.Label}
		switch SplitOf(r.Text) {
		case SplitTest:
			test = append(test, e)
		case SplitCalibration:
			calib = append(calib, e)
		default:
			train = append(train, e)
		}
	}
	return train, calib, test
}

// SampleTexts returns the texts of the first n rows of each labeled file
// in dir (such as the shared eval folder); none when dir has no such file.
// Tests that compare two ways of matching use it for real text.
func SampleTexts(dir string, n int) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.jsonl"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			return nil, err
		}
		rows, err := ReadRows(fh)
		fh.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range rows[:min(n, len(rows))] {
			out = append(out, r.Text)
		}
	}
	return out, nil
}
