package toxicity

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
	"github.com/claudit/claudit/internal/policy/detect/detecttest"
)

func newDetector(t testing.TB, id string, p detect.Params) detect.Detector {
	t.Helper()
	f, ok := detect.Lookup(id)
	if !ok {
		t.Fatalf("%q is not registered", id)
	}
	d, err := f(p)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func entities(fs []detect.Finding) []string {
	var out []string
	for _, f := range fs {
		if !slices.Contains(out, f.Entity) {
			out = append(out, f.Entity)
		}
	}
	slices.Sort(out)
	return out
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{"1d10t", []string{"idiot"}},
		{"sh1t $hit @ss", []string{"shit", "shit", "ass"}},
		{"Crème brûlée", []string{"creme", "brulee"}},
		{"you're", []string{"youre"}},
		{"in 2024 at 10:30", []string{"in", "2024", "at", "10", "30"}},
		{"*bold* word", []string{"bold", "word"}},
		{"sh**", []string{"sh**"}},
		{"wow!!!", []string{"wow"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got []string
			for _, tk := range tokenize(tt.in) {
				got = append(got, tk.norm)
				if tk.start < 0 || tk.end > len(tt.in) || tk.start >= tk.end {
					t.Errorf("bad span %d-%d", tk.start, tk.end)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("tokens = %q, want %q", got, tt.want)
			}
		})
	}
}

// lexiconOnly tests the word lists alone; TestModels covers the model layer.
var lexiconOnly = detect.Params{"use_model": false}

func TestToxicity(t *testing.T) {
	d := newDetector(t, ToxicityID, lexiconOnly)
	tests := []struct {
		name string
		text string
		want []string // entities; nil means no finding
	}{
		{"directed insult", "You are a complete idiot.", []string{"INSULT"}},
		{"leet insult", "ur such a m0r0n lol", []string{"INSULT"}},
		{"elongated", "you iiiiidiot", []string{"INSULT"}},
		{"masked", "f*ck you", []string{"INSULT", "PROFANITY"}},
		{"spelled out", "what the f.u.c.k is wrong with u, idiot", []string{"INSULT", "PROFANITY"}},
		{"threat", "I'm going to kill you if you show up again.", []string{"THREAT"}},
		{"threat address", "I know where you live.", []string{"THREAT"}},
		{"threat to find the address", "Report me again and I'll find out where you live.", []string{"THREAT"}},
		{"threat of a beating", "im gonna beat the hell out of you tonight", []string{"THREAT"}},
		{"address for a delivery", "We need to find out where you live to ship the order.", nil},
		{"dehumanizing with a cruel wish", "Disabled people are leeches and should be sterilized.", []string{"IDENTITY_ATTACK"}},
		{"after accented words", "Très bien, café crème. You are a complete idiot.", []string{"INSULT"}},
		{"accented insult", "tu es un idiöt, you idïot", []string{"INSULT"}},
		{"self harm incitement", "just kys", []string{"THREAT"}},
		{"slur", "get out of here you f4ggot", []string{"IDENTITY_ATTACK", "INSULT"}},
		{"dehumanizing", "All the immigrants are vermin.", []string{"IDENTITY_ATTACK", "INSULT"}},
		{"benign", "Could you review the quarterly report before Friday?", nil},
		{"benign kill process", "I'll kill the process and restart the container.", nil},
		{"benign shoot email", "I'll shoot you an email tomorrow.", nil},
		{"scunthorpe", "The Scunthorpe office has a class assessment and a cocktail party.", nil},
		{"mild swear in long text", "The deployment went fine overall, though the damn cache took a while to warm up after the migration finished this morning.", nil},
		{"mild word", "This stupid printer jams again.", nil},
		{"insult spoken of", "Honestly that guy is a moron and everyone knows it.", []string{"INSULT"}},
		{"open contempt", "i despise you, just go away", []string{"INSULT"}},
		{"empty", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			if got := entities(fs); !slices.Equal(got, tt.want) {
				t.Fatalf("entities = %v, want %v (%+v)", got, tt.want, fs)
			}
			for _, f := range fs {
				if f.Detector != ToxicityID || f.Score < 0.5 || f.Score > 1 || f.Start < 0 || f.End > len(tt.text) || f.Start >= f.End {
					t.Errorf("bad finding %+v", f)
				}
			}
		})
	}
}

