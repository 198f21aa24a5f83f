package filetext

import (
	"archive/zip"
	"bytes"
	"io"
	"path"
	"sort"
	"strings"
)

// docxBundle reports whether a ZIP holds DOCX files and nothing but
// folders besides them.
func docxBundle(zr *zip.Reader) bool {
	n := 0
	for _, f := range zr.File {
		switch {
		case strings.HasSuffix(f.Name, "/"):
		case strings.EqualFold(path.Ext(f.Name), ".docx"):
			n++
		default:
			return false
		}
	}
	return n > 0
}

// extractDocxBundle reads each DOCX of a ZIP (a Claude Docs export, one
// file per tab) in name order, each tab starting with a "# <name>" line
// like an XLSX sheet. A tab that cannot be read makes the whole file
// unreadable, saying which.
func extractDocxBundle(zr *zip.Reader) (Text, error) {
	files := make([]*zip.File, 0, len(zr.File))
	for _, f := range zr.File {
		if !strings.HasSuffix(f.Name, "/") {
			files = append(files, f)
		}
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	t := Text{Format: FormatDocxZip}
	var sb strings.Builder
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			return Text{}, unreadable("tab %q: %v", f.Name, err)
		}
		b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return Text{}, unreadable("tab %q: %v", f.Name, err)
		}
		inner, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return Text{}, unreadable("tab %q is not a DOCX file: %v", f.Name, err)
		}
		tab, err := extractDOCX(inner)
		if err != nil {
			return Text{}, unreadable("tab %q: %v", f.Name, err)
		}
		t.Pages = append(t.Pages, sb.Len())
		sb.WriteString("# " + strings.TrimSuffix(path.Base(f.Name), path.Ext(f.Name)) + "\n")
		sb.WriteString(tab.Text)
		if !strings.HasSuffix(tab.Text, "\n") {
			sb.WriteByte('\n')
		}
	}
	t.Text = sb.String()
	return t, nil
}
