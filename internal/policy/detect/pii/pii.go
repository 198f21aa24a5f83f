// Package pii detects personal data in chat text (detector id "pii").
//
// Method: each entity has a recognizer that finds candidates with a regular
// expression and, where the format allows, validates them: phone numbers with
// libphonenumber (github.com/nyaruka/phonenumbers), card numbers with the
// Luhn checksum, IBANs with ISO 7064 mod-97, US SSNs with the area, group and
// serial ranges the SSA never issues, IP addresses with net/netip and legacy
// Bitcoin addresses with their base58check checksum. A candidate gets a base
// score per entity which is raised when an entity's context words (data/
// context.txt, e.g. "call me" for PHONE) occur within a window of characters
// around it, and lowered for well-known test values (data/test_values.txt)
// and documentation ranges. Dates of birth, passports and driver licences are
// reported only with a context word, because their formats alone match far
// too much.
//
// PERSON, STREET_ADDRESS and PHONE also have a learned recognizer
// (learned.go, model.go): candidate spans (capitalised word runs, numbers
// with the words after them, digit runs) scored by an embedded logistic
// model, model/pii.bin, rebuilt by `go run ./tools/trainpii` from the
// row-labelled eval data; model/pii.manifest.json records its data, seed and
// test figures. Its findings have the same shape as the rules' with Source
// "model" (the rules' say "rule"); where both find the same span the
// higher score wins.
//
// Limits: the learned recognizer tells names from other capitalised words
// by their look and the words around them, with no list of names or
// places, so place, product and organisation names can be reported as
// PERSON and lower-case names are missed. Addresses need a number; phone
// numbers need 7 to 15 digits. Passport and licence numbers are not
// validated against issuer formats.
package pii

