package report

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
)

//go:embed templates/report.md.tmpl templates/report.html.tmpl
var templates embed.FS

// Formats names the output formats Render accepts.
var Formats = []string{"md", "html"}

var funcs = map[string]any{
	"num": num,
	// A period's dates and bounds are in the report's time zone.
	"date":  func(t time.Time) string { return t.Format("2006-01-02") },
	"bound": func(t time.Time) string { return t.Format(time.RFC3339) },
	// ISO 8601 in UTC, as the dashboard shows times.
	"datetime": func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") },
	"user":     userLabel,
	"model":    modelLabel,
	"sevclass": severityClass,
	"join":     strings.Join,
	"orNone": func(s []string) string {
		if len(s) == 0 {
			return "none"
		}
		return strings.Join(s, ", ")
	},
}

var (
	mdTemplate = texttemplate.Must(texttemplate.New("report.md.tmpl").
			Funcs(funcs).Funcs(texttemplate.FuncMap{"md": markdownCell}).
			ParseFS(templates, "templates/report.md.tmpl"))
	htmlTemplate = htmltemplate.Must(htmltemplate.New("report.html.tmpl").
			Funcs(funcs).ParseFS(templates, "templates/report.html.tmpl"))
)

// Render writes the report in format "md" (Markdown) or "html".
func Render(w io.Writer, r *Report, format string) error {
	switch format {
	case "md", "markdown":
		return Markdown(w, r)
	case "html":
		return HTML(w, r)
	}
	return fmt.Errorf("report format %q: use md or html", format)
}

// Markdown writes the report as Markdown tables. Data is escaped so a user
// email or policy name can neither break a table nor inject HTML.
func Markdown(w io.Writer, r *Report) error {
	return execute(w, mdTemplate, r)
}

// HTML writes the report as one self-contained HTML file: inline CSS and
// SVG charts, no script and nothing fetched from elsewhere.
func HTML(w io.Writer, r *Report) error {
	return execute(w, htmlTemplate, r)
}

// execute renders into a buffer first so a template error never leaves half a report.
func execute(w io.Writer, t interface {
	Execute(io.Writer, any) error
}, r *Report) error {
	var buf bytes.Buffer
	if err := t.Execute(&buf, r); err != nil {
		return fmt.Errorf("render report: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func num(v any) string {
	switch n := v.(type) {
	case int:
		return thousands(int64(n))
	case int64:
		return thousands(n)
	}
	return fmt.Sprint(v)
}

// markdownCell escapes text for a Markdown table cell: backslash-escapes the
// punctuation that starts markup (CommonMark allows it before any ASCII
// punctuation) and folds line breaks, so data renders literally.
func markdownCell(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		switch c {
		case '_':
			// An underscore inside a word never starts emphasis: keep
			// user_signed_in and john_doe@ readable as plain text.
			if i > 0 && i+1 < len(r) && wordRune(r[i-1]) && wordRune(r[i+1]) {
				b.WriteRune(c)
				continue
			}
			b.WriteString(`\_`)
		case '\\', '`', '*', '[', ']', '<', '>', '|', '#', '~', '!', '&':
			b.WriteByte('\\')
			b.WriteRune(c)
		case '\n', '\r', '\t':
			b.WriteByte(' ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

func wordRune(c rune) bool {
	return unicode.IsLetter(c) || unicode.IsDigit(c)
}
