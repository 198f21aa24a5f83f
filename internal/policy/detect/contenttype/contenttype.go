// Package contenttype registers the "content_type" detector: what kind of
// content a text carries (code, SQL, shell commands, JSON, CSV, blocks of
// credentials, tables of personal data), so a policy can flag for example
// customer tables or .env files pasted into a chat.
//
// Fenced blocks are typed by their language tag; everything else by line
// heuristics. Findings have entity CONTENT_TYPE:<type> and span the block.
package contenttype

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "content_type"

// The content types.
const (
	Code         = "code"
	SQL          = "sql"
	Shell        = "shell"
	JSON         = "json"
	CSV          = "csv"
	Credentials  = "credentials"
	PersonalData = "personal_data"
)

// Types lists every content type the detector knows.
var Types = []string{Code, SQL, Shell, JSON, CSV, Credentials, PersonalData}

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Deny []string `yaml:"deny"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

// Detector reports denied content types.
type Detector struct {
	deny   map[string]bool
	wanted wanted // deny as classify's flags
}

// New builds the detector. Params:
//
//	deny  list of types to flag, default [credentials, personal_data];
//	      types: code, sql, shell, json, csv, credentials, personal_data
func New(p detect.Params) (*Detector, error) {
	deny := p.Strings("deny")
	if deny == nil {
		deny = []string{Credentials, PersonalData}
	}
	d := &Detector{deny: map[string]bool{}}
	for _, t := range deny {
		t = strings.ToLower(strings.TrimSpace(t))
		if !slices.Contains(Types, t) {
			return nil, fmt.Errorf("%s: unknown type %q; known: %s", ID, t, strings.Join(Types, ", "))
		}
		d.deny[t] = true
	}
	d.wanted = wantedOf(d.deny)
	return d, nil
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector; nil, since content is recognized by
// shape rather than words.
func (d *Detector) Keywords() []string { return nil }

// Detect implements detect.Detector.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	var out []detect.Finding
	// Only the denied types are worked out: the others would be dropped.
	for _, b := range classify(in.Text, d.wanted) {
		if !d.deny[b.Type] {
			continue
		}
		out = append(out, detect.Finding{
			Detector: ID,
			Entity:   "CONTENT_TYPE:" + b.Type,
			Start:    b.Start,
			End:      b.End,
			Score:    b.Score,
			Excerpt:  detect.Excerpt(in.Text, b.Start, b.End),
		})
	}
	return out
}

// Block is a typed region of a text.
type Block struct {
	Type       string
	Start, End int
	Score      float64
}

// line is one line of text without its newline, with its byte offset.
type line struct {
	text  string
	start int
}

func (l line) end() int { return l.start + len(l.text) }

func splitLines(text string, base int) []line {
	// One allocation: a newline count costs less than growing the slice.
	out := make([]line, 0, strings.Count(text, "\n")+1)
	for start := 0; start <= len(text); {
		i := strings.IndexByte(text[start:], '\n')
		if i < 0 {
			out = append(out, line{text[start:], base + start})
			break
		}
		out = append(out, line{strings.TrimSuffix(text[start:start+i], "\r"), base + start})
		start += i + 1
	}
	return out
}

// fences finds fenced code blocks as the pattern
//
//	(?m)^[ \t]*```[ \t]*([\w+#.-]*)[^\n]*\n((?s:.*?))(^[ \t]*```[ \t]*$|\z)
//
// would (fenceRe in the tests), returning its submatch indices, by reading
// lines instead of running the regex over a whole, possibly large, text: an
// opening is a line of optional blanks, three backticks, an optional tag and
// anything to its newline; the block runs to the first line that is only
// blanks and three backticks, or to the end of the text.
func fences(text string) [][]int {
	var out [][]int
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		if le < 0 {
			break // an opening needs its newline
		}
		le += ls
		i := skipBlanks(text, ls, le)
		if !strings.HasPrefix(text[i:le], "```") {
			ls = le + 1
			continue
		}
		tagStart := skipBlanks(text, i+3, le)
		tagEnd := tagStart
		for tagEnd < le && isTagByte(text[tagEnd]) {
			tagEnd++
		}
		bodyStart := le + 1
		closeStart, closeEnd := len(text), len(text)
		for p := bodyStart; p < len(text); {
			e := strings.IndexByte(text[p:], '\n')
			if e < 0 {
				e = len(text)
			} else {
				e += p
			}
			if j := skipBlanks(text, p, e); strings.HasPrefix(text[j:e], "```") && skipBlanks(text, j+3, e) == e {
				closeStart, closeEnd = p, e
				break
			}
			p = e + 1
		}
		out = append(out, []int{ls, closeEnd, tagStart, tagEnd, bodyStart, closeStart, closeStart, closeEnd})
		if closeEnd == len(text) {
			break
		}
		ls = closeEnd + 1
	}
	return out
}

// skipBlanks returns the first index from i (up to end) that is not a
// space or tab.
func skipBlanks(text string, i, end int) int {
	for i < end && (text[i] == ' ' || text[i] == '\t') {
		i++
	}
	return i
}

// isTagByte is the pattern's [\w+#.-].
func isTagByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '+' || c == '#' || c == '.' || c == '-'
}

