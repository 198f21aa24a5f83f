package aigenerated

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, p detect.Params) *Detector {
	t.Helper()
	d, err := New(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// uniform builds n sentences of exactly words words each.
func uniform(n, words int) string {
	var b strings.Builder
	for i := range n {
		for w := range words {
			if w > 0 {
				b.WriteByte(' ')
			}
			b.WriteString([]string{"the", "team", "shipped", "a", "careful", "update", "today"}[(i+w)%7])
		}
		b.WriteString(". ")
	}
	return b.String()
}

func TestDetect(t *testing.T) {
	d := newDetector(t, nil)
	tests := []struct {
		name string
		role detect.Role
		text string
		want bool
	}{
		{"self reference", detect.RoleUser, "As an AI language model, I don't have personal opinions, but here is a summary.", true},
		{"stacked stock phrases", detect.RoleFile, "In today's fast-paced world, it's important to note that teams must delve into data. I hope this helps!", true},
		{"one fashionable word", detect.RoleUser, "Let's delve into the numbers on Monday.", false},
		{"casual human", detect.RoleUser, "ok so the build broke again lol. can you look? I think it's the cache thing from yesterday", false},
		{"assistant role skipped", detect.RoleAssistant, "As an AI language model, I cannot do that.", false},
		{"word boundary", detect.RoleUser, "Moreoverall is not a word, and bustlingly neither.", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text, Role: tt.role})
			if got := len(fs) > 0; got != tt.want {
				t.Fatalf("flagged = %v (%+v, %+v), want %v", got, fs, d.Score(tt.text), tt.want)
			}
		})
	}
}

func TestUniformity(t *testing.T) {
	tests := []struct {
		name string
		text string
		min  float64
		max  float64
	}{
		{"too short", uniform(3, 10), 0, 0},
		{"uniform", uniform(10, 12), 1, 1},
		{"bursty", strings.Repeat("No. ", 4) + uniform(1, 40) + strings.Repeat("Fine then. ", 3) + uniform(1, 35) + "Why? " + uniform(1, 25), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uniformity(tt.text); got < tt.min || got > tt.max {
				t.Fatalf("uniformity = %v, want in [%v, %v]", got, tt.min, tt.max)
			}
		})
	}
	// Uniform length alone stays below the default threshold.
	if fs := newDetector(t, nil).Detect(context.Background(), detect.Input{Text: uniform(10, 12), Role: detect.RoleUser}); len(fs) != 0 {
		t.Errorf("uniformity alone flagged: %+v", fs)
	}
}

func TestParsePhrases(t *testing.T) {
	for _, doc := range []string{"0.5 no tab", "2\ttoo heavy", "0.5\tUpper", "x\tbad weight", "0.5\t"} {
		if _, err := ParsePhrases([]byte(doc)); err == nil {
			t.Errorf("ParsePhrases(%q) succeeded", doc)
		}
	}
	ps, err := ParsePhrases([]byte("# comment\n\n0.5\tfoo bar\n"))
	if err != nil || len(ps) != 1 || ps[0].Text != "foo bar" {
		t.Fatalf("ParsePhrases = %+v, %v", ps, err)
	}
	if _, err := New(detect.Params{"threshold": 5}); err == nil {
		t.Error("threshold 5 accepted")
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("As an AI language model. I hope this helps!")
	f.Add("\xffİ delve into’s")
	d := newDetector(f, detect.Params{"threshold": 0.01})
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s, Role: detect.RoleUser}) {
			if fd.Start != 0 || fd.End != len(s) || fd.Score > 1 {
				t.Fatalf("bad finding %+v for %d bytes", fd, len(s))
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	d := newDetector(b, nil)
	text := uniform(20, 14) + "I hope this helps!"
	detecttest.Bench(b, d, detect.Input{Text: text, Role: detect.RoleUser})
}
