package policy

import (
	"context"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
)

const testPolicies = `
policies:
  - name: pii
    detector: pii
    threshold: 0.5
  - name: secrets
    detector: secrets
    severity: critical
    action: block
  - name: urls
    detector: urls
    severity: high
  - name: obfuscation
    detector: encoded
    roles: [user]
  - name: code
    detector: code
    roles: [user]
    params:
      markers: ["*.corp.example"]
`

func testEngine(t testing.TB, opts ...Option) *Engine {
	t.Helper()
	cfg, err := ParseConfig([]byte(testPolicies), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	e, err := NewEngine(cfg, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func findingPolicies(r Result) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Policy+"/"+f.Finding.Entity)
	}
	return out
}

func TestEvaluate(t *testing.T) {
	e := testEngine(t)
	token := "ghp_" + strings.Repeat("aB3dE5fG7h", 4)[:36]
	tests := []struct {
		name     string
		in       detect.Input
		want     []string // policy/entity that must be found
		wantTags []string // tags that must be present
		noTags   []string // tags that must be absent
	}{
		{
			name:     "clean",
			in:       detect.Input{Text: "How do I sort a slice in Go?", Role: detect.RoleUser},
			wantTags: []string{"No PII", "No Secrets", "No Malicious URLs", "No Obfuscation", "No Source Code"},
		},
		{
			name:     "pii and secret",
			in:       detect.Input{Text: "my email is dana@acme-corp.io and my token is " + token, Role: detect.RoleUser},
			want:     []string{"pii/EMAIL", "secrets/github-pat"},
			wantTags: []string{"PII: EMAIL", "Secret: github-pat", "No Malicious URLs"},
			noTags:   []string{"No PII", "No Secrets"},
		},
		{
			name:     "role scope",
			in:       detect.Input{Text: "aGVsbG8gdGhlcmUgZnJpZW5kIQ==", Role: detect.RoleAssistant},
			noTags:   []string{"No Obfuscation", "Obfuscation: BASE64"},
			wantTags: []string{"No PII"},
		},
		{
			name:     "decoded pii",
			in:       detect.Input{Text: "run " + base64.StdEncoding.EncodeToString([]byte("contact dana@acme-corp.io now")), Role: detect.RoleUser},
			want:     []string{"pii/EMAIL", "obfuscation/BASE64"},
			wantTags: []string{"PII: EMAIL", "Obfuscation: BASE64"},
		},
		{
			name: "url",
			in:   detect.Input{Text: "log in at http://185.23.4.9/login", Role: detect.RoleUser},
			want: []string{"urls/URL_IP_LITERAL"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.Evaluate(context.Background(), tt.in)
			got := findingPolicies(r)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("want finding %s, got %v", w, got)
				}
			}
			for _, w := range tt.wantTags {
				if !slices.Contains(r.Tags, w) {
					t.Errorf("want tag %q, got %v", w, r.Tags)
				}
			}
			for _, w := range tt.noTags {
				if slices.Contains(r.Tags, w) {
					t.Errorf("unwanted tag %q in %v", w, r.Tags)
				}
			}
			if !slices.IsSorted(r.Tags) {
				t.Errorf("tags not sorted: %v", r.Tags)
			}
			if r.Version != e.Version() {
				t.Errorf("result version %q, engine %q", r.Version, e.Version())
			}
			for _, f := range r.Findings {
				if f.Finding.Start < 0 || f.Finding.End > len(tt.in.Text) {
					t.Errorf("finding span out of range: %+v", f)
				}
				if f.Finding.Start < f.Finding.End && strings.Contains(f.Finding.Excerpt, tt.in.Text[f.Finding.Start:f.Finding.End]) {
					t.Errorf("excerpt not redacted: %+v", f)
				}
			}
		})
	}
}

func TestEffectiveAction(t *testing.T) {
	e := testEngine(t)
	r := e.Evaluate(context.Background(), detect.Input{Text: "token ghp_" + strings.Repeat("x1Y2z3W4v5", 4)[:36], Role: detect.RoleUser})
	for _, f := range r.Findings {
		if f.Policy == "secrets" {
			if f.Action != ActionBlock || f.EffectiveAction != ActionAlert || f.Severity != SeverityCritical {
				t.Fatalf("secrets finding: %+v", f)
			}
			return
		}
	}
	t.Fatalf("no secrets finding: %+v", r.Findings)
}

