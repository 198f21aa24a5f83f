// Package code detects source code and proprietary markers in chat text
// (detector id "code").
//
// Source code is found line by line: data/languages.yaml lists, per
// language, signals (a regex guarded by a literal hint found with one
// Aho-Corasick pass) with weights. A line whose best language scores at
// least 2 is a code line; code lines at most two lines apart form a block,
// and blocks of at least min_lines code lines (default 2) are reported as
// SOURCE_CODE:<language>, the language with the highest total weight.
// Markdown fences are reported whole, using the fence's language tag when it
// has one. This is a heuristic: one-line snippets and languages without
// signals are missed, and prose that quotes code-like syntax can be flagged.
//
// Proprietary markers come from params (`markers: [...]`): literal strings
// (repository names, "Copyright (c) Acme"), globs with * ("*.corp.example")
// or regexes prefixed with "re:"; hits are reported as PROPRIETARY_MARKER.
package code

import (
	"context"
	_ "embed"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// ID is the registered detector id.
const ID = "code"

// Entity names: source code is "SOURCE_CODE:<language>".
const (
	SourceCodePrefix  = "SOURCE_CODE:"
	ProprietaryMarker = "PROPRIETARY_MARKER"
)

//go:embed data/languages.yaml
var languagesYAML []byte

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	SourceCode bool     `yaml:"source_code"`
	Markers    []string `yaml:"markers"`
	MinLines   int      `yaml:"min_lines"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

type signal struct {
	lang   string
	re     *regexp.Regexp
	weight int
	// literals, when set, are strings one of which every match holds
	// (literal.Required), and prefixes strings one of which every match
	// starts with (literal.Prefixes): a line without them is not matched
	// against re.
	literals, prefixes []string
}

// signalSet is the compiled language data, shared by all detectors.
type signalSet struct {
	langs   []string
	hints   []string
	byHint  [][]signal
	matcher *detect.KeywordSet
}

var loadSignals = sync.OnceValues(func() (*signalSet, error) {
	var doc struct {
		Languages map[string][]struct {
			Hint string `yaml:"hint"`
			Re   string `yaml:"re"`
			W    int    `yaml:"w"`
		} `yaml:"languages"`
	}
	if err := yaml.Unmarshal(languagesYAML, &doc); err != nil {
		return nil, fmt.Errorf("code: parse data/languages.yaml: %w", err)
	}
	s := &signalSet{}
	hintID := map[string]int{}
	for lang, sigs := range doc.Languages {
		s.langs = append(s.langs, lang)
		for _, sg := range sigs {
			re, err := regexp.Compile(sg.Re)
			if err != nil {
				return nil, fmt.Errorf("code: language %s: %w", lang, err)
			}
			h := strings.ToLower(sg.Hint)
			id, ok := hintID[h]
			if !ok {
				id = len(s.hints)
				hintID[h] = id
				s.hints = append(s.hints, h)
				s.byHint = append(s.byHint, nil)
			}
			s.byHint[id] = append(s.byHint[id], signal{lang: lang, re: re, weight: sg.W,
				literals: literal.Required(sg.Re), prefixes: literal.Prefixes(sg.Re)})
		}
	}
	sort.Strings(s.langs)
	m, err := detect.NewKeywordSet(s.hints)
	if err != nil {
		return nil, fmt.Errorf("code: hint words: %w", err)
	}
	s.matcher = m
	return s, nil
})

// KeywordSets implements detect.KeywordUser: the words that hint at a
// language.
func (d *Detector) KeywordSets() []*detect.KeywordSet {
	return []*detect.KeywordSet{d.sig.matcher}
}

// Detector finds source code and proprietary markers. It is safe for concurrent use.
type Detector struct {
	sig      *signalSet
	minLines int
	markers  []marker
	noCode   bool
}

// New builds the detector. Params:
//
//	markers: ["acme-payments", "*.corp.example", "Copyright (c) Acme", "re:ACME-\d+"]
//	min_lines: 2           code lines needed for an unfenced block
//	source_code: true      set false to report markers only
func New(p detect.Params) (detect.Detector, error) {
	sig, err := loadSignals()
	if err != nil {
		return nil, err
	}
	d := &Detector{sig: sig, minLines: p.Int("min_lines", 2), noCode: !p.Bool("source_code", true)}
	for _, m := range p.Strings("markers") {
		re, err := markerRegexp(m)
		if err != nil {
			return nil, fmt.Errorf("code: marker %q: %w", m, err)
		}
		d.markers = append(d.markers, marker{re: re, literal: markerLiteral(m)})
	}
	return d, nil
}

// marker is a compiled proprietary marker; literal, when set, is a
// lower-case piece the text must contain before the regex is worth running.
type marker struct {
	re      *regexp.Regexp
	literal string
}

// markerLiteral returns the longest literal piece of a glob or literal marker.
func markerLiteral(m string) string {
	if strings.HasPrefix(m, "re:") {
		return ""
	}
	best := ""
	for _, part := range strings.Split(strings.ToLower(strings.TrimSpace(m)), "*") {
		if len(part) > len(best) {
			best = part
		}
	}
	return best
}

// markerRegexp compiles a marker: "re:" regex, glob with *, or literal.
func markerRegexp(m string) (*regexp.Regexp, error) {
	m = strings.TrimSpace(m)
	if m == "" {
		return nil, fmt.Errorf("empty marker")
	}
	if rest, ok := strings.CutPrefix(m, "re:"); ok {
		return regexp.Compile(rest)
	}
	var b strings.Builder
	b.WriteString(`(?i)`)
	if isWord(m[0]) || m[0] == '*' {
		b.WriteString(`\b`)
	}
	for i, part := range strings.Split(m, "*") {
		if i > 0 {
			b.WriteString(`[a-z0-9_-]+(?:\.[a-z0-9_-]+)*`)
		}
		b.WriteString(regexp.QuoteMeta(part))
	}
	if isWord(m[len(m)-1]) {
		b.WriteString(`\b`)
	}
	return regexp.Compile(b.String())
}

func isWord(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_'
}

// ID returns "code".
func (d *Detector) ID() string { return ID }

// Keywords returns nil: code has no single keyword, the detector always runs.
func (d *Detector) Keywords() []string { return nil }

// Detect reports code blocks and marker hits.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	var out []detect.Finding
	var lower string
	if len(d.markers) > 0 {
		if detect.IsASCII(in.Text) {
			lower = in.LowerText() // the same as strings.ToLower for ASCII
		} else {
			lower = strings.ToLower(in.Text)
		}
	}
	for _, mk := range d.markers {
		if mk.literal != "" && !strings.Contains(lower, mk.literal) {
			continue
		}
		for _, m := range mk.re.FindAllStringIndex(in.Text, -1) {
			out = append(out, detect.Finding{Detector: ID, Entity: ProprietaryMarker, Start: m[0], End: m[1],
				Score: 0.9, Excerpt: detect.Excerpt(in.Text, m[0], m[1])})
		}
	}
	if !d.noCode && ctx.Err() == nil {
		out = append(out, d.codeBlocks(in)...)
	}
	return out
}

type line struct {
	start, end int // byte span without the newline
	text       string
}

func splitLines(text string) []line {
	// One allocation: a newline count costs less than growing the slice.
	out := make([]line, 0, strings.Count(text, "\n")+1)
	for start := 0; start <= len(text); {
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		out = append(out, line{start: start, end: end, text: text[start:end]})
		start = end + 1
	}
	return out
}

// lineScores returns, per line, the weight per language.
func (d *Detector) lineScores(in detect.Input, lines []line) []map[string]int {
	text := in.Text
	scores := make([]map[string]int, len(lines))
	var matches []detect.Match
	if detect.IsASCII(text) {
		// strings.ToLower of ASCII text is its ASCII lower-casing.
		matches = d.sig.matcher.Find(in)
	} else {
		lower := []byte(strings.ToLower(text))
		if len(lower) != len(text) {
			// Unicode case mapping changed lengths; fall back to ASCII lowering.
			lower = detect.Bytes(in.LowerText())
		}
		matches = d.sig.matcher.FindIn(lower)
	}
	// In the text's order, as one automaton over it would report them.
	slices.SortFunc(matches, func(a, b detect.Match) int {
		if a.End != b.End {
			return a.End - b.End
		}
		return a.Start - b.Start
	})
	li := 0
	tested := map[[2]int]bool{} // (line, hint) pairs already evaluated
	for _, m := range matches {
		for li < len(lines) && m.Start > lines[li].end {
			li++
		}
		if li >= len(lines) {
			break
		}
		if m.End > lines[li].end+1 || tested[[2]int{li, m.Word}] {
			continue
		}
		tested[[2]int{li, m.Word}] = true
		trimmed := strings.TrimSpace(lines[li].text)
		for _, s := range d.sig.byHint[m.Word] {
			if (s.prefixes == nil || literal.HasAnyPrefix(trimmed, s.prefixes)) &&
				(s.literals == nil || literal.ContainsAny(trimmed, s.literals)) && s.re.MatchString(trimmed) {
				if scores[li] == nil {
					scores[li] = map[string]int{}
				}
				scores[li][s.lang] += s.weight
			}
		}
	}
	return scores
}

var fenceRe = regexp.MustCompile("^\\s*(```+|~~~+)\\s*([\\w+#.-]*)")

// fenceLiterals are the strings a fence line holds, one of them.
var fenceLiterals = literal.Required(fenceRe.String())

var fenceLangs = map[string]string{
	"py": "python", "python3": "python", "js": "javascript", "jsx": "javascript", "node": "javascript",
	"ts": "typescript", "tsx": "typescript", "golang": "go", "sh": "shell", "bash": "shell", "zsh": "shell",
	"console": "shell", "shell-session": "shell", "c++": "cpp", "cc": "cpp", "hpp": "cpp", "h": "c",
	"rs": "rust", "rb": "ruby", "kt": "kotlin", "cs": "csharp", "c#": "csharp", "postgresql": "sql",
	"mysql": "sql", "psql": "sql", "plsql": "sql", "ps1": "powershell", "yml": "yaml",
}

// proseFences are fence tags that hold text, not code.
var proseFences = map[string]bool{"text": true, "txt": true, "plain": true, "plaintext": true,
	"markdown": true, "md": true, "output": true, "log": true, "quote": true}

func (d *Detector) codeBlocks(in detect.Input) []detect.Finding {
	text := in.Text
	lines := splitLines(text)
	scores := d.lineScores(in, lines)
	var out []detect.Finding
	emit := func(from, to int, fenceLang string, fenced bool) {
		totals := map[string]int{}
		codeLines := 0
		for i := from; i <= to; i++ {
			best := 0
			for l, w := range scores[i] {
				totals[l] += w
				best = max(best, w)
			}
			if best >= 2 {
				codeLines++
			}
		}
		if !fenced && codeLines < d.minLines {
			return
		}
		lang := fenceLang
		if lang == "" {
			lang = bestLang(totals)
		}
		score := min(0.5+0.1*float64(codeLines), 0.95)
		if fenced {
			score = min(score+0.1, 0.95)
			if codeLines == 0 && fenceLang == "" {
				score = 0.5
			}
		}
		start, end := lines[from].start, lines[to].end
		out = append(out, detect.Finding{Detector: ID, Entity: SourceCodePrefix + lang, Start: start, End: end,
			Score: score, Excerpt: detect.Excerpt(text, start, end)})
	}
	blockStart, lastCode, gap := -1, -1, 0
	flush := func() {
		if blockStart >= 0 {
			emit(blockStart, lastCode, "", false)
		}
		blockStart, lastCode, gap = -1, -1, 0
	}
	for i := 0; i < len(lines); i++ {
		if m := fenceMatch(lines[i].text); m != nil {
			flush()
			tag := strings.ToLower(m[2])
			closeAt := len(lines) - 1
			for j := i + 1; j < len(lines); j++ {
				if strings.HasPrefix(strings.TrimSpace(lines[j].text), m[1]) {
					closeAt = j
					break
				}
			}
			if !proseFences[tag] && closeAt > i+1 {
				if l, ok := fenceLangs[tag]; ok {
					tag = l
				}
				emit(i+1, closeAt-1, tag, true)
			}
			i = closeAt
			continue
		}
		best := 0
		for _, w := range scores[i] {
			best = max(best, w)
		}
		switch {
		case best >= 2:
			if blockStart < 0 {
				blockStart = i
			}
			lastCode, gap = i, 0
		case blockStart >= 0:
			gap++
			if gap > 2 {
				flush()
			}
		}
	}
	flush()
	return out
}

// fenceMatch is fenceRe's submatches in line, looked for only when the
// line holds a fence's literal.
func fenceMatch(line string) []string {
	if fenceLiterals != nil && !literal.ContainsAny(line, fenceLiterals) {
		return nil
	}
	return fenceRe.FindStringSubmatch(line)
}

func bestLang(totals map[string]int) string {
	best, lang := 0, "unknown"
	for l, w := range totals {
		if w > best || w == best && l < lang {
			best, lang = w, l
		}
	}
	// TypeScript signals only add types; a block with them and JavaScript is TypeScript.
	if lang == "javascript" && totals["typescript"] > 0 {
		return "typescript"
	}
	return lang
}