import (
	"bufio"
	"context"
	"crypto/sha256"
	"embed"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "pii"

// Entity names reported by this detector.
const (
	Email         = "EMAIL"
	Phone         = "PHONE"
	CreditCard    = "CREDIT_CARD"
	IBAN          = "IBAN"
	USSSN         = "US_SSN"
	IPAddress     = "IP_ADDRESS"
	CryptoWallet  = "CRYPTO_WALLET"
	DateOfBirth   = "DATE_OF_BIRTH"
	Passport      = "PASSPORT"
	DriverLicense = "DRIVER_LICENSE"
	Person        = "PERSON"
	StreetAddress = "STREET_ADDRESS"
)

// Entities lists every entity this detector can report.
var Entities = []string{Email, Phone, CreditCard, IBAN, USSSN, IPAddress, CryptoWallet,
	DateOfBirth, Passport, DriverLicense, Person, StreetAddress}

//go:embed data/*.txt
var dataFS embed.FS

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	Entities      []string           `yaml:"entities"`
	Threshold     float64            `yaml:"threshold"`
	Thresholds    map[string]float64 `yaml:"thresholds"`
	ContextWindow int                `yaml:"context_window"`
	Region        string             `yaml:"region"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

// Detector finds personal data. It is safe for concurrent use.
type Detector struct {
	enabled map[string]bool
	// runs[i] is enabled[recognizers[i].entity], looked up once.
	runs          [numRecognizers]bool
	thresholds    map[string]float64
	region        string
	contextWindow int
	context       map[string][]string
	testValues    map[string]bool
	streetRe      *regexp.Regexp
	// streetAt is streetRe anchored at the start, run only where a match
	// can begin (see streets).
	streetAt *regexp.Regexp
	// suffixes are the street-type words, lower case.
	suffixes map[string]bool
	// cues finds, in one pass over the lower-cased text, every word the
	// gates and the person recognizer look for; cueIDs maps a word to its
	// pattern id.
	cues   *detect.KeywordSet
	cueIDs map[string]int
	// The word lists the gates and the person recognizer ask a scan's
	// cueSet about, as pattern ids, so that asking hashes nothing.
	personCueIDs, dobCueIDs, passportCueIDs, licenceCueIDs cueList
	nameCueIDs, honorificIDs                               cueList
	// learned is the embedded model for PERSON, STREET_ADDRESS and PHONE.
	learned *learned
	// scanKey is the interned key of this detector's scans in detect.Memo.
	scanKey *scanKey
}

// New builds a PII detector. Params:
//
//	entities: [EMAIL, PHONE]       entities to report (default all)
//	thresholds: {PHONE: 0.6}       minimum score per entity (default "threshold")
//	threshold: 0.5                 minimum score for entities without their own
//	region: US                     default region for numbers without +country code
//	context_window: 48             characters searched either side for context words
func New(p detect.Params) (detect.Detector, error) {
	d := &Detector{
		enabled:       map[string]bool{},
		thresholds:    map[string]float64{},
		region:        strings.ToUpper(p.String("region", "US")),
		contextWindow: p.Int("context_window", 48),
	}
	d.scanKey = internScanKey(scanKey{region: d.region, window: d.contextWindow})
	known := map[string]bool{}
	for _, e := range Entities {
		known[e] = true
	}
	ents := p.Strings("entities")
	if len(ents) == 0 {
		ents = Entities
	}
	for _, e := range ents {
		e = strings.ToUpper(strings.TrimSpace(e))
		if !known[e] {
			return nil, fmt.Errorf("pii: unknown entity %q (known: %s)", e, strings.Join(Entities, ", "))
		}
		d.enabled[e] = true
	}
	for i, r := range recognizers {
		d.runs[i] = d.enabled[r.entity]
	}
	def := p.Float("threshold", 0.5)
	for _, e := range Entities {
		d.thresholds[e] = def
	}
	for k, v := range p.FloatMap("thresholds") {
		k = strings.ToUpper(k)
		if !known[k] {
			return nil, fmt.Errorf("pii: thresholds: unknown entity %q", k)
		}
		d.thresholds[k] = v
	}
	var err error
	if d.context, err = loadContext(); err != nil {
		return nil, err
	}
	if d.testValues, err = loadSet("data/test_values.txt", false); err != nil {
		return nil, err
	}
	suffixes, err := loadSet("data/street_suffixes.txt", true)
	if err != nil {
		return nil, err
	}
	d.suffixes = suffixes
	alts := make([]string, 0, len(suffixes))
	for s := range suffixes {
		alts = append(alts, regexp.QuoteMeta(s))
	}
	// Longest first so "street" wins over "st".
	sort.Slice(alts, func(i, j int) bool {
		return len(alts[i]) > len(alts[j]) || len(alts[i]) == len(alts[j]) && alts[i] < alts[j]
	})
	street := `\b\d{1,6}[A-Za-z]?,?\s+(?:[A-Z][\p{L}'’-]*\.?\s+){1,4}(?i:` + strings.Join(alts, "|") + `)\b\.?`
	d.streetRe = regexp.MustCompile(street)
	if !strings.ContainsAny(strings.Join(alts, ""), " \t\n\f\r") {
		d.streetAt = regexp.MustCompile(`^(?:` + street + `)`)
	}
	if err := d.buildCues(); err != nil {
		return nil, err
	}
	if d.learned, err = loadLearned(); err != nil {
		return nil, fmt.Errorf("pii: load model: %w", err)
	}
	return d, nil
}

// buildCues indexes the gate words (person cues, context words of the
// entities that need context), the name cues and the honorifics.
func (d *Detector) buildCues() error {
	d.cueIDs = map[string]int{}
	var words []string
	add := func(ws ...string) {
		for _, w := range ws {
			w = strings.ToLower(w)
			if _, ok := d.cueIDs[w]; !ok && w != "" {
				d.cueIDs[w] = len(words)
				words = append(words, w)
			}
		}
	}
	add(personCues...)
	add(nameCues...)
	add(honorifics...)
	for _, e := range []string{DateOfBirth, Passport, DriverLicense} {
		add(d.context[e]...)
	}
	cues, err := detect.NewKeywordSet(words)
	if err != nil {
		return fmt.Errorf("pii: cue words: %w", err)
	}
	d.cues = cues
	d.personCueIDs = d.cueList(personCues)
	d.dobCueIDs = d.cueList(d.context[DateOfBirth])
	d.passportCueIDs = d.cueList(d.context[Passport])
	d.licenceCueIDs = d.cueList(d.context[DriverLicense])
	d.nameCueIDs = d.cueList(nameCues)
	lower := make([]string, len(honorifics))
	for i, h := range honorifics {
		lower[i] = strings.ToLower(h)
	}
	d.honorificIDs = d.cueList(lower)
	return nil
}

// cueList is a word list as cue pattern ids, -1 for a word that is not
// indexed (which cueSet.hasID reports present).
type cueList []int

// cueList looks words up in the cue index once, at construction.
func (d *Detector) cueList(words []string) cueList {
	l := make(cueList, len(words))
	for i, w := range words {
		id, ok := d.cueIDs[w]
		if !ok {
			id = -1
		}
		l[i] = id
	}
	return l
}

// cueSet records which indexed cue words occur in a lower-cased text.
type cueSet struct {
	present []bool
}

// findCues fills buf, when it has the room, as the cueSet's slice.
func (d *Detector) findCues(in detect.Input, buf []bool) cueSet {
	if cap(buf) < len(d.cueIDs) {
		buf = make([]bool, len(d.cueIDs))
	}
	cs := cueSet{present: buf[:len(d.cueIDs)]}
	clear(cs.present)
	for _, m := range d.cues.Find(in) {
		cs.present[m.Word] = true
	}
	return cs
}

// KeywordSets implements detect.KeywordUser: the cue words.
func (d *Detector) KeywordSets() []*detect.KeywordSet { return []*detect.KeywordSet{d.cues} }

// hasID reports whether the cue word with pattern id id occurs; a word
// that is not indexed (-1, see cueList) counts as present, so callers fall
// back to searching.
func (cs cueSet) hasID(id int) bool {
	return id < 0 || cs.present[id]
}

// hasAnyID reports whether any word of l occurs.
func (cs cueSet) hasAnyID(l cueList) bool {
	for _, id := range l {
		if cs.hasID(id) {
			return true
		}
	}
	return false
}

// ID returns "pii".
func (d *Detector) ID() string { return ID }

// Keywords returns nil: personal data has no reliable keyword, so the detector always runs.
func (d *Detector) Keywords() []string { return nil }

// candidate is a recognizer's raw match before context scoring.
type candidate struct {
	entity     string
	start, end int
	score      float64
	// needsContext drops the candidate unless a context word is near.
	needsContext bool
	// learned marks a score from the model, which has seen the context
	// already: no context word bonus.
	learned bool
}

// Detect returns PII findings in in.Text, overlapping matches resolved in
// favour of the higher score.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if in.Text == "" {
		return nil
	}
	sc := detect.Memoize(in, d.scanKey, func() *scan { return d.newScan(in) })
	var out []detect.Finding
	for i, r := range recognizers {
		if ctx.Err() != nil {
			return nil
		}
		if !d.runs[i] || !r.gate(&sc.gates) {
			continue
		}
		for _, f := range sc.scored(d, i) {
			if f.Score >= d.thresholds[f.Entity] {
				out = append(out, f)
			}
		}
	}
	return resolveOverlaps(out)
}

// scanKey names a text's scan in detect.Memo: policies of this detector
// with the same region and context window share one, whatever entities and
// thresholds they report.
type scanKey struct {
	region string
	window int
}

// scanKeys interns scanKeys: detect.Memo compares keys as interfaces, and
// a pointer, unlike a struct, goes in one without an allocation.
var scanKeys sync.Map // scanKey -> *scanKey

func internScanKey(k scanKey) *scanKey {
	v, _ := scanKeys.LoadOrStore(k, &k)
	return v.(*scanKey)
}

// scan is the work on one text shared by the pii policies scanning it: the
// gates, and each recognizer's scored findings once it has run.
type scan struct {
	text, lower string
	cues        cueSet
	gates       gates
	done        [numRecognizers]bool
	found       [numRecognizers][]detect.Finding
	// model is the text tokenized for the learned recognizer, made on
	// first use.
	model *textFeatures
	// phoneChecks memoizes libphonenumber's verdicts for the text, shared
	// by the phone rule and the model's phone features.
	phoneChecks phoneChecks
	// pooled: the scan comes from scanPool, model from textFeaturesPool,
	// and both go back when the input's memo is released.
	pooled bool
	// release is recycle, bound once per pooled scan and kept across uses.
	release func()
}

// scanPool recycles scans, with their slices, from one memo to the next.
var scanPool = sync.Pool{New: func() any { return new(scan) }}

