package app_test

import (
	"path/filepath"
	"testing"

	"github.com/claudit/claudit/internal/store"
	"github.com/claudit/claudit/internal/web/secretbox"
)

// TestPassphraseKeysAreResealed: a passphrase secret key is stretched with
// scrypt, and an API key an earlier version sealed with the passphrase's
// plain SHA-256 stays readable: it is re-sealed with the new key.
func TestPassphraseKeysAreResealed(t *testing.T) {
	const pass = "correct horse battery staple"
	t.Setenv("CLAUDIT_SECRET_KEY", pass)
	a, _ := openApp(t, "database: sqlite://"+filepath.Join(t.TempDir(), "c.db")+"\n")
	ctx := t.Context()
	in := &store.Integration{Name: "ui", BaseURL: "https://api.example", Source: "api", Mode: "full"}
	if err := a.Store.UpsertIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	old, err := secretbox.Seal(secretbox.LegacyKey(pass), "sk-ant-api01-stored")
	if err != nil {
		t.Fatal(err)
	}
	ws := a.Store
	if err := ws.SetIntegrationKey(ctx, in.ID, old); err != nil {
		t.Fatal(err)
	}
	key, err := a.SecretKey()
	if err != nil {
		t.Fatal(err)
	}
	if string(key) == string(secretbox.LegacyKey(pass)) {
		t.Fatal("the passphrase is still hashed with one SHA-256")
	}
	sealed, _ := ws.IntegrationKey(ctx, in.ID)
	got, err := secretbox.Open(key, sealed)
	if err != nil || got != "sk-ant-api01-stored" {
		t.Fatalf("stored key after the upgrade: %q %v", got, err)
	}
}

// TestSecretKeyDerivedOnce: the scrypt derivation runs once per App, not on
// every use of a stored API key, and again only when the variable changes.
func TestSecretKeyDerivedOnce(t *testing.T) {
	t.Setenv("CLAUDIT_SECRET_KEY", "correct horse battery staple")
	a, _ := openApp(t, "database: sqlite://"+filepath.Join(t.TempDir(), "c.db")+"\n")
	first, err := a.SecretKey()
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		k, err := a.SecretKey()
		if err != nil || string(k) != string(first) {
			t.Fatalf("key changed between calls: %x %v", k, err)
		}
	}
	if n := a.SecretKeyDerivations(); n != 1 {
		t.Fatalf("key derived %d times for 6 calls, want once", n)
	}
	t.Setenv("CLAUDIT_SECRET_KEY", "another passphrase, rotated")
	k, err := a.SecretKey()
	if err != nil || string(k) == string(first) {
		t.Fatalf("a new passphrase kept the old key: %v", err)
	}
	if n := a.SecretKeyDerivations(); n != 2 {
		t.Fatalf("key derived %d times after a change of passphrase, want 2", n)
	}
}
