package secretbox

import (
	"strings"
	"testing"
)

func TestSealOpen(t *testing.T) {
	key, err := ParseKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := Seal(key, "sk-ant-secret")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "sk-ant") {
		t.Fatalf("sealed value leaks the key: %s", sealed)
	}
	got, err := Open(key, sealed)
	if err != nil || got != "sk-ant-secret" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	other, _ := ParseKey("a different passphrase entirely")
	if _, err := Open(other, sealed); err == nil {
		t.Fatal("opened with the wrong key")
	}
}

func TestParseKey(t *testing.T) {
	for _, tc := range []struct {
		in   string
		ok   bool
		name string
	}{
		{"", false, "empty"},
		{"short", false, "too short"},
		{strings.Repeat("0f", 32), true, "hex"},
		{"MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=", true, "base64"},
		{"correct horse battery staple", true, "passphrase"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := ParseKey(tc.in)
			if (err == nil) != tc.ok {
				t.Fatalf("ParseKey(%q) err = %v", tc.in, err)
			}
			if tc.ok && len(k) != 32 {
				t.Fatalf("key length %d", len(k))
			}
		})
	}
	if _, err := Seal(nil, "x"); err != ErrNoKey {
		t.Fatalf("Seal without key: %v", err)
	}
}
