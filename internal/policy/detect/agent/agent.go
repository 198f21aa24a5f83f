// Package agent registers the "agent" detector: risky actions of Claude
// Code and Cowork agents, read from the tool_use blocks of a session
// transcript (never from prose):
//
//   - DESTRUCTIVE_COMMAND: rm -rf /, a force push to a default branch, DROP TABLE, mkfs, dd to a disk;
//   - PIPE_TO_SHELL: curl … | sh and its PowerShell and process-substitution forms;
//   - CREDENTIAL_READ: well-known credential paths (~/.aws/credentials, .env, id_rsa, .netrc, …);
//   - NETWORK_EGRESS: a URL or scp/rsync/ssh host outside an allowlist;
//   - SAFETY_DISABLED: hooks or permission checks switched off (disableAllHooks,
//     --dangerously-skip-permissions, --no-verify, setenforce 0, …).
//
// Rules are data (rules.tsv, egress_allow.txt), embedded.
package agent

import (
	"bufio"
	"context"
	_ "embed"
	"fmt"
	"path"
	"regexp"
	"strings"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// ID is the registered detector id.
const ID = "agent"

// Entities of the findings, one per agent policy.
const (
	EntityDestructive = "DESTRUCTIVE_COMMAND"
	EntityPipeToShell = "PIPE_TO_SHELL"
	EntityCredential  = "CREDENTIAL_READ"
	EntityEgress      = "NETWORK_EGRESS"
	EntitySafety      = "SAFETY_DISABLED"
)

// Entities lists every entity the detector reports.
var Entities = []string{EntityDestructive, EntityPipeToShell, EntityCredential, EntityEgress, EntitySafety}

// Params are the policy parameters this detector reads.
type Params struct {
	// Checks limits the detector to these entities (default: all).
	Checks []string `yaml:"checks"`
	// EgressAllow replaces the default host allowlist (egress_allow.txt):
	// hosts or "*.example.com" globs.
	EgressAllow []string `yaml:"egress_allow"`
}

func init() {
	detect.RegisterParams(ID, Params{})
	detect.Register(ID, func(p detect.Params) (detect.Detector, error) { return New(p) })
}

//go:embed rules.tsv
var rulesTSV string

//go:embed egress_allow.txt
var egressAllowTxt string

type rule struct {
	entity string
	re     *regexp.Regexp
	// required holds lower-case strings one of which every match holds
	// once ASCII lower-cased (literal.RequiredFolded): an input without
	// any is not searched. nil when none is known.
	required []string
}

// Detector finds risky agent actions in tool_use inputs.
type Detector struct {
	rules  []rule
	egress bool
	allow  []string
}

// New builds the detector from params (see Params).
func New(p detect.Params) (*Detector, error) {
	want := map[string]bool{}
	for _, c := range p.Strings("checks") {
		c = strings.ToUpper(strings.TrimSpace(c))
		known := false
		for _, e := range Entities {
			known = known || e == c
		}
		if !known {
			return nil, fmt.Errorf("%s: unknown check %q (want one of %s)", ID, c, strings.Join(Entities, ", "))
		}
		want[c] = true
	}
	on := func(e string) bool { return len(want) == 0 || want[e] }
	rules, err := parseRules(rulesTSV)
	if err != nil {
		return nil, err
	}
	d := &Detector{egress: on(EntityEgress)}
	for _, r := range rules {
		if on(r.entity) {
			d.rules = append(d.rules, r)
		}
	}
	d.allow = lines(egressAllowTxt)
	if _, ok := p["egress_allow"]; ok {
		d.allow = nil
		for _, h := range p.Strings("egress_allow") {
			d.allow = append(d.allow, strings.ToLower(strings.TrimSpace(h)))
		}
	}
	for _, g := range d.allow {
		if _, err := path.Match(g, ""); err != nil {
			return nil, fmt.Errorf("%s: bad egress_allow glob %q: %w", ID, g, err)
		}
	}
	return d, nil
}

func parseRules(src string) ([]rule, error) {
	var out []rule
	sc := bufio.NewScanner(strings.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		l := sc.Text()
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		entity, expr, ok := strings.Cut(l, "\t")
		if !ok {
			return nil, fmt.Errorf("%s: rules.tsv line %d: want ENTITY<TAB>regexp", ID, n)
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("%s: rules.tsv line %d: %w", ID, n, err)
		}
		out = append(out, rule{entity: entity, re: re, required: literal.RequiredFolded(expr, false)})
	}
	return out, sc.Err()
}

func lines(src string) []string {
	var out []string
	for _, l := range strings.Split(src, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, strings.ToLower(l))
		}
	}
	return out
}

