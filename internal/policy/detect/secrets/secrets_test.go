package secrets

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// fake builds a random-looking token at test time so no literal credential
// sits in the source (and secret scanners stay quiet about this file).
func fake(prefix string, n int, alphabet string) string {
	r := rand.New(rand.NewPCG(uint64(len(prefix)), uint64(n)))
	var b strings.Builder
	b.WriteString(prefix)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

const (
	alnum   = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	upper27 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

func newDetector(t testing.TB, p detect.Params) detect.Detector {
	t.Helper()
	d, err := New(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func TestDetect(t *testing.T) {
	d := newDetector(t, nil)
	pem := "-----BEGIN " + "RSA PRIVATE KEY-----\n" + fake("MIIEow", 58, alnum) + "\n" + fake("", 64, alnum) + "\n"
	tests := []struct {
		name string
		text string
		want string // entity (rule id) that must be found; "" = no finding
	}{
		{"github pat", "here is my token " + fake("ghp_", 36, alnum) + " can you debug", "github-pat"},
		{"aws key", "aws_access_key_id = " + fake("AKIA", 16, upper27), "aws-access-token"},
		{"pem without end", "my key:\n" + pem, "pem-private-key"},
		{"postgres url", "DATABASE_URL=postgres://app:" + fake("", 14, alnum) + "@db.internal:5432/prod", "connection-string-url"},
		{"mongodb srv", "mongodb+srv://admin:" + fake("", 12, alnum) + "@cluster0.abcd.mongodb.net/test", "connection-string-url"},
		{"ado", "Server=tcp:sql01,1433;Database=crm;User Id=sa;Password=" + fake("", 12, alnum) + ";", "connection-string-ado"},
		{"password assignment", `db_password = "` + fake("", 16, alnum) + `"`, ""},
		{"placeholder", `password = "changeme123"`, ""},
		{"placeholder with dash", `secret: change-me-in-production`, ""},
		{"placeholder connection string", `postgres://user:pass@db.internal:5432/app`, ""},
		{"low entropy", `password: aaaaaaaaaaaa`, ""},
		{"env reference", `password = os.environ["DB_PASSWORD"]`, ""},
		{"plain prose", "What is a good password policy for our team?", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			if tt.want == "" {
				if tt.name == "password assignment" {
					if len(fs) == 0 {
						t.Fatalf("want a finding in %q", tt.text)
					}
					return
				}
				if len(fs) > 0 {
					t.Fatalf("want no finding in %q, got %+v", tt.text, fs)
				}
				return
			}
			for _, f := range fs {
				if f.Entity == tt.want {
					raw := tt.text[f.Start:f.End]
					if strings.Contains(f.Excerpt, raw) {
						t.Errorf("excerpt %q not redacted", f.Excerpt)
					}
					return
				}
			}
			t.Errorf("want %s in %q, got %+v", tt.want, tt.text, fs)
		})
	}
}

func TestLargeTextWindows(t *testing.T) {
	d := newDetector(t, nil)
	filler := strings.Repeat("nothing secret in this line, just words about tokens\n", 1500)
	token := fake("ghp_", 36, alnum)
	text := filler + "my token " + token + "\n" + filler
	for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
		if f.Entity == "github-pat" {
			if got := text[f.Start:f.End]; got != token {
				t.Fatalf("span maps to %q", got)
			}
			return
		}
	}
	t.Fatal("token in large text not found")
}

func TestKeywords(t *testing.T) {
	d := newDetector(t, nil)
	kws := d.Keywords()
	if len(kws) < 100 {
		t.Fatalf("got %d keywords, want gitleaks' full set", len(kws))
	}
	for _, k := range kws {
		if k != strings.ToLower(k) {
			t.Errorf("keyword %q not lower-case", k)
		}
	}
}

func TestParams(t *testing.T) {
	text := "token " + fake("ghp_", 36, alnum)
	d := newDetector(t, detect.Params{"disabled_rules": []any{"github-pat"}})
	for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
		if f.Entity == "github-pat" {
			t.Errorf("disabled rule reported: %+v", f)
		}
	}
	if _, err := New(detect.Params{"rules": []any{"no-such-rule"}}); err == nil {
		t.Error("unknown rule: want error")
	}
}

func TestShannon(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{{"", 0}, {"aaaa", 0}, {"ab", 1}, {"abcd", 2}}
	for _, tt := range tests {
		if got := shannon(tt.in); got != tt.want {
			t.Errorf("shannon(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzDetect(f *testing.F) {
	d := newDetector(f, nil)
	f.Add("password=" + fake("", 20, alnum))
	f.Add("postgres://u:p@h/db")
	f.Add("-----BEGIN PRIVATE KEY-----\nAAAA")
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s}) {
			if fd.Start < 0 || fd.End > len(s) || fd.Start > fd.End {
				t.Fatalf("bad span %d..%d for len %d", fd.Start, fd.End, len(s))
			}
		}
	})
}

