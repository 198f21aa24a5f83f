package urls

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, p detect.Params) detect.Detector { return detecttest.New(t, New, p) }

func entitySet(fs []detect.Finding) map[string]bool { return detecttest.Reported(fs, 0.5) }

func TestDetect(t *testing.T) {
	d := newDetector(t, detect.Params{"brands": []any{"paypal.com", "acme.com"}})
	tests := []struct {
		name string
		text string
		want string // "" = nothing
	}{
		{"ip literal", "download from http://185.23.4.9/payload.exe now", IPLiteral},
		{"integer ip", "see http://3232235777/x", IPLiteral},
		{"loopback below threshold", "the dev server runs at http://127.0.0.1:8080/health and 10.0.0.7", ""},
		{"punycode", "login at https://xn--pypal-4ve.com/signin", Punycode},
		{"suspicious tld", "check https://free-gift.zip/claim", SuspiciousTLD},
		{"shortener", "click https://bit.ly/3abcDEF", Shortener},
		{"lookalike digit", "verify at https://paypa1.com/account", Lookalike},
		{"lookalike typo", "verify at https://paypall.com/account", Lookalike},
		{"lookalike embedded", "go to http://paypal.com.secure-check.io/login", Lookalike},
		{"lookalike cyrillic", "go to https://pаypal.com/", Lookalike},
		{"javascript scheme", `<a href="javascript:alert(document.cookie)">`, DangerousScheme},
		{"data scheme", "open data:text/html;base64,PHNjcmlwdD4=", DangerousScheme},
		{"data svg", "![x](data:image/svg+xml;base64,PHN2Zz4=)", DangerousScheme},
		{"data png", "![dot](data:image/png;base64,iVBORw0KGgo=)", ""},
		{"data font", "src: url(data:font/woff2;base64,d09GMgAB)", ""},
		{"brand itself", "pay at https://www.paypal.com/checkout", ""},
		{"brand subdomain", "see https://docs.acme.com/guide.", ""},
		{"ordinary", "docs at https://go.dev/doc/effective_go and www.wikipedia.org", ""},
		{"prose data", "the data: it was wrong", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := entitySet(d.Detect(context.Background(), detect.Input{Text: tt.text}))
			if tt.want == "" {
				if len(got) > 0 {
					t.Fatalf("want nothing in %q, got %v", tt.text, got)
				}
				return
			}
			if !got[tt.want] {
				t.Fatalf("want %s in %q, got %v", tt.want, tt.text, got)
			}
		})
	}
}

func TestBlocklistReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "block.txt")
	if err := os.WriteFile(path, []byte("# bad\nevil.example\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := newDetector(t, detect.Params{"blocklist_file": path, "check_interval": "0s"})
	has := func(text string) bool {
		return entitySet(d.Detect(context.Background(), detect.Input{Text: text}))[Blocklisted]
	}
	if !has("see https://cdn.evil.example/x") {
		t.Fatal("subdomain of blocklisted domain not flagged")
	}
	if has("see https://good.example/x") {
		t.Fatal("good domain flagged")
	}
	if err := os.WriteFile(path, []byte("good.example/bad/path\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Make the change visible even on filesystems with coarse mtimes.
	future := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, future, future); err != nil {
		t.Fatal(err)
	}
	if !has("see https://good.example/bad/path/1") {
		t.Fatal("blocklist not reloaded after change")
	}
	if has("see https://cdn.evil.example/x") {
		t.Fatal("old entry still active after reload")
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{{"paypal", "paypal", 0}, {"paypal", "paypall", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func FuzzDetect(f *testing.F) {
	d := newDetector(f, nil)
	f.Add("http://1.2.3.4/")
	f.Add("https://xn--80ak6aa92e.com")
	f.Add("www.")
	f.Add("javascript:x")
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s}) {
			if fd.Start < 0 || fd.End > len(s) || fd.Start > fd.End {
				t.Fatalf("bad span %d..%d for len %d", fd.Start, fd.End, len(s))
			}
		}
	})
}

// TestContainsToken checks the scan for a brand as a whole label or
// hyphen-separated part against splitting the host.
func TestContainsToken(t *testing.T) {
	split := func(host, brand string) bool {
		for _, l := range strings.Split(host, ".") {
			for _, part := range strings.Split(l, "-") {
				if part == brand {
					return true
				}
			}
		}
		return false
	}
	hosts := []string{"paypal-login.com", "paypal.com.evil.io", "mypaypal.com", "paypalx.com", "aaa.com", "aa.aaa.com",
		"x-aa-y.io", "aa", "", "a.a", "login-paypal", "paypal", "ppaypal.com", "paypal-paypal.net"}
	for _, h := range hosts {
		for _, b := range []string{"paypal", "aa", "a", "com"} {
			if got, want := containsToken(h, b), split(h, b); got != want {
				t.Errorf("containsToken(%q, %q) = %v, want %v", h, b, got, want)
			}
		}
	}
}