// recycle returns the scan's textFeatures buffers to their pool, and the
// scan, emptied but with its slices, to its own.
func (sc *scan) recycle() {
	if !sc.pooled {
		return
	}
	if tf := sc.model; tf != nil {
		*tf = textFeatures{toks: tf.toks[:0], wordHash: tf.wordHash[:0], common: tf.common[:0], feats: tf.feats[:0]}
		textFeaturesPool.Put(tf)
	}
	for i := range sc.found {
		clear(sc.found[i])
		sc.found[i] = sc.found[i][:0]
	}
	clear(sc.phoneChecks.keys)
	clear(sc.phoneChecks.checks)
	*sc = scan{
		cues:        cueSet{present: sc.cues.present[:0]},
		gates:       gates{digits: sc.gates.digits[:0], short: sc.gates.short[:0], ibanStarts: sc.gates.ibanStarts[:0]},
		found:       sc.found,
		phoneChecks: phoneChecks{keys: sc.phoneChecks.keys[:0], checks: sc.phoneChecks.checks[:0]},
		release:     sc.release,
	}
	scanPool.Put(sc)
}

// recognizer finds one entity's candidates where its gate lets it run.
type recognizer struct {
	entity string
	gate   func(*gates) bool
	find   func(*Detector, *scan) []candidate
}

// numRecognizers is the length of recognizers.
const numRecognizers = 16

// recognizers run in this order; their findings are scored in scan.scored.
var recognizers = [numRecognizers]recognizer{
	{Email, func(g *gates) bool { return g.at }, func(d *Detector, sc *scan) []candidate { return d.emails(sc.text) }},
	{CreditCard, func(g *gates) bool { return len(g.digits) > 0 }, func(d *Detector, sc *scan) []candidate { return windowed(sc.text, sc.gates.digits, 13, d.cards) }},
	{IBAN, func(g *gates) bool { return len(g.ibanStarts) > 0 }, func(d *Detector, sc *scan) []candidate { return d.ibans(sc.text, sc.gates.ibanStarts) }},
	{USSSN, func(g *gates) bool { return len(g.digits) > 0 }, func(d *Detector, sc *scan) []candidate { return windowed(sc.text, sc.gates.digits, 9, d.ssns) }},
	{IPAddress, func(g *gates) bool { return len(g.short) > 0 }, func(d *Detector, sc *scan) []candidate { return windowed(sc.text, sc.gates.short, 4, d.ipv4s) }},
	{IPAddress, func(g *gates) bool { return g.colon }, func(d *Detector, sc *scan) []candidate { return d.ipv6s(sc.text) }},
	// Every wallet shape holds a digit: 0x…, bc1…, or base58 from 1 or 3.
	{CryptoWallet, func(g *gates) bool { return g.anyDigit }, func(d *Detector, sc *scan) []candidate { return d.wallets(sc.text) }},
	{Phone, func(g *gates) bool { return len(g.digits) > 0 }, func(d *Detector, sc *scan) []candidate {
		return windowed(sc.text, sc.gates.digits, 7, func(t string) []candidate { return d.phones(t, &sc.phoneChecks) })
	}},
	{DateOfBirth, func(g *gates) bool { return g.dob && len(g.short) > 0 }, func(d *Detector, sc *scan) []candidate { return d.dates(sc.text) }},
	{Passport, func(g *gates) bool { return g.passport }, func(d *Detector, sc *scan) []candidate { return d.passports(sc.text) }},
	{DriverLicense, func(g *gates) bool { return g.licence }, func(d *Detector, sc *scan) []candidate { return d.licences(sc.text) }},
	{Person, func(g *gates) bool { return g.person }, func(d *Detector, sc *scan) []candidate { return d.persons(sc.text, sc.lower, sc.cues) }},
	{StreetAddress, func(g *gates) bool { return g.anyDigit }, func(d *Detector, sc *scan) []candidate { return d.streets(sc.text) }},
	{Person, func(g *gates) bool { return g.capital }, func(d *Detector, sc *scan) []candidate { return d.modelCandidates(sc, modelPerson) }},
	{StreetAddress, func(g *gates) bool { return g.anyDigit }, func(d *Detector, sc *scan) []candidate { return d.modelCandidates(sc, modelStreet) }},
	{Phone, func(g *gates) bool { return len(g.digits) > 0 }, func(d *Detector, sc *scan) []candidate { return d.modelCandidates(sc, modelPhone) }},
}

func (d *Detector) newScan(in detect.Input) *scan {
	text := in.Text
	var sc *scan
	if in.Memo == nil {
		sc = new(scan)
	} else {
		sc = scanPool.Get().(*scan)
		sc.pooled = true
		if sc.release == nil {
			sc.release = sc.recycle
		}
		in.Memo.OnRelease(sc.release)
	}
	sc.text, sc.lower = text, in.LowerText()
	sc.cues = d.findCues(in, sc.cues.present)
	nums := digitWindows(text, numbers{long: sc.gates.digits, short: sc.gates.short, ibanStarts: sc.gates.ibanStarts})
	sc.gates = gates{
		at:         strings.IndexByte(text, '@') >= 0,
		digits:     nums.long,
		short:      nums.short,
		anyDigit:   nums.anyDigit,
		ibanStarts: nums.ibanStarts,
		colon:      strings.Count(text, ":") >= 2,
		capital:    hasCapital(text),
		person:     sc.cues.hasAnyID(d.personCueIDs),
		dob:        sc.cues.hasAnyID(d.dobCueIDs),
		passport:   sc.cues.hasAnyID(d.passportCueIDs),
		licence:    sc.cues.hasAnyID(d.licenceCueIDs),
	}
	return sc
}

// scored runs recognizer i once and returns its candidates scored with
// context and test values, clamped to [0,1]: the score before any policy's
// threshold.
func (sc *scan) scored(d *Detector, i int) []detect.Finding {
	if sc.done[i] {
		return sc.found[i]
	}
	sc.done[i] = true
	text := sc.text
	for _, c := range recognizers[i].find(d, sc) {
		score := c.score
		// The model has weighed the context already; test values are
		// numbers, which only its phones can be.
		if !c.learned {
			hasCtx := d.nearContext(sc.lower, c.entity, c.start, c.end)
			if c.needsContext && !hasCtx {
				continue
			}
			if hasCtx && !c.needsContext {
				score += 0.35
			}
		}
		if (!c.learned || c.entity == Phone) && d.isTestValue(text[c.start:c.end]) {
			score -= 0.4
		}
		source := detect.SourceRule
		if c.learned {
			source = detect.SourceModel
		}
		sc.found[i] = append(sc.found[i], detect.Finding{
			Detector: ID, Entity: c.entity, Start: c.start, End: c.end,
			Score: min(max(score, 0), 1), Excerpt: detect.Excerpt(text, c.start, c.end),
			Source: source,
		})
	}
	return sc.found[i]
}