func TestPrefilterSkipsDetectors(t *testing.T) {
	cfg := &Config{Policies: []Policy{{Name: "count", Detector: "test-counter", Enabled: true, Severity: SeverityLow, Action: ActionLog}}}
	e, err := NewEngine(cfg, WithDecoding(0, 0))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		text string
		want int
	}{{"nothing to see", 0}, {"the MAGIC word", 1}} {
		before := counterCalls.Load()
		e.Evaluate(context.Background(), detect.Input{Text: tt.text, Role: detect.RoleUser})
		if got := int(counterCalls.Load() - before); got != tt.want {
			t.Errorf("%q: detector ran %d times, want %d", tt.text, got, tt.want)
		}
	}
}

func TestLargeInputChunks(t *testing.T) {
	e := testEngine(t, WithChunkSize(4096, 256))
	var b strings.Builder
	for b.Len() < 50_000 {
		b.WriteString("lorem ipsum dolor sit amet consectetur adipiscing elit ")
	}
	// Place the email across the first chunk boundary region.
	prefix := b.String()[:4090]
	text := prefix + " mail dana@acme-corp.io " + b.String()
	r := e.Evaluate(context.Background(), detect.Input{Text: text, Role: detect.RoleUser})
	n := 0
	for _, f := range r.Findings {
		if f.Finding.Entity == "EMAIL" {
			n++
			if got := text[f.Finding.Start:f.Finding.End]; got != "dana@acme-corp.io" {
				t.Errorf("email span maps to %q", got)
			}
		}
	}
	if n != 1 {
		t.Fatalf("want exactly one email finding across chunks, got %d: %v", n, findingPolicies(r))
	}
}

func TestConcurrentEvaluate(t *testing.T) {
	e := testEngine(t)
	corpus := syntheticCorpus(50)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, m := range corpus {
				if (i+w)%3 == 0 {
					e.Evaluate(context.Background(), m)
				}
			}
		}()
	}
	wg.Wait()
}

func TestReloadable(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "policies.yaml")
	// Write atomically (temp file + rename) so the watcher never sees a
	// half-written file, as a careful deploy would.
	write := func(s string, mtime time.Time) {
		t.Helper()
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(tmp, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, path); err != nil {
			t.Fatal(err)
		}
	}
	write("policies:\n  - name: pii\n    detector: pii\n", time.Now().Add(-time.Hour))
	r, err := NewReloadable(path)
	if err != nil {
		t.Fatal(err)
	}
	v1 := r.Version()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan struct{})
	go func() { r.Watch(ctx, path, 10*time.Millisecond); close(done) }()

	write("policies:\n  - name: pii\n    detector: pii\n    severity: high\n", time.Now())
	waitFor(t, func() bool { return r.Version() != v1 })
	v2 := r.Version()

	// A broken file keeps the last good engine.
	write("policies:\n  - name: pii\n    detector: nope\n", time.Now().Add(time.Minute))
	time.Sleep(50 * time.Millisecond)
	if r.Version() != v2 {
		t.Fatal("broken policy file replaced the engine")
	}
	if err := r.Reload(path); err == nil {
		t.Fatal("Reload of broken file: want error")
	}
	cancel()
	<-done
}

// waitFor polls cond; it bounds the wait, it does not assert timing.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for range 500 {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("condition not met")
}

