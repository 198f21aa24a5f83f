package web

import (
	"net/netip"
	"net/url"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/claudit/claudit/internal/store"
)

// RedactedMark replaces masked text for viewers.
const RedactedMark = "[REDACTED]"

// hit is a byte range of a text that a finding points at.
type hit struct {
	Start, End int
	Policy     string
	Severity   string
	Entity     string
}

// segment is a piece of message text: plain, or a finding (highlighted, or masked).
type segment struct {
	Text     string
	Hit      bool
	Policy   string
	Severity string
	Entity   string
}

// validSpan reports whether [start, end) is a non-empty, rune-aligned range of text.
func validSpan(text string, start, end int) bool {
	return start >= 0 && end <= len(text) && start < end &&
		(start == len(text) || utf8.RuneStart(text[start])) && (end == len(text) || utf8.RuneStart(text[end]))
}

// hitsOf returns the ranges of text that findings point at, plus, when
// secrets is given, every other occurrence of those secrets in text.
func hitsOf(text string, fs []store.Finding, secrets []secret) []hit {
	var hs []hit
	for _, f := range fs {
		if validSpan(text, f.Start, f.End) {
			hs = append(hs, hit{f.Start, f.End, f.Policy, f.Severity, f.Entity})
		}
	}
	for _, sc := range secrets {
		for i := 0; i < len(text); {
			j := strings.Index(text[i:], sc.value)
			if j < 0 {
				break
			}
			hs = append(hs, hit{i + j, i + j + len(sc.value), sc.policy, sc.severity, sc.entity})
			i += j + len(sc.value)
		}
	}
	return mergeHits(hs)
}

func mergeHits(hs []hit) []hit {
	if len(hs) < 2 {
		return hs
	}
	sort.Slice(hs, func(i, j int) bool {
		return hs[i].Start < hs[j].Start || hs[i].Start == hs[j].Start && hs[i].End > hs[j].End
	})
	out := hs[:1]
	for _, h := range hs[1:] {
		last := &out[len(out)-1]
		if h.Start < last.End {
			if h.End > last.End {
				last.End = h.End
			}
			continue
		}
		out = append(out, h)
	}
	return out
}

// secret is a matched value to mask wherever it appears (viewers only).
type secret struct {
	value                    string
	policy, severity, entity string
}

// secretsOf collects the values findings matched in their events' texts;
// values shorter than 4 bytes are ignored so masking does not shred prose.
func secretsOf(texts map[string]string, fs []store.Finding) []secret {
	seen := map[string]bool{}
	var out []secret
	for _, f := range fs {
		t, ok := texts[f.EventID]
		if !ok || !validSpan(t, f.Start, f.End) || f.End-f.Start < 4 {
			continue
		}
		v := t[f.Start:f.End]
		if seen[v] {
			continue
		}
		seen[v] = true
		out = append(out, secret{v, f.Policy, f.Severity, f.Entity})
	}
	return out
}

// segmentsOf splits text at hits. With redact, hit text is replaced by the mark.
func segmentsOf(text string, hs []hit, redact bool) []segment {
	var out []segment
	pos := 0
	for _, h := range hs {
		if h.Start > pos {
			out = append(out, segment{Text: text[pos:h.Start]})
		}
		t := text[h.Start:h.End]
		if redact {
			t = RedactedMark
		}
		out = append(out, segment{Text: t, Hit: true, Policy: h.Policy, Severity: h.Severity, Entity: h.Entity})
		pos = h.End
	}
	if pos < len(text) {
		out = append(out, segment{Text: text[pos:]})
	}
	return out
}

// redactText masks what findings point at (and their values elsewhere in text).
func redactText(text string, fs []store.Finding, secrets []secret) string {
	hs := hitsOf(text, fs, secrets)
	if len(hs) == 0 {
		return text
	}
	var b strings.Builder
	for _, sg := range segmentsOf(text, hs, true) {
		b.WriteString(sg.Text)
	}
	return b.String()
}

// redactFindings hides matched values from viewers: excerpts go, spans stay.
func redactFindings(fs []store.Finding) []store.Finding {
	out := make([]store.Finding, len(fs))
	for i, f := range fs {
		if f.Excerpt != "" {
			f.Excerpt = RedactedMark
		}
		out[i] = f
	}
	return out
}

