package policy

import (
	"context"
	"sync/atomic"

	"github.com/claudit/claudit/internal/policy/detect"
)

// counterCalls counts runs of the test-counter detector, which has the
// keyword "magic", so tests can see the prefilter at work.
var counterCalls atomic.Int64

type counterDetector struct{}

func (counterDetector) ID() string         { return "test-counter" }
func (counterDetector) Keywords() []string { return []string{"magic"} }
func (counterDetector) Detect(context.Context, detect.Input) []detect.Finding {
	counterCalls.Add(1)
	return nil
}

func init() {
	detect.Register("test-counter", func(detect.Params) (detect.Detector, error) { return counterDetector{}, nil })
}
