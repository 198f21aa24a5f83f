// Package urls extracts URLs from chat text and flags risky ones (detector
// id "urls"): hosts that are IP literals, punycode or other non-ASCII hosts,
// suspicious TLDs (data/suspicious_tlds.txt), URL shorteners
// (data/shorteners.txt), lookalikes of configured brand domains (TR39
// confusable skeleton plus leet digits, edit distance, or the brand name
// embedded in another domain), domains or URLs from a blocklist file that
// is re-read when it changes, and javascript:/data:/vbscript: URLs.
//
// Registrable domains are approximated (last two labels, three under
// two-letter country codes with a generic second level such as co.uk), not
// read from the Public Suffix List.
package urls

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mtibben/confusables"

	"github.com/claudit/claudit/internal/policy/detect"
)

// ID is the registered detector id.
const ID = "urls"

// Entities reported by this detector.
const (
	IPLiteral       = "URL_IP_LITERAL"
	Punycode        = "URL_PUNYCODE"
	SuspiciousTLD   = "URL_SUSPICIOUS_TLD"
	Shortener       = "URL_SHORTENER"
	Lookalike       = "URL_LOOKALIKE"
	Blocklisted     = "URL_BLOCKLISTED"
	DangerousScheme = "URL_DANGEROUS_SCHEME"
)

var (
	//go:embed data/suspicious_tlds.txt
	tldsTXT []byte
	//go:embed data/shorteners.txt
	shortenersTXT []byte
	//go:embed data/brands.txt
	brandsTXT []byte
)