// TestBoundedWindowsMatchWholeText checks that running bounded rules only
// around their keywords, and prefix rules only at them, finds what running
// them over the whole text finds.
func TestBoundedWindowsMatchWholeText(t *testing.T) {
	d := newDetector(t, nil).(*Detector)
	r := rand.New(rand.NewPCG(9, 9))
	pieces := []string{
		fake("s.", 24, alnum), fake("hvs.", 95, alnum), fake("ghp_", 36, alnum), fake("AKIA", 16, upper27),
		fake("xoxb-", 30, alnum), "token = " + fake("", 24, alnum), "s.", "ghp_", "the ", "report. ", "\n",
		"api_key: " + fake("", 32, alnum), "postgres://u:" + fake("", 12, alnum) + "@db/x", "é", " ", ";",
		"eyJ" + fake("", 20, alnum) + ".eyJ" + fake("", 30, alnum) + "." + fake("", 20, alnum), "they ", "key",
		"xoxb-" + fake("", 12, "0123456789") + "-" + fake("", 12, "0123456789") + fake("", 10, alnum), "xoxb-",
		"curl -H \"Authorization: Bearer " + fake("", 20, alnum) + "\" https://x", "glc_" + fake("", 40, alnum), "_",
	}
	total := 0
	for range 500 {
		var b strings.Builder
		for range 1 + r.IntN(40) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		text := b.String()
		got := d.Detect(context.Background(), detect.Input{Text: text})
		// Every rule over the whole text, as overlapping findings of
		// unbounded rules decide which bounded ones preferSpecific keeps.
		var all []detect.Finding
		for i := range d.rules {
			rl := &d.rules[i]
			if slices.ContainsFunc(rl.keywords, func(k string) bool { return strings.Contains(strings.ToLower(text), k) }) {
				all = append(all, d.detectRule(rl, text, [2]int{0, len(text)}, "")...)
			}
		}
		bounded := func(fs []detect.Finding) []detect.Finding {
			var out []detect.Finding
			for _, f := range fs {
				for i := range d.rules {
					if d.rules[i].id == f.Entity && (d.rules[i].maxLen > 0 || d.rules[i].anchored != nil) {
						out = append(out, f)
					}
				}
			}
			return out
		}
		want := bounded(preferSpecific(all))
		total += len(want)
		gotBounded := bounded(got)
		if len(gotBounded) != len(want) {
			t.Fatalf("%q: windows found %+v, whole text %+v", text, gotBounded, want)
		}
		for i := range want {
			if want[i] != gotBounded[i] {
				t.Fatalf("%q: windows found %+v, whole text %+v", text, gotBounded, want)
			}
		}
	}
	if total < 100 {
		t.Fatalf("only %d findings: the generated texts no longer exercise the rules", total)
	}
}

