package filetext_test

import (
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/filetext"
)

// TestDocxZip: a ZIP of DOCX tabs (a Claude Docs export) reads tab by tab
// in name order, each a page; a tab that is not a DOCX says which.
func TestDocxZip(t *testing.T) {
	docx := func(text string) string {
		return string(zipOf(t, map[string]string{"word/document.xml": `<?xml version="1.0"?><w:document xmlns:w="w"><w:body><w:p><w:r><w:t>` +
			text + `</w:t></w:r></w:p></w:body></w:document>`}))
	}
	b := zipOf(t, map[string]string{"Tab 2.docx": docx("the key is hunter2"), "Tab 1.docx": docx("welcome")})
	got, err := filetext.Extract("cart_1.zip", "application/zip", b)
	if err != nil {
		t.Fatal(err)
	}
	if got.Format != filetext.FormatDocxZip || got.Text != "# Tab 1\nwelcome\n# Tab 2\nthe key is hunter2\n" || len(got.Pages) != 2 {
		t.Fatalf("%+v", got)
	}
	msg := filetext.MessageText("cart_1 Claude Docs", got)
	loc, ok := filetext.MessageLocation(msg, strings.Index(msg, "hunter2"))
	if !ok || loc.String() != "tab 2, line 2" {
		t.Fatalf("location %v %v in %q", loc, ok, msg)
	}
	bad := zipOf(t, map[string]string{"Tab 1.docx": "not a zip"})
	if _, err := filetext.Extract("d.zip", "", bad); !filetext.IsUnreadable(err) || !strings.Contains(err.Error(), `tab "Tab 1.docx"`) {
		t.Fatalf("bad tab: %v", err)
	}
}
