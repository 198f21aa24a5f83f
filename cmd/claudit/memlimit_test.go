package main

import (
	"math"
	"runtime/debug"
	"testing"
)

// TestLimitMemory: every command but simulate gets the default soft memory
// limit when GOMEMLIMIT is unset; GOMEMLIMIT, when set, is left alone.
func TestLimitMemory(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	orig := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(orig) })
	for _, tt := range []struct {
		args []string
		want int64
	}{
		{[]string{"sync", "--once"}, defaultMemoryLimit},
		{nil, defaultMemoryLimit},
		{[]string{"simulate"}, math.MaxInt64},
	} {
		debug.SetMemoryLimit(math.MaxInt64)
		limitMemory(tt.args)
		if got := debug.SetMemoryLimit(-1); got != tt.want {
			t.Errorf("limitMemory(%q): limit %d, want %d", tt.args, got, tt.want)
		}
	}
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	limitMemory([]string{"serve"})
	if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
		t.Errorf("with GOMEMLIMIT set: limit %d, want it left alone", got)
	}
}
