// Package detect holds the types shared by every detector family: the text
// being scanned, the findings a detector returns, and the registry that maps
// a detector ID to the factory that builds it from a policy's parameters.
//
// Detectors are small and stateless after construction: the engine builds
// them once per policy version and calls Detect concurrently.
package detect

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Role of the text being scanned.
type Role string

// Roles a piece of text can have in a chat.
const (
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant"
	RoleTool      Role = "tool"
	RoleFile      Role = "file"
)

// Input is one piece of text plus its context.
type Input struct {
	Text     string
	Role     Role
	ChatID   string
	UserID   string
	FileName string
	// Groups are the user's directory groups (ids and names), for
	// group-scoped policies; detectors do not read them.
	Groups []string
	// Decoded is set when Text was recovered from an encoded span of the
	// message by the decode stage: the chain of encodings ("BASE64"). A
	// detector of encodings reports the message's own, not these again.
	Decoded string
	// Lower is optional: Text with ASCII letters lower-cased and every other
	// byte unchanged, so offsets into it are offsets into Text. The engine
	// fills it once per input so detectors need not each lower-case the text
	// again; read it through LowerText, which computes it when it is unset.
	Lower string
	// Memo is optional: work that several detectors of one scan share
	// (tokens, decoded spans), set by the engine per text; see Memoize.
	Memo *Memo
	// Index is optional: the positions of the detectors' KeywordSets in
	// Lower, from the engine's one pass; see KeywordSet.Find.
	Index *KeywordIndex
}

// Memo keeps values computed from one Input's text for the other detectors
// scanning the same text, so two policies of one detector family (toxicity
// and sexual, pii and pii-financial) do not tokenize or decode twice. It
// belongs to one scan and is not safe for concurrent use.
type Memo struct {
	keys    []any
	vals    []any
	release []func()
}

// OnRelease registers f to run when the scan that owns m ends, so a
// detector can recycle buffers it memoized (a sync.Pool). Without a memo
// it does nothing.
func (m *Memo) OnRelease(f func()) {
	if m != nil {
		m.release = append(m.release, f)
	}
}

// Release runs the functions registered with OnRelease and empties m. The
// engine calls it once no finding refers to memoized values any more.
func (m *Memo) Release() {
	if m == nil {
		return
	}
	for _, f := range m.release {
		f()
	}
	// Keep the storage for the engine's next scan, not what it refers to.
	clear(m.keys)
	clear(m.vals)
	clear(m.release)
	m.keys, m.vals, m.release = m.keys[:0], m.vals[:0], m.release[:0]
}

// Memoize returns the value stored under key in in.Memo, computing and
// storing it on first use; without a memo it just computes. Keys are
// package-private pointers, as with context keys; the value must depend on
// in.Text only.
func Memoize[T any](in Input, key any, compute func() T) T {
	m := in.Memo
	if m == nil {
		return compute()
	}
	for i, k := range m.keys {
		if k == key {
			return m.vals[i].(T)
		}
	}
	v := compute()
	if m.keys == nil {
		// A scan memoizes about ten values; grow once, not four times.
		m.keys, m.vals = make([]any, 0, 12), make([]any, 0, 12)
	}
	m.keys = append(m.keys, key)
	m.vals = append(m.vals, v)
	return v
}

// LowerText returns in.Text with ASCII letters lower-cased (see Input.Lower),
// reusing in.Lower when the caller set it.
func (in Input) LowerText() string {
	if len(in.Lower) == len(in.Text) {
		return in.Lower
	}
	return LowerASCII(in.Text)
}

// LowerASCII lower-cases the ASCII letters of s and leaves every other byte
// alone, so byte offsets into the result are valid offsets into s
// (strings.ToLower can change lengths). It does not allocate when s has no
// upper-case ASCII letter.
func LowerASCII(s string) string {
	i := firstUpper(s)
	if i == len(s) {
		return s
	}
	b := make([]byte, len(s))
	copy(b, s[:i])
	// Eight bytes at a time: each upper-case ASCII byte gets 0x20 added,
	// every other byte (non-ASCII ones included) is kept.
	for ; i+8 <= len(s); i += 8 {
		x := binary.LittleEndian.Uint64(Bytes(s[i : i+8]))
		binary.LittleEndian.PutUint64(b[i:], x|upperMask(x)>>2)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		b[i] = c
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// upperMask has the high bit set in each byte of x that is 'A'..'Z'.
func upperMask(x uint64) uint64 {
	low := x &^ highs              // each byte's low seven bits
	geA := low + (0x80-'A')*ones   // high bit: byte >= 'A'
	gtZ := low + (0x80-'Z'-1)*ones // high bit: byte > 'Z'
	return geA &^ gtZ &^ x & highs // and not a non-ASCII byte
}

// firstUpper returns the index of the first upper-case ASCII letter in s,
// or len(s).
func firstUpper(s string) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if upperMask(binary.LittleEndian.Uint64(Bytes(s[i:i+8]))) != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			return i
		}
	}
	return len(s)
}

