package filetext

import (
	"strconv"
	"strings"
)

// units names the part of a paged format a marker line starts.
var units = map[string]string{FormatPDF: "page", FormatPPTX: "slide", FormatXLSX: "sheet", FormatDocxZip: "tab"}

// MessageText is the text claudit stores and scans for a file: a header
// line naming the file and its format, then the text with a marker line
// ("[page 2]", "[slide 3]", "[sheet 1]", "[tab 2]") where each page,
// slide, sheet or tab starts, so an excerpt shows where it is and
// MessageLocation can say so.
func MessageText(name string, t Text) string {
	unit := units[t.Format]
	var sb strings.Builder
	sb.WriteString("file " + name + " (" + t.Format + ")\n")
	prev := 0
	for i, p := range t.Pages {
		sb.WriteString(t.Text[prev:p])
		sb.WriteString("[" + unit + " " + strconv.Itoa(i+1) + "]\n")
		prev = p
	}
	sb.WriteString(t.Text[prev:])
	return sb.String()
}

// Location is where in a file a finding is: the page (slide, sheet) when
// the format has them, and the line, counted from 1 within that page or
// the file.
type Location struct {
	Unit string `json:"unit,omitempty"` // page, slide, sheet or tab; empty for formats without
	N    int    `json:"n,omitempty"`
	Line int    `json:"line"`
}

// String reads "page 2, line 5" or "line 12".
func (l Location) String() string {
	if l.Unit == "" {
		return "line " + strconv.Itoa(l.Line)
	}
	return l.Unit + " " + strconv.Itoa(l.N) + ", line " + strconv.Itoa(l.Line)
}

// MessageLocation says where a byte offset of a MessageText falls in the
// file; false when text is not a file's MessageText or the offset is in
// its header.
func MessageLocation(text string, offset int) (Location, bool) {
	nl := strings.IndexByte(text, '\n')
	if !strings.HasPrefix(text, "file ") || nl < 0 || offset <= nl || offset > len(text) {
		return Location{}, false
	}
	var loc Location
	for pos := nl + 1; pos <= offset; {
		end := strings.IndexByte(text[pos:], '\n')
		if end < 0 {
			end = len(text) - pos
		}
		line := text[pos : pos+end]
		if unit, n, ok := marker(line); ok && offset > pos+end {
			loc = Location{Unit: unit, N: n}
		} else {
			loc.Line++
		}
		pos += end + 1
	}
	return loc, true
}

// marker parses a "[page N]" line.
func marker(line string) (string, int, bool) {
	if !strings.HasPrefix(line, "[") || !strings.HasSuffix(line, "]") {
		return "", 0, false
	}
	unit, num, ok := strings.Cut(line[1:len(line)-1], " ")
	if !ok || (unit != "page" && unit != "slide" && unit != "sheet" && unit != "tab") {
		return "", 0, false
	}
	n, err := strconv.Atoi(num)
	if err != nil || n < 1 {
		return "", 0, false
	}
	return unit, n, true
}
