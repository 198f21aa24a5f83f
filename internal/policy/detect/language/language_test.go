package language

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

const (
	english = "Could you please summarize the attached meeting notes and list the action items for the team by Friday?"
	german  = "Könnten Sie bitte die beigefügten Besprechungsnotizen zusammenfassen und die Aufgaben für das Team bis Freitag auflisten?"
	french  = "Pourriez-vous résumer les notes de réunion ci-jointes et dresser la liste des actions pour l'équipe d'ici vendredi ?"
	russian = "Не могли бы вы кратко изложить прилагаемые заметки о встрече и перечислить задачи для команды до пятницы?"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name   string
		params detect.Params
		text   string
		want   string // entity or ""
	}{
		{"allowed english", detect.Params{"allow": []any{"en", "de"}}, english, ""},
		{"allowed german", detect.Params{"allow": []any{"en", "de"}}, german, ""},
		{"french not allowed", detect.Params{"allow": []any{"en", "de"}}, french, "LANGUAGE:fr"},
		{"russian denied", detect.Params{"deny": []any{"ru"}}, russian, "LANGUAGE:ru"},
		{"english not denied", detect.Params{"deny": []any{"ru"}}, english, ""},
		{"too short", detect.Params{"allow": []any{"en"}}, "Merci beaucoup!", ""},
		{"code removed", detect.Params{"allow": []any{"en"}}, "```go\nfunc main() { fmt.Println(\"hallo welt\") }\n```\nok", ""},
		{"upper-case codes", detect.Params{"allow": []any{"EN"}}, french, "LANGUAGE:fr"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := New(tt.params)
			if err != nil {
				t.Fatal(err)
			}
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			got := ""
			if len(fs) > 0 {
				got = fs[0].Entity
				if fs[0].Start != 0 || fs[0].End != len(tt.text) || fs[0].Score <= 0 || fs[0].Score > 1 {
					t.Errorf("bad finding %+v", fs[0])
				}
			}
			if got != tt.want {
				t.Fatalf("entity = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParams(t *testing.T) {
	for _, p := range []detect.Params{nil, {"allow": []any{"xx"}}, {"deny": []any{"english"}}} {
		if _, err := New(p); err == nil {
			t.Errorf("New(%v) succeeded, want error", p)
		}
	}
	if _, ok := detect.Lookup(ID); !ok {
		t.Fatalf("%q is not registered", ID)
	}
}

func TestProse(t *testing.T) {
	tests := []struct {
		in      string
		letters int
	}{
		{"abc def", 6},
		{"see https://example.com/path and mail a@b.example", 10},
		{"x `code here` y", 2},
		{"```\nlots of code\n```", 0},
	}
	for _, tt := range tests {
		if _, n := Prose(tt.in); n != tt.letters {
			t.Errorf("Prose(%q) letters = %d, want %d", tt.in, n, tt.letters)
		}
	}
}

func FuzzDetect(f *testing.F) {
	f.Add(german)
	f.Add("```\xff")
	d, err := New(detect.Params{"allow": []any{"en"}, "min_letters": 1})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, fd := range d.Detect(context.Background(), detect.Input{Text: s}) {
			if fd.Start != 0 || fd.End != len(s) {
				t.Fatalf("span %d-%d for %d bytes", fd.Start, fd.End, len(s))
			}
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	d, err := New(detect.Params{"allow": []any{"en"}})
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat(english+" ", 8)
	detecttest.Bench(b, d, detect.Input{Text: text})
}
