// Package policy evaluates chat messages and access events against runtime
// security policies.
//
// A Config (YAML, or the embedded defaults) lists policies; each policy names
// a registered detector (package policy/detect/<name>), its parameters, the
// roles it applies to, a minimum score, a severity and an action. An Engine
// built from a Config runs the detectors over one message at a time: one
// Aho-Corasick keyword index over all detectors decides which detectors are
// worth running (gitleaks' prefilter), large messages are scanned in
// overlapping chunks so memory stays bounded, and a decode stage before the
// detectors (the registered detect.Decoders: package detect/encoded for
// base64, hex, percent-encoding and ROT13, as gitleaks' codec) recovers
// hidden content, which the detectors scan too, its findings mapped back to
// the encoded span.
//
// SessionEvaluator looks across the messages of one chat (repeated attacks,
// escalation after refusals, sensitive data piling up) and
// ActivityEvaluator across access events (external sharing, new IPs, bursts,
// admin changes).
package policy

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/coregx/ahocorasick"

	"github.com/claudit/claudit/internal/policy/detect"
)

// PolicyFinding is one detector finding attributed to the policy that ran it.
type PolicyFinding struct {
	Policy   string   `json:"policy"`
	Severity Severity `json:"severity"`
	// Action is the configured action; EffectiveAction is what claudit does
	// (block and modify become alert on past activity).
	Action          Action `json:"action"`
	EffectiveAction Action `json:"effective_action"`
	// Decoded names the encoding chain (e.g. "BASE64") when the finding was
	// made in decoded content; the span then covers the encoded text.
	Decoded string         `json:"decoded,omitempty"`
	Tag     string         `json:"tag"`
	Finding detect.Finding `json:"finding"`
}

// Result is the outcome of evaluating one input.
type Result struct {
	Findings []PolicyFinding `json:"findings"`
	// Tags are sorted and deduplicated: a fail tag per finding plus a pass
	// tag ("No PII") for each applicable policy without a hit.
	Tags []string `json:"tags"`
	// Version is the policy version the input was evaluated against.
	Version string `json:"version"`
}

// MaxSeverity returns the highest severity among the findings, or "" when none.
func (r Result) MaxSeverity() Severity {
	var best Severity
	for _, f := range r.Findings {
		if f.Severity.Rank() > best.Rank() {
			best = f.Severity
		}
	}
	return best
}

type compiledPolicy struct {
	Policy
	det     detect.Detector
	always  bool // no keywords: runs on every input
	passTag string
	failTag string
}

// Engine evaluates inputs against a fixed policy set. It is immutable after
// NewEngine and safe for concurrent use; swap engines with Reloadable.
type Engine struct {
	cfg      *Config
	version  string
	policies []compiledPolicy
	// passOrder lists the policies with a pass tag, sorted by it, so a
	// message's pass tags come out sorted.
	passOrder []int
	// kw finds the keywords, or ac when they need more states than kw
	// holds; both are nil without keywords.
	kw       *detect.Automaton
	ac       *ahocorasick.Automaton
	owners   [][]int // keyword pattern id -> policy indices
	nonASCII bool    // some keyword is not ASCII: lower-case with Unicode rules
	// sets are the detectors' KeywordSets, searched in the same pass as the
	// prefilter keywords; setWords maps a pattern id to its (set, word) pairs.
	sets     []*detect.KeywordSet
	setWords [][][2]int

	chunkSize, overlap int
	decoders           []detect.Decoder // the decode stage
	decodeDepth        int
	decodeBytes        int
	log                *slog.Logger
}

// Option tunes an Engine.
type Option func(*Engine)

// WithChunkSize sets the chunk size and overlap (bytes) for large inputs.
func WithChunkSize(size, overlap int) Option {
	return func(e *Engine) {
		if size > 0 {
			e.chunkSize = size
		}
		if overlap >= 0 && overlap < e.chunkSize {
			e.overlap = overlap
		}
	}
}

// WithDecoding bounds the re-scan of encoded content: nesting depth and total
// decoded bytes per input. A depth of 0 disables it.
func WithDecoding(maxDepth, maxBytes int) Option {
	return func(e *Engine) { e.decodeDepth, e.decodeBytes = maxDepth, maxBytes }
}

