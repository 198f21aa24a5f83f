package pii

import (
	"context"
	"crypto/sha256"
	"math/big"
	"strconv"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// withLuhn appends the Luhn check digit to a string of digits.
func withLuhn(body string) string {
	for d := range 10 {
		if s := body + strconv.Itoa(d); luhn(s) {
			return s
		}
	}
	panic("unreachable")
}

// withIBANCheck fills the two check digits of an IBAN given its country
// code and BBAN, so a test writes its own valid numbers.
func withIBANCheck(country, bban string) string {
	for c := 2; c <= 98; c++ {
		if s := country + strconv.Itoa(c/10) + strconv.Itoa(c%10) + bban; ibanValid(s) {
			return s
		}
	}
	panic("unreachable")
}

// spaced groups s in fours, as people write card numbers and IBANs.
func spaced(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// base58Check encodes version+payload with its double-SHA256 checksum, as
// a legacy Bitcoin address is built.
func base58Check(version byte, payload []byte) string {
	b := append([]byte{version}, payload...)
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	b = append(b, h2[:4]...)
	n := new(big.Int).SetBytes(b)
	var out []byte
	mod, base := new(big.Int), big.NewInt(58)
	for n.Sign() > 0 {
		n.DivMod(n, base, mod)
		out = append([]byte{base58Alphabet[mod.Int64()]}, out...)
	}
	for _, c := range b {
		if c != 0 {
			break
		}
		out = append([]byte{'1'}, out...)
	}
	return string(out)
}

// TestRecognizers holds, for each entity, positives and look-alikes that
// must not be reported as that entity; every value is invented here.
func TestRecognizers(t *testing.T) {
	visa := withLuhn("453201987654321")
	mastercard := withLuhn("510234567890123")
	amex := withLuhn("37829012345678")
	badLuhn := visa[:15] + strconv.Itoa((int(visa[15]-'0')+1)%10)
	noNetwork := withLuhn("912345678901234") // Luhn-valid, no card network starts with 9
	frIBAN := withIBANCheck("FR", "30006000011234567890189")
	nlIBAN := withIBANCheck("NL", "ABNA0417164300")
	badIBAN := frIBAN[:len(frIBAN)-1] + strconv.Itoa((int(frIBAN[len(frIBAN)-1]-'0')+1)%10)
	hash160 := sha256.Sum256([]byte("claudit test wallet"))
	btc := base58Check(0, hash160[:20])
	btcScript := base58Check(5, hash160[:20])
	tests := []struct {
		entity string
		name   string
		text   string
		want   bool
	}{
		// EMAIL
		{Email, "plain", "send it to r.okafor@harbourline.co.uk today", true},
		{Email, "plus tag", "my login is dev+alerts@quillstream.net", true},
		{Email, "subdomain", "write to ops@mail.eu.tarnwick.org", true},
		{Email, "example domain", "an address like someone@example.org works", false},
		{Email, "test tld", "use qa@service.test in fixtures", false},
		{Email, "no tld", "ping me at admin@localhost", false},
		{Email, "handle", "follow @harbourline on social", false},
		{Email, "decorator", "annotate with @Override before the method", false},

		// PHONE
		{Phone, "uk international", "call me on +44 161 496 0734", true},
		{Phone, "german", "my mobile is +49 30 901820 77", true},
		{Phone, "us with context", "my cell is (312) 848-2719", true},
		{Phone, "us fictional 555-01xx", "call (312) 555-0147", false},
		{Phone, "too few digits", "call 12-34", false},
		{Phone, "inside a hash", "commit 8f3a22914478b1 landed", false},
		{Phone, "long bare run", "order 3129483749218374 shipped", false},

		// CREDIT_CARD
		{CreditCard, "visa spaced", "card number " + spaced(visa) + " exp 09/29", true},
		{CreditCard, "visa dashed", "pay with " + strings.Join([]string{visa[:4], visa[4:8], visa[8:12], visa[12:]}, "-"), true},
		{CreditCard, "mastercard", "mastercard " + mastercard, true},
		{CreditCard, "amex 15 digits", "amex " + amex, true},
		{CreditCard, "bad luhn", "card number " + spaced(badLuhn), false},
		{CreditCard, "no network prefix", "card number " + noNetwork, false},
		{CreditCard, "too short", "card 4532 0198 765", false},

		// IBAN
		{IBAN, "french spaced", "wire to " + spaced(frIBAN) + " thanks", true},
		{IBAN, "dutch compact", "iban " + nlIBAN, true},
		{IBAN, "bad check digits", "wire to " + spaced(badIBAN), false},
		{IBAN, "lower case", "iban " + strings.ToLower(nlIBAN), false},
		{IBAN, "too short", "ref DE12 3456 78", false},

		// US_SSN
		{USSSN, "dashed", "my ssn is 212-48-3391", true},
		{USSSN, "spaced with context", "social security 212 48 3391", true},
		{USSSN, "area 000", "ssn 000-48-3391", false},
		{USSSN, "area 666", "ssn 666-48-3391", false},
		{USSSN, "area 9xx", "ssn 917-48-3391", false},
		{USSSN, "group 00", "ssn 212-00-3391", false},
		{USSSN, "serial 0000", "ssn 212-48-0000", false},
		{USSSN, "mixed separators", "ssn 212-48 3391", false},
		{USSSN, "inside a longer number", "ssn 1-212-48-3391-7", false},

		// IP_ADDRESS
		{IPAddress, "public v4", "the server is at 81.2.69.160 now", true},
		{IPAddress, "public v6", "connect to 2a00:1450:4007:80e::200e", true},
		{IPAddress, "loopback v6", "bind ::1 only", false},
		{IPAddress, "documentation v4", "as in the docs, 198.51.100.23", false},
		{IPAddress, "documentation v6", "e.g. 2001:db8::42", false},
		{IPAddress, "out of range", "server 300.12.4.1", false},
		{IPAddress, "version string", "upgrade to v1.22.3.4", false},
		{IPAddress, "longer dotted run", "oid 1.3.6.1.4.1", false},
		{IPAddress, "clock time", "meet at 10:30:45", false},

		// PASSPORT
		{Passport, "with context", "my passport number is K4829163", true},
		{Passport, "digits with context", "passport: 583920174", true},
		{Passport, "no context", "the build K4829163 failed", false},
		{Passport, "letters only", "passport ABCDEFGH", false},

		// DRIVER_LICENSE
		{DriverLicense, "dashed with context", "driver's license W382-4419-0275", true},
		{DriverLicense, "letter and digits", "driving licence number S93821744", true},
		{DriverLicense, "no context", "ticket W382-4419-0275 is closed", false},

		// DATE_OF_BIRTH
		{DateOfBirth, "iso born", "I was born 1979-04-23", true},
		{DateOfBirth, "dob slashes", "DOB: 23/04/1979", true},
		{DateOfBirth, "month first", "my birthday is April 23rd, 1979", true},
		{DateOfBirth, "no context", "the invoice is due 2026-04-23", false},
		{DateOfBirth, "not a date", "born to run 12345", false},

		// CRYPTO_WALLET
		{CryptoWallet, "legacy btc", "send to " + btc, true},
		{CryptoWallet, "script btc", "bitcoin " + btcScript, true},
		{CryptoWallet, "eth", "eth wallet 0x" + strings.Repeat("3fA9", 10), true},
		{CryptoWallet, "bech32", "btc bc1q" + strings.Repeat("x8gf2tvd", 5), true},
		{CryptoWallet, "eth too short", "eth 0x3fA93fA93fA9", false},
		{CryptoWallet, "eth not hex", "eth 0x" + strings.Repeat("3gA9", 10), false},
		{CryptoWallet, "bech32 bad char", "btc bc1q" + strings.Repeat("x8gf2tvb", 5), false},
		{CryptoWallet, "base58 with 0", "send to 1" + strings.Repeat("0Ab", 10), false},
	}
	d := newDetector(t, nil)
	for _, tt := range tests {
		t.Run(tt.entity+"/"+tt.name, func(t *testing.T) {
			got := entities(d.Detect(context.Background(), detect.Input{Text: tt.text, Role: detect.RoleUser}))
			if _, ok := got[tt.entity]; ok != tt.want {
				t.Errorf("%s in %q: got %v, want found=%v", tt.entity, tt.text, got, tt.want)
			}
		})
	}
}

// TestChecksumHelpers checks the helpers above against the detector's own
// checks, so the table's positives are valid by construction.
func TestChecksumHelpers(t *testing.T) {
	for _, body := range []string{"453201987654321", "37829012345678", "0"} {
		if s := withLuhn(body); !luhn(s) || len(s) != len(body)+1 {
			t.Errorf("withLuhn(%s) = %s", body, s)
		}
	}
	if s := withIBANCheck("GB", "NWBK60161331926819"); !ibanValid(s) {
		t.Errorf("withIBANCheck = %s, not valid", s)
	}
	addr := base58Check(0, make([]byte, 20))
	if !strings.HasPrefix(addr, "1") || !base58CheckValid(addr) {
		t.Errorf("base58Check = %s, not valid", addr)
	}
}

func TestSSNValid(t *testing.T) {
	tests := []struct {
		area, group, serial string
		want                bool
	}{
		{"001", "01", "0001", true},
		{"665", "99", "9999", true},
		{"899", "10", "1234", true},
		{"000", "10", "1234", false},
		{"666", "10", "1234", false},
		{"900", "10", "1234", false},
		{"999", "10", "1234", false},
		{"123", "00", "1234", false},
		{"123", "45", "0000", false},
	}
	for _, tt := range tests {
		if got := ssnValid(tt.area, tt.group, tt.serial); got != tt.want {
			t.Errorf("ssnValid(%s-%s-%s) = %v, want %v", tt.area, tt.group, tt.serial, got, tt.want)
		}
	}
}

func TestCardPrefix(t *testing.T) {
	tests := []struct {
		digits string
		want   bool
	}{
		{"4000000000000", true},     // Visa
		{"5100000000000000", true},  // Mastercard 51-55
		{"5500000000000000", true},  // Mastercard 51-55
		{"2221000000000000", true},  // Mastercard 2-series
		{"2720000000000000", true},  // Mastercard 2-series
		{"340000000000000", true},   // Amex
		{"370000000000000", true},   // Amex
		{"6011000000000000", true},  // Discover
		{"3528000000000000", true},  // JCB
		{"6200000000000000", true},  // UnionPay
		{"5600000000000000", false}, // Maestro range not taken
		{"2220000000000000", false},
		{"2721000000000000", false},
		{"1234567890123", false},
		{"9000000000000", false},
	}
	for _, tt := range tests {
		if got := cardPrefix(tt.digits); got != tt.want {
			t.Errorf("cardPrefix(%s) = %v, want %v", tt.digits, got, tt.want)
		}
	}
}

func TestWalletScore(t *testing.T) {
	h := sha256.Sum256([]byte("another invented key"))
	valid := base58Check(0, h[:20])
	broken := valid[:len(valid)-1] + string(base58Alphabet[(strings.IndexByte(base58Alphabet, valid[len(valid)-1])+1)%58])
	tests := []struct {
		name, tok string
		ok        bool
		min       float64
	}{
		{"checked base58 scores high", valid, true, 0.8},
		{"unchecked base58 scores lower", broken, true, 0.5},
		{"eth", "0X" + strings.Repeat("ab12", 10), true, 0.6},
		{"bech32", "bc1" + strings.Repeat("qpzry9x8", 4), true, 0.7},
		{"eth 41 bytes", "0x" + strings.Repeat("a", 39), false, 0},
		{"base58 too long", "1" + strings.Repeat("a", 35), false, 0},
		{"bech32 upper case", "bc1" + strings.Repeat("QPZRY9X8", 4), false, 0},
	}
	for _, tt := range tests {
		score, ok := walletScore(tt.tok)
		if ok != tt.ok || ok && score < tt.min {
			t.Errorf("%s: walletScore(%s) = %v, %v; want ok=%v, score >= %v", tt.name, tt.tok, score, ok, tt.ok, tt.min)
		}
	}
}