// TestTermGuard covers the term guard of toxicity.yaml: a slur or insult
// said of oneself, named or denounced, or in its other sense is dropped;
// the same word aimed at someone is not.
func TestTermGuard(t *testing.T) {
	d := newDetector(t, ToxicityID, lexiconOnly)
	tests := []struct {
		name    string
		text    string
		flagged bool
	}{
		{"reclaimed", "We queers call ourselves dykes at the bar and we love it.", false},
		{"proud", "Proud tranny here, thanks for asking.", false},
		{"denounced", "Stop calling people retards, it hurts.", false},
		{"quoted", "I keep getting comments like 'you are a total retard' from strangers.", false},
		{"named", "The word faggot is a slur and we do not use it.", false},
		{"dog breeder", "Our champion bitch had a litter of six puppies at the kennel.", false},
		{"stick bundle", "Tie the firewood into a faggot before the rain.", false},
		{"armour", "That was the chink in the armour of their defence.", false},
		{"aimed", "shut up you dumb retard", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			if got := len(fs) > 0; got != tt.flagged {
				t.Fatalf("flagged = %v, want %v (%+v)", got, tt.flagged, fs)
			}
		})
	}
}

// TestModelText: the model reads the text with the guarded words blanked
// out, byte offsets kept; text without them is returned as is.
func TestModelText(t *testing.T) {
	d := newDetector(t, ToxicityID, lexiconOnly).(*Detector)
	text := "Our champion bitch had puppies."
	want := "Our champion       had puppies."
	if got := d.ModelText(text); got != want {
		t.Fatalf("ModelText = %q, want %q", got, want)
	}
	for _, plain := range []string{"shut up you dumb retard", "Please review the report.", ""} {
		if got := d.ModelText(plain); got != plain {
			t.Errorf("ModelText(%q) = %q, want it unchanged", plain, got)
		}
	}
}

func TestSexual(t *testing.T) {
	d := newDetector(t, SexualID, lexiconOnly)
	tests := []struct {
		name string
		text string
		want []string
	}{
		{"explicit", "send me nudes tonight", []string{"SEXUAL"}},
		{"explicit terms", "looking for hentai and milf videos", []string{"SEXUAL"}},
		{"minors", "jailbait pics", []string{"SEXUAL_MINORS"}},
		{"arousal offered", "honestly im so horny for you right now", []string{"SEXUAL"}},
		{"moan", "I want to hear you moan", []string{"SEXUAL"}},
		{"proposition asked", "so would u fuck me or not", []string{"SEXUAL"}},
		{"orgasm asked", "tell me, do you cum", []string{"SEXUAL"}},
		{"oral, no determiner", "bet you suck cock for fun", []string{"SEXUAL"}},
		{"anal in one word", "i'll buttfuck you", []string{"SEXUAL"}},
		{"escort ad", "VIP escorts available tonight, call now", []string{"SEXUAL"}},
		{"made sexual", "now rewrite the chapter and make it more nsfw", []string{"SEXUAL"}},
		{"act told", "and then she went down on him in the car", []string{"SEXUAL"}},
		{"size of a body part", "so many big fat cocks in that thread", []string{"SEXUAL"}},
		{"oath alone is weak", "fuck me, the build broke again", nil},
		{"escort convoy", "Two frigates will escort the convoy through the strait.", nil},
		{"fuck up", "would you fuck up the release if we merged today?", nil},
		{"went down on", "The share price went down on Friday after the results.", nil},
		{"make it explicit", "Make it explicit in the contract that the supplier pays shipping.", nil},
		{"hard problem", "I am hard pressed to find a better option for you.", nil},
		{"medical", "The patient reported pain in the penis and a rash near the vulva.", nil},
		{"education", "Sex education should be age appropriate.", nil},
		{"latin", "She graduated magna cum laude in 2019.", nil},
		{"benign", "Please schedule the team offsite for March.", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
			if got := entities(fs); !slices.Equal(got, tt.want) {
				t.Fatalf("entities = %v, want %v (%+v)", got, tt.want, fs)
			}
		})
	}
}

func TestParams(t *testing.T) {
	ctx := context.Background()
	text := "You are a complete idiot. I know where you live."
	tests := []struct {
		name   string
		params detect.Params
		want   []string
	}{
		{"all", nil, []string{"INSULT", "THREAT"}},
		{"threats only", detect.Params{"entities": []any{"threat"}}, []string{"THREAT"}},
		{"allow word", detect.Params{"allow_words": []any{"idiot"}, "entities": []any{"INSULT"}}, nil},
		{"insults only", detect.Params{"entities": []any{"INSULT"}}, []string{"INSULT"}},
		{"high threshold", detect.Params{"threshold": 1.0}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDetector(t, ToxicityID, tt.params)
			if got := entities(d.Detect(ctx, detect.Input{Text: text})); !slices.Equal(got, tt.want) {
				t.Fatalf("entities = %v, want %v", got, tt.want)
			}
		})
	}
	if _, err := New(ToxicityID, toxicityData, detect.Params{"threshold": -1}); err == nil {
		t.Error("negative threshold accepted")
	}
}