// maskIP keeps the network part of an address for viewers.
func maskIP(ip string) string {
	if ip == "" {
		return ""
	}
	if i := strings.LastIndexByte(ip, '.'); i > 0 && !strings.Contains(ip, ":") {
		return ip[:i] + ".x"
	}
	if i := strings.IndexByte(ip, ':'); i > 0 {
		return ip[:i] + ":x"
	}
	return RedactedMark
}

// redactMessages masks a page of messages for a viewer using their findings
// and the values findings matched elsewhere in their chats (extra).
func redactMessages(ms []store.Message, fs []store.Finding, extra []secret) {
	by := findingsByEvent(fs)
	texts := make(map[string]string, len(ms))
	for _, m := range ms {
		texts[m.ID] = m.Text
	}
	secrets := append(secretsOf(texts, fs), extra...)
	for i := range ms {
		ms[i].Text = redactText(ms[i].Text, by[ms[i].ID], secrets)
		redactToolCalls(ms[i].ToolCalls, secrets)
	}
}

// redactActivity hides an access event's network details and raw payload from viewers.
func redactActivity(a *store.Activity) {
	a.IP = maskIP(a.IP)
	a.Raw = nil
}

func findingsByEvent(fs []store.Finding) map[string][]store.Finding {
	out := map[string][]store.Finding{}
	for _, f := range fs {
		out[f.EventID] = append(out[f.EventID], f)
	}
	return out
}

// redactToolCalls masks every field of a viewer's tool calls: the values
// findings matched, and the host of an MCP server URL when it is an address.
func redactToolCalls(tcs []store.ToolCall, secrets []secret) {
	for j := range tcs {
		tc := &tcs[j]
		tc.Input = redactText(tc.Input, nil, secrets)
		tc.Name = redactText(tc.Name, nil, secrets)
		tc.Integration = redactText(tc.Integration, nil, secrets)
		tc.MCPServerURL = maskURLHost(redactText(tc.MCPServerURL, nil, secrets))
	}
}

// maskURLHost masks an IP address in a URL's host (or a bare address) the
// way access events show IPs to viewers.
func maskURLHost(raw string) string {
	if raw == "" {
		return ""
	}
	if _, err := netip.ParseAddr(raw); err == nil {
		return maskIP(raw)
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if strings.ContainsAny(raw, "0123456789") {
			return RedactedMark
		}
		return raw
	}
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err != nil {
		return raw
	}
	masked := maskIP(host)
	if strings.Contains(host, ":") {
		masked = "[" + masked + "]"
	}
	if p := u.Port(); p != "" {
		masked += ":" + p
	}
	u.Host = masked
	return u.String()
}

// searchTokens splits text into the lower-case letter-and-digit runs a
// full-text index matches on.
func searchTokens(text string) []string {
	return strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
}

// visibleMatch reports whether every word of a search q matches the text a
// viewer sees (redacted spans are gaps, not words): a viewer's search must
// not find messages by what redaction hides, or searching would confirm
// guesses of a masked phone number or key.
func visibleMatch(redacted, q string) bool {
	var toks []string
	for _, part := range strings.Split(redacted, RedactedMark) {
		toks = append(append(toks, searchTokens(part)...), "") // "" breaks adjacency at a mask
	}
	for _, w := range strings.Fields(q) {
		phrase := searchTokens(w)
		if len(phrase) == 0 {
			continue
		}
		if !containsRun(toks, phrase) {
			return false
		}
	}
	return true
}

func containsRun(toks, phrase []string) bool {
	for i := 0; i+len(phrase) <= len(toks); i++ {
		ok := true
		for j, p := range phrase {
			if toks[i+j] != p {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// visibleActivityMatch is visibleMatch for an access event: a viewer's
// search looks at the type, the actor's email and the masked address only.
func visibleActivityMatch(a store.Activity, q string) bool {
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(a.Type), q) || strings.Contains(strings.ToLower(a.ActorEmail), q) ||
		strings.Contains(strings.ToLower(a.IP), q)
}