// ID implements detect.Detector.
func (d *Detector) ID() string { return ID }

// Keywords implements detect.Detector: only tool_use blocks are read.
func (d *Detector) Keywords() []string { return []string{"tool_use"} }

// hostPatterns find the hosts a tool_use input reaches: URLs, scp and
// rsync targets, ssh and netcat hosts; the first group is the host.
var hostPatterns = []hostPattern{
	newHostPattern(`\b(?:https?|ftp|wss?)://(?:[^/\s"'@\\]+@)?(\[[0-9a-fA-F:]+\]|[^/\s"'\\:?#]+)`),
	newHostPattern(`\b(?:scp|rsync|sftp)\b[^"|;&]*\s(?:[\w.-]+@)?([A-Za-z0-9][\w.-]*\.[A-Za-z]{2,}|\d+\.\d+\.\d+\.\d+):`),
	newHostPattern(`\b(?:ssh|nc|ncat|telnet)\s+(?:-\S+\s+)*(?:[\w.-]+@)?([A-Za-z0-9][\w.-]*\.[A-Za-z]{2,}|\d+\.\d+\.\d+\.\d+)\b`),
}

// hostPattern is a compiled host pattern and the strings one of which
// every match holds (literal.Required), so an input without any is not
// searched.
type hostPattern struct {
	re       *regexp.Regexp
	required []string
}

func newHostPattern(expr string) hostPattern {
	return hostPattern{re: regexp.MustCompile(expr), required: literal.Required(expr)}
}

// Detect implements detect.Detector.
func (d *Detector) Detect(ctx context.Context, in detect.Input) []detect.Finding {
	if ctx.Err() != nil || in.Text == "" {
		return nil
	}
	var out []detect.Finding
	var lower string
	for _, span := range toolUseInputs(in.Text) {
		start, end := span[0], span[1]
		input := in.Text[start:end]
		for _, r := range d.rules {
			if r.required != nil {
				if lower == "" {
					lower = in.LowerText()
				}
				if !literal.ContainsAny(lower[start:end], r.required) {
					continue
				}
			}
			for _, m := range r.re.FindAllStringIndex(input, -1) {
				if r.entity == EntityCredential && strings.HasPrefix(input[m[1]:], ".pub") {
					continue // a public key is not a credential
				}
				out = append(out, finding(in.Text, r.entity, start+m[0], start+m[1]))
			}
		}
		if d.egress {
			out = append(out, d.egressFindings(in.Text, input, start)...)
		}
	}
	return out
}

// toolUseInputs returns the spans of the tool_use inputs in text: the rest
// of each line that matches (?m)^tool_use name=\S+ input=, after "input=".
// A scan for the literal rather than that regex, which has no literal
// prefix for Go's regexp to skip ahead with.
func toolUseInputs(text string) [][2]int {
	const head, tail = "tool_use name=", " input="
	var out [][2]int
	for i := 0; i < len(text); {
		k := strings.Index(text[i:], head)
		if k < 0 {
			break
		}
		p := i + k
		i = p + len(head)
		if p > 0 && text[p-1] != '\n' {
			continue
		}
		q := i
		for q < len(text) && !isSpace(text[q]) {
			q++
		}
		if q == i || !strings.HasPrefix(text[q:], tail) {
			continue
		}
		start := q + len(tail)
		end := strings.IndexByte(text[start:], '\n')
		if end < 0 {
			end = len(text)
		} else {
			end += start
		}
		out = append(out, [2]int{start, end})
		i = start
	}
	return out
}

// isSpace reports whether c is in RE2's \s.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

func (d *Detector) egressFindings(text, input string, off int) []detect.Finding {
	var out []detect.Finding
	for _, p := range hostPatterns {
		if p.required != nil && !literal.ContainsAny(input, p.required) {
			continue
		}
		for _, m := range p.re.FindAllStringSubmatchIndex(input, -1) {
			host := strings.ToLower(strings.Trim(input[m[2]:m[3]], "[]"))
			if !d.allowed(host) {
				out = append(out, finding(text, EntityEgress, off+m[2], off+m[3]))
			}
		}
	}
	return out
}

func (d *Detector) allowed(host string) bool {
	for _, a := range d.allow {
		if a == host {
			return true
		}
		if suffix, ok := strings.CutPrefix(a, "*."); ok && (host == suffix || strings.HasSuffix(host, "."+suffix)) {
			return true
		}
		if ok, _ := path.Match(a, host); ok {
			return true
		}
	}
	return false
}

func finding(text, entity string, start, end int) detect.Finding {
	return detect.Finding{Detector: ID, Entity: entity, Start: start, End: end, Score: 1, Excerpt: detect.Excerpt(text, start, end)}
}
