package contenttype

import (
	"context"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func types(bs []Block) []string {
	var out []string
	for _, b := range bs {
		if !slices.Contains(out, b.Type) {
			out = append(out, b.Type)
		}
	}
	slices.Sort(out)
	return out
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"prose", "Thanks for the update, I will review the draft tomorrow morning.", nil},
		{"json", `{"user": "a", "roles": ["admin", "dev"]}`, []string{JSON}},
		{"fenced sql", "Try this:\n```sql\nselect 1\n```\n", []string{SQL}},
		{"unfenced sql", "Run SELECT id, email FROM customers WHERE created_at > now() - interval '1 day' to see them.", []string{SQL}},
		{"shell session", "$ git clone https://example.com/repo.git\n$ cd repo\n$ make build", []string{Shell}},
		{"go code fenced", "```go\nfunc main() {\n\tfmt.Println(1)\n}\n```", []string{Code}},
		{"python unfenced", "import os\n\ndef main():\n    return os.getcwd()\n", []string{Code}},
		{"csv", "id,product,price\n1,widget,9.99\n2,gadget,19.99\n3,doohickey,4.50", []string{CSV}},
		{"personal csv", "name,email,phone\nAda Lovelace,ada@example.com,555-0100\nAlan Turing,alan@example.com,555-0101\nGrace Hopper,grace@example.com,555-0102", []string{CSV, PersonalData}},
		{"personal by emails", "id;contact;note\n1;ada@example.com;vip\n2;alan@example.com;new\n3;grace@example.com;-", []string{CSV, PersonalData}},
		{"markdown table", "| First Name | Last Name | Team |\n|---|---|---|\n| Ada | Lovelace | R&D |\n| Alan | Turing | Ops |", []string{CSV, PersonalData}},
		{"dotenv", "DB_HOST=db.internal\nDB_USER=app\nDB_PASSWORD=Tr0ub4dor&3\nAPI_KEY=sk_live_9f8e7d6c5b4a", []string{Credentials}},
		{"placeholder env", "DB_HOST=localhost\nDB_PASSWORD=<your-password>\nAPI_KEY=xxxxxx", nil},
		{"yaml secrets", "database:\n  password: hunter2hunter2\n  token: ghp_abcdefghijklmnop", []string{Credentials}},
		{"sentence with select from", "Please select a color from the list below.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bs := Classify(tt.text)
			for _, b := range bs {
				if b.Start < 0 || b.End > len(tt.text) || b.Start >= b.End || b.Score <= 0 || b.Score > 1 {
					t.Errorf("bad block %+v", b)
				}
			}
			if got := types(bs); !slices.Equal(got, tt.want) {
				t.Fatalf("types = %v, want %v (%+v)", got, tt.want, bs)
			}
		})
	}
}

func TestDetect(t *testing.T) {
	text := "name,email\nAda,ada@example.com\nAlan,alan@example.com\n\n```sql\nDELETE FROM users;\n```"
	tests := []struct {
		name   string
		params detect.Params
		want   []string
	}{
		{"default denies personal data", nil, []string{"CONTENT_TYPE:personal_data"}},
		{"deny sql and csv", detect.Params{"deny": []any{"sql", "csv"}}, []string{"CONTENT_TYPE:csv", "CONTENT_TYPE:sql"}},
		{"deny nothing", detect.Params{"deny": []any{}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range d.Detect(context.Background(), detect.Input{Text: text}) {
				got = append(got, f.Entity)
			}
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("entities = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := New(detect.Params{"deny": []any{"pdf"}}); err == nil {
		t.Error("unknown type accepted")
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("```sql\nSELECT 1 FROM t\n```\na,b,c\n1,2,3\n4,5,6")
	f.Add("| a | b |\n|---|\n| \xff |")
	f.Add("PASSWORD=x\r\nTOKEN=yyyyy\n{")
	f.Fuzz(func(t *testing.T, s string) {
		for _, b := range Classify(s) {
			if b.Start < 0 || b.End > len(s) || b.Start > b.End {
				t.Fatalf("block %+v out of %d bytes", b, len(s))
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	d, err := New(detect.Params{"deny": []any{"code", "sql", "shell", "json", "csv", "credentials", "personal_data"}})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("The team reviewed the plan and agreed on dates.\n", 10) +
		"name,email,phone\nAda,ada@example.com,1\nAlan,alan@example.com,2\n\n```sql\nSELECT * FROM t;\n```\n"
	detecttest.Bench(b, d, detect.Input{Text: text})
}

// fenceRe is the fenced-block pattern fences implements.
var fenceRe = regexp.MustCompile("(?m)^[ \t]*```[ \t]*([\\w+#.-]*)[^\n]*\n((?s:.*?))(^[ \t]*```[ \t]*$|\\z)")

// TestFencesMatchRegex checks the line reader against the regex on random
// texts dense in backticks, blanks and newlines.
func TestFencesMatchRegex(t *testing.T) {
	pieces := []string{"```", "```go", "``` js", "````", "```python title", "\n", "\n", " ", "\t", "x", "code()", "\r", "#", "c++", "``", "` "}
	detecttest.SameMatches(t, 5, pieces, 20000, 20, 2000, fences, func(s string) [][]int { return fenceRe.FindAllStringSubmatchIndex(s, -1) })
}

var keyValueRe = regexp.MustCompile(`^\s*(export\s+)?["']?[A-Za-z_][\w.-]*["']?\s*[:=]\s*\S`)

// TestIsKeyValueAgrees checks the hand-written key/value test against the
// pattern it stands for, on random lines built from its parts.
func TestIsKeyValueAgrees(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	pieces := []string{" ", "\t", "\v", "\f", "export", "export ", "exports", "\"", "'", "A", "z", "_", "9", ".", "-", ":", "=", "x", "é", "\xff", "key", "DB_URL", " = ", ": ", "value", "#"}
	seen := map[bool]int{}
	for range 20000 {
		var b strings.Builder
		for range rng.IntN(10) {
			b.WriteString(pieces[rng.IntN(len(pieces))])
		}
		s := b.String()
		got, want := isKeyValue(s), keyValueRe.MatchString(s)
		if got != want {
			t.Fatalf("isKeyValue(%q) = %v, the pattern says %v", s, got, want)
		}
		seen[want]++
	}
	if seen[true] < 100 || seen[false] < 100 {
		t.Fatalf("cases cover one outcome mostly: %v", seen)
	}
}