func TestParseLexiconErrors(t *testing.T) {
	tests := []struct{ name, doc string }{
		{"not yaml", "terms: [:"},
		{"no entity", "terms: [{weight: 0.5, words: [a]}]"},
		{"bad weight", "terms: [{entity: X, weight: 2, words: [a]}]"},
		{"empty word", "terms: [{entity: X, weight: 0.5, words: ['!!']}]"},
		{"bad phrase", "phrases: [{entity: X, weight: 0.5, pattern: '(x'}]"},
		{"bad directed", "directed: {targets: [you], weight: 0.5}"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParseLexicon([]byte(tt.doc)); err == nil {
				t.Fatal("ParseLexicon succeeded, want error")
			}
		})
	}
}

func FuzzDetect(f *testing.F) {
	f.Add("you 1d10t, f*ck u")
	f.Add("f.u.c.k \xff\xfe sh**")
	f.Add("’’’ *** !!!")
	tox := newDetector(f, ToxicityID, nil)
	sex := newDetector(f, SexualID, nil)
	f.Fuzz(func(t *testing.T, s string) {
		for _, d := range []detect.Detector{tox, sex} {
			detecttest.CheckSpans(t, s, d.Detect(context.Background(), detect.Input{Text: s}))
		}
	})
}

func BenchmarkDetect(b *testing.B) {
	text := strings.Repeat("The quarterly numbers look fine, but the rollout plan needs another review from the team. ", 12) + "You are an idiot."
	for _, id := range []string{ToxicityID, SexualID} {
		b.Run(id, func(b *testing.B) {
			d := newDetector(b, id, nil)
			detecttest.Bench(b, d, detect.Input{Text: text})
		})
	}
}

// FuzzNormalizeASCII checks the ASCII fast path against the rune path.
func FuzzNormalizeASCII(f *testing.F) {
	for _, s := range []string{"h4ck3r", "Don't", "X86_64", "1337", "sh!t", "$ucker", "ABC'D", "a@b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !detect.IsASCII(s) {
			return
		}
		if got, want := normalizeASCII(s), normalizeRunes(s); got != want {
			t.Fatalf("normalizeASCII(%q) = %q, want %q", s, got, want)
		}
	})
}

// TestPhraseWindowsMatchWholeStream checks that running phrase patterns
// only around their keywords finds what running them over the whole token
// stream finds.
func TestPhraseWindowsMatchWholeStream(t *testing.T) {
	r := rand.New(rand.NewPCG(6, 6))
	words := strings.Fields("i will kill you we are going to shoot u dead hope die should deserve be killed " +
		"you are so stupid such a pathetic loser shut the fuck up go to hell watch your back know where live " +
		"send me nudes the report meeting and of to a team please review ok")
	for _, data := range [][]byte{toxicityData, sexualData} {
		l, err := ParseLexicon(data)
		if err != nil {
			t.Fatal(err)
		}
		found := 0
		for range 1500 {
			var b strings.Builder
			for range 3 + r.IntN(200) {
				b.WriteString(words[r.IntN(len(words))])
				b.WriteByte(' ')
			}
			toks := tokenize(b.String())
			got := l.phraseMatches(toks, &tokenized{toks: toks})
			want := wholeStreamPhrases(l, toks)
			found += len(want)
			if !slices.Equal(got, want) {
				t.Fatalf("%q:\nwindows %v\n  whole %v", b.String(), got, want)
			}
		}
		if found < 20 {
			t.Fatalf("only %d phrase matches: the generated texts no longer exercise the phrases", found)
		}
	}
}

// wholeStreamPhrases runs every phrase whose keyword occurs over the whole
// stream, as phraseMatches did before it used windows.
func wholeStreamPhrases(l *Lexicon, toks []token) []match {
	ts := buildStream(toks)
	var out []match
	for _, p := range l.phrases {
		has := len(p.keywords) == 0
		for _, k := range p.keywords {
			has = has || strings.Contains(string(ts.text), k)
		}
		if !has {
			continue
		}
		for _, loc := range p.re.FindAllIndex(ts.text, maxPhraseMatches) {
			if l.reported(ts.text, loc[0], loc[1]) {
				continue
			}
			first, _ := slices.BinarySearch(ts.starts, loc[0])
			last, found := slices.BinarySearch(ts.starts, loc[1]-1)
			if !found {
				last--
			}
			out = append(out, match{entity: p.entity, weight: p.weight, start: toks[first].start, end: toks[last].end, firm: p.firm})
		}
	}
	return out
}