// WithLogger sets the logger for detector failures.
func WithLogger(l *slog.Logger) Option {
	return func(e *Engine) { e.log = l }
}

// Load builds an Engine from a policy file; an empty path uses the embedded defaults.
func Load(path string, opts ...Option) (*Engine, error) {
	cfg, err := LoadConfig(path)
	if err != nil {
		return nil, err
	}
	return NewEngine(cfg, opts...)
}

// NewEngine builds the detectors of cfg's policies and their keyword index.
func NewEngine(cfg *Config, opts ...Option) (*Engine, error) {
	e := &Engine{cfg: cfg, version: cfg.Version(), chunkSize: 256 << 10, overlap: 4 << 10,
		decoders: detect.Decoders(), decodeDepth: 2, decodeBytes: 1 << 20, log: slog.Default()}
	for _, o := range opts {
		o(e)
	}
	if e.overlap >= e.chunkSize {
		e.overlap = e.chunkSize / 4
	}
	var keywords []string
	kwIndex := map[string]int{}
	addKeyword := func(k string) int {
		id, seen := kwIndex[k]
		if !seen {
			id = len(keywords)
			kwIndex[k] = id
			keywords = append(keywords, k)
			e.owners = append(e.owners, nil)
			e.setWords = append(e.setWords, nil)
			if !detect.IsASCII(k) {
				e.nonASCII = true
			}
		}
		return id
	}
	for _, p := range cfg.Policies {
		// Params edited outside a policy file (the dashboard) are checked
		// here, disabled policies too, so a typo is refused when made.
		if err := detect.CheckParams(p.Detector, p.Params); err != nil {
			return nil, fmt.Errorf("policy %q: %w", p.Name, err)
		}
		if !p.Enabled {
			continue
		}
		factory, ok := detect.Lookup(p.Detector)
		if !ok {
			return nil, fmt.Errorf("policy %q: detector %q is not registered", p.Name, p.Detector)
		}
		det, err := factory(p.Params)
		if err != nil {
			return nil, fmt.Errorf("policy %q: build detector %s: %w", p.Name, p.Detector, err)
		}
		cp := compiledPolicy{Policy: p, det: det, passTag: p.PassTag, failTag: p.FailTag}
		if cp.passTag == "" {
			cp.passTag = DefaultPassTag(p.Detector)
		}
		if cp.failTag == "" {
			cp.failTag = DefaultFailTag(p.Detector)
		}
		kws := det.Keywords()
		cp.always = len(kws) == 0
		idx := len(e.policies)
		e.policies = append(e.policies, cp)
		for _, k := range kws {
			k = strings.ToLower(k)
			if k == "" {
				continue
			}
			id := addKeyword(k)
			if !slices.Contains(e.owners[id], idx) {
				e.owners[id] = append(e.owners[id], idx)
			}
		}
		if ku, ok := det.(detect.KeywordUser); ok {
			for _, set := range ku.KeywordSets() {
				if set == nil || slices.Contains(e.sets, set) {
					continue
				}
				for w, k := range set.Words() {
					id := addKeyword(k)
					e.setWords[id] = append(e.setWords[id], [2]int{len(e.sets), w})
				}
				e.sets = append(e.sets, set)
			}
		}
	}
	for i, p := range e.policies {
		if p.passTag != "" {
			e.passOrder = append(e.passOrder, i)
		}
	}
	slices.SortStableFunc(e.passOrder, func(a, b int) int {
		return strings.Compare(e.policies[a].passTag, e.policies[b].passTag)
	})
	if len(keywords) > 0 {
		if kw, ok := detect.NewAutomaton(keywords); ok {
			e.kw = kw
		} else {
			ac, err := ahocorasick.NewBuilder().AddStrings(keywords).Build()
			if err != nil {
				return nil, fmt.Errorf("build keyword index: %w", err)
			}
			e.ac = ac
		}
	}
	return e, nil
}

// Version returns the version of the policy set the engine runs.
func (e *Engine) Version() string { return e.version }

// Config returns the configuration the engine was built from.
func (e *Engine) Config() *Config { return e.cfg }

