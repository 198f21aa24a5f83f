// Package detecttest holds checks shared by the detectors' tests.
package detecttest

import (
	"testing"

	"github.com/claudit/claudit/internal/policy/detect"
)

// CheckSpans fails the test when a finding's span is not a valid byte range of text.
func CheckSpans(t testing.TB, text string, findings []detect.Finding) {
	t.Helper()
	for _, fd := range findings {
		if fd.Start < 0 || fd.End > len(text) || fd.Start > fd.End {
			t.Fatalf("span %d-%d out of %d bytes", fd.Start, fd.End, len(text))
		}
	}
}