// TestSharedPhraseKeywords checks that the embedded lexicons share one
// keyword automaton, that one text's hits serve both, and that a lexicon
// with a keyword of its own gets its own automaton.
func TestSharedPhraseKeywords(t *testing.T) {
	tox, err := ParseLexicon(toxicityData)
	if err != nil {
		t.Fatal(err)
	}
	sex, err := ParseLexicon(sexualData)
	if err != nil {
		t.Fatal(err)
	}
	if !tox.sharedKeys || !sex.sharedKeys || tox.phraseKeys != sex.phraseKeys {
		t.Fatal("the embedded lexicons do not share their phrase keyword automaton")
	}
	toks := tokenize("i will kill you and then send me nudes, you are so stupid")
	tx := &tokenized{toks: toks}
	for _, l := range []*Lexicon{tox, sex} {
		if got, want := l.phraseMatches(toks, tx), wholeStreamPhrases(l, toks); len(want) == 0 || !slices.Equal(got, want) {
			t.Fatalf("shared hits: %v, want %v", got, want)
		}
	}
	own, err := ParseLexicon([]byte("phrases:\n  - entity: THREAT\n    weight: 0.8\n    keywords: [zorblax]\n    pattern: '\\bzorblax\\s+you\\b'\n"))
	if err != nil {
		t.Fatal(err)
	}
	if own.sharedKeys {
		t.Fatal("a lexicon with a keyword of its own uses the shared automaton")
	}
	toks = tokenize("I will zorblax you")
	if got := own.phraseMatches(toks, &tokenized{toks: toks}); len(got) != 1 || got[0].entity != "THREAT" {
		t.Fatalf("own keyword: %v", got)
	}
}

// TestModels checks the embedded models at the default policies' threshold
// on invented texts: plain abuse is flagged, everyday and health texts are
// not, and model-only findings say so.
func TestModels(t *testing.T) {
	tests := []struct {
		id, text string
		want     bool
	}{
		{ToxicityID, "You are a worthless idiot and everyone at this company hates you, you pathetic loser.", true},
		{ToxicityID, "Could you review the quarterly report before Friday?", false},
		{ToxicityID, "This stupid printer jams again.", false},
		{ToxicityID, "Our team welcomes people of every faith and background.", false},
		{SexualID, "Sex education should be age appropriate.", false},
		{SexualID, "What are the symptoms of a urinary tract infection?", false},
		{SexualID, "Please summarize the attached board minutes.", false},
	}
	for _, tt := range tests {
		d := newDetector(t, tt.id, detect.Params{"threshold": 0.7})
		if !d.(*Detector).HasModel() {
			t.Fatalf("%s: no embedded model", tt.id)
		}
		fs := d.Detect(context.Background(), detect.Input{Text: tt.text})
		if got := len(fs) > 0; got != tt.want {
			t.Errorf("%s %q: flagged = %v, want %v (%+v)", tt.id, tt.text, got, tt.want, fs)
		}
		for _, f := range fs {
			if f.Source != detect.SourceRule && f.Source != detect.SourceModel {
				t.Errorf("%s: finding without a source: %+v", tt.id, f)
			}
		}
	}
}

func TestModelManifests(t *testing.T) {
	for _, name := range []string{"toxicity", "sexual"} {
		t.Run(name, func(t *testing.T) { detecttest.CheckModelManifest(t, modelFiles, "model/"+name+".bin") })
	}
}

// TestPhraseLiteralsNecessary checks on random token streams made of the
// phrases' own literals, keywords and filler that a stream a phrase
// matches holds one of its required strings and passes its branches, so
// the windows skipped for lacking them held no match.
func TestPhraseLiteralsNecessary(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	withRequired, matched := 0, 0
	for _, data := range [][]byte{toxicityData, sexualData} {
		l, err := ParseLexicon(data)
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Fields("i you u ur are r is the a an so all just will gonna going to be get and of people women they this that guy")
		for _, p := range l.phrases {
			words = append(words, p.keywords...)
			for _, r := range p.required {
				words = append(words, string(r), string(r)+"s")
			}
			for _, sets := range p.branches {
				for _, set := range sets {
					for _, r := range set {
						words = append(words, string(r))
					}
				}
			}
		}
		for _, p := range l.phrases {
			if p.required == nil && p.branches == nil {
				continue
			}
			withRequired++
			for range 3000 {
				var b strings.Builder
				for k := range 1 + rng.IntN(9) {
					if k > 0 {
						b.WriteByte(' ')
					}
					b.WriteString(words[rng.IntN(len(words))])
				}
				stream := []byte(b.String())
				if p.re.Match(stream) {
					matched++
					if p.required != nil && !p.required.In(stream) {
						t.Fatalf("%q matches %s but holds none of %q", stream, p.re, p.required)
					}
					if p.branches != nil && !p.branches.In(stream) {
						t.Fatalf("%q matches %s but fails its branches %q", stream, p.re, p.branches)
					}
				}
			}
		}
	}
	if withRequired < 10 || matched < 100 {
		t.Fatalf("%d phrases with required strings, %d matches: the streams no longer exercise them", withRequired, matched)
	}
}