// Params are the policy parameters this detector reads; a policy with any
// other field, or a value of another type, fails validation.
type Params struct {
	AllowDomains   []string `yaml:"allow_domains"`
	Brands         []string `yaml:"brands"`
	Shorteners     []string `yaml:"shorteners"`
	SuspiciousTLDs []string `yaml:"suspicious_tlds"`
	BlocklistFile  string   `yaml:"blocklist_file"`
	CheckInterval  string   `yaml:"check_interval"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, New)
}

// Detector flags risky URLs. It is safe for concurrent use.
type Detector struct {
	tlds       map[string]bool
	shorteners map[string]bool
	brands     []brand
	allow      []string
	block      *blocklist
}

type brand struct {
	domain, label string
	// skel is skeleton(label), computed once.
	skel string
}

// New builds the detector. Params:
//
//	brands: [paypal.com, acme.com]      domains to protect from lookalikes (default data/brands.txt)
//	blocklist_file: /etc/claudit/block.txt  one domain or URL per line, # comments
//	allow_domains: [acme.com]           never flagged (with subdomains)
//	suspicious_tlds: [biz]              added to the embedded list
//	shorteners: [go.acme.com]           added to the embedded list
//	check_interval: 2s                  how often the blocklist's mtime is checked
func New(p detect.Params) (detect.Detector, error) {
	d := &Detector{tlds: lines(tldsTXT), shorteners: lines(shortenersTXT)}
	for _, t := range p.Strings("suspicious_tlds") {
		d.tlds[strings.ToLower(strings.TrimPrefix(t, "."))] = true
	}
	for _, s := range p.Strings("shorteners") {
		d.shorteners[strings.ToLower(s)] = true
	}
	brands := p.Strings("brands")
	if len(brands) == 0 {
		for b := range lines(brandsTXT) {
			brands = append(brands, b)
		}
	}
	for _, b := range brands {
		b = strings.ToLower(strings.TrimSpace(b))
		label, _, ok := strings.Cut(registrable(b), ".")
		if !ok || label == "" {
			return nil, fmt.Errorf("urls: brands: %q is not a domain like paypal.com", b)
		}
		d.brands = append(d.brands, brand{domain: b, label: label, skel: skeleton(label)})
	}
	for _, a := range p.Strings("allow_domains") {
		d.allow = append(d.allow, strings.ToLower(a))
	}
	if path := p.String("blocklist_file", ""); path != "" {
		interval := 2 * time.Second
		if s := p.String("check_interval", ""); s != "" {
			iv, err := time.ParseDuration(s)
			if err != nil {
				return nil, fmt.Errorf("urls: check_interval: %w", err)
			}
			interval = iv
		}
		d.block = &blocklist{path: path, interval: interval}
		if err := d.block.load(); err != nil {
			return nil, err
		}
	}
	return d, nil
}

func lines(data []byte) map[string]bool {
	m := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if l := strings.ToLower(strings.TrimSpace(sc.Text())); l != "" && !strings.HasPrefix(l, "#") {
			m[l] = true
		}
	}
	return m
}

// ID returns "urls".
func (d *Detector) ID() string { return ID }

// Keywords returns the substrings every extracted URL contains.
func (d *Detector) Keywords() []string {
	return []string{"://", "www.", "javascript:", "data:", "vbscript:"}
}

var (
	urlRe    = regexp.MustCompile(`(?i)\b(?:(?:https?|hxxps?|ftp|wss?)://|www\.)[^\s<>"'` + "`" + `{}|\\^\[\]]+`)
	schemeRe = regexp.MustCompile(`(?i)\b(?:javascript:[^\s<>"'` + "`" + `]+|vbscript:[^\s<>"'` + "`" + `]+|data:[a-z]+/[a-z0-9.+-]+[;,][^\s<>"'` + "`" + `]*)`)
)

// Detect reports risky URLs; one URL can yield several entities.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	text := in.Text
	var out []detect.Finding
	add := func(entity string, start, end int, score float64) {
		out = append(out, detect.Finding{Detector: ID, Entity: entity, Start: start, End: end,
			Score: score, Excerpt: detect.Excerpt(text, start, end)})
	}
	lower := in.LowerText()
	if strings.Contains(lower, "script:") || strings.Contains(lower, "data:") {
		for _, m := range schemeRe.FindAllStringIndex(text, -1) {
			if !inertData(lower[m[0]:m[1]]) {
				add(DangerousScheme, m[0], m[1], 0.85)
			}
		}
	}
	if d.block != nil {
		d.block.refresh()
	}
	for _, m := range urlCandidates(text, lower) {
		if ctx.Err() != nil {
			return nil
		}
		start, end := m[0], m[0]+len(strings.TrimRight(text[m[0]:m[1]], ".,;:!?)'\""))
		raw := text[start:end]
		host, normalized := parseHost(raw)
		if host == "" || d.allowed(host) {
			continue
		}
		for _, f := range d.check(host, normalized) {
			add(f.entity, start, end, f.score)
		}
	}
	return out
}

// inertData reports whether the lower-cased URL u is a data: URL of a
// type no browser runs: a raster image, audio, video or a font (an inline
// PNG in Markdown or CSS). HTML, scripts, SVG (which can hold a script) and
// every other type stay dangerous.
func inertData(u string) bool {
	mime, ok := strings.CutPrefix(u, "data:")
	if !ok {
		return false
	}
	mime, _, _ = strings.Cut(mime, ";")
	mime, _, _ = strings.Cut(mime, ",")
	kind, sub, _ := strings.Cut(mime, "/")
	switch kind {
	case "audio", "video", "font":
		return true
	case "image":
		return !strings.HasPrefix(sub, "svg")
	}
	return false
}

// urlCandidates finds "://" and "www." and runs the URL regex on the
// surrounding token only, instead of over the whole text.
func urlCandidates(text, lower string) [][]int {
	var out [][]int
	last := 0 // end of the previous match, so a URL is reported once
	for _, marker := range []string{"://", "www."} {
		last = 0
		for i := 0; ; {
			j := strings.Index(lower[i:], marker)
			if j < 0 {
				break
			}
			j += i
			start := j
			for start > 0 && j-start < 10 && isSchemeChar(lower[start-1]) {
				start--
			}
			end := j + len(marker)
			for end < len(text) && !isSpace(text[end]) {
				end++
			}
			i = end
			if start < last {
				continue
			}
			win := max(start-1, 0)
			for _, m := range urlRe.FindAllStringIndex(text[win:end], -1) {
				m[0] += win
				m[1] += win
				if marker == "www." && m[0] >= 3 && strings.HasSuffix(lower[:m[0]], "://") {
					continue // already found through its scheme
				}
				out = append(out, m)
				last = m[1]
			}
		}
	}
	return out
}

