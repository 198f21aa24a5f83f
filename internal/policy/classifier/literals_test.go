package classifier

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/literal"
)

// ruleFiles are the embedded rule sets that use literal.RequiredFolded.
var ruleFiles = []string{"../detect/injection/rules.yaml", "../detect/jailbreak/rules.yaml", "../detect/codeinjection/rules.yaml"}

// TestRequiredLiteralsNecessary checks on every rule example, and on
// case and look-alike variants of it, that a regex match implies one of
// the rule's required literals is present.
func TestRequiredLiteralsNecessary(t *testing.T) {
	for _, f := range ruleFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rs := MustParseRules(data)
		for _, r := range rs.Rules {
			for _, ex := range r.Examples {
				for _, v := range variants(ex) {
					checkNecessary(t, &r, v)
				}
			}
		}
	}
}

func variants(s string) []string {
	return []string{s, strings.ToUpper(s), strings.ToLower(s),
		strings.NewReplacer("k", "\u212a", "s", "\u017f", "K", "\u212a", "S", "\u017f").Replace(s)}
}

func checkNecessary(t *testing.T, r *Rule, text string) {
	t.Helper()
	if !r.re.MatchString(text) {
		return
	}
	lower := detect.Bytes(detect.LowerASCII(text))
	if r.required != nil && !r.required.In(lower) {
		t.Errorf("rule %s matches %q but none of %q is in it", r.ID, text, r.required)
	}
	plain := !strings.Contains(text, "\u212a") && !strings.Contains(text, "\u017f")
	if plain && r.requiredPlain != nil && !r.requiredPlain.In(lower) {
		t.Errorf("rule %s matches %q but none of the plain %q is in it", r.ID, text, r.requiredPlain)
	}
	if r.branches != nil && !r.branches.In(lower) {
		t.Errorf("rule %s matches %q but fails its branches %q", r.ID, text, r.branches)
	}
	if plain && r.branchesPlain != nil && !r.branchesPlain.In(lower) {
		t.Errorf("rule %s matches %q but fails its plain branches %q", r.ID, text, r.branchesPlain)
	}
}

func FuzzRequiredLiterals(f *testing.F) {
	var rules []Rule
	for _, file := range ruleFiles {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		rs := MustParseRules(data)
		rules = append(rules, rs.Rules...)
		for _, r := range rs.Rules {
			for _, ex := range r.Examples {
				f.Add(ex)
			}
		}
	}
	extra := regexp.MustCompile(`(?i)\b(do\s+not|never|without)\s+(tell|ask)\s+(the\s+)?user\b`)
	f.Fuzz(func(t *testing.T, text string) {
		for i := range rules {
			checkNecessary(t, &rules[i], text)
		}
		if extra.MatchString(text) {
			req := literal.RequiredFolded(extra.String(), false)
			if !literal.NewSet(req).In(detect.Bytes(detect.LowerASCII(text))) {
				t.Errorf("%q matches but lacks %q", text, req)
			}
		}
	})
}