// Policies returns the enabled policies, in config order.
func (e *Engine) Policies() []Policy {
	out := make([]Policy, len(e.policies))
	for i, p := range e.policies {
		out[i] = p.Policy
	}
	return out
}

// evaluation is the per-call working memory of Evaluate, pooled because
// it runs once per message: which policies apply, which the prefilter lets
// run, and the memo of the top-level text.
type evaluation struct {
	applicable, run, hit []bool
	memo                 detect.Memo
	// index holds a chunk's keyword matches; chunks and decoded texts are
	// scanned one after another, each done with it before the next.
	index  detect.KeywordIndex
	counts []int
	// hits holds a text's keyword occurrences while prefilter reads them.
	hits []detect.Match
}

var evaluationPool = sync.Pool{New: func() any { return new(evaluation) }}

// Evaluate runs every applicable policy over in and returns the findings and tags.
func (e *Engine) Evaluate(ctx context.Context, in detect.Input) Result {
	res := Result{Version: e.version}
	ev := evaluationPool.Get().(*evaluation)
	defer evaluationPool.Put(ev)
	applicable := resetBools(&ev.applicable, len(e.policies))
	anyApplies := false
	for i := range e.policies {
		applicable[i] = e.policies[i].AppliesTo(in.Role, in.Groups)
		anyApplies = anyApplies || applicable[i]
	}
	if !anyApplies {
		return res
	}
	// One memo for the whole input when it is scanned in one chunk, so the
	// detectors reuse what the decode stage found (the encoded spans).
	in.Memo = &ev.memo
	decoded := e.decode(in)
	res.Findings = e.scan(ctx, in, applicable, ev)
	if ctx.Err() == nil {
		res.Findings = append(res.Findings, e.scanDecoded(ctx, in, decoded, applicable, ev)...)
	}
	in.Memo.Release()
	res.Findings = dedupe(res.Findings)
	res.Tags = e.tags(applicable, res.Findings, ev)
	return res
}

// resetBools returns (*b)[:n] all false, growing *b when it is too short.
func resetBools(b *[]bool, n int) []bool {
	if cap(*b) < n {
		*b = make([]bool, n)
	}
	s := (*b)[:n]
	clear(s)
	return s
}

// decode is the stage before the detectors: the texts the registered
// decoders recover from in, within the engine's depth and size bounds.
func (e *Engine) decode(in detect.Input) []detect.Decoded {
	if e.decodeDepth <= 0 {
		return nil
	}
	var out []detect.Decoded
	for _, d := range e.decoders {
		out = append(out, d(in, e.decodeDepth, e.decodeBytes)...)
	}
	return out
}

// scan runs the applicable policies over in.Text, in chunks when it is
// large; findings are marked with in.Decoded.
func (e *Engine) scan(ctx context.Context, in detect.Input, applicable []bool, ev *evaluation) []PolicyFinding {
	text := in.Text
	var out []PolicyFinding
	for start := 0; start < len(text); {
		if ctx.Err() != nil {
			return out
		}
		end := chunkEnd(text, start, e.chunkSize)
		sub := in
		sub.Text = text[start:end]
		if start > 0 || end < len(text) || sub.Memo == nil {
			sub.Memo = new(detect.Memo)
		}
		for _, f := range e.scanChunk(ctx, sub, applicable, ev) {
			f.Finding.Start += start
			f.Finding.End += start
			f.Decoded = in.Decoded
			out = append(out, f)
		}
		if sub.Memo != in.Memo {
			sub.Memo.Release()
		}
		if end >= len(text) {
			break
		}
		// Step back by the overlap so matches across the cut are seen whole.
		next := chunkStart(text, end-e.overlap)
		if next <= start {
			next = end
		}
		start = next
	}
	return out
}

// chunkEnd picks the end of a chunk at most size bytes from start, preferring
// a line break or space in the last eighth and never splitting a rune.
func chunkEnd(text string, start, size int) int {
	end := start + size
	if end >= len(text) {
		return len(text)
	}
	floor := end - size/8
	if i := strings.LastIndexAny(text[floor:end], "\n "); i >= 0 {
		return floor + i + 1
	}
	for end > start && !utf8.RuneStart(text[end]) {
		end--
	}
	return end
}