var langTypes = map[string]string{
	"sql": SQL, "mysql": SQL, "postgresql": SQL, "psql": SQL, "plsql": SQL, "tsql": SQL,
	"sh": Shell, "bash": Shell, "shell": Shell, "zsh": Shell, "console": Shell, "shell-session": Shell,
	"powershell": Shell, "ps1": Shell, "bat": Shell, "cmd": Shell,
	"json": JSON, "jsonc": JSON, "json5": JSON,
	"csv": CSV, "tsv": CSV,
	"env": Credentials, "dotenv": Credentials,
}

// allTypes asks classify for every content type.
var allTypes = func() map[string]bool {
	m := map[string]bool{}
	for _, t := range Types {
		m[t] = true
	}
	return m
}()

// Classify returns the typed blocks of text: fenced blocks by their tag (and
// also by content), the rest by line heuristics.
func Classify(text string) []Block {
	return classify(text, wantedOf(allTypes))
}

// wanted is a set of types as the flags classifyRegion reads, so a scan
// looks nothing up in a map.
type wanted struct {
	any, json, csv, personal, credentials, shell, code, sql bool
}

func wantedOf(types map[string]bool) wanted {
	return wanted{any: len(types) > 0, json: types[JSON], csv: types[CSV], personal: types[PersonalData],
		credentials: types[Credentials], shell: types[Shell], code: types[Code], sql: types[SQL]}
}

// classify is Classify restricted to the types in want; blocks of other
// types may or may not be returned. Skipping the heuristics for unwanted
// types does not change the wanted blocks: blocks are only ever compared
// with blocks of their own type.
func classify(text string, want wanted) []Block {
	if !want.any {
		return nil
	}
	var out []Block
	prev := 0
	// Every fence match contains three backticks.
	if strings.Contains(text, "```") {
		for _, m := range fences(text) {
			out = append(out, classifyRegion(text[prev:m[0]], prev, want)...)
			tag := strings.ToLower(text[m[2]:m[3]])
			body, bodyStart := text[m[4]:m[5]], m[4]
			if t, ok := langTypes[tag]; ok {
				out = append(out, Block{Type: t, Start: m[0], End: m[1], Score: 0.9})
			} else if tag != "" {
				out = append(out, Block{Type: Code, Start: m[0], End: m[1], Score: 0.9})
			}
			for _, b := range classifyRegion(body, bodyStart, want) {
				if !slices.ContainsFunc(out, func(o Block) bool { return o.Type == b.Type && o.Start <= b.Start && b.End <= o.End }) {
					out = append(out, b)
				}
			}
			prev = m[1]
		}
	}
	out = append(out, classifyRegion(text[prev:], prev, want)...)
	return out
}