// gates are cheap facts about the text that decide which recognizers are
// worth their regexes (the keyword prefilter idea, per entity).
type gates struct {
	at, anyDigit, colon, person bool
	capital                     bool // an upper-case ASCII letter or a non-ASCII byte
	dob, passport, licence      bool // a context word of the entity occurs
	digits, short               []digitWindow
	ibanStarts                  []int // two capitals then two digits
}

var personCues = []string{"name", "mr", "ms", "mrs", "miss", "dr", "prof", "sir", "madam", "regards", "sincerely", "signed", "cheers", "thanks", "this is", "i am called"}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// digitWindows returns spans of runs of digits and number punctuation
// (space - . ( ) + /) holding at least 7 digits, and those holding at least
// 3, widened by one byte each side so word-boundary checks in the regexes
// still see the context. It also records where two capitals are followed
// by two digits (the start of an IBAN) and whether the text has a digit.
func digitWindows(text string, n numbers) numbers {
	// n's slices are storage to reuse.
	n = numbers{long: n.long[:0], short: n.short[:0], ibanStarts: n.ibanStarts[:0]}
	for i := 0; i < len(text); {
		// Most of a text has no digit: skip to the next one.
		for i < len(text) && !isDigit(text[i]) {
			i++
		}
		if i == len(text) {
			break
		}
		n.anyDigit = true
		start, digits, lastDigit := i, 0, i
		for ; i < len(text); i++ {
			c := text[i]
			if isDigit(c) {
				if digits == 0 || lastDigit < i-1 {
					// The first digit of a run of digits.
					if i >= 2 && i+1 < len(text) && isDigit(text[i+1]) && isUpper(text[i-1]) && isUpper(text[i-2]) {
						n.ibanStarts = append(n.ibanStarts, i-2)
					}
				}
				digits++
				lastDigit = i
				continue
			}
			if !numberPunct[c] || i-lastDigit > 2 {
				break
			}
		}
		if digits >= 3 {
			w := digitWindow{max(start-1, 0), min(lastDigit+2, len(text)), digits}
			n.short = append(n.short, w)
			if digits >= 7 {
				n.long = append(n.long, w)
			}
		}
		// The byte that ended the window is not a digit; go on after it.
		i = max(i, lastDigit+1)
	}
	return n
}

// numbers is what digitWindows finds in a text.
type numbers struct {
	long, short []digitWindow // windows with 7 and with 3 digits or more
	ibanStarts  []int         // two capitals then two digits
	anyDigit    bool
}

// numberPunct marks the bytes digitWindows lets into a number.
var numberPunct = [256]bool{' ': true, '-': true, '.': true, '(': true, ')': true, '+': true, '/': true}

// digitWindow is a span of text around a run of digits and number
// punctuation, with the number of digits in it.
type digitWindow struct{ start, end, digits int }

// windowed runs fn on each window of text holding at least minDigits
// digits (fewer cannot make the entity) and shifts its candidates back.
func windowed(text string, windows []digitWindow, minDigits int, fn func(string) []candidate) []candidate {
	var out []candidate
	for _, w := range windows {
		if w.digits < minDigits {
			continue
		}
		for _, c := range fn(text[w.start:w.end]) {
			c.start += w.start
			c.end += w.start
			out = append(out, c)
		}
	}
	return out
}

// resolveOverlaps keeps, of findings that overlap, the one with the highest
// score (then the longest).
func resolveOverlaps(fs []detect.Finding) []detect.Finding {
	if len(fs) < 2 {
		return fs
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Score != fs[j].Score {
			return fs[i].Score > fs[j].Score
		}
		return fs[i].End-fs[i].Start > fs[j].End-fs[j].Start
	})
	kept := fs[:0:0]
	for _, f := range fs {
		overlaps := false
		for _, k := range kept {
			if f.Start < k.End && k.Start < f.End {
				overlaps = true
				break
			}
		}
		if !overlaps {
			kept = append(kept, f)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Start < kept[j].Start })
	return kept
}

