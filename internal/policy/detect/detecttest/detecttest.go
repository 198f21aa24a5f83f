// Package detecttest holds checks shared by the detectors' tests.
package detecttest

import (
	"context"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect"
)

// New builds a detector with factory and params p, failing the test when
// the factory refuses them.
func New(t testing.TB, factory detect.Factory, p detect.Params) detect.Detector {
	t.Helper()
	d, err := factory(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// Reported returns the entities of the findings scored at least threshold
// (the policy threshold a test stands for).
func Reported(findings []detect.Finding, threshold float64) map[string]bool {
	out := map[string]bool{}
	for _, f := range findings {
		if f.Score >= threshold {
			out[f.Entity] = true
		}
	}
	return out
}

// CheckSpans fails the test when a finding's span is not a valid byte range of text.
func CheckSpans(t testing.TB, text string, findings []detect.Finding) {
	t.Helper()
	for _, fd := range findings {
		if fd.Start < 0 || fd.End > len(text) || fd.Start > fd.End {
			t.Fatalf("span %d-%d out of %d bytes", fd.Start, fd.End, len(text))
		}
	}
}

// FuzzSpans fuzzes d with f's corpus, checking every finding's span.
func FuzzSpans(f *testing.F, d detect.Detector) {
	f.Fuzz(func(t *testing.T, s string) {
		CheckSpans(t, s, d.Detect(context.Background(), detect.Input{Text: s}))
	})
}

// Bench measures d on in, reporting throughput over in.Text.
func Bench(b *testing.B, d detect.Detector, in detect.Input) {
	ctx := context.Background()
	b.SetBytes(int64(len(in.Text)))
	for b.Loop() {
		d.Detect(ctx, in)
	}
}

// CheckEntity fails the test unless findings include one of entity want,
// or, when want is "", unless there are none.
func CheckEntity(t testing.TB, text string, findings []detect.Finding, want string) {
	t.Helper()
	if want == "" {
		if len(findings) > 0 {
			t.Fatalf("want nothing in %q, got %+v", text, findings)
		}
		return
	}
	for _, f := range findings {
		if f.Entity == want {
			return
		}
	}
	t.Fatalf("want %s in %q, got %+v", want, text, findings)
}

// CheckFlagged runs d on text: it must flag it exactly when want, with
// findings of detector id and entity, scored 0.5 to 1, on non-empty spans
// of the text (the classifier-backed detectors: injection, jailbreak).
func CheckFlagged(t testing.TB, d detect.Detector, id, entity, text string, role detect.Role, want bool) {
	t.Helper()
	fs := d.Detect(context.Background(), detect.Input{Text: text, Role: role})
	if got := len(fs) > 0; got != want {
		t.Fatalf("flagged = %v (%+v), want %v", got, fs, want)
	}
	for _, f := range fs {
		if f.Detector != id || f.Entity != entity || f.Score < 0.5 || f.Score > 1 {
			t.Errorf("bad finding %+v", f)
		}
		if f.Start < 0 || f.End > len(text) || f.Start >= f.End {
			t.Errorf("bad span %d-%d", f.Start, f.End)
		}
	}
}

// CheckHybridParams checks that a classifier-backed detector's factory
// accepts its defaults and a threshold in (0,1], and refuses a threshold of
// 0 or above 1 and max_windows 0.
func CheckHybridParams(t *testing.T, factory detect.Factory) {
	t.Helper()
	tests := []struct {
		name    string
		p       detect.Params
		wantErr bool
	}{
		{"defaults", nil, false},
		{"threshold", detect.Params{"threshold": 0.9}, false},
		{"threshold zero", detect.Params{"threshold": 0}, true},
		{"threshold above one", detect.Params{"threshold": 1.5}, true},
		{"max windows zero", detect.Params{"max_windows": 0}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := factory(tt.p); (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
		})
	}
}

// CheckRegistered checks that the detector id is registered and that its
// factory builds it with default params.
func CheckRegistered(t *testing.T, id string) {
	t.Helper()
	f, ok := detect.Lookup(id)
	if !ok {
		t.Fatalf("%q is not registered", id)
	}
	d, err := f(nil)
	if err != nil || d.ID() != id {
		t.Fatalf("factory = %v, %v", d, err)
	}
}

// CheckRuleExamples checks that every rule of a classifier-backed
// detector has examples and matches each of them, which also proves the
// keyword prefilter lets them through.
func CheckRuleExamples(t *testing.T, rules *classifier.RuleSet) {
	t.Helper()
	for _, r := range rules.Rules {
		if len(r.Examples) == 0 {
			t.Errorf("rule %s has no examples", r.ID)
		}
		for _, ex := range r.Examples {
			found := false
			for _, m := range rules.Match(ex) {
				found = found || m.Rule.ID == r.ID
			}
			if !found {
				t.Errorf("rule %s does not match its example %q", r.ID, ex)
			}
		}
	}
}