// classifyRegion applies the heuristics for the wanted types to unfenced
// text at offset base.
func classifyRegion(text string, base int, want wanted) []Block {
	if strings.TrimSpace(text) == "" {
		return nil
	}
	var out []Block
	if want.json {
		if b, ok := jsonBlock(text, base); ok {
			out = append(out, b)
		}
	}
	tabular := want.csv || want.personal
	if !tabular && !want.credentials && !want.shell && !want.code && !want.sql {
		return out
	}
	var lines []line
	if tabular || want.credentials || want.shell || want.code {
		lines = splitLines(text, base)
	}
	if tabular {
		out = append(out, tables(lines)...)
	}
	if want.credentials {
		out = append(out, credentials(lines)...)
	}
	if want.sql {
		if b, ok := sqlBlock(text, base); ok {
			out = append(out, b)
		}
	}
	if want.shell {
		out = append(out, lineRuns(lines, Shell, shellLine, 2, 0.7)...)
	}
	if want.code {
		out = append(out, lineRuns(lines, Code, codeLine, 3, 0.6)...)
	}
	return out
}

func jsonBlock(text string, base int) (Block, bool) {
	t := strings.TrimSpace(text)
	if len(t) < 2 || (t[0] != '{' && t[0] != '[') || !json.Valid([]byte(t)) {
		return Block{}, false
	}
	if t == "{}" || t == "[]" {
		return Block{}, false
	}
	start := base + strings.Index(text, t)
	return Block{Type: JSON, Start: start, End: start + len(t), Score: 0.95}, true
}

var (
	sqlUpper = regexp.MustCompile(`\b(SELECT\s[\s\S]{1,400}?\sFROM\s+[\w."\x60\[\]]+|INSERT\s+INTO\s+[\w."\x60]+|UPDATE\s+[\w."\x60]+\s+SET\s|DELETE\s+FROM\s+[\w."\x60]+|CREATE\s+(TABLE|INDEX|VIEW|DATABASE|SCHEMA)\s|ALTER\s+TABLE\s|DROP\s+(TABLE|INDEX|VIEW)\s)`)
	sqlLower = regexp.MustCompile(`(?i)\b(select\s[^;]{1,400}?\sfrom\s+[\w."\x60]+[^;]{0,400};|insert\s+into\s+[\w."\x60]+[^;]{0,400};|update\s+[\w."\x60]+\s+set\s[^;]{0,400};|delete\s+from\s+[\w."\x60]+[^;]{0,200};|create\s+table\s+[\w."\x60]+\s*\()`)
)

func sqlBlock(text string, base int) (Block, bool) {
	locs := append(sqlUpper.FindAllStringIndex(text, -1), sqlLower.FindAllStringIndex(text, -1)...)
	if len(locs) == 0 {
		return Block{}, false
	}
	start, end := len(text), 0
	for _, l := range locs {
		start, end = min(start, l[0]), max(end, l[1])
	}
	score := 0.6
	if len(locs) > 1 {
		score = 0.8
	}
	return Block{Type: SQL, Start: base + start, End: base + end, Score: score}, true
}

var (
	shellPrompt  = regexp.MustCompile(`^\s*[$#>]\s+[\w./~-]+`)
	shellCommand = regexp.MustCompile(`^\s*(sudo|apt|apt-get|yum|dnf|brew|npm|npx|yarn|pnpm|pip|pip3|git|cd|ls|export|chmod|chown|curl|wget|docker|kubectl|helm|systemctl|ssh|scp|mkdir|rm|cp|mv|cat|grep|tar|make|go|cargo|python|python3|terraform|aws|gcloud|az)\s+\S`)
	codeSyntax   = regexp.MustCompile(`([;{}]\s*$|^\s*(def|class|func|function|import|from\s+\S+\s+import|package|public|private|protected|return|const|let|var|#include|using|namespace|fn|impl|struct|enum|interface)\b|=>|\)\s*\{|^\s*(if|for|while)\s*\(.*\)\s*\{?\s*$|^\s*(//|/\*|\*/))`)
)

func shellLine(s string) bool { return shellPrompt.MatchString(s) || shellCommand.MatchString(s) }
func codeLine(s string) bool  { return codeSyntax.MatchString(s) }