func chunkStart(text string, i int) int {
	for i > 0 && i < len(text) && !utf8.RuneStart(text[i]) {
		i--
	}
	return max(i, 0)
}

// scanChunk runs the policies whose keywords occur in the chunk. The chunk
// is lower-cased once here and handed to every detector in in.Lower.
func (e *Engine) scanChunk(ctx context.Context, in detect.Input, applicable []bool, ev *evaluation) []PolicyFinding {
	in.Lower = detect.LowerASCII(in.Text)
	run := e.prefilter(&in, applicable, resetBools(&ev.run, len(e.policies)), ev)
	var out []PolicyFinding
	for i := range e.policies {
		if !run[i] || ctx.Err() != nil {
			continue
		}
		p := &e.policies[i]
		for _, f := range e.detect(ctx, p, in) {
			if f.Score < p.Threshold {
				continue
			}
			out = append(out, PolicyFinding{Policy: p.Name, Severity: p.Severity, Action: p.Action,
				EffectiveAction: p.Action.Effective(), Tag: renderTag(p.failTag, p.Detector, f.Entity), Finding: f})
		}
	}
	return out
}

// detect calls one detector, turning a panic into a logged empty result so
// one bad detector cannot take the service down.
func (e *Engine) detect(ctx context.Context, p *compiledPolicy, in detect.Input) (fs []detect.Finding) {
	defer func() {
		if r := recover(); r != nil {
			e.log.Error("detector panicked", "policy", p.Name, "detector", p.Detector, "panic", r)
			fs = nil
		}
	}()
	fs = p.det.Detect(ctx, in)
	// Guard the span contract so callers can slice safely.
	out := fs[:0]
	for _, f := range fs {
		if f.Start >= 0 && f.End <= len(in.Text) && f.Start <= f.End {
			out = append(out, f)
		}
	}
	return out
}

// prefilter returns which policies to run on in: applicable ones that
// either have no keywords or whose keyword occurs. The same pass over the
// text fills in.Index with the detectors' KeywordSets, unless the keywords
// need Unicode lower-casing, whose offsets differ from the text's: then a
// second pass over in.LowerText() fills it, the text KeywordSet.Find
// would search set by set.
func (e *Engine) prefilter(in *detect.Input, applicable, run []bool, ev *evaluation) []bool {
	in.Index = nil // an index of another text (the parent of a decoded one) does not apply
	need := false
	for i := range e.policies {
		if applicable[i] {
			always := e.policies[i].always
			run[i] = always
			need = need || !always
		}
	}
	if !need && len(e.sets) == 0 || e.kw == nil && e.ac == nil {
		return run
	}
	if e.nonASCII && !detect.IsASCII(in.Text) {
		for _, m := range e.findKeywords(ev, []byte(strings.ToLower(in.Text)), false) {
			for _, i := range e.owners[m.Word] {
				run[i] = applicable[i]
			}
		}
		if e.kw != nil && len(e.sets) > 0 {
			// One pass for all the sets rather than one per set.
			ev.hits = e.kw.AppendMatches(ev.hits[:0], detect.Bytes(in.LowerText()))
			e.index(in, ev, ev.hits)
		}
		return run
	}
	// The text is ASCII here, or all the keywords are.
	hits := e.findKeywords(ev, detect.Bytes(in.LowerText()), true)
	for _, m := range hits {
		for _, i := range e.owners[m.Word] {
			run[i] = applicable[i]
		}
	}
	if len(e.sets) > 0 {
		e.index(in, ev, hits)
	}
	return run
}

// index fills in.Index, in ev's storage, with the hits of the
// KeywordSets' words among hits, the keywords found in in.LowerText().
func (e *Engine) index(in *detect.Input, ev *evaluation, hits []detect.Match) {
	index := &ev.index
	index.Reset(e.sets)
	if cap(ev.counts) < len(e.sets) {
		ev.counts = make([]int, len(e.sets))
	}
	counts := ev.counts[:len(e.sets)]
	clear(counts)
	for _, m := range hits {
		for _, sw := range e.setWords[m.Word] {
			counts[sw[0]]++
		}
	}
	index.Reserve(counts)
	for _, m := range hits {
		for _, sw := range e.setWords[m.Word] {
			index.Add(sw[0], sw[1], m.Start, m.End)
		}
	}
	in.Index = index
}