// nearContext reports whether one of entity's context words occurs as a
// word within the window around [start,end).
func (d *Detector) nearContext(lower, entity string, start, end int) bool {
	words := d.context[entity]
	if len(words) == 0 {
		return false
	}
	lo, hi := max(start-d.contextWindow, 0), min(end+d.contextWindow, len(lower))
	window := lower[lo:hi]
	for _, w := range words {
		for i := 0; ; {
			j := strings.Index(window[i:], w)
			if j < 0 {
				break
			}
			j += i
			if isWordBoundary(window, j-1) && isWordBoundary(window, j+len(w)) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func isWordBoundary(s string, i int) bool {
	if i < 0 || i >= len(s) {
		return true
	}
	c := s[i]
	return !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')
}

func (d *Detector) isTestValue(s string) bool {
	return d.testValues[strings.ToUpper(digitsAndLetters(s))]
}

func digitsAndLetters(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < utf8.RuneSelf && (unicode.IsDigit(r) || unicode.IsLetter(r)) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func digitsOnly(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

var (
	// cardRe allows single space or dash separators between digit groups.
	cardRe = regexp.MustCompile(`\b\d(?:[ -]?\d){12,18}\b`)
	ibanRe = regexp.MustCompile(`\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b`)
	// maxIBANMatch is the longest ibanRe match: 4 + 7*5 + 4 bytes.
	maxIBANMatch = 43
	ssnRe        = regexp.MustCompile(`\b(\d{3})([- ]?)(\d{2})([- ]?)(\d{4})\b`)
	ipv4Re       = regexp.MustCompile(`\b(?:\d{1,3}\.){3}\d{1,3}\b`)
	phoneRe      = regexp.MustCompile(`(?:\+\d{1,3}[ .\-]?)?(?:\(\d{1,4}\)[ .\-]?)?\d{2,4}(?:[ .\-]?\d{2,4}){1,4}`)
	months       = `(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)`
	dateRe       = regexp.MustCompile(`(?i)\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+` + months + `,?\s+\d{4}|` + months + `\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})\b`)
	// passportRe wants at least one digit; the check happens in code.
	passportRe = regexp.MustCompile(`\b[A-Z0-9]{6,9}\b`)
	licenceRe  = regexp.MustCompile(`\b(?:[A-Z]{1,2}\d{4,14}|\d{6,14}|[A-Z]\d{3}-\d{4}-\d{4}|[A-Z]\d{3}-\d{3}-\d{2}-\d{3}-\d)\b`)
	nameTok    = `[A-Z][\p{Ll}'’\-]+`
)

// emails expands each '@' to the surrounding address characters and runs
// the regex only on that window.
func (d *Detector) emails(text string) []candidate {
	var out []candidate
	atWindows(text, func(win int, w string, at int) {
		if ms, me, ok := emailIn(w, at); ok {
			out = append(out, d.email(text, []int{win + ms, win + me}))
		}
	})
	return out
}

// atWindows calls fn for each '@' of text with the window the address
// pattern is run on: the address characters around it (at most 64 before
// and 255 after) and the byte either side, starting at offset win; at is
// the '@' in w. Windows without a local part or a dot in the domain, which
// the pattern cannot match, are skipped.
func atWindows(text string, fn func(win int, w string, at int)) {
	for i := 0; i < len(text); {
		at := strings.IndexByte(text[i:], '@')
		if at < 0 {
			return
		}
		at += i
		start, end := at, at+1
		for start > 0 && at-start < 64 && isEmailChar(text[start-1]) {
			start--
		}
		for end < len(text) && end-at < 255 && isEmailChar(text[end]) {
			end++
		}
		i = end
		if start == at || strings.IndexByte(text[at+1:end], '.') < 0 {
			continue
		}
		win := max(start-1, 0)
		fn(win, text[win:min(end+1, len(text))], at-win)
	}
}

// emailIn finds what the pattern
//
//	\b[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b
//
// (emailRe in the tests) finds in w, a window holding one '@' (at w[at])
// between runs of address characters, without the regex engine: the
// leftmost local part that may start a match, then the domain's labels,
// taking as many as leave a top-level domain after them, as the regex's
// greedy backtracking does.
func emailIn(w string, at int) (start, end int, ok bool) {
	start = -1
	for j := max(at-64, 0); j < at; j++ {
		if isAlnumNoUnderscore(w[j]) && (j == 0 || !alnum[w[j-1]]) && allEmailLocal(w[j:at]) {
			start = j
			break
		}
	}
	if start < 0 {
		return 0, 0, false
	}
	// The dot-separated segments after '@': labels end where a segment is
	// not a valid label or has no dot after it.
	var labelEnds []int // index of the dot after each label
	for p := at + 1; ; {
		dot := strings.IndexByte(w[p:], '.')
		if dot < 0 || !isDomainLabel(w[p:p+dot]) {
			break
		}
		labelEnds = append(labelEnds, p+dot)
		p += dot + 1
	}
	for k := len(labelEnds) - 1; k >= 0; k-- {
		p := labelEnds[k] + 1
		r := 0
		for p+r < len(w) && (w[p+r]|0x20 >= 'a' && w[p+r]|0x20 <= 'z') {
			r++
		}
		if r >= 2 && r <= 24 && (p+r == len(w) || !alnum[w[p+r]]) {
			return start, p + r, true
		}
	}
	return 0, 0, false
}

func isAlnumNoUnderscore(c byte) bool { return alnum[c] && c != '_' }

// allEmailLocal reports whether s is made of the pattern's local-part bytes.
func allEmailLocal(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isEmailChar(s[i]) {
			return false
		}
	}
	return true
}

// isDomainLabel reports whether s is one domain label of the pattern: 1 to 63
// letters, digits and hyphens, starting and ending with a letter or digit.
func isDomainLabel(s string) bool {
	if len(s) == 0 || len(s) > 63 || !isAlnumNoUnderscore(s[0]) || !isAlnumNoUnderscore(s[len(s)-1]) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAlnumNoUnderscore(s[i]) && s[i] != '-' {
			return false
		}
	}
	return true
}

func isEmailChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '-' || c == '+' || c == '%'
}

func (d *Detector) email(text string, m []int) candidate {
	{
		score := 0.85
		dom := strings.ToLower(text[strings.LastIndexByte(text[m[0]:m[1]], '@')+m[0]+1 : m[1]])
		if isExampleDomain(dom) {
			score = 0.4
		}
		return candidate{entity: Email, start: m[0], end: m[1], score: score}
	}
}

func isExampleDomain(dom string) bool {
	for _, ex := range []string{"example.com", "example.org", "example.net", "test", "example", "invalid", "localhost"} {
		if dom == ex || strings.HasSuffix(dom, "."+ex) {
			return true
		}
	}
	return false
}

func (d *Detector) cards(text string) []candidate {
	var out []candidate
	for _, m := range cardRe.FindAllStringIndex(text, -1) {
		digits := digitsOnly(text[m[0]:m[1]])
		if len(digits) < 13 || len(digits) > 19 || !luhn(digits) || !cardPrefix(digits) {
			continue
		}
		out = append(out, candidate{entity: CreditCard, start: m[0], end: m[1], score: 0.8})
	}
	return out
}

// cardPrefix reports whether digits start with a major network's IIN range.
func cardPrefix(d string) bool {
	switch {
	case d[0] == '4':
		return true
	case d[:2] >= "51" && d[:2] <= "55", d[:4] >= "2221" && d[:4] <= "2720":
		return true
	case d[:2] == "34", d[:2] == "37", d[:2] == "36", d[:2] == "38", d[:2] == "30":
		return true
	case d[:4] == "6011", d[:2] == "65", d[:2] == "35", d[:2] == "62":
		return true
	}
	return false
}

// luhn validates the Luhn (mod 10) checksum of a string of digits.
func luhn(digits string) bool {
	sum, double := 0, false
	for i := len(digits) - 1; i >= 0; i-- {
		n := int(digits[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// ibans keeps the ibanRe matches that pass the mod-97 check.
func (d *Detector) ibans(text string, starts []int) []candidate {
	var out []candidate
	for _, m := range ibanMatches(text, starts) {
		s := strings.ReplaceAll(text[m[0]:m[1]], " ", "")
		if len(s) < 15 || len(s) > 34 || !ibanValid(s) {
			continue
		}
		out = append(out, candidate{entity: IBAN, start: m[0], end: m[1], score: 0.85})
	}
	return out
}

// ibanMatches runs ibanRe only where an IBAN can start (starts, from
// digitWindows), on a window that holds the longest possible match and the
// byte either side: it finds what the regex finds over the whole text.
func ibanMatches(text string, starts []int) [][2]int {
	var out [][2]int
	next := 0
	for _, s := range starts {
		if s < next || s > 0 && isAlnum(text[s-1]) {
			continue
		}
		lo, hi := max(s-1, 0), min(s+maxIBANMatch+1, len(text))
		if m := ibanRe.FindStringIndex(text[lo:hi]); m != nil && lo+m[0] == s {
			out = append(out, [2]int{s, lo + m[1]})
			next = lo + m[1]
		}
	}
	return out
}

// ibanValid checks the ISO 7064 mod-97-10 checksum of a compact IBAN.
func ibanValid(s string) bool {
	s = s[4:] + s[:4]
	rem := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			rem = (rem*10 + int(c-'0')) % 97
		case c >= 'A' && c <= 'Z':
			v := int(c-'A') + 10
			rem = (rem*100 + v) % 97
		default:
			return false
		}
	}
	return rem == 1
}

func (d *Detector) ssns(text string) []candidate {
	var out []candidate
	for _, m := range ssnRe.FindAllStringSubmatchIndex(text, -1) {
		area, sep1, group, sep2, serial := text[m[2]:m[3]], text[m[4]:m[5]], text[m[6]:m[7]], text[m[8]:m[9]], text[m[10]:m[11]]
		if sep1 != sep2 || !ssnValid(area, group, serial) {
			continue
		}
		// Part of a longer dashed or dotted number (a phone, a card).
		if m[0] > 0 && strings.ContainsRune("-.", rune(text[m[0]-1])) || m[1] < len(text) && strings.ContainsRune("-.", rune(text[m[1]])) && m[1]+1 < len(text) && text[m[1]+1] >= '0' && text[m[1]+1] <= '9' {
			continue
		}
		score := 0.3
		if sep1 == "-" {
			score = 0.5
		}
		out = append(out, candidate{entity: USSSN, start: m[0], end: m[1], score: score})
	}
	return out
}

// ssnValid rejects SSNs the SSA never issues: area 000, 666 or 900-999,
// group 00, serial 0000.
func ssnValid(area, group, serial string) bool {
	return area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000"
}

func ipCandidate(s string, start, end int) (candidate, bool) {
	addr, err := netip.ParseAddr(s)
	if err != nil {
		return candidate{}, false
	}
	score := 0.6
	switch {
	case addr.IsLoopback(), addr.IsUnspecified(), addr.IsMulticast():
		score = 0.1
	case isDocumentation(addr):
		score = 0.2
	case addr.IsPrivate(), addr.IsLinkLocalUnicast():
		score = 0.45
	}
	return candidate{entity: IPAddress, start: start, end: end, score: score}, true
}

func (d *Detector) ipv4s(text string) []candidate {
	if strings.Count(text, ".") < 3 {
		return nil
	}
	var out []candidate
	for _, m := range ipv4Re.FindAllStringIndex(text, -1) {
		// Skip version strings like v1.2.3.4 and dotted numbers in longer runs.
		if m[0] > 0 && (text[m[0]-1] == '.' || text[m[0]-1] == 'v') || m[1] < len(text) && text[m[1]] == '.' && m[1]+1 < len(text) && isDigit(text[m[1]+1]) {
			continue
		}
		if c, ok := ipCandidate(text[m[0]:m[1]], m[0], m[1]); ok {
			out = append(out, c)
		}
	}
	return out
}

func isHexColon(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' || c == ':' || c == '.'
}

// ipv6s expands each colon to the surrounding run of hex digits, colons and
// dots (for v4-mapped tails) and parses the run; cheaper than a regex that
// could start anywhere.
func (d *Detector) ipv6s(text string) []candidate {
	var out []candidate
	for i := 0; i < len(text); i++ {
		if text[i] != ':' {
			continue
		}
		start, end := i, i
		for start > 0 && isHexColon(text[start-1]) {
			start--
		}
		for end < len(text) && isHexColon(text[end]) {
			end++
		}
		i = end
		s := strings.Trim(text[start:end], ".")
		if strings.Count(s, ":") < 2 || len(s) < 3 {
			continue
		}
		if start > 0 && isAlnum(text[start-1]) || end < len(text) && isAlnum(text[end]) {
			continue
		}
		off := start + strings.Index(text[start:end], s)
		if c, ok := ipCandidate(s, off, off+len(s)); ok {
			out = append(out, c)
		}
	}
	return out
}

var docPrefixes = []netip.Prefix{
	netip.MustParsePrefix("192.0.2.0/24"),
	netip.MustParsePrefix("198.51.100.0/24"),
	netip.MustParsePrefix("203.0.113.0/24"),
	netip.MustParsePrefix("2001:db8::/32"),
}

func isDocumentation(a netip.Addr) bool {
	for _, p := range docPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// wallets scans alphanumeric tokens and keeps those shaped like Bitcoin
// (base58 legacy, bech32) or Ethereum addresses.
func (d *Detector) wallets(text string) []candidate {
	var out []candidate
	// Every wallet shape is at least 14 bytes and starts with 0, 1, 3 or b.
	detect.LongRuns(text, &alnum, 14, func(i, j int) bool {
		tok := text[i:j]
		if tok[0] != '0' && tok[0] != '1' && tok[0] != '3' && tok[0] != 'b' {
			return true
		}
		if score, ok := walletScore(tok); ok {
			out = append(out, candidate{entity: CryptoWallet, start: i, end: j, score: score})
		}
		return true
	})
	return out
}

const bech32Chars = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func walletScore(tok string) (float64, bool) {
	n := len(tok)
	switch {
	case n == 42 && (strings.HasPrefix(tok, "0x") || strings.HasPrefix(tok, "0X")) && allIn(tok[2:], "0123456789abcdefABCDEF"):
		return 0.6, true
	case n >= 14 && n <= 74 && strings.HasPrefix(tok, "bc1") && allIn(tok[3:], bech32Chars):
		return 0.7, true
	case n >= 26 && n <= 35 && (tok[0] == '1' || tok[0] == '3') && allIn(tok, base58Alphabet):
		if base58CheckValid(tok) {
			return 0.85, true
		}
		return 0.5, true
	}
	return 0, false
}

func allIn(s, set string) bool {
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) < 0 {
			return false
		}
	}
	return true
}

const base58Alphabet = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// base58CheckValid decodes a base58 string and verifies its 4-byte
// double-SHA256 checksum, as used by legacy Bitcoin addresses.
func base58CheckValid(s string) bool {
	var num []byte // big-endian base-256 digits
	for i := 0; i < len(s); i++ {
		v := strings.IndexByte(base58Alphabet, s[i])
		if v < 0 {
			return false
		}
		carry := v
		for j := len(num) - 1; j >= 0; j-- {
			carry += int(num[j]) * 58
			num[j] = byte(carry)
			carry >>= 8
		}
		for carry > 0 {
			num = append([]byte{byte(carry)}, num...)
			carry >>= 8
		}
	}
	for i := 0; i < len(s) && s[i] == '1'; i++ {
		num = append([]byte{0}, num...)
	}
	if len(num) < 5 {
		return false
	}
	payload, sum := num[:len(num)-4], num[len(num)-4:]
	h1 := sha256.Sum256(payload)
	h2 := sha256.Sum256(h1[:])
	return string(h2[:4]) == string(sum)
}

func (d *Detector) phones(text string, checks *phoneChecks) []candidate {
	var out []candidate
	for _, m := range phoneRe.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		digits := digitsOnly(s)
		if len(digits) < 7 || len(digits) > 15 {
			continue
		}
		// Inside a longer token (a hash, an id, a decimal).
		if m[0] > 0 && isAlnum(text[m[0]-1]) || m[1] < len(text) && isAlnum(text[m[1]]) {
			continue
		}
		// A bare run of digits is rarely written as a phone number.
		if !strings.ContainsAny(s, " .-()+") && len(digits) > 10 {
			continue
		}
		pc := checks.check(s, d.region)
		if !pc.valid {
			continue
		}
		score := 0.45
		if strings.HasPrefix(s, "+") {
			score = 0.55
		}
		if pc.fictional {
			score -= 0.5
		}
		out = append(out, candidate{entity: Phone, start: m[0], end: m[1], score: score})
	}
	return out
}

func isAlnum(c byte) bool { return alnum[c] }

// alnum marks ASCII letters, digits and '_' (RE2's \w).
var alnum = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
	}
	return t
}()

