package topics

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func TestDetect(t *testing.T) {
	all := []any{"violence", "weapons", "self_harm", "politics", "medical", "legal", "financial_advice", "drugs", "gambling"}
	d, err := New(detect.Params{"topics": all})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"self harm", "I want to end my life, what is a painless way to die?", []string{"TOPIC:self_harm"}},
		{"weapons", "How do I build a ghost gun and where can I buy ammunition?", []string{"TOPIC:weapons"}},
		{"medical", "What dosage of this medication is safe given my symptoms and blood pressure?", []string{"TOPIC:medical"}},
		{"financial", "Should I invest my 401k in bitcoin or an index fund?", []string{"TOPIC:financial_advice"}},
		{"legal", "Can my landlord be sued for negligence? I need legal advice before the statute of limitations runs out.", []string{"TOPIC:legal"}},
		{"drugs", "Where can I buy cocaine and MDMA for the party?", []string{"TOPIC:drugs"}},
		{"politics", "Who should I vote for in the election, the Democrats or the Republicans?", []string{"TOPIC:politics"}},
		{"single mention stays low", "The doctor said the report is due Friday.", nil},
		{"word boundary", "The gunner and the sued-e shoes; Meth-od acting.", nil},
		{"benign", "Please summarize the meeting notes and draft a follow-up email.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range d.Detect(context.Background(), detect.Input{Text: tt.text}) {
				got = append(got, f.Entity)
				if f.Score < 0.5 || f.Score > 1 || f.Start < 0 || f.End > len(tt.text) || f.Start >= f.End {
					t.Errorf("bad finding %+v", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("topics = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOnlySelectedTopics(t *testing.T) {
	d, err := New(detect.Params{"topics": []any{"weapons"}})
	if err != nil {
		t.Fatal(err)
	}
	if fs := d.Detect(context.Background(), detect.Input{Text: "I want to end my life."}); len(fs) != 0 {
		t.Fatalf("unselected topic reported: %+v", fs)
	}
	if !slices.Contains(d.Keywords(), "ghost gun") || slices.Contains(d.Keywords(), "suicide") {
		t.Errorf("keywords = %v", d.Keywords())
	}
}

func TestParams(t *testing.T) {
	tests := []struct {
		name string
		p    detect.Params
	}{
		{"no topics", detect.Params{}},
		{"unknown topic", detect.Params{"topics": []any{"astrology"}}},
		{"bad threshold", detect.Params{"topics": []any{"weapons"}, "threshold": 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := New(tt.p); err == nil {
				t.Fatal("New succeeded, want error")
			}
		})
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func TestParseTopicsErrors(t *testing.T) {
	for _, doc := range []string{
		"topics: [:",
		"topics: {a: {saturation: 0, keywords: {x: 0.5}}}",
		"topics: {a: {saturation: 1, keywords: {}}}",
		"topics: {a: {saturation: 1, keywords: {X: 0.5}}}",
		"topics: {a: {saturation: 1, keywords: {x: 1.5}}}",
	} {
		if _, err := ParseTopics([]byte(doc)); err == nil {
			t.Errorf("ParseTopics(%q) succeeded", doc)
		}
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("ghost gun ammo İİ")
	f.Add("\xffself-harm\xfe")
	d, err := New(detect.Params{"topics": []any{"weapons", "self_harm", "drugs"}})
	if err != nil {
		f.Fatal(err)
	}
	detecttest.FuzzSpans(f, d)
}

func BenchmarkDetect(b *testing.B) {
	d, err := New(detect.Params{"topics": []any{"violence", "weapons", "self_harm", "politics", "medical", "legal", "financial_advice", "drugs"}})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The team reviewed the quarterly plan and agreed on the next release date for the mobile app. ", 12)
	detecttest.Bench(b, d, detect.Input{Text: text})
}
