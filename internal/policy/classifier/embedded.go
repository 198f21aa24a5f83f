package classifier

import (
	"regexp"
	"strings"

	"github.com/claudit/claudit/internal/policy/detect"
)

// Rules with context "embedded" count only inside content the user passed
// along rather than wrote: tool output and files as a whole, and in a chat
// message the rows of a pasted table, the single lines at a table's edges
// that are neither the message's first nor its last paragraph, and the body
// that follows a framing line such as "Here is an email I received:". A
// phrase like "in your answer" is the user's own wish in the first or last
// paragraph, and an indirect injection when it hides in the data between.

// Context values a Rule may have. ContextTableEdge keeps only the single
// lines glued to a pasted table in the middle of a message, where a planted
// question or order sits apart from the user's own first and last words.
const (
	ContextAny       = ""
	ContextEmbedded  = "embedded"
	ContextTableEdge = "table-edge"
)

// regions are the embedded spans of one text, and among them the table edges.
type regions struct {
	embedded, edges []span
}

// spans returns the spans where a rule of context may match, sorted and
// merged.
func (r regions) spans(context string) []span {
	switch context {
	case ContextEmbedded:
		return r.embedded
	case ContextTableEdge:
		return r.edges
	}
	return nil
}

// maxEdgeLine is the longest single line taken as a table's edge: planted
// instructions are one sentence, a user's framing is often a paragraph.
const maxEdgeLine = 240

// framing matches a short line that introduces pasted content and ends
// with a colon: "Here is an email I received:", "Tool output:".
var framing = regexp.MustCompile(`(?im)^[^\n]{0,80}\b` + pastedNouns + `\b[^\n]{0,40}:[ \t]*$`)

// pastedNouns names what a user pastes or a tool returns.
const pastedNouns = `(?:e-?mails?|messages?|documents?|docs?|articles?|answers?|tables?|pages?|posts?|reviews?|texts?|files?|web\s*pages?|search\s+results?|outputs?|snippets?|transcripts?|notes?|reports?|comments?|code|results?|content|replies|reply|responses?|api|tool|data|json|logs?|websites?|sites?|html|readme|letters?|memos?|tickets?|chats?|threads?|csv|yaml|xml|markdown|functions?|scripts?|diffs?|patch|pull\s+requests?|resumes?|résumés?|cvs?|invoices?|invites?|invitations?|spreadsheets?|tweets?|descriptions?|excerpts?|passages?)`

// pointedNouns is a pasted noun pointed at ("this CSV", "the following
// e-mail", "here is the README").
const pointedNouns = `\b(?:this|these|the\s+following|the\s+attached|attached|below|here\s+is|here's|here\s+are)\s+(?:[\w'-]+\s+){0,3}?` + pastedNouns + `\b`

// askFraming matches a first line that asks about content pasted below it
// and ends like a sentence rather than with a colon: "Can you clean up
// this CSV?", "Here is the README of the library, what does it do?".
var askFraming = regexp.MustCompile(`(?i)^[^\n]{0,80}` + pointedNouns + `[^\n]{0,80}[?.!][ \t]*$`)

// inlineFraming matches the start of a first line that names content and
// then gives it after a colon on the same line: "Here is a customer review
// to classify: 'Great shoes...'".
var inlineFraming = regexp.MustCompile(`(?i)^[^\n:]{0,80}` + pointedNouns + `[^\n:]{0,80}:[ \t]*`)

// minQuote is the shortest quoted passage taken as pasted content: a
// review, an e-mail or a tweet, not a quoted word or title.
const minQuote = 40

// maxQuote bounds the search for a closing quote.
const maxQuote = 4000

// quotedSpans returns the passages of text between straight or curly
// double quotes that are at least minQuote bytes long.
func quotedSpans(text string) []span {
	var out []span
	for i := 0; i < len(text); {
		open, closeQ := `"`, `"`
		j := strings.IndexAny(text[i:], "\"\u201c")
		if j < 0 {
			break
		}
		start := i + j
		if text[start] != '"' {
			open, closeQ = "\u201c", "\u201d"
		}
		body := start + len(open)
		end := strings.Index(text[body:min(len(text), body+maxQuote)], closeQ)
		if end < 0 {
			i = body
			continue
		}
		if end >= minQuote {
			out = append(out, span{body, body + end})
		}
		i = body + end + len(closeQ)
	}
	return out
}

// findFraming is framing.FindStringIndex(text), run only when some line
// ends with a colon (and blanks), as every match's does: most texts have
// none, and the regex tries every line start.
func findFraming(text string) []int {
	for i := 0; i < len(text); {
		c := strings.IndexByte(text[i:], ':')
		if c < 0 {
			return nil
		}
		j := i + c + 1
		for j < len(text) && (text[j] == ' ' || text[j] == '\t') {
			j++
		}
		if j == len(text) || text[j] == '\n' {
			return framing.FindStringIndex(text)
		}
		i = j
	}
	return nil
}

// findAskFraming returns the span of the framing that opens the text's
// first line when the content it asks about follows: the whole line when
// it is an askFraming line followed by more text, else an inlineFraming
// prefix with content after it on the same line (a line that ends with
// the colon is left to framing).
func findAskFraming(text string) []int {
	nl := strings.IndexByte(text, '\n')
	if nl < 0 {
		nl = len(text)
	}
	if strings.TrimSpace(text[nl:]) != "" && askFraming.MatchString(text[:nl]) {
		return []int{0, nl}
	}
	if loc := inlineFraming.FindStringIndex(text[:nl]); loc != nil && strings.TrimSpace(text[loc[1]:nl]) != "" {
		return loc
	}
	return nil
}

