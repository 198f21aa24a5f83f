// Package filetext extracts the text of files claude.ai users uploaded or
// Claude generated, for the file-role policies: PDF (github.com/ledongthuc/pdf),
// XLSX (github.com/thedatashed/xlsxreader), DOCX and PPTX (their XML parts,
// read with archive/zip and encoding/xml), CSV, JSON and plain text.
//
// The format is told from the bytes, not the name or the recorded MIME type:
// the API serves Word, PowerPoint and some PDFs as extracted text under the
// original name. A file that cannot be read yields an *UnreadableError
// saying why, never an empty text.
package filetext

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ledongthuc/pdf"
	"github.com/thedatashed/xlsxreader"
)

// Formats of extracted text.
const (
	FormatPDF   = "pdf"
	FormatDOCX  = "docx"
	FormatPPTX  = "pptx"
	FormatXLSX  = "xlsx"
	FormatCSV   = "csv"
	FormatJSON  = "json"
	FormatPlain = "text"
	// FormatDocxZip is a ZIP of DOCX files, one per tab: how the API
	// serves a Claude Docs document (§4.12).
	FormatDocxZip = "docx-zip"
)

// Text is a file's extracted text. Pages holds the byte offset in Text at
// which each page (PDF), slide (PPTX), sheet (XLSX) or tab (a ZIP of DOCX
// tabs) starts; it is empty for formats without pages, where Locate gives
// lines.
type Text struct {
	Format string
	Text   string
	Pages  []int
}

// UnreadableError says why a file has no text.
type UnreadableError struct{ Reason string }

func (e *UnreadableError) Error() string { return "unreadable file: " + e.Reason }

func unreadable(format string, args ...any) error {
	return &UnreadableError{Reason: fmt.Sprintf(format, args...)}
}

// IsUnreadable reports whether err is an *UnreadableError.
func IsUnreadable(err error) bool {
	var u *UnreadableError
	return errors.As(err, &u)
}

// MaxTextBytes caps the extracted text of one file.
const MaxTextBytes = 4 << 20

// Extract returns the text of a file's bytes; name and mimeType only break
// ties (CSV versus plain text).
func Extract(name, mimeType string, b []byte) (Text, error) {
	if len(b) == 0 {
		return Text{}, unreadable("the file is empty")
	}
	var t Text
	var err error
	switch {
	case bytes.HasPrefix(b, []byte("%PDF-")):
		t, err = extractPDF(b)
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		t, err = extractZip(b)
	default:
		t, err = extractText(name, mimeType, b)
	}
	if err != nil {
		return Text{}, err
	}
	if strings.TrimSpace(t.Text) == "" {
		return Text{}, unreadable("no text in the %s file (scanned pages or images only?)", t.Format)
	}
	if len(t.Text) > MaxTextBytes {
		cut := MaxTextBytes
		for cut > 0 && !utf8.RuneStart(t.Text[cut]) {
			cut--
		}
		t.Text = t.Text[:cut]
	}
	return t, nil
}

func extractText(name, mimeType string, b []byte) (Text, error) {
	if bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return Text{}, unreadable("binary content (%s) that is not PDF, DOCX, PPTX or XLSX", http.DetectContentType(b))
	}
	s := strings.TrimPrefix(string(b), "\ufeff")
	trimmed := strings.TrimSpace(s)
	ext := strings.ToLower(path.Ext(name))
	if (strings.HasPrefix(trimmed, "{") || strings.HasPrefix(trimmed, "[")) && json.Valid([]byte(trimmed)) {
		return Text{Format: FormatJSON, Text: jsonText(trimmed)}, nil
	}
	if ext == ".csv" || strings.Contains(mimeType, "csv") {
		if txt, ok := csvText(s); ok {
			return Text{Format: FormatCSV, Text: txt}, nil
		}
	}
	return Text{Format: FormatPlain, Text: s}, nil
}

// jsonText keeps JSON as it is, indented when it was minified, so lines
// point somewhere useful.
func jsonText(s string) string {
	if strings.Count(s, "\n") > 0 {
		return s
	}
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(s), "", "  "); err != nil {
		return s
	}
	return out.String()
}

// csvText renders records one a line, cells joined by " | ".
func csvText(s string) (string, bool) {
	r := csv.NewReader(strings.NewReader(s))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var sb strings.Builder
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", false
		}
		sb.WriteString(strings.Join(rec, " | "))
		sb.WriteByte('\n')
	}
	return sb.String(), true
}

func extractPDF(b []byte) (t Text, err error) {
	defer func() {
		// The PDF reader panics on some malformed files.
		if r := recover(); r != nil {
			t, err = Text{}, unreadable("malformed PDF: %v", r)
		}
	}()
	r, err := pdf.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "encrypt") {
			return Text{}, unreadable("encrypted PDF")
		}
		return Text{}, unreadable("malformed PDF: %v", err)
	}
	t.Format = FormatPDF
	var sb strings.Builder
	for i := 1; i <= r.NumPage(); i++ {
		t.Pages = append(t.Pages, sb.Len())
		p := r.Page(i)
		if p.V.IsNull() {
			continue
		}
		s, err := p.GetPlainText(nil)
		if err != nil {
			return Text{}, unreadable("PDF page %d: %v", i, err)
		}
		sb.WriteString(s)
		sb.WriteByte('\n')
	}
	t.Text = sb.String()
	return t, nil
}

