package pii

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, p detect.Params) detect.Detector {
	t.Helper()
	d, err := New(p)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

func entities(fs []detect.Finding) map[string]string {
	out := map[string]string{}
	for _, f := range fs {
		out[f.Entity] = f.Excerpt
	}
	return out
}

func TestDetect(t *testing.T) {
	d := newDetector(t, nil)
	tests := []struct {
		name string
		text string
		want []string // entities that must be found
		not  []string // entities that must not be found
	}{
		{"email", "reach me at jane.doe@acme-corp.io tomorrow", []string{Email}, nil},
		{"example email is low", "e.g. user@example.com", nil, []string{Email}},
		{"phone intl", "call me on +44 20 7946 0958 after 5", []string{Phone}, nil},
		{"phone us with context", "my cell is (415) 555-2671", []string{Phone}, nil},
		{"fictional 555-01xx", "call (415) 555-0123", nil, []string{Phone}},
		{"credit card", "card number 4556 7375 8689 9855 exp 12/27", []string{CreditCard}, nil},
		{"bad luhn", "card number 4556 7375 8689 9856", nil, []string{CreditCard}},
		{"iban", "wire it to DE44 5001 0517 5407 3249 31 please", []string{IBAN}, nil},
		{"bad iban", "wire it to DE44 5001 0517 5407 3249 32 please", nil, []string{IBAN}},
		{"ssn", "my ssn is 536-22-8745", []string{USSSN}, nil},
		{"ssn invalid area", "my ssn is 666-22-8745", nil, []string{USSSN}},
		{"ssn group 00", "ssn 536-00-8745", nil, []string{USSSN}},
		{"ipv4", "the server is at 8.8.4.4 now", []string{IPAddress}, nil},
		{"ipv6", "connect to 2606:4700:4700::1111", []string{IPAddress}, nil},
		{"loopback ignored", "listen on 127.0.0.1", nil, []string{IPAddress}},
		{"eth wallet", "send to 0x52908400098527886E0F7030069857D2E4169EE7", []string{CryptoWallet}, nil},
		{"btc legacy", "btc: 1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", []string{CryptoWallet}, nil},
		{"btc bech32", "bitcoin bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", []string{CryptoWallet}, nil},
		{"dob with context", "I was born on 14 March 1987 in Leeds", []string{DateOfBirth}, nil},
		{"date without context", "the meeting is on 14 March 2025", nil, []string{DateOfBirth}},
		{"passport", "passport number X1234567 expires", []string{Passport}, nil},
		{"no passport context", "order X1234567 shipped", nil, []string{Passport}},
		{"driver license", "driver's license D123-4567-8901", []string{DriverLicense}, nil},
		{"person my name is", "Hi, my name is Maria Gonzalez and I need help", []string{Person}, nil},
		{"person honorific", "Please forward to Dr. Alan Turing.", []string{Person}, nil},
		{"no person", "the name is not important", nil, []string{Person}},
		{"person sign-off", "Thanks for the update.\n\nKind regards,\nAnna Kowalski", []string{Person}, nil},
		{"team sign-off", "Your refund has been processed.\n\nBest regards,\nCustomer Support", nil, []string{Person}},
		{"street address", "I live at 1600 Pennsylvania Avenue in DC", []string{StreetAddress}, nil},
		{"plain text", "Can you help me write a sorting function in Go?", nil, Entities},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := entities(d.Detect(context.Background(), detect.Input{Text: tt.text, Role: detect.RoleUser}))
			for _, e := range tt.want {
				if _, ok := got[e]; !ok {
					t.Errorf("want %s in %q, got %v", e, tt.text, got)
				}
			}
			for _, e := range tt.not {
				if _, ok := got[e]; ok {
					t.Errorf("did not want %s in %q, got %v", e, tt.text, got)
				}
			}
		})
	}
}

func TestExcerptRedacted(t *testing.T) {
	d := newDetector(t, nil)
	text := "card 4556737586899855 and mail jane.doe@acme-corp.io"
	for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
		raw := text[f.Start:f.End]
		if strings.Contains(f.Excerpt, raw) || f.Excerpt == raw {
			t.Errorf("%s excerpt %q is not redacted", f.Entity, f.Excerpt)
		}
	}
}

func TestParams(t *testing.T) {
	text := "mail jane.doe@acme-corp.io or call +44 20 7946 0958"
	tests := []struct {
		name   string
		params detect.Params
		want   map[string]bool
	}{
		{"only email", detect.Params{"entities": []any{"EMAIL"}}, map[string]bool{Email: true}},
		{"phone threshold high", detect.Params{"thresholds": map[string]any{"PHONE": 0.99}}, map[string]bool{Email: true}},
		{"both", nil, map[string]bool{Email: true, Phone: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := entities(newDetector(t, tt.params).Detect(context.Background(), detect.Input{Text: text}))
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for e := range tt.want {
				if _, ok := got[e]; !ok {
					t.Errorf("missing %s in %v", e, got)
				}
			}
		})
	}
	if _, err := New(detect.Params{"entities": []any{"NOPE"}}); err == nil {
		t.Error("unknown entity: want error")
	}
}

