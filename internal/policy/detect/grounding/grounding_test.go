package grounding

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

const reference = `Acme Cloud Pro costs $49 per month and includes 2,000 build minutes.
Support answers within 24 hours. Uptime target: 99.9%. Docs: https://docs.acme.example/pro
Our promise: "we never sell customer data to anyone".`

func TestClaims(t *testing.T) {
	text := `See https://a.example/x, pay 1,250.50 or 15% on 2024-01-02; v1 is "a short quoted sentence here".`
	var got []string
	for _, c := range Claims(text) {
		got = append(got, c.Kind+"="+c.Key)
		if c.Start < 0 || c.End > len(text) || c.Start >= c.End {
			t.Errorf("bad span %+v", c)
		}
	}
	want := []string{"url=https://a.example/x", "number=1250.5", "number=15%", "number=2024", "number=01", "number=02", "quote=a short quoted sentence here"}
	if !slices.Equal(got, want) {
		t.Fatalf("claims = %q\nwant     %q", got, want)
	}
}

func TestDetect(t *testing.T) {
	d, err := New(detect.Params{"context": reference})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		role detect.Role
		text string
		want []string // unsupported claim texts
	}{
		{"grounded", detect.RoleAssistant, "Pro is $49 a month with 2000 build minutes and 99.9% uptime; see https://docs.acme.example/pro/.", nil},
		{"invented numbers", detect.RoleAssistant, "Pro costs $59 a month, includes 5,000 minutes, and support replies within 24 hours.", []string{"59", "5,000"}},
		{"invented url and quote", detect.RoleAssistant, `Read https://acme.example/blog/pricing. As we say, "your data is shared only with partners".`, []string{"https://acme.example/blog/pricing", `"your data is shared only with partners"`}},
		{"supported quote", detect.RoleAssistant, `We promise: "We never sell customer data to anyone". Reply within 24 hours.`, nil},
		{"too few claims", detect.RoleAssistant, "It costs $99.", nil},
		{"user role skipped", detect.RoleUser, "Is it $59 for 5,000 minutes?", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, f := range d.Detect(context.Background(), detect.Input{Text: tt.text, Role: tt.role}) {
				got = append(got, tt.text[f.Start:f.End])
				if !strings.HasPrefix(f.Entity, "UNSUPPORTED_CLAIM:") || f.Score < 0.5 {
					t.Errorf("bad finding %+v", f)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("unsupported = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	for _, p := range []detect.Params{nil, {"context": "  "}, {"context": "x", "threshold": 0}} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%v) succeeded, want error", p)
		}
	}
	d, err := New(detect.Params{"context": []any{"code 1234"}, "roles": []any{"user"}, "min_claims": 1})
	if err != nil {
		t.Fatal(err)
	}
	if fs := d.Detect(context.Background(), detect.Input{Text: "code 9999", Role: detect.RoleUser}); len(fs) != 1 {
		t.Fatalf("findings = %+v, want one", fs)
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func FuzzClaims(f *testing.F) {
	f.Add(`see http://x.example/a?b=1 and 1,000.5% "three word quote here ok"`)
	f.Add("“unterminated \xff 12")
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range Claims(s) {
			if c.Start < 0 || c.End > len(s) || c.Start > c.End {
				t.Fatalf("claim %+v out of %d bytes", c, len(s))
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	d, err := New(detect.Params{"context": reference})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Pro is $49 a month with 2,000 build minutes and 99.9% uptime. ", 12) + "See https://docs.acme.example/pro."
	detecttest.Bench(b, d, detect.Input{Text: text, Role: detect.RoleAssistant})
}