// TestGatesKeepEveryFinding checks that skipping the keyword occurrences
// where a rule's gate fails, and the text before a rule's first keyword
// hit that no match can start in, finds what the rules find without.
func TestGatesKeepEveryFinding(t *testing.T) {
	d := newDetector(t, nil).(*Detector)
	gated := 0
	plain := *d
	plain.rules = slices.Clone(d.rules)
	led := 0
	for i := range plain.rules {
		if plain.rules[i].gate != nil {
			gated++
			plain.rules[i].gate = nil
		}
		if plain.rules[i].led != nil {
			led++
			plain.rules[i].led = nil
		}
	}
	if led == 0 {
		t.Fatal("no rule skips the text before its keywords")
	}
	if gated == 0 || d.rules[slices.IndexFunc(d.rules, func(r rule) bool { return r.id == "generic-api-key" })].gate == nil {
		t.Fatalf("%d rules with gates, generic-api-key without one", gated)
	}
	r := rand.New(rand.NewPCG(4, 4))
	pieces := []string{
		"key", "KEY", "Api", "API", "token", "Secret", "passwd", "password", "auth", "access", "creds", "credential",
		"\u212aey", "\u017fecret", // Kelvin sign and long s: (?i) k and s match them, ASCII lower-casing does not
		" ", "  ", "\t", "\n", "=", ":", "::=", "=>", "||", "?=", ",", ">", "\"", "'", "`", ";", "_", "-", ".",
		fake("", 8, alnum), fake("", 12, alnum), fake("", 24, alnum), fake("", 40, alnum), "+/", "==",
		"the ", "report ", "is down ", "ghp_" + fake("", 36, alnum), "AKIA" + fake("", 16, upper27), "\\n",
	}
	found := 0
	for i := range 3000 {
		var b strings.Builder
		n := 1 + r.IntN(30)
		if i%500 == 0 {
			n = 6000 // past windowThreshold: windows around the gated hits
		}
		for range n {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := detect.Input{Text: b.String()}
		got, want := d.Detect(context.Background(), in), plain.Detect(context.Background(), in)
		found += len(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nwith gates %+v\n   without %+v", in.Text, got, want)
		}
	}
	if found < 300 {
		t.Fatalf("only %d findings: the generated texts no longer exercise the rules", found)
	}
}

func TestWithoutStopWords(t *testing.T) {
	gl, err := gitleaksRules()
	if err != nil {
		t.Fatal(err)
	}
	fixture := "ABCDEFGHIJKLMNOPQRSTUVWXYZ" + fake("", 8, digits)
	all, err := newAllowlists(gl.Allowlists)
	if err != nil {
		t.Fatal(err)
	}
	if !allowed(all, fixture, fixture, fixture, "") {
		t.Fatalf("gitleaks' global allowlist no longer stops %q; the global_stop_words option is moot", fixture)
	}
	without, err := withoutStopWords(gl.Allowlists)
	if err != nil {
		t.Fatal(err)
	}
	lists, err := newAllowlists(without)
	if err != nil {
		t.Fatal(err)
	}
	if allowed(lists, fixture, fixture, fixture, "") {
		t.Errorf("without stop words %q is still allowed", fixture)
	}
	if !allowed(lists, "${DB_PASSWORD}", "${DB_PASSWORD}", "", "") {
		t.Error("without stop words the global regexes no longer apply")
	}
}

// TestTokenGateKeepsEveryFinding checks that running a token-gated rule
// only around token-like runs finds what running it on the whole text does.
func TestTokenGateKeepsEveryFinding(t *testing.T) {
	d := newDetector(t, detect.Params{"rules": []any{"high-entropy-assignment"}}).(*Detector)
	if d.rules[0].tokenGate == 0 {
		t.Fatal("high-entropy-assignment has no token gate")
	}
	plain := *d
	plain.rules = slices.Clone(d.rules)
	plain.rules[0].tokenGate = 0
	r := rand.New(rand.NewPCG(5, 5))
	pieces := []string{
		"acme", "db_host", "- ", "export ", " ", "  ", "\t", "\n", "\r\n", "=", ": ", " = ", ":=", "=>", "\"", "'", "`", ",", ";", "{", "}", "[",
		fake("", 24, alnum), fake("", 40, alnum), fake("", 30, alnum+"+/") + "==", "sha512-", "id", "v.Op", "the report is due",
	}
	keys := []string{"acme", "db_host", "- acme", "export ACME", "\"acme\"", "v.Op", "id"}
	ops := []string{"=", ": ", " = ", ":=", "=>", " "}
	quotes := []string{"", "\"", "'", "`"}
	found := 0
	for range 3000 {
		var b strings.Builder
		for range 1 + r.IntN(8) {
			if r.IntN(3) == 0 {
				b.WriteString(pieces[r.IntN(len(pieces))])
				continue
			}
			q := quotes[r.IntN(len(quotes))]
			b.WriteString(keys[r.IntN(len(keys))] + ops[r.IntN(len(ops))] + q + fake("", 20+r.IntN(30), alnum) + q)
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		in := detect.Input{Text: b.String()}
		got, want := d.Detect(context.Background(), in), plain.Detect(context.Background(), in)
		found += len(want)
		if !slices.Equal(got, want) {
			t.Fatalf("%q:\nwith token gate %+v\n        without %+v", in.Text, got, want)
		}
	}
	if found < 300 {
		t.Fatalf("only %d findings: the generated texts no longer exercise the rule", found)
	}
}
