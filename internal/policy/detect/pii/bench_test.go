package pii

import (
	"context"
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// chatMessage is an invented chat message of about 1 KB with a name, an
// address and a phone number among ordinary prose.
var chatMessage = strings.Repeat("Hi team, following up on Tuesday's review of the Q3 roadmap. ", 4) +
	"Could you ask Renata Oyelaran to send the signed contract to 88 Lindenhof Lane, Apt 4, Portland, OR 97205? " +
	"She can also be reached on (503) 867-2214 after 3pm. " +
	strings.Repeat("We still need to migrate the billing service to Kubernetes and update the Grafana dashboards. ", 5)

func BenchmarkDetect1KB(b *testing.B) {
	d, err := New(detect.Params{"thresholds": map[string]any{"PHONE": 0.6, "PERSON": 0.7}})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.SetBytes(int64(len(chatMessage)))
	b.ReportAllocs()
	for b.Loop() {
		d.Detect(ctx, detect.Input{Text: chatMessage})
	}
}

// BenchmarkLearnedParts times the learned recognizer's steps on the same
// message: tokenizing, then each entity's candidates and scores.
func BenchmarkLearnedParts(b *testing.B) {
	l, _ := loadLearned()
	for _, p := range []struct {
		name string
		e    int
	}{{"tokenize", -1}, {"person", 0}, {"street", 1}, {"phone", 2}} {
		b.Run(p.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tf := l.feat.newText(chatMessage)
				tf.weights = l.model.Weights
				if p.e >= 0 {
					tf.candidates(p.e)
				}
			}
		})
	}
}
