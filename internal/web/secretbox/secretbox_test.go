package secretbox

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/crypto/scrypt"
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

// TestPassphraseIsStretched: a passphrase goes through scrypt, not one
// SHA-256; each install's salt gives its own key; 32 random bytes stay as
// they are.
func TestPassphraseIsStretched(t *testing.T) {
	const pass = "correct horse battery staple"
	k, err := ParseKeySalted(pass, []byte("install-a"))
	if err != nil {
		t.Fatal(err)
	}
	want, err := scrypt.Key([]byte(pass), []byte("claudit-secretbox/v2\x00install-a"), 1<<15, 8, 1, 32)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(k, want) {
		t.Fatal("a passphrase is not derived with scrypt (N=2^15, r=8, p=1)")
	}
	if bytes.Equal(k, LegacyKey(pass)) {
		t.Fatal("a passphrase is still hashed with one SHA-256")
	}
	other, _ := ParseKeySalted(pass, []byte("install-b"))
	if bytes.Equal(k, other) {
		t.Fatal("two installs derive the same key from one passphrase")
	}
	raw := strings.Repeat("0f", 32)
	if k, _ := ParseKeySalted(raw, []byte("install-a")); len(k) != 32 || k[0] != 0x0f || IsPassphrase(raw) {
		t.Fatal("a 32-byte random key is not used as is")
	}
	if !IsPassphrase(pass) {
		t.Fatal("passphrase not recognised")
	}
}
