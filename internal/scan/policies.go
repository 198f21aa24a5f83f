package scan

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/claudit/claudit/internal/policy"
	"github.com/claudit/claudit/internal/policy/detect"
)

// PolicyView is one policy as `claudit policies` lists it, with the
// defaults the engine fills in made explicit.
type PolicyView struct {
	Name     string   `json:"name"`
	Detector string   `json:"detector"`
	Roles    []string `json:"roles"` // every role when the policy names none
	// Groups and ExcludeGroups are the policy's directory-group scope.
	Groups          []string        `json:"groups,omitempty"`
	ExcludeGroups   []string        `json:"exclude_groups,omitempty"`
	Threshold       float64         `json:"threshold"`
	Severity        policy.Severity `json:"severity"`
	Action          policy.Action   `json:"action"`
	EffectiveAction policy.Action   `json:"effective_action"`
	Enabled         bool            `json:"enabled"`
	FailTag         string          `json:"fail_tag"`
	PassTag         string          `json:"pass_tag,omitempty"`
	Tags            []string        `json:"tags"`
	Params          detect.Params   `json:"params,omitempty"`
}

// PolicySet is the listing of one policy file.
type PolicySet struct {
	Source   string       `json:"source"`
	Version  string       `json:"version"`
	Policies []PolicyView `json:"policies"`
	// Skipped are default policies whose detector is not in this build.
	Skipped []string `json:"skipped,omitempty"`
}

var allRoles = []string{string(detect.RoleUser), string(detect.RoleAssistant), string(detect.RoleTool), string(detect.RoleFile)}

// ListPolicies describes every policy of cfg, enabled or not, in file order.
func ListPolicies(cfg *policy.Config) PolicySet {
	set := PolicySet{Source: cfg.Source, Version: cfg.Version(), Skipped: cfg.Skipped, Policies: []PolicyView{}}
	for _, p := range cfg.Policies {
		v := PolicyView{Name: p.Name, Detector: p.Detector, Threshold: p.Threshold, Severity: p.Severity,
			Action: p.Action, EffectiveAction: p.Action.Effective(), Enabled: p.Enabled,
			FailTag: p.FailTag, PassTag: p.PassTag, Tags: p.Tags, Params: p.Params,
			Groups: p.Groups, ExcludeGroups: p.ExcludeGroups}
		for _, r := range p.Roles {
			v.Roles = append(v.Roles, string(r))
		}
		if len(v.Roles) == 0 {
			v.Roles = allRoles
		}
		if v.FailTag == "" {
			v.FailTag = policy.DefaultFailTag(p.Detector)
		}
		if v.PassTag == "" {
			v.PassTag = policy.DefaultPassTag(p.Detector)
		}
		if v.Tags == nil {
			v.Tags = []string{}
		}
		set.Policies = append(set.Policies, v)
	}
	return set
}

// WriteJSON writes the set as indented JSON.
func (s PolicySet) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(s)
}

// WriteTable writes the set as an aligned table.
func (s PolicySet) WriteTable(w io.Writer) error {
	enabled := 0
	for _, p := range s.Policies {
		if p.Enabled {
			enabled++
		}
	}
	fmt.Fprintf(w, "policy set %s, version %s: %s, %d enabled\n\n", s.Source, s.Version, plural(len(s.Policies), "policy"), enabled)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tDETECTOR\tROLES\tTHRESHOLD\tSEVERITY\tACTION\tEFFECTIVE\tENABLED\tTAGS")
	for _, p := range s.Policies {
		roles := strings.Join(p.Roles, ",")
		if len(p.Roles) == len(allRoles) {
			roles = "all"
		}
		if len(p.Groups) > 0 {
			roles += " (groups: " + strings.Join(p.Groups, ",") + ")"
		}
		if len(p.ExcludeGroups) > 0 {
			roles += " (not: " + strings.Join(p.ExcludeGroups, ",") + ")"
		}
		tags := []string{"fail: " + p.FailTag}
		if p.PassTag != "" {
			tags = append(tags, "pass: "+p.PassTag)
		}
		tags = append(tags, p.Tags...)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", cell(p.Name, 40), p.Detector, roles,
			strconv.FormatFloat(p.Threshold, 'f', -1, 64), p.Severity, p.Action, p.EffectiveAction,
			yesNo(p.Enabled), cell(strings.Join(tags, "; "), 80))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(s.Skipped) > 0 {
		fmt.Fprintf(w, "\nskipped (detector not in this build): %s\n", strings.Join(s.Skipped, ", "))
	}
	_, err := fmt.Fprintln(w, "\nblock and modify are carried out as alert: the Compliance API reports activity that already happened.")
	return err
}