// lineRuns finds runs of lines where at least minHits lines match and they
// make up at least 40% of the non-blank lines of the run; three
// non-matching or blank lines in a row end a run.
func lineRuns(lines []line, typ string, match func(string) bool, minHits int, score float64) []Block {
	var out []Block
	flush := func(run []line, hits int) {
		nonBlank := 0
		for _, l := range run {
			if strings.TrimSpace(l.text) != "" {
				nonBlank++
			}
		}
		if hits >= minHits && float64(hits) >= 0.4*float64(nonBlank) {
			out = append(out, Block{Type: typ, Start: run[0].start, End: run[len(run)-1].end(), Score: score})
		}
	}
	var run []line
	hits, miss := 0, 0
	for _, l := range lines {
		switch {
		case match(l.text):
			run = append(run, l)
			hits++
			miss = 0
		case len(run) > 0 && strings.TrimSpace(l.text) == "":
			run = append(run, l)
			miss++
		case len(run) > 0 && miss < 2:
			run = append(run, l)
			miss++
		default:
			if len(run) > 0 {
				flush(run[:len(run)-miss], hits)
			}
			run, hits, miss = nil, 0, 0
		}
	}
	if len(run) > 0 {
		flush(run[:len(run)-miss], hits)
	}
	return out
}

var (
	secretKey   = regexp.MustCompile(`(?i)^\s*(export\s+)?["']?[\w.-]*(password|passwd|pwd|secret|token|api[_-]?key|apikey|access[_-]?key|private[_-]?key|client[_-]?secret|auth|credential|conn(ection)?[_-]?string|dsn)[\w.-]*["']?\s*[:=]\s*["']?([^\s"']{4,})`)
	placeholder = regexp.MustCompile(`(?i)^(<.*>|\$\{?\w+\}?|x{3,}|\*{3,}|\.{3,}|changeme|your[_-].*|example.*|null|none|true|false|\{\{.*\}\})$`)
)

// isKeyValue reports whether s is a key/value line, as the pattern
// ^\s*(export\s+)?["']?[A-Za-z_][\w.-]*["']?\s*[:=]\s*\S would
// (keyValueRe in the tests), read by hand: each optional part has one way
// to match (a quote that is there must be taken, a key runs as far as it
// can), so nothing needs backtracking but the "export" prefix, which can
// also be a key.
func isKeyValue(s string) bool {
	// No scan for ':' or '=' first: the key at the line's start ends at
	// the first byte that is not [\w.-"'], and a prose line is told
	// there, with no pass over the rest of it.
	i := skipRegexSpace(s, 0)
	if rest, ok := strings.CutPrefix(s[i:], "export"); ok {
		j := len(s) - len(rest)
		if k := skipRegexSpace(s, j); k > j && keyValueAt(s, k) {
			return true
		}
	}
	return keyValueAt(s, i)
}

// keyValueAt matches ["']?[A-Za-z_][\w.-]*["']?\s*[:=]\s*\S at s[i:].
func keyValueAt(s string, i int) bool {
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		i++
	}
	if i >= len(s) || !(s[i] >= 'a' && s[i] <= 'z' || s[i] >= 'A' && s[i] <= 'Z' || s[i] == '_') {
		return false
	}
	i++
	for i < len(s) && (isRegexWord(s[i]) || s[i] == '.' || s[i] == '-') {
		i++
	}
	if i < len(s) && (s[i] == '"' || s[i] == '\'') {
		i++
	}
	i = skipRegexSpace(s, i)
	if i >= len(s) || s[i] != ':' && s[i] != '=' {
		return false
	}
	return skipRegexSpace(s, i+1) < len(s)
}

// skipRegexSpace returns the index of the first byte at or after i that is
// not RE2's \s ([\t\n\f\r ]).
func skipRegexSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\f' || s[i] == '\r') {
		i++
	}
	return i
}

