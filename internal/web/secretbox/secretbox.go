// Package secretbox seals API keys of integrations created in the dashboard
// with AES-256-GCM, so the database never holds them in clear. The key comes
// from the environment variable named by the config's secret_key_env.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/scrypt"
)

// prefix versions the sealed format so the algorithm can change later.
const prefix = "v1:"

// ErrNoKey is returned when sealing or opening without a configured key.
var ErrNoKey = errors.New("no secret key configured")

// ParseKey turns the environment variable's value into a 32-byte key: 64 hex
// characters or standard base64 of 32 bytes are used as is; any other value
// of at least 16 characters is a passphrase, stretched with scrypt
// (DeriveKey, without a salt of the install's own).
func ParseKey(s string) ([]byte, error) {
	return ParseKeySalted(s, nil)
}

// ParseKeySalted is ParseKey with salt (the database's install id) mixed
// into a passphrase's derivation, so one passphrase gives each install its
// own key.
func ParseKeySalted(s string, salt []byte) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, ErrNoKey
	}
	if b, ok := rawKey(s); ok {
		return b, nil
	}
	if len(s) < 16 {
		return nil, fmt.Errorf("secret key is too short: use 32 random bytes as 64 hex characters (openssl rand -hex 32)")
	}
	return DeriveKey(s, salt)
}

func rawKey(s string) ([]byte, bool) {
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	if b, err := base64.StdEncoding.DecodeString(s); err == nil && len(b) == 32 {
		return b, true
	}
	return nil, false
}

// IsPassphrase reports whether s is used as a passphrase rather than as 32
// random bytes.
func IsPassphrase(s string) bool {
	s = strings.TrimSpace(s)
	_, raw := rawKey(s)
	return s != "" && !raw
}

// scrypt cost: N=2^15, r=8, p=1 (about 32 MiB and tens of milliseconds per
// guess), the parameters recommended for interactive use.
const scryptN, scryptR, scryptP = 1 << 15, 8, 1

// DeriveKey stretches a passphrase into a 32-byte key with scrypt, so a
// guessed passphrase costs an attacker as much as it costs claudit.
func DeriveKey(passphrase string, salt []byte) ([]byte, error) {
	s := append([]byte("claudit-secretbox/v2\x00"), salt...)
	return scrypt.Key([]byte(strings.TrimSpace(passphrase)), s, scryptN, scryptR, scryptP, 32)
}

// LegacyKey is the key earlier versions derived from a passphrase (one
// SHA-256), for re-sealing what they stored; nothing new is sealed with it.
func LegacyKey(passphrase string) []byte {
	sum := sha256.Sum256([]byte(strings.TrimSpace(passphrase)))
	return sum[:]
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) == 0 {
		return nil, ErrNoKey
	}
	if len(key) != 32 {
		return nil, fmt.Errorf("secret key must be 32 bytes, got %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Seal encrypts plaintext; the result is printable and safe to store.
func Seal(key []byte, plaintext string) (string, error) {
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	out := g.Seal(nonce, nonce, []byte(plaintext), []byte(prefix))
	return prefix + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value made by Seal.
func Open(key []byte, sealed string) (string, error) {
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	body, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", errors.New("sealed key: unknown format")
	}
	raw, err := base64.RawStdEncoding.DecodeString(body)
	if err != nil || len(raw) < g.NonceSize() {
		return "", errors.New("sealed key: corrupt")
	}
	pt, err := g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], []byte(prefix))
	if err != nil {
		return "", errors.New("sealed key: cannot decrypt (was the secret key changed?)")
	}
	return string(pt), nil
}
