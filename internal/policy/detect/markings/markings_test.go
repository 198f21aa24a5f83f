package markings

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, p detect.Params) detect.Detector { return detecttest.New(t, New, p) }

// reported returns the entities scored at or above the usual threshold.
func reported(fs []detect.Finding) map[string]bool { return detecttest.Reported(fs, 0.5) }

func TestDetect(t *testing.T) {
	d := newDetector(t, detect.Params{"markings": []any{"Northwind Restricted"}})
	tests := []struct {
		name string
		text string
		want string // "" = nothing reported
	}{
		{"capital header", "CONFIDENTIAL\n\nQ3 board pack: revenue 41.2M, churn 3.1%.", Confidential},
		{"footer line", "Roadmap for 2027 …\n\nInternal use only – do not share\n", Confidential},
		{"label", "Confidential: the merger closes in May.", Confidential},
		{"bracket label", "[Internal only] new pricing tiers attached", Confidential},
		{"privilege", "PRIVILEGED AND CONFIDENTIAL\nAttorney work product for the Smith matter.", Privileged},
		{"classification", "TOP SECRET//NOFORN\nSubject: site survey", Classified},
		{"embargo", "EMBARGOED UNTIL 9:00 ET, 4 March", Embargoed},
		{"custom marking", "NORTHWIND RESTRICTED – supplier list", Custom},

		{"prose", "Please keep this confidential between us, I have not told the team yet.", ""},
		{"longer word", "Our confidentiality agreement template needs a review.", ""},
		{"question about markings", "What does it mean when a document says it is for internal use only?", ""},
		{"plain text", "Summarize the attached meeting notes in three bullets.", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := reported(d.Detect(context.Background(), detect.Input{Text: tt.text}))
			if tt.want == "" && len(got) > 0 || tt.want != "" && !got[tt.want] {
				t.Errorf("reported %v, want %q", got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	d := newDetector(t, detect.Params{"entities": []any{"privileged"}})
	if got := reported(d.Detect(context.Background(), detect.Input{Text: "CONFIDENTIAL\nAttorney-client privileged"})); got[Confidential] || !got[Privileged] {
		t.Errorf("entities filter: %v", got)
	}
	if _, err := New(detect.Params{"markings": []any{" "}}); err == nil {
		t.Error("an empty marking was accepted")
	}
	if _, err := New(detect.Params{"entities": []any{"NONE"}}); err == nil {
		t.Error("entities that leave nothing were accepted")
	}
}

func TestKeywordsCoverEveryMarking(t *testing.T) {
	d := newDetector(t, detect.Params{})
	for _, fs := range []string{"CONFIDENTIAL", "Internal only", "TOP SECRET", "Embargoed until"} {
		lower := strings.ToLower(fs)
		found := false
		for _, k := range d.Keywords() {
			found = found || strings.Contains(lower, k)
		}
		if !found {
			t.Errorf("no keyword for %q", fs)
		}
	}
}

func BenchmarkDetect(b *testing.B) {
	text := strings.Repeat("The quarterly numbers look fine and the team is on track for the launch. ", 14) + "\nCONFIDENTIAL\n"
	detecttest.Bench(b, newDetector(b, detect.Params{}), detect.Input{Text: text})
}