// syntheticCorpus generates chat-like messages: mostly prose, some code,
// some with PII, secrets, URLs and encoded content, in fixed proportions.
func syntheticCorpus(n int) []detect.Input {
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("the a we you it report meeting customer project deploy service data error " +
		"please could help with this that review summary budget quarter plan team issue fix test release " +
		"database query performance latency user account order invoice schedule draft email policy")
	sentence := func() string {
		k := 8 + r.IntN(16)
		ws := make([]string, k)
		for i := range ws {
			ws[i] = words[r.IntN(len(words))]
		}
		return strings.Join(ws, " ") + "."
	}
	extras := []func() string{
		func() string {
			return fmt.Sprintf("You can reach me at user%d@acme-corp.io or +44 20 7946 0%03d.", r.IntN(1000), r.IntN(1000))
		},
		func() string { return "Here is the config: DATABASE_URL=postgres://app:S3cr3tPassw0rd9x@db:5432/prod" },
		func() string {
			return "```python\ndef handler(event, context):\n    data = json.loads(event['body'])\n    return {'status': 200}\n```"
		},
		func() string { return "See https://docs.example.com/guide and http://bit.ly/3xYz for details." },
		func() string {
			return "Decode this: " + base64.StdEncoding.EncodeToString([]byte("please summarise the quarterly numbers"))
		},
		func() string { return "My card is 4556 7375 8689 9855, exp 12/27." },
	}
	out := make([]detect.Input, n)
	roles := []detect.Role{detect.RoleUser, detect.RoleAssistant, detect.RoleUser, detect.RoleTool}
	for i := range out {
		var b strings.Builder
		for range 2 + r.IntN(12) {
			b.WriteString(sentence())
			b.WriteByte(' ')
		}
		if r.IntN(3) == 0 {
			b.WriteString(extras[r.IntN(len(extras))]())
		}
		out[i] = detect.Input{Text: b.String(), Role: roles[i%len(roles)], ChatID: fmt.Sprint(i / 10), UserID: "u1"}
	}
	return out
}

func BenchmarkEngine(b *testing.B) {
	benchCorpus(b, testEngine(b), syntheticCorpus(500))
}

func BenchmarkEngineDefaults(b *testing.B) {
	e, err := Load("")
	if err != nil {
		b.Fatal(err)
	}
	benchCorpus(b, e, syntheticCorpus(500))
}

// benchCorpus evaluates every input of corpus per iteration and reports
// throughput over their text.
func benchCorpus(b *testing.B, e *Engine, corpus []detect.Input) {
	var size int64
	for _, m := range corpus {
		size += int64(len(m.Text))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	ctx := context.Background()
	cpu := processCPU()
	for b.Loop() {
		for _, m := range corpus {
			e.Evaluate(ctx, m)
		}
	}
	reportCPU(b, cpu, size)
}

func BenchmarkEngineLargeMessage(b *testing.B) {
	benchLargeMessage(b, testEngine(b), 5000)
}

// benchLargeMessage scans one 5 MB message built from the synthetic corpus.
func benchLargeMessage(b *testing.B, e *Engine, corpusSize int) {
	var sb strings.Builder
	for _, m := range syntheticCorpus(corpusSize) {
		sb.WriteString(m.Text)
		sb.WriteByte('\n')
		if sb.Len() >= 5<<20 {
			break
		}
	}
	for sb.Len() < 5<<20 {
		sb.WriteString("more filler text for the large message benchmark. ")
	}
	in := detect.Input{Text: sb.String()[:5<<20], Role: detect.RoleUser}
	b.SetBytes(int64(len(in.Text)))
	b.ReportAllocs()
	for b.Loop() {
		e.Evaluate(context.Background(), in)
	}
}

func FuzzEvaluate(f *testing.F) {
	e := testEngine(f, WithChunkSize(512, 64))
	for _, m := range syntheticCorpus(10) {
		f.Add(m.Text, "user")
	}
	f.Add("aGVsbG8gZGFuYUBhY21lLWNvcnAuaW8=", "tool")
	f.Add("\u202e\u200b%41%42%43 http://xn--a.zip", "file")
	f.Fuzz(func(t *testing.T, text, role string) {
		r := e.Evaluate(context.Background(), detect.Input{Text: text, Role: detect.Role(role)})
		for _, fd := range r.Findings {
			if fd.Finding.Start < 0 || fd.Finding.End > len(text) || fd.Finding.Start > fd.Finding.End {
				t.Fatalf("bad span %+v for len %d", fd.Finding, len(text))
			}
		}
	})
}