func (d *Detector) dates(text string) []candidate {
	var out []candidate
	for _, m := range dateRe.FindAllStringIndex(text, -1) {
		out = append(out, candidate{entity: DateOfBirth, start: m[0], end: m[1], score: 0.75, needsContext: true})
	}
	return out
}

func (d *Detector) passports(text string) []candidate {
	var out []candidate
	for _, m := range passportRe.FindAllStringIndex(text, -1) {
		s := text[m[0]:m[1]]
		if !strings.ContainsAny(s, "0123456789") || digitsOnly(s) == "" || len(digitsOnly(s)) < 5 {
			continue
		}
		out = append(out, candidate{entity: Passport, start: m[0], end: m[1], score: 0.7, needsContext: true})
	}
	return out
}

func (d *Detector) licences(text string) []candidate {
	var out []candidate
	for _, m := range licenceRe.FindAllStringIndex(text, -1) {
		out = append(out, candidate{entity: DriverLicense, start: m[0], end: m[1], score: 0.65, needsContext: true})
	}
	return out
}

// nameCues precede a name in lower-cased text; honorifics precede one in
// the original text and must be capitalised.
var (
	nameCues   = []string{"my name is", "my name's", "i am called", "name:", "name :", "signed:", "signed,", "regards,", "sincerely,", "cheers,", "thanks,", "this is"}
	honorifics = []string{"Mr", "Mrs", "Ms", "Miss", "Dr", "Prof", "Sir", "Madam"}
	nameRe     = regexp.MustCompile(`^[ \t]*\r?\n?[ \t]*(` + nameTok + `(?:[ \t]+` + nameTok + `){0,2})`)
)

