package filetext_test

import (
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/filetext"
)

// TestMessageLocation: an offset of a file's message text gives its page
// (slide, sheet) and the line within it, or the line in the file.
func TestMessageLocation(t *testing.T) {
	paged := filetext.MessageText("deck.pdf", filetext.Text{Format: filetext.FormatPDF,
		Text: "cover\nagenda\nbudget 2027\nthe key is XYZ\n", Pages: []int{0, 13}})
	plain := filetext.MessageText("notes.txt", filetext.Text{Format: filetext.FormatPlain, Text: "one\ntwo\nthree SECRET\n"})
	for _, tc := range []struct {
		name, text, find string
		want             string
		ok               bool
	}{
		{"first page", paged, "agenda", "page 1, line 2", true},
		{"second page", paged, "XYZ", "page 2, line 2", true},
		{"second page first line", paged, "budget", "page 2, line 1", true},
		{"plain", plain, "SECRET", "line 3", true},
		{"header", plain, "notes.txt", "", false},
		{"not a file", "hello SECRET", "SECRET", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loc, ok := filetext.MessageLocation(tc.text, strings.Index(tc.text, tc.find))
			if ok != tc.ok || (ok && loc.String() != tc.want) {
				t.Fatalf("%q in %q: %v %v, want %q %v", tc.find, tc.text, loc, ok, tc.want, tc.ok)
			}
		})
	}
	if !strings.HasPrefix(paged, "file deck.pdf (pdf)\n[page 1]\ncover\n") || !strings.Contains(paged, "agenda\n[page 2]\nbudget") {
		t.Fatalf("message text: %q", paged)
	}
}
