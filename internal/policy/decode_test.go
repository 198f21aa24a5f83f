package policy

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// spacedMarker starts a word the test decoder reads with "~~" as a space
// and "~" as nothing.
const spacedMarker = "SPACED:"

func init() {
	// A decoder of the test's own: the decode stage takes any registered
	// decoder, not only encoded's.
	detect.RegisterDecoder("test-spaced", func(in detect.Input, maxDepth, maxBytes int) []detect.Decoded {
		i := strings.Index(in.Text, spacedMarker)
		if i < 0 || in.Decoded != "" {
			return nil
		}
		start := i + len(spacedMarker)
		end := start + strings.IndexByte(in.Text[start:]+" ", ' ')
		return []detect.Decoded{{Text: strings.NewReplacer("~~", " ", "~", "").Replace(in.Text[start:end]), Start: start, End: end, Kind: "SPACED", Depth: 1}}
	})
}

func TestDecodeStage(t *testing.T) {
	eng, err := NewEngine(mustParse(t, "policies:\n  - name: email\n    detector: pii\n    params: {entities: [EMAIL]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	hidden := "mail~~j~ane.doe@exam~ple.com" // "mail jane.doe@example.com"
	text := "please write to " + spacedMarker + hidden + " today"
	res := eng.Evaluate(context.Background(), detect.Input{Text: text, Role: detect.RoleUser})
	if len(res.Findings) != 1 {
		t.Fatalf("findings %+v, want one in the decoded text", res.Findings)
	}
	f := res.Findings[0]
	start := strings.Index(text, spacedMarker) + len(spacedMarker)
	if f.Decoded != "SPACED" || f.Finding.Start != start || f.Finding.End != start+len(hidden) {
		t.Fatalf("finding %+v, want the encoded span marked SPACED", f)
	}
	if off, err := NewEngine(eng.Config(), WithDecoding(0, 0)); err != nil {
		t.Fatal(err)
	} else if res := off.Evaluate(context.Background(), detect.Input{Text: text, Role: detect.RoleUser}); len(res.Findings) != 0 {
		t.Fatalf("decoding off: findings %+v", res.Findings)
	}
}