// persons finds one to three title-cased words right after a name cue.
// lower is text's ASCII lower-casing and cues the cue words it contains.
func (d *Detector) persons(text, lower string, cues cueSet) []candidate {
	var out []candidate
	try := func(cueStart, cueEnd int, byName bool) {
		rest := text[cueEnd:min(cueEnd+120, len(text))]
		m := nameRe.FindStringSubmatchIndex(rest)
		if m == nil {
			return
		}
		start, end := cueEnd+m[2], cueEnd+m[3]
		words := strings.Fields(text[start:end])
		for len(words) > 0 && notName[strings.ToLower(words[len(words)-1])] {
			words = words[:len(words)-1]
		}
		if len(words) == 0 || notName[strings.ToLower(words[0])] {
			return
		}
		end = start + strings.Index(text[start:end], words[len(words)-1]) + len(words[len(words)-1])
		cue := lower[cueStart:cueEnd]
		score := 0.6
		switch {
		case byName && strings.Contains(cue, "name"):
			score = 0.85
		case len(words) >= 2:
			score = 0.7
		}
		if strings.Contains(cue, "this is") && len(words) < 2 {
			return
		}
		// A sign-off of everyday words signs for a team, not a person
		// ("Best regards,\nCustomer Support").
		if byName && !strings.Contains(cue, "name") && d.allCommon(words) {
			return
		}
		out = append(out, candidate{entity: Person, start: start, end: end, score: score})
	}
	for k, cue := range nameCues {
		if !cues.hasID(d.nameCueIDs[k]) {
			continue
		}
		for i := 0; ; {
			j := strings.Index(lower[i:], cue)
			if j < 0 {
				break
			}
			j += i
			if isWordBoundary(lower, j-1) {
				try(j, j+len(cue), true)
			}
			i = j + len(cue)
		}
	}
	for k, h := range honorifics {
		if !cues.hasID(d.honorificIDs[k]) {
			continue
		}
		for i := 0; ; {
			j := strings.Index(text[i:], h)
			if j < 0 {
				break
			}
			j += i
			i = j + len(h)
			end := i
			if end < len(text) && text[end] == '.' {
				end++
			}
			if !isWordBoundary(lower, j-1) || end >= len(text) || (text[end] != ' ' && text[end] != '\t') {
				continue
			}
			try(j, end, false)
		}
	}
	return out
}

// allCommon reports whether every word is one of the learned recognizer's
// common lower-case words.
func (d *Detector) allCommon(words []string) bool {
	if d.learned == nil {
		return false
	}
	for _, w := range words {
		if !d.learned.feat.common.has(newHash("").add(w)) {
			return false
		}
	}
	return true
}