func extractZip(b []byte) (Text, error) {
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		return Text{}, unreadable("corrupt ZIP container: %v", err)
	}
	has := func(prefix string) bool {
		for _, f := range zr.File {
			if strings.HasPrefix(f.Name, prefix) {
				return true
			}
		}
		return false
	}
	switch {
	case has("word/document.xml"):
		return extractDOCX(zr)
	case has("ppt/slides/"):
		return extractPPTX(zr)
	case has("xl/workbook.xml"):
		return extractXLSX(zr)
	case docxBundle(zr):
		return extractDocxBundle(zr)
	}
	return Text{}, unreadable("a ZIP archive that is not DOCX, PPTX or XLSX")
}

// xmlText collects the character data of elements named tag (local name),
// ending a line at each element named para.
func xmlText(f *zip.File, tag, para string) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", err
	}
	defer rc.Close()
	dec := xml.NewDecoder(io.LimitReader(rc, 64<<20))
	var sb strings.Builder
	in := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			return sb.String(), nil
		}
		if err != nil {
			return "", err
		}
		switch el := tok.(type) {
		case xml.StartElement:
			if el.Name.Local == tag {
				in = true
			}
		case xml.EndElement:
			if el.Name.Local == tag {
				in = false
			}
			if el.Name.Local == para {
				sb.WriteByte('\n')
			}
		case xml.CharData:
			if in {
				sb.Write(el)
			}
		}
	}
}

func extractDOCX(zr *zip.Reader) (Text, error) {
	for _, f := range zr.File {
		if f.Name == "word/document.xml" {
			s, err := xmlText(f, "t", "p")
			if err != nil {
				return Text{}, unreadable("corrupt DOCX document part: %v", err)
			}
			return Text{Format: FormatDOCX, Text: s}, nil
		}
	}
	return Text{}, unreadable("DOCX without word/document.xml")
}

func extractPPTX(zr *zip.Reader) (Text, error) {
	type slide struct {
		n int
		f *zip.File
	}
	var slides []slide
	for _, f := range zr.File {
		rest, ok := strings.CutPrefix(f.Name, "ppt/slides/slide")
		if !ok || !strings.HasSuffix(rest, ".xml") {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSuffix(rest, ".xml"))
		if err == nil {
			slides = append(slides, slide{n, f})
		}
	}
	sort.Slice(slides, func(i, j int) bool { return slides[i].n < slides[j].n })
	t := Text{Format: FormatPPTX}
	var sb strings.Builder
	for _, s := range slides {
		t.Pages = append(t.Pages, sb.Len())
		txt, err := xmlText(s.f, "t", "p")
		if err != nil {
			return Text{}, unreadable("corrupt PPTX slide %d: %v", s.n, err)
		}
		sb.WriteString(txt)
		sb.WriteByte('\n')
	}
	t.Text = sb.String()
	return t, nil
}

func extractXLSX(zr *zip.Reader) (Text, error) {
	x, err := xlsxreader.NewReaderZip(zr)
	if err != nil {
		return Text{}, unreadable("corrupt XLSX workbook: %v", err)
	}
	t := Text{Format: FormatXLSX}
	var sb strings.Builder
	for _, sheet := range x.Sheets {
		t.Pages = append(t.Pages, sb.Len())
		sb.WriteString("# " + sheet + "\n")
		var rowErr error
		for row := range x.ReadRows(sheet) {
			// Read on after an error: the reader's goroutine ends with the channel.
			if row.Error != nil || rowErr != nil {
				if rowErr == nil {
					rowErr = row.Error
				}
				continue
			}
			cells := make([]string, len(row.Cells))
			for i, c := range row.Cells {
				cells[i] = c.Value
			}
			sb.WriteString(strings.Join(cells, " | "))
			sb.WriteByte('\n')
		}
		if rowErr != nil {
			return Text{}, unreadable("XLSX sheet %q: %v", sheet, rowErr)
		}
	}
	t.Text = sb.String()
	return t, nil
}

// Locate says where a byte offset of the text is: the page (slide, sheet)
// for paged formats, counted from 1, and the line within it, from 1.
func (t Text) Locate(offset int) (page, line int) {
	offset = max(0, min(offset, len(t.Text)))
	start := 0
	if len(t.Pages) > 0 {
		i := sort.SearchInts(t.Pages, offset+1) - 1
		page = max(i, 0) + 1
		start = t.Pages[max(i, 0)]
	}
	return page, strings.Count(t.Text[start:offset], "\n") + 1
}