func isSchemeChar(c byte) bool { return c >= 'a' && c <= 'z' }

func isSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

type flag struct {
	entity string
	score  float64
}

// check returns the flags for one URL host.
func (d *Detector) check(host, normalized string) []flag {
	var out []flag
	if d.block != nil && d.block.contains(host, normalized) {
		out = append(out, flag{Blocklisted, 0.95})
	}
	if score, ok := ipLiteral(host); ok {
		return append(out, flag{IPLiteral, score})
	}
	if strings.HasPrefix(host, "xn--") || strings.Contains(host, ".xn--") || !detect.IsASCII(host) {
		out = append(out, flag{Punycode, 0.75})
	}
	labels := strings.Split(host, ".")
	if tld := labels[len(labels)-1]; d.tlds[tld] {
		out = append(out, flag{SuspiciousTLD, 0.55})
	}
	if d.shorteners[host] || d.shorteners[strings.TrimPrefix(host, "www.")] {
		out = append(out, flag{Shortener, 0.5})
	}
	if score, ok := d.lookalike(host); ok {
		out = append(out, flag{Lookalike, score})
	}
	return out
}

func (d *Detector) allowed(host string) bool {
	for _, a := range d.allow {
		if host == a || strings.HasSuffix(host, "."+a) {
			return true
		}
	}
	return false
}