// notName lists title-cased words that follow name cues but are not names.
var notName = map[string]bool{
	"the": true, "a": true, "an": true, "i": true, "it": true, "this": true, "that": true,
	"and": true, "or": true, "not": true, "is": true, "was": true, "team": true, "all": true,
	"everyone": true, "thanks": true, "thank": true, "hi": true, "hello": true, "dear": true,
	"best": true, "kind": true, "regards": true, "please": true, "we": true, "you": true,
	"what": true, "how": true, "why": true, "when": true, "where": true, "my": true, "our": true,
}

func (d *Detector) streets(text string) []candidate {
	var out []candidate
	if d.streetAt == nil {
		for _, m := range d.streetRe.FindAllStringIndex(text, -1) {
			out = append(out, candidate{entity: StreetAddress, start: m[0], end: m[1], score: 0.65})
		}
		return out
	}
	// Same matches as streetRe over the whole text, found by trying the
	// anchored regex only where a match can start (a digit after a word
	// boundary, followed by the shape "12a, Word"), on a window that holds
	// the longest possible match: the number, four words and the suffix
	// are at most six whitespace-separated fields.
	for s := 0; s < len(text); s++ {
		if !isDigit(text[s]) || s > 0 && isAlnum(text[s-1]) || !streetStart(text, s) {
			continue
		}
		end := fieldsEnd(text, s, 6)
		if !d.maySuffix(text[s:end]) {
			continue
		}
		if m := d.streetAt.FindStringIndex(text[s:end]); m != nil {
			out = append(out, candidate{entity: StreetAddress, start: s, end: s + m[1], score: 0.65})
			s += m[1] - 1
		}
	}
	return out
}

// maySuffix reports whether one of the whitespace-separated fields of
// window after the first can be a street-type word as the regex wants it:
// its leading run of word bytes is a suffix. Fields with non-ASCII bytes
// are left to the regex.
func (d *Detector) maySuffix(window string) bool {
	var buf [32]byte
	for f, i := 0, 0; i < len(window); f++ {
		for i < len(window) && isRegexSpace(window[i]) {
			i++
		}
		j := i
		for j < len(window) && alnum[window[j]] {
			j++
		}
		k := j
		for k < len(window) && !isRegexSpace(window[k]) {
			if window[k] >= utf8.RuneSelf {
				return true
			}
			k++
		}
		if f > 0 && j-i <= len(buf) {
			w := buf[:0]
			for _, c := range []byte(window[i:j]) {
				if c >= 'A' && c <= 'Z' {
					c += 'a' - 'A'
				}
				w = append(w, c)
			}
			if d.suffixes[string(w)] {
				return true
			}
		}
		i = k
	}
	return false
}

// isRegexSpace is RE2's \s.
func isRegexSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// streetStart checks the fixed start of a street match at s: one to six
// digits, an optional letter and comma, whitespace, then a capital.
func streetStart(text string, s int) bool {
	i := s
	for i < len(text) && isDigit(text[i]) {
		i++
	}
	if i-s > 6 {
		return false
	}
	if i < len(text) && (text[i] >= 'A' && text[i] <= 'Z' || text[i] >= 'a' && text[i] <= 'z') {
		i++
	}
	if i < len(text) && text[i] == ',' {
		i++
	}
	j := i
	for j < len(text) && isRegexSpace(text[j]) {
		j++
	}
	return j > i && j < len(text) && text[j] >= 'A' && text[j] <= 'Z'
}

// fieldsEnd returns the end of the n-th whitespace-separated field from s,
// plus one byte of context for a trailing \b.
func fieldsEnd(text string, s, n int) int {
	i := s
	for f := 0; f < n && i < len(text); f++ {
		for i < len(text) && isRegexSpace(text[i]) {
			i++
		}
		for i < len(text) && !isRegexSpace(text[i]) {
			i++
		}
	}
	return min(i+1, len(text))
}

func loadContext() (map[string][]string, error) {
	f, err := dataFS.Open("data/context.txt")
	if err != nil {
		return nil, fmt.Errorf("pii: open context words: %w", err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		ent, words, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("pii: context words: bad line %q", line)
		}
		for _, w := range strings.Split(words, ",") {
			if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
				out[strings.TrimSpace(ent)] = append(out[strings.TrimSpace(ent)], w)
			}
		}
	}
	return out, sc.Err()
}

func loadSet(name string, lower bool) (map[string]bool, error) {
	f, err := dataFS.Open(name)
	if err != nil {
		return nil, fmt.Errorf("pii: open %s: %w", name, err)
	}
	defer f.Close()
	out := map[string]bool{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if lower {
			line = strings.ToLower(line)
		}
		out[line] = true
	}
	return out, sc.Err()
}

func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }

// isFictionalNANP reports a North American 555-01xx number, reserved for
// fiction.
func isFictionalNANP(num *phonenumbers.PhoneNumber) bool {
	nat := fmt.Sprint(num.GetNationalNumber())
	return num.GetCountryCode() == 1 && len(nat) == 10 && nat[3:8] == "55501"
}

// phoneCheck is what libphonenumber says of a candidate phone number.
type phoneCheck struct {
	// num is the parsed number, nil when s does not parse.
	num   *phonenumbers.PhoneNumber
	valid bool
	// nanp: a valid number with country code 1; fictional: 555-01xx.
	nanp, fictional bool
}

// phoneChecks memoizes phoneCheck per string within one text: parsing and
// validating is the costliest step of phone detection, and the rule and
// the model look at the same numbers. A nil *phoneChecks does not memoize.
type phoneChecks struct {
	keys   []string
	checks []phoneCheck
}

func (pc *phoneChecks) check(s, region string) phoneCheck {
	if pc != nil {
		for i, k := range pc.keys {
			if k == s {
				return pc.checks[i]
			}
		}
	}
	var c phoneCheck
	if num, err := phonenumbers.Parse(s, region); err == nil {
		c.num = num
		c.valid = phonenumbers.IsValidNumber(num)
		c.nanp = c.valid && num.GetCountryCode() == 1
		c.fictional = c.nanp && isFictionalNANP(num)
	}
	if pc != nil && len(pc.keys) < 64 {
		pc.keys = append(pc.keys, s)
		pc.checks = append(pc.checks, c)
	}
	return c
}