// findRegions returns the spans of text that are embedded content (all of
// it for tool output and files) and the table edges among them.
func findRegions(text string, role detect.Role) regions {
	paras := paragraphs(text)
	out, edges := tableRegions(text, paras)
	if role == detect.RoleTool || role == detect.RoleFile {
		return regions{embedded: []span{{0, len(text)}}, edges: mergeSpans(edges)}
	}
	out = append(out, quotedSpans(text)...)
	if loc := findAskFraming(text); loc != nil {
		// The question is the first line: the body runs to the end.
		out = append(out, span{loc[1], len(text)})
	} else if loc := findFraming(text); loc != nil {
		// The framed body runs to the last paragraph, the user's question,
		// when there is one: a body of one paragraph is the pasted content
		// itself ("Summarize this page:" then the page).
		body := span{loc[1], len(text)}
		if n := len(paras); n > 1 && paras[n-1].start > body.start && paras[n-2].end > body.start {
			body.end = paras[n-1].start
		}
		out = append(out, body)
	}
	return regions{embedded: mergeSpans(out), edges: mergeSpans(edges)}
}

// tableRegions returns the rows of pasted tables plus their edges, and the
// edges alone: one-line paragraphs before or after a table and lines glued
// to its top or bottom, in neither the first nor the last paragraph.
func tableRegions(text string, paras []span) (out, edges []span) {
	for i, p := range paras {
		lines := lineSpans(text, p)
		table := tableRows(text, lines) >= 2
		for _, l := range lines {
			if isTableRow(text[l.start:l.end]) {
				out = append(out, l)
			}
		}
		if i == 0 || i == len(paras)-1 {
			continue
		}
		switch {
		case table:
			// A line glued to the top or bottom of a table.
			if first := lines[0]; !isTableRow(text[first.start:first.end]) && first.end-first.start <= maxEdgeLine {
				edges = append(edges, first)
			}
			if last := lines[len(lines)-1]; len(lines) > 1 && !isTableRow(text[last.start:last.end]) && last.end-last.start <= maxEdgeLine {
				edges = append(edges, last)
			}
		case len(lines) == 1 && p.end-p.start <= maxEdgeLine && !isTableRow(text[p.start:p.end]):
			if tableRows(text, lineSpans(text, paras[i-1])) >= 2 || tableRows(text, lineSpans(text, paras[i+1])) >= 2 {
				edges = append(edges, p)
			}
		}
	}
	return append(out, edges...), edges
}

func isTableRow(line string) bool {
	line = strings.TrimSpace(line)
	return len(line) > 1 && line[0] == '|'
}

func tableRows(text string, lines []span) int {
	n := 0
	for _, l := range lines {
		if isTableRow(text[l.start:l.end]) {
			n++
		}
	}
	return n
}

// paragraphs splits text at blank lines, dropping empty paragraphs.
func paragraphs(text string) []span {
	var out []span
	start := 0
	for _, l := range lineSpans(text, span{0, len(text)}) {
		if strings.TrimSpace(text[l.start:l.end]) != "" {
			continue
		}
		if p := trimSpan(text, span{start, l.start}); p.end > p.start {
			out = append(out, p)
		}
		start = l.end
	}
	if p := trimSpan(text, span{start, len(text)}); p.end > p.start {
		out = append(out, p)
	}
	return out
}

// lineSpans splits the span p of text into its lines.
func lineSpans(text string, p span) []span {
	var out []span
	for s := p.start; s < p.end; {
		e := strings.IndexByte(text[s:p.end], '\n')
		if e < 0 {
			out = append(out, span{s, p.end})
			break
		}
		out = append(out, span{s, s + e})
		s += e + 1
	}
	return out
}

func trimSpan(text string, s span) span {
	for s.start < s.end && (text[s.start] == '\n' || text[s.start] == ' ' || text[s.start] == '\t' || text[s.start] == '\r') {
		s.start++
	}
	for s.end > s.start && (text[s.end-1] == '\n' || text[s.end-1] == ' ' || text[s.end-1] == '\t' || text[s.end-1] == '\r') {
		s.end--
	}
	return s
}

// intersectSpans returns the parts of the sorted, disjoint spans a that lie
// in the sorted, disjoint spans b.
func intersectSpans(a, b []span) []span {
	var out []span
	for i, j := 0, 0; i < len(a) && j < len(b); {
		if s, e := max(a[i].start, b[j].start), min(a[i].end, b[j].end); s < e {
			out = append(out, span{s, e})
		}
		if a[i].end < b[j].end {
			i++
		} else {
			j++
		}
	}
	return out
}

// isSpanEdge reports whether pos is where one of spans starts or ends.
func isSpanEdge(spans []span, pos int) bool {
	for _, s := range spans {
		if s.start == pos || s.end == pos {
			return true
		}
	}
	return false
}

func within(spans []span, start, end int) bool {
	for _, s := range spans {
		if s.start <= start && end <= s.end {
			return true
		}
	}
	return false
}