// IsASCII reports whether s has only ASCII bytes.
func IsASCII(s string) bool {
	i := 0
	for ; i+16 <= len(s); i += 16 {
		b := Bytes(s[i : i+16])
		if (binary.LittleEndian.Uint64(b)|binary.LittleEndian.Uint64(b[8:]))&highs != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// Bytes returns the bytes of s without copying, for read-only matchers that
// take a []byte (Aho-Corasick automata). The result must never be modified.
func Bytes(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// Finding is one match. Start/End are byte offsets into Input.Text.
// Excerpt is redacted: it never carries the raw secret or PII.
type Finding struct {
	Detector string  `json:"detector"`
	Entity   string  `json:"entity"`
	Start    int     `json:"start"`
	End      int     `json:"end"`
	Score    float64 `json:"score"`
	Excerpt  string  `json:"excerpt"`
	// Source says what produced the finding where a detector has more than
	// one layer: SourceRule (a phrase rule or word list) or SourceModel (a
	// trained classifier); empty for single-method detectors.
	Source string `json:"source,omitempty"`
}

// Values of Finding.Source.
const (
	SourceRule  = "rule"
	SourceModel = "model"
)

// Detector finds one family of risks.
type Detector interface {
	// ID is the registered detector id, e.g. "pii".
	ID() string
	// Keywords are lower-case substrings that make the detector worth running; nil means always run.
	Keywords() []string
	// Detect returns the findings in in.Text. It must be safe for concurrent use.
	Detect(ctx context.Context, in Input) []Finding
}

// Params are a policy's free-form parameters from YAML.
type Params map[string]any

// Factory builds a detector from params; registered detectors are looked up by ID.
type Factory func(Params) (Detector, error)

// detectors maps detector ids to their factories.
var detectors = NewRegistry[Factory]("detect: detector")

// Register makes a detector factory available under id. It is called from
// the init function of each detector package. Registering the same id twice
// panics, as it is a programming error.
func Register(id string, f Factory) { detectors.Add(id, f) }

// Lookup returns the factory registered under id.
func Lookup(id string) (Factory, bool) { return detectors.Lookup(id) }

// IDs returns the registered detector ids, sorted.
func IDs() []string { return detectors.Names() }

// MaxMask bounds the stars Redact writes for the hidden middle of a span.
const MaxMask = 32

// Redact masks s for display: strings longer than 8 runes keep their first
// two and last two runes (line breaks among them shown as spaces) with at
// most MaxMask stars between; shorter ones are masked whole.
func Redact(s string) string {
	n := utf8.RuneCountInString(s)
	if n == 0 {
		return ""
	}
	if n <= 8 {
		return strings.Repeat("*", n)
	}
	// The first and last two runes are kept, everything between masked with
	// at most MaxMask stars, so an excerpt of a megabyte-long span (an encoded
	// blob) stays short in memory, the store and alert payloads; walking the
	// string avoids a []rune copy of long spans.
	var b strings.Builder
	b.Grow(min(n, MaxMask+4) + 12)
	i := 0
	for range 2 {
		r, size := utf8.DecodeRuneInString(s[i:])
		b.WriteRune(visible(r))
		i += size
	}
	for range min(n-4, MaxMask) {
		b.WriteByte('*')
	}
	j := len(s)
	for range 2 {
		_, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
	}
	for _, r := range s[j:] {
		b.WriteRune(visible(r))
	}
	return b.String()
}

// visible maps the line-breaking whitespace a redacted excerpt keeps to spaces.
func visible(r rune) rune {
	if r == '\n' || r == '\r' || r == '\t' {
		return ' '
	}
	return r
}

// Excerpt returns text[start:end] redacted, clamped to valid bounds.
func Excerpt(text string, start, end int) string {
	start, end = clamp(start, len(text)), clamp(end, len(text))
	if end < start {
		return ""
	}
	return Redact(text[start:end])
}

func clamp(i, n int) int {
	if i < 0 {
		return 0
	}
	if i > n {
		return n
	}
	return i
}

// String returns the parameter key as a string, or def.
func (p Params) String(key, def string) string {
	if v, ok := p[key].(string); ok {
		return v
	}
	return def
}

// Float returns the parameter key as a float64, or def when it is missing or not a number.
func (p Params) Float(key string, def float64) float64 {
	if f, ok := toFloat(p[key]); ok {
		return f
	}
	return def
}

// Int returns the parameter key as an int, or def when it is missing or not a number.
func (p Params) Int(key string, def int) int {
	if f, ok := toFloat(p[key]); ok {
		return int(f)
	}
	return def
}

// Bool returns the parameter key as a bool, or def when it is missing or not a bool.
func (p Params) Bool(key string, def bool) bool {
	if b, ok := p[key].(bool); ok {
		return b
	}
	return def
}

// Strings returns the parameter key as a list of strings. A single string is
// returned as a one-element list; missing keys return nil.
func (p Params) Strings(key string) []string {
	switch v := p[key].(type) {
	case string:
		return []string{v}
	case []string:
		return append([]string(nil), v...)
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			} else if e != nil {
				out = append(out, fmt.Sprint(e))
			}
		}
		return out
	}
	return nil
}

// FloatMap returns the parameter key as a map of floats, e.g.
// `thresholds: {PHONE: 0.6}`. Non-numeric values are skipped.
func (p Params) FloatMap(key string) map[string]float64 {
	out := map[string]float64{}
	switch v := p[key].(type) {
	case map[string]any:
		for k, e := range v {
			if f, ok := toFloat(e); ok {
				out[k] = f
			}
		}
	case map[string]float64:
		for k, e := range v {
			out[k] = e
		}
	case Params:
		for k, e := range v {
			if f, ok := toFloat(e); ok {
				out[k] = f
			}
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case uint:
		return float64(n), true
	}
	return 0, false
}
