package secrets

import (
	"strings"
	"testing"
)

// FuzzAllowRegex checks that the split allowlist regexes match what
// gitleaks' RegexAllowed does, for every allowlist of the rule set.
func FuzzAllowRegex(f *testing.F) {
	rs, err := loadRules()
	if err != nil {
		f.Fatal(err)
	}
	lists := rs.global
	for _, r := range rs.rules {
		lists = append(lists, r.allowlists...)
	}
	for _, s := range []string{
		"true", "FALSE", "is null", "nullx", "aaaa", "${DB_PASSWORD}", "$1", "{{ .Values.x }}",
		"${{ secrets.API_TOKEN }}", "%APPDATA%", "%s", "{0}", "@NAME@", "/Users/jo/x y", "/tmp/a b",
		"api_version=3", "RapidKey", "author", "monkey", "MONKEY", "keying", "turkey", "secret_name",
		"csrf-token", "io.jsonwebtoken : jjwt", "token_url", "public_token", "key_file", "A_B=\nC_D=\n",
		"a.b=\nc.d=", "--mount=type=secret,id=x", "import { a, b } from 'x'", "LICENSE = \"MIT", "src=\"abc",
		"access_id = 9f2cAB77", "password: hunter2", "\u212aEY_FILE", "ſecret_name", "tru\u00e9", "",
		"export SHA256=\"", "x.Foo1", "AKIA" + strings.Repeat("Z", 16),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, a := range lists {
			if got, want := a.regexAllowed(s), a.RegexAllowed(s); got != want {
				t.Fatalf("%q against %s: got %v, want %v", s, a.regexes.whole, got, want)
			}
		}
	})
}