func TestContextRaisesScore(t *testing.T) {
	d := newDetector(t, detect.Params{"threshold": 0.0})
	score := func(text string) float64 {
		for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
			if f.Entity == USSSN {
				return f.Score
			}
		}
		return -1
	}
	with, without := score("social security number 536-22-8745"), score("reference 536-22-8745")
	if with <= without {
		t.Errorf("context score %v should exceed %v", with, without)
	}
}

func TestChecksums(t *testing.T) {
	tests := []struct {
		fn   func(string) bool
		in   string
		want bool
	}{
		{luhn, "4556737586899855", true},
		{luhn, "4556737586899856", false},
		{ibanValid, "GB82WEST12345698765432", true},
		{ibanValid, "GB82WEST12345698765433", false},
		{base58CheckValid, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", true},
		{base58CheckValid, "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", false},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("check(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func FuzzDetect(f *testing.F) {
	d := newDetector(f, nil)
	for _, s := range []string{"my ssn is 536-22-8745", "+44 20 7946 0958", "Dr. A B", "1 Main St", "::", "1.1.1.1", "bc1q"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s}) {
			if fd.Start < 0 || fd.End > len(s) || fd.Start > fd.End {
				t.Fatalf("bad span %d..%d for len %d", fd.Start, fd.End, len(s))
			}
		}
	})
}

// TestIBANWindowsMatchWholeText checks that running ibanRe only where
// digitWindows saw an IBAN start finds what it finds over the whole text.
func TestIBANWindowsMatchWholeText(t *testing.T) {
	pieces := strings.Split("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", "")
	pieces = append(pieces, " ", " ", " ", "a", "b", "c", "_", "-", ".", "\n")
	fast := func(text string) [][]int {
		starts := digitWindows(text, numbers{}).ibanStarts
		var out [][]int
		for _, m := range ibanMatches(text, starts) {
			out = append(out, []int{m[0], m[1]})
		}
		return out
	}
	detecttest.SameMatches(t, 3, pieces, 10000, 140, 50, fast, func(s string) [][]int { return ibanRe.FindAllStringIndex(s, -1) })
}

// TestStreetsMatchWholeText checks the street finder, which tries its
// anchored regex only where an address can start and a street word
// follows, against the regex over the whole text.
func TestStreetsMatchWholeText(t *testing.T) {
	d, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	det := d.(*Detector)
	pieces := []string{"12 ", "221B ", "7, ", " ", "  ", "\n", "Baker ", "Main ", "Old", "St. ", "Street", "street ", "Ave ",
		"Road, ", "Rd", "Straße ", "Lane_2 ", "lane", "the ", "Oak’s ", "x", "Streets ", "99 ", "Dr ", "Way", "Blvd. "}
	fast := func(text string) [][]int {
		var out [][]int
		for _, c := range det.streets(text) {
			out = append(out, []int{c.start, c.end})
		}
		return out
	}
	detecttest.SameMatches(t, 8, pieces, 3000, 16, 100, fast, func(s string) [][]int { return det.streetRe.FindAllStringIndex(s, -1) })
}

// emailRe is the address pattern emailIn implements.
var emailRe = regexp.MustCompile(`\b[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}\b`)

// TestEmailsMatchRegex checks the email finder, which reads addresses
// without the regex engine, against emailRe on the same windows.
func TestEmailsMatchRegex(t *testing.T) {
	d, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	det := d.(*Detector)
	pieces := []string{"a", "bob", "x_y", "Jane.Doe", "1", "-", ".", "..", "@", "@", "example", "co", "uk", "com", "c",
		"mail-", "-srv", "x1", "%", "+tag", "_", " ", "<", ">", "é", "com2", "abcdefghijklmnopqrstuvwxyz", strings.Repeat("a", 63), strings.Repeat("b", 64),
		"a@example.com", "bob@mail.co.uk", "x_y@c.com2", "Jane.Doe@-srv.co", "1@x1.uk"}
	fast := func(text string) [][]int {
		var out [][]int
		for _, c := range det.emails(text) {
			out = append(out, []int{c.start, c.end})
		}
		return out
	}
	reference := func(text string) [][]int {
		var out [][]int
		atWindows(text, func(win int, w string, _ int) {
			for _, m := range emailRe.FindAllStringIndex(w, -1) {
				out = append(out, []int{win + m[0], win + m[1]})
			}
		})
		return out
	}
	detecttest.SameMatches(t, 2, pieces, 20000, 12, 5000, fast, reference)
}