func isRegexWord(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// credentials finds runs of key/value lines that include at least one
// secret-named key with a real-looking value: two such keys, or one plus two
// other key/value lines.
func credentials(lines []line) []Block {
	var out []Block
	i := 0
	for i < len(lines) {
		if !isKeyValue(lines[i].text) {
			i++
			continue
		}
		j, secrets := i, 0
		for j < len(lines) && isKeyValue(lines[j].text) {
			if m := secretKey.FindStringSubmatch(lines[j].text); m != nil && !placeholder.MatchString(m[len(m)-1]) {
				secrets++
			}
			j++
		}
		if secrets >= 2 || secrets == 1 && j-i >= 3 {
			score := 0.7
			if secrets >= 2 {
				score = 0.85
			}
			out = append(out, Block{Type: Credentials, Start: lines[i].start, End: lines[j-1].end(), Score: score})
		}
		i = j
	}
	return out
}

var (
	email        = regexp.MustCompile(`[\w.+-]+@[\w-]+\.[\w.-]+`)
	strongColumn = regexp.MustCompile(`(?i)^\W*(e-?mail(\s*address)?|phone(\s*(number|no))?|mobile|cell|telephone|ssn|social\s*security(\s*number)?|date\s*of\s*birth|dob|birth\s*date|birthday|(home\s*|street\s*)?address|iban|passport(\s*(number|no))?|national\s*id|tax\s*id|driver'?s?\s*licen[cs]e)\W*$`)
	nameColumn   = regexp.MustCompile(`(?i)^\W*((first|last|full|given|family|sur)\s*_?name|name|surname|customer|employee|patient|contact)\W*$`)
)

// tables finds CSV-like runs (three or more lines with the same number, at
// least two, of one delimiter) and markdown tables, and marks those whose
// header names personal columns or whose rows mostly hold e-mail addresses.
func tables(lines []line) []Block {
	var out []Block
	for i := 0; i < len(lines); {
		n, sep := tableRun(lines[i:])
		if n < 3 {
			i++
			continue
		}
		run := lines[i : i+n]
		b := Block{Type: CSV, Start: run[0].start, End: run[n-1].end(), Score: 0.7}
		if sep == '|' {
			b.Score = 0.6
		}
		out = append(out, b)
		if personal(run, sep) {
			out = append(out, Block{Type: PersonalData, Start: b.Start, End: b.End, Score: 0.85})
		}
		i += n
	}
	return out
}

// tableRun returns how many lines from the start form a table and its
// delimiter.
func tableRun(lines []line) (int, byte) {
	if t := strings.TrimSpace(lines[0].text); strings.HasPrefix(t, "|") && strings.Count(t, "|") >= 3 {
		n := 0
		for n < len(lines) && strings.HasPrefix(strings.TrimSpace(lines[n].text), "|") {
			n++
		}
		return n, '|'
	}
	for _, sep := range []byte{',', '\t', ';'} {
		c := strings.Count(lines[0].text, string(sep))
		// One delimiter per line is common in prose, so two-column tables
		// need a header of single words.
		if c == 0 || c == 1 && strings.ContainsAny(strings.TrimSpace(lines[0].text), " ") {
			continue
		}
		n := 1
		for n < len(lines) && strings.Count(lines[n].text, string(sep)) == c {
			n++
		}
		if n >= 3 {
			return n, sep
		}
	}
	return 0, 0
}

func cells(s string, sep byte) []string {
	s = strings.TrimSpace(s)
	if sep == '|' {
		s = strings.Trim(s, "|")
	}
	parts := strings.Split(s, string(sep))
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"'`)
	}
	return parts
}

func personal(run []line, sep byte) bool {
	strong, names := 0, 0
	for _, c := range cells(run[0].text, sep) {
		switch {
		case strongColumn.MatchString(c):
			strong++
		case nameColumn.MatchString(c):
			names++
		}
	}
	if strong >= 1 || names >= 2 {
		return true
	}
	withEmail := 0
	for _, l := range run[1:] {
		if email.MatchString(l.text) {
			withEmail++
		}
	}
	return withEmail*2 >= len(run)-1
}
