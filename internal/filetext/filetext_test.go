package filetext_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/filetext"
)

func zipOf(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, body := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// onePagePDF builds a minimal PDF whose pages show the given lines.
func pdfOf(pages ...string) []byte {
	var b bytes.Buffer
	var offs []int
	obj := func(body string) {
		offs = append(offs, b.Len())
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", len(offs), body)
	}
	b.WriteString("%PDF-1.4\n")
	kids := ""
	for i := range pages {
		kids += fmt.Sprintf("%d 0 R ", 4+2*i)
	}
	obj("<< /Type /Catalog /Pages 2 0 R >>")
	obj(fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d >>", kids, len(pages)))
	obj("<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
	for i, p := range pages {
		obj(fmt.Sprintf("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>", 5+2*i))
		stream := fmt.Sprintf("BT /F1 12 Tf 72 720 Td (%s) Tj ET", p)
		obj(fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(stream), stream))
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&b, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, xref)
	return b.Bytes()
}

func TestExtract(t *testing.T) {
	docx := zipOf(t, map[string]string{"word/document.xml": `<?xml version="1.0"?><w:document xmlns:w="w"><w:body>` +
		`<w:p><w:r><w:t>Quarterly plan</w:t></w:r></w:p><w:p><w:r><w:t>card 4111 1111 1111 1111</w:t></w:r></w:p></w:body></w:document>`})
	pptx := zipOf(t, map[string]string{
		"ppt/slides/slide1.xml": `<p:sld xmlns:p="p" xmlns:a="a"><a:p><a:r><a:t>Intro</a:t></a:r></a:p></p:sld>`,
		"ppt/slides/slide2.xml": `<p:sld xmlns:p="p" xmlns:a="a"><a:p><a:r><a:t>AKIA secret here</a:t></a:r></a:p></p:sld>`,
	})
	xlsx := zipOf(t, map[string]string{
		"xl/workbook.xml": `<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="People" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
		"xl/styles.xml": `<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>`,
		"xl/worksheets/sheet1.xml": `<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>` +
			`<row r="1"><c r="A1" t="inlineStr"><is><t>name</t></is></c><c r="B1" t="inlineStr"><is><t>ssn</t></is></c></row>` +
			`<row r="2"><c r="A2" t="inlineStr"><is><t>Ann</t></is></c><c r="B2" t="inlineStr"><is><t>078-05-1120</t></is></c></row>` +
			`</sheetData></worksheet>`,
	})
	for _, tc := range []struct {
		name, file, mime string
		body             []byte
		format, contains string
		pages            int
	}{
		{"pdf", "report.pdf", "application/pdf", pdfOf("first page", "second page secret"), filetext.FormatPDF, "second page secret", 2},
		{"docx", "plan.docx", "", docx, filetext.FormatDOCX, "Quarterly plan\ncard 4111", 0},
		{"pptx", "deck.pptx", "", pptx, filetext.FormatPPTX, "AKIA secret here", 2},
		{"xlsx", "people.xlsx", "", xlsx, filetext.FormatXLSX, "Ann | 078-05-1120", 1},
		{"csv", "people.csv", "text/csv", []byte("name,ssn\nAnn,078-05-1120\n"), filetext.FormatCSV, "Ann | 078-05-1120", 0},
		{"json", "cfg.json", "application/json", []byte(`{"password":"hunter2"}`), filetext.FormatJSON, `"password": "hunter2"`, 0},
		{"plain under a docx name", "plan.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", []byte("extracted text\nline two"), filetext.FormatPlain, "line two", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := filetext.Extract(tc.file, tc.mime, tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if got.Format != tc.format || !strings.Contains(got.Text, tc.contains) || len(got.Pages) != tc.pages {
				t.Fatalf("got format %s, %d pages, text %q", got.Format, len(got.Pages), got.Text)
			}
		})
	}
}

// TestUnreadable: files that cannot be read say why.
func TestUnreadable(t *testing.T) {
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 64)...)
	for _, tc := range []struct {
		name   string
		body   []byte
		reason string
	}{
		{"empty", nil, "empty"},
		{"image", png, "binary content (image/png)"},
		{"truncated pdf", []byte("%PDF-1.4\n1 0 obj\n<<"), "malformed PDF"},
		{"corrupt zip", []byte("PK\x03\x04garbage"), "corrupt ZIP"},
		{"other zip", zipOf(t, map[string]string{"a.txt": "x"}), "not DOCX, PPTX or XLSX"},
		{"pdf without text", pdfOf(""), "no text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := filetext.Extract("f", "", tc.body)
			if !filetext.IsUnreadable(err) || !strings.Contains(err.Error(), tc.reason) {
				t.Fatalf("err %v, want an unreadable error containing %q", err, tc.reason)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	txt := filetext.Text{Text: "p1 a\np1 b\np2 a\np2 b\n", Pages: []int{0, 10}}
	for _, tc := range []struct{ off, page, line int }{{0, 1, 1}, {5, 1, 2}, {10, 2, 1}, {16, 2, 2}} {
		if p, l := txt.Locate(tc.off); p != tc.page || l != tc.line {
			t.Fatalf("offset %d: page %d line %d, want %d %d", tc.off, p, l, tc.page, tc.line)
		}
	}
	if p, l := (filetext.Text{Text: "a\nb\nc"}).Locate(4); p != 0 || l != 3 {
		t.Fatalf("no pages: %d %d", p, l)
	}
}

func FuzzExtract(f *testing.F) {
	f.Add([]byte("%PDF-1.4\n"))
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte(`{"a":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := filetext.Extract("f.csv", "", b)
		if err != nil && !filetext.IsUnreadable(err) {
			t.Fatalf("error that is not unreadable: %v", err)
		}
		for _, p := range got.Pages {
			if p < 0 || p > len(got.Text) {
				t.Fatalf("page offset %d of %d", p, len(got.Text))
			}
		}
	})
}