// findKeywords returns the occurrences of the engine's keywords in text,
// in ev's storage: valid until the next call. ascii: text is ASCII.
func (e *Engine) findKeywords(ev *evaluation, text []byte, ascii bool) []detect.Match {
	if e.kw != nil && ascii {
		ev.hits = e.kw.AppendMatchesASCII(ev.hits[:0], text)
		return ev.hits
	}
	if e.kw != nil {
		ev.hits = e.kw.AppendMatches(ev.hits[:0], text)
		return ev.hits
	}
	ev.hits = ev.hits[:0]
	for _, m := range e.ac.FindAllOverlapping(text) {
		ev.hits = append(ev.hits, detect.Match{Word: m.PatternID, Start: m.Start, End: m.End})
	}
	return ev.hits
}

// scanDecoded scans the texts the decode stage recovered from in, mapping
// findings onto the encoded span.
func (e *Engine) scanDecoded(ctx context.Context, in detect.Input, decoded []detect.Decoded, applicable []bool, ev *evaluation) []PolicyFinding {
	var out []PolicyFinding
	for _, d := range decoded {
		if ctx.Err() != nil {
			break
		}
		sub := in
		sub.Text, sub.Memo, sub.Decoded = d.Text, nil, d.Kind
		for _, f := range e.scan(ctx, sub, applicable, ev) {
			f.Finding.Start, f.Finding.End = d.Start, d.End
			f.Finding.Excerpt = detect.Excerpt(in.Text, d.Start, d.End)
			out = append(out, f)
		}
	}
	return out
}

// dedupe merges findings of the same policy and entity whose spans overlap
// (chunk overlaps, decoded re-scans), keeping the highest score and longest span.
func dedupe(fs []PolicyFinding) []PolicyFinding {
	if len(fs) < 2 {
		return fs
	}
	slices.SortStableFunc(fs, func(a, b PolicyFinding) int {
		if c := strings.Compare(a.Policy, b.Policy); c != 0 {
			return c
		}
		if c := strings.Compare(a.Finding.Entity, b.Finding.Entity); c != 0 {
			return c
		}
		return cmp.Compare(a.Finding.Start, b.Finding.Start)
	})
	out := fs[:1]
	for _, f := range fs[1:] {
		last := &out[len(out)-1]
		if f.Policy == last.Policy && f.Finding.Entity == last.Finding.Entity && f.Finding.Start < last.Finding.End {
			if f.Finding.End-f.Finding.Start > last.Finding.End-last.Finding.Start || f.Finding.Score > last.Finding.Score {
				*last = f
			}
			continue
		}
		out = append(out, f)
	}
	slices.SortStableFunc(out, func(a, b PolicyFinding) int { return cmp.Compare(a.Finding.Start, b.Finding.Start) })
	return out
}

// tags returns fail tags of the findings and pass tags of applicable
// policies without a hit; a pass tag is dropped if another policy sharing
// it failed.
func (e *Engine) tags(applicable []bool, fs []PolicyFinding, ev *evaluation) []string {
	// A handful of policies and findings per message: slices, not maps.
	hit := resetBools(&ev.hit, len(e.policies))
	out := make([]string, 0, len(e.policies)+len(fs))
	for _, f := range fs {
		for i := range e.policies {
			if e.policies[i].Name == f.Policy {
				hit[i] = true
			}
		}
		if f.Tag != "" {
			out = append(out, f.Tag)
		}
	}
	var failedPass []string
	for i := range e.policies {
		if p := &e.policies[i]; applicable[i] && hit[i] {
			failedPass = append(failedPass, p.passTag)
			out = append(out, p.Tags...)
		}
	}
	failed := len(out)
	for _, i := range e.passOrder {
		if p := &e.policies[i]; applicable[i] && !hit[i] && !slices.Contains(failedPass, p.passTag) {
			out = append(out, p.passTag)
		}
	}
	// Without findings (most messages) the pass tags are all there is, and
	// passOrder has them sorted already.
	if failed > 0 {
		slices.Sort(out)
	}
	return slices.Compact(out)
}