// parseHost returns the lower-case host of a URL and the URL normalized for
// blocklist matching (scheme-less, lower-case host).
func parseHost(raw string) (string, string) {
	s := raw
	switch l := strings.ToLower(s); {
	case strings.HasPrefix(l, "hxxp"):
		s = "http" + s[4:]
	case strings.HasPrefix(l, "www."):
		s = "http://" + s
	}
	u, err := url.Parse(s)
	if err != nil {
		return "", ""
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	return host, host + u.EscapedPath()
}

// ipLiteral recognises dotted, bracketed-v6 and integer IPv4 hosts.
func ipLiteral(host string) (float64, bool) {
	addr, err := netip.ParseAddr(host)
	if err != nil {
		// http://3232235777 and http://0xC0A80001 are IPv4 too, and only used to hide.
		if n, err := strconv.ParseUint(host, 0, 32); err == nil && n > 0xFFFFFF {
			return 0.85, true
		}
		return 0, false
	}
	// Loopback, private and link-local addresses are everyday in developer
	// chats (http://127.0.0.1:8080); they are reported below the default
	// threshold so a policy can still opt in with a lower one.
	if addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() || addr.IsUnspecified() {
		return 0.3, true
	}
	return 0.7, true
}

// countryGenericSLDs are second levels under which registrations happen one
// level deeper (example.co.uk).
var countryGenericSLDs = map[string]bool{"co": true, "com": true, "org": true, "net": true, "gov": true, "ac": true, "edu": true, "ltd": true, "plc": true}

// registrable approximates the registrable domain of host.
func registrable(host string) string {
	labels := strings.Split(host, ".")
	n := len(labels)
	if n >= 3 && len(labels[n-1]) == 2 && countryGenericSLDs[labels[n-2]] {
		return strings.Join(labels[n-3:], ".")
	}
	if n >= 2 {
		return strings.Join(labels[n-2:], ".")
	}
	return host
}

var leetDigits = strings.NewReplacer("0", "o", "1", "l", "3", "e", "4", "a", "5", "s", "7", "t", "rn", "m", "vv", "w")

// skeleton maps a label to a canonical look: confusables to Latin, leet digits to letters.
func skeleton(label string) string {
	return leetDigits.Replace(strings.ToLower(confusables.Skeleton(label)))
}

// lookalike reports whether host imitates one of the brands.
func (d *Detector) lookalike(host string) (float64, bool) {
	reg := registrable(host)
	label, _, _ := strings.Cut(reg, ".")
	skel := skeleton(label)
	best := 0.0
	for _, b := range d.brands {
		if host == b.domain || strings.HasSuffix(host, b.domain) && host[len(host)-len(b.domain)-1] == '.' {
			return 0, false // the brand itself
		}
		switch {
		case label != b.label && skel == b.skel:
			best = max(best, 0.9)
		case label != b.label && len(b.label) >= 5 && editDistance(label, b.label) <= 1+len(b.label)/9:
			best = max(best, 0.8)
		case len(b.label) >= 4 && label != b.label && containsToken(host, b.label):
			best = max(best, 0.75)
		case label == b.label:
			best = max(best, 0.4) // same name under another TLD: often legitimate (google.de)
		}
	}
	return best, best > 0
}

// containsToken reports whether brand appears in host as a label or a
// hyphen-separated part of one ("paypal-login.com", "paypal.com.evil.io").
func containsToken(host, brand string) bool {
	if brand == "" {
		return false
	}
	for from := 0; from < len(host); {
		k := strings.Index(host[from:], brand)
		if k < 0 {
			return false
		}
		i, j := from+k, from+k+len(brand)
		if (i == 0 || host[i-1] == '.' || host[i-1] == '-') && (j == len(host) || host[j] == '.' || host[j] == '-') {
			return true
		}
		from = i + 1
	}
	return false
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 64
	}
	var rows [2][65]int
	prev, cur := rows[0][:len(b)+1], rows[1][:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// blocklist is a file of domains and URLs, re-read when its mtime changes.
type blocklist struct {
	path     string
	interval time.Duration

	mu      sync.RWMutex
	checked time.Time
	mtime   time.Time
	domains map[string]bool
	urls    []string
}

func (b *blocklist) load() error {
	st, err := os.Stat(b.path)
	if err != nil {
		return fmt.Errorf("urls: blocklist_file: %w", err)
	}
	data, err := os.ReadFile(b.path)
	if err != nil {
		return fmt.Errorf("urls: blocklist_file: %w", err)
	}
	domains := map[string]bool{}
	var urls []string
	for e := range lines(data) {
		if strings.Contains(e, "/") {
			host, norm := parseHost(e)
			if !strings.Contains(e, "://") {
				host, norm = parseHost("http://" + e)
			}
			if host != "" {
				urls = append(urls, norm)
			}
			continue
		}
		domains[strings.TrimPrefix(e, "*.")] = true
	}
	b.mu.Lock()
	b.domains, b.urls, b.mtime, b.checked = domains, urls, st.ModTime(), time.Now()
	b.mu.Unlock()
	return nil
}

// refresh re-reads the file if its mtime changed, at most once per interval.
// A file that became unreadable keeps the last good list.
func (b *blocklist) refresh() {
	b.mu.RLock()
	due := time.Since(b.checked) >= b.interval
	mtime := b.mtime
	b.mu.RUnlock()
	if !due {
		return
	}
	st, err := os.Stat(b.path)
	if err == nil && !st.ModTime().Equal(mtime) {
		if b.load() == nil {
			return
		}
	}
	b.mu.Lock()
	b.checked = time.Now()
	b.mu.Unlock()
}

func (b *blocklist) contains(host, normalized string) bool {
	b.mu.RLock()
	defer b.mu.RUnlock()
	for h := host; h != ""; {
		if b.domains[h] {
			return true
		}
		_, rest, ok := strings.Cut(h, ".")
		if !ok {
			break
		}
		h = rest
	}
	for _, u := range b.urls {
		if strings.HasPrefix(normalized, u) {
			return true
		}
	}
	return false
}