func plural(n int, word string) string {
	switch {
	case n == 1:
		return "1 " + word
	case strings.HasSuffix(word, "y"):
		return strconv.Itoa(n) + " " + strings.TrimSuffix(word, "y") + "ies"
	}
	return strconv.Itoa(n) + " " + word + "s"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Problem is one thing wrong with a policy file.
type Problem struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (p Problem) String() string {
	var b strings.Builder
	b.WriteString(p.File)
	if p.Line > 0 {
		b.WriteString(":" + strconv.Itoa(p.Line))
	}
	if p.Field != "" {
		b.WriteString(": " + p.Field)
	}
	b.WriteString(": " + p.Message)
	return b.String()
}

// Validation is the outcome of checking a policy file.
type Validation struct {
	File     string    `json:"file"`
	Valid    bool      `json:"valid"`
	Policies int       `json:"policies"`
	Enabled  int       `json:"enabled"`
	Version  string    `json:"version,omitempty"`
	Problems []Problem `json:"errors"`
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

// ValidatePolicies parses a policy file and builds its engine, collecting
// every problem with its line; name is used in the problems.
func ValidatePolicies(data []byte, name string) Validation {
	v := Validation{File: name, Problems: []Problem{}}
	cfg, err := policy.ParseConfig(data, name)
	if err == nil {
		// Parsing builds each enabled detector; the engine also builds the
		// keyword index, so a file that passes here loads in serve.
		_, err = policy.NewEngine(cfg)
	}
	if err != nil {
		v.Problems = problems(name, err)
		return v
	}
	v.Valid = true
	v.Policies, v.Version = len(cfg.Policies), cfg.Version()
	for _, p := range cfg.Policies {
		if p.Enabled {
			v.Enabled++
		}
	}
	return v
}

func problems(name string, err error) []Problem {
	var out []Problem
	var joined interface{ Unwrap() []error }
	if errors.As(err, &joined) {
		for _, e := range joined.Unwrap() {
			out = append(out, problems(name, e)...)
		}
		return out
	}
	var fe *policy.FieldError
	if errors.As(err, &fe) {
		return []Problem{{File: fe.File, Line: fe.Line, Field: fe.Field, Message: fe.Msg}}
	}
	// YAML syntax errors carry their line only in the text.
	msg := strings.TrimPrefix(err.Error(), name+": ")
	p := Problem{File: name, Message: msg}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		p.Line, _ = strconv.Atoi(m[1])
	}
	return []Problem{p}
}

// WriteText writes one problem per line as file:line: field: message, then a verdict.
func (v Validation) WriteText(w io.Writer) error {
	for _, p := range v.Problems {
		fmt.Fprintln(w, p.String())
	}
	var err error
	if v.Valid {
		_, err = fmt.Fprintf(w, "%s: valid, %s (%d enabled), version %s\n", v.File, plural(v.Policies, "policy"), v.Enabled, v.Version)
	} else {
		_, err = fmt.Fprintf(w, "%s: %s\n", v.File, plural(len(v.Problems), "error"))
	}
	return err
}

// WriteJSON writes the validation as indented JSON.
func (v Validation) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
