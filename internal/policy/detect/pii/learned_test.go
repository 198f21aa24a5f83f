package pii

import (
	"context"
	_ "embed"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/classifier"
	"github.com/claudit/claudit/internal/policy/detect"
)

//go:embed model/pii.manifest.json
var manifestFile []byte

// TestModelManifest checks that the embedded model is the one its manifest
// describes and was trained on the shared data as it is now.
func TestModelManifest(t *testing.T) {
	man, err := classifier.ParseManifest(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	err = man.Check(modelFile, classifier.SharedDir())
	if errors.Is(err, classifier.ErrNoData) {
		t.Skipf("shared data not present, only the model hash was checked: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
}

func TestModelRoundTrip(t *testing.T) {
	m, err := ParseModel(modelFile)
	if err != nil {
		t.Fatalf("embedded model: %v", err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(modelFile) {
		t.Errorf("re-encoded model differs from the embedded file")
	}
	for _, bad := range [][]byte{nil, []byte("not a model"), modelFile[:len(modelFile)/2]} {
		if _, err := ParseModel(bad); err == nil {
			t.Errorf("ParseModel(%d bytes) = nil error", len(bad))
		}
	}
}

// learnedEntity runs the default pii policy's thresholds on text and
// reports whether entity was found by any recognizer, with its excerpt.
func learnedEntity(t *testing.T, d detect.Detector, text, entity string) (bool, string) {
	t.Helper()
	for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
		if f.Entity == entity {
			return true, text[f.Start:f.End]
		}
	}
	return false, ""
}

// defaultThresholds are the pii policy's thresholds in the default policies.
var defaultThresholds = detect.Params{"threshold": 0.5, "thresholds": map[string]any{"PHONE": 0.6, "IP_ADDRESS": 0.55, "PERSON": 0.7}}

func TestLearnedPerson(t *testing.T) {
	d := newDetector(t, defaultThresholds)
	tests := []struct {
		text string
		want bool
	}{
		{"Meeting notes: Lucía Fernández agreed on the budget.", true},
		{"The Great Gatsby was written by F. Scott Fitzgerald.", true},
		{"Could you add Oluwaseun Adeyemi to the shared calendar?", true},
		{"Signed by Margarethe Vandenberg", true},
		{"I read the New York Times every Monday morning.", false},
		{"We migrated from PostgreSQL to Aurora Serverless last quarter.", false},
		{"Explain how Kubernetes schedules pods across nodes.", false},
		{"Translate \"Good Morning\" into German.", false},
		{"Hey, can you fix the Docker build before Friday?", false},
		{"In 1999 Apple released three new Macs.", false},
		{"what is the capital of australia", false},
		// Product and company names, alone or with everyday words.
		{"Act as a Linux terminal and show me the output of ls.", false},
		{"Which integrates better with Jira, Notion or Trello?", false},
		{"Write a Sigma rule and a YARA rule for this loader.", false},
		{"Agenda for Monday: roadmap review and onboarding.", false},
		{"'Don't look back,' she whispered. 'We're almost there.'", false},
		{"Explain the difference between Amazon S3 and Google Cloud Storage.", false},
		{"Ask Claude to summarize the thread.", false},
		{"Override the default font in my CSS for all headings.", false},
		{"Forward the report to Priyanka Linux-Ong in finance.", true},
		// One capitalised word needs a higher score than a full name.
		{"flowchart LR\n  Ingest --> Store\n  Store --> Policy\n  Policy --> Alerts\n", false},
		{"Paste from the config, it's base64: aGVsbG8gd29ybGQ=", false},
		{"Plan a three-day itinerary for a conference trip to Lisbon with one free afternoon.", false},
		{"Flights from Chicago to Denver are cheaper on Tuesdays.", false},
	}
	for _, tt := range tests {
		got, span := learnedEntity(t, d, tt.text, Person)
		if got != tt.want {
			t.Errorf("%q: PERSON found %v (%q), want %v", tt.text, got, span, tt.want)
		}
	}
}

func TestAfterGreeting(t *testing.T) {
	for _, tt := range []struct{ span, name string }{
		{"Hi Olivia", "Olivia"},
		{"Dear  Dr. Khan", "Dr. Khan"},
		{"Hello, Mateo Lopez", "Mateo Lopez"},
		{"Hello! Mateo", "Mateo"},
		{"Olivia Mensah", "Olivia Mensah"},
		{"Hi", "Hi"},
	} {
		text := "x " + tt.span
		if got := text[afterGreeting(text, 2, len(text)):]; got != tt.name {
			t.Errorf("afterGreeting(%q) leaves %q, want %q", tt.span, got, tt.name)
		}
	}
}

func TestWeakPerson(t *testing.T) {
	for _, tt := range []struct {
		span  string
		score float64
		weak  bool
	}{
		{"Olivia Mensah", 0.71, false},
		{"Olivia", 0.95, false},
		{"Olivia", 0.75, true},
		{"5250224841676275", 0.9, true},
		{"We're Ready", 0.9, true},
	} {
		if got := weakPerson(tt.span, tt.score); got != tt.weak {
			t.Errorf("weakPerson(%q, %v) = %v, want %v", tt.span, tt.score, got, tt.weak)
		}
	}
}

func TestLearnedStreetAddress(t *testing.T) {
	d := newDetector(t, defaultThresholds)
	tests := []struct {
		text string
		want bool
	}{
		{"She moved to 1600 Pennsylvania Avenue NW, Washington, DC 20500 last year.", true},
		{"Send invoices to Acme GmbH, Hauptstraße 12, 10115 Berlin, Germany.", true},
		{"Deliver to:\nOrla Brennan\n42 Quayside Row\nGalway H91 2X3", true},
		{"The function returns 404 when the user has 3 retries left.", false},
		{"Chapter 12 Section 4 covers eigenvalues.", false},
		{"Please set the timeout to 3000 ms and retry 5 times.", false},
		{"Reach the front desk on +49 30 1234567 ext. 204.", false},
		{"Version 10.2.3 was released on 2023-05-01.", false},
		// A number's letter suffix then a full stop ends a sentence, not
		// an abbreviation inside an address.
		{"Sunny, 21C. Important notice follows.", false},
		{"Let's meet at 5PM. Thanks, Bob", false},
		{"The parcel went to 221B Baker Street, London.", true},
		// A standard's acronym or a product before a number is a version.
		{"Generate unit tests for a function that parses ISO 8601 dates.", false},
		{"Follow ISO 27001 controls and parse RFC 3339 timestamps.", false},
		{"Upgrade to Python 3.12 and Django 5 next sprint.", false},
		{"Ship the order to Lindenallee 27 in Hamburg.", true},
		// A number counting an everyday noun is no house number; a street
		// type, a unit or a mailbox keeps it one.
		{"we have 250 users on the trial plan", false},
		{"set the timeout to 30 seconds", false},
		{"zoom the chart to 150 percent of the original", false},
		{"the poll had 1200 responses from 14 countries", false},
		{"screening is advised for men over 50", false},
		{"Hi team, Invoice 4471 is attached.", false},
		{"the flight leaves from gate 22 at terminal 2", false},
		{"tool_result: error: upstream returned 502 Bad Gateway\nA cohort heatmap works well.", false},
		{"The server returned 500 Internal Server Error again.", false},
		{"-----BEGIN RSA PRIVATE KEY-----\nMIK1hrWRJ+B4M8y1UP+H9aCvyk4pEwKObvJTMA+/aK5ZcV\nnhiqX9KxBdMG/QQCvJ8GfbClH+WanNIh/39DBlrXMtBHbWifGVTD\n", false},
		{"send it to 12 main street by friday", true},
		{"ship to 77 birch lane, apt 4", true},
		{"mail the cheque to P.O. Box 104", true},
	}
	for _, tt := range tests {
		got, span := learnedEntity(t, d, tt.text, StreetAddress)
		if got != tt.want {
			t.Errorf("%q: STREET_ADDRESS found %v (%q), want %v", tt.text, got, span, tt.want)
		}
	}
}

func TestLearnedPhone(t *testing.T) {
	d := newDetector(t, defaultThresholds)
	tests := []struct {
		text string
		want bool
		span string // the finding's text, when want
	}{
		{"Reach the front desk on +49 30 1234567 ext. 204.", true, "+49 30 1234567 ext. 204"},
		{"fax: (212) 867-7788", true, "(212) 867-7788"},
		{"Text Maria on 646 123 4567 about the party.", true, "646 123 4567"},
		{"The population grew from 1,234,567 to 2,345,678.", false, ""},
		{"ISBN 978-0-306-40615-7 is the book.", false, ""},
		{"Use port 8080 and the timestamp 1700000000.", false, ""},
		{"Version 10.2.3.4 was released on 2023-05-01.", false, ""},
		{"call (415) 555-0123 for the demo line", false, ""},
		{"I was born on 09/14/1984, call me", false, ""},
		{"the deadline moved to 2025-11-03", false, ""},
	}
	for _, tt := range tests {
		got, span := learnedEntity(t, d, tt.text, Phone)
		if got != tt.want || tt.want && span != tt.span {
			t.Errorf("%q: PHONE found %v (%q), want %v (%q)", tt.text, got, span, tt.want, tt.span)
		}
	}
}

func TestTokenize(t *testing.T) {
	text := "Dr. O'Neil-Smith, 12b Ørsted Vej\nx"
	var got []string
	for _, tk := range tokenize(text, nil) {
		got = append(got, text[tk.start:tk.end])
	}
	want := []string{"Dr", ".", "O'Neil-Smith", ",", "12", "b", "Ørsted", "Vej", "\n", "x"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("tokenize = %q, want %q", got, want)
	}
}

func FuzzModelCandidates(f *testing.F) {
	for _, s := range []string{"Call Ana Lima at +351 912 345 678 x12", "7 Rue des Lilas\n75001 Paris", "", "ÅÄÖ 12-34 ((5))"} {
		f.Add(s)
	}
	l, err := loadLearned()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, c := range l.feat.Candidates(text, [numModelEntities]bool{true, true, true}) {
			if c.Start < 0 || c.End > len(text) || c.Start >= c.End || c.Intrinsic > len(c.Features) {
				t.Fatalf("candidate %+v out of range for %d bytes", c, len(text))
			}
		}
	})
}

// TestScoringPathsAgree checks that the detector's allocation-free margin
// equals the margin of the features the trainer sees.
func TestScoringPathsAgree(t *testing.T) {
	l, err := loadLearned()
	if err != nil {
		t.Fatal(err)
	}
	text := "Dear Ms. Ilse Vermeulen,\nplease call +31 20 555 1234 or visit 18 Keizersgracht, Amsterdam."
	for e := range numModelEntities {
		want := l.feat.newText(text).candidates(e)
		tf := l.feat.newText(text)
		tf.weights = l.model.Weights
		got := tf.candidates(e)
		if len(got) != len(want) || len(want) == 0 {
			t.Fatalf("entity %d: %d candidates scoring, %d training", e, len(got), len(want))
		}
		for i := range want {
			if m := l.model.Margin(want[i].Features); math.Abs(m-got[i].margin) > 1e-9 {
				t.Errorf("entity %d candidate %d: margin %v scoring, %v training", e, i, got[i].margin, m)
			}
		}
	}
}

func TestFindingSource(t *testing.T) {
	d := newDetector(t, defaultThresholds)
	fs := d.Detect(context.Background(), detect.Input{Text: "Reach the front desk on +49 30 1234567 ext. 204, or email desk@hotel-adler.de"})
	got := map[string]string{}
	for _, f := range fs {
		got[f.Entity] = f.Source
	}
	if got[Phone] != detect.SourceModel || got[Email] != detect.SourceRule {
		t.Errorf("sources = %v, want PHONE from the model and EMAIL from a rule", got)
	}
}
