package detect

import "testing"

func TestMaxMatchBytes(t *testing.T) {
	tests := []struct {
		pattern      string
		singleSpaces bool
		want         int
	}{
		{`abc`, false, 3},
		{`\bs\.[a-z0-9]{24}\b`, false, 26},
		{`(?i)k`, false, 3}, // the Kelvin sign folds to k
		{`é`, false, 2},
		{`[^\s]`, false, 4},
		{`a|bcd`, false, 3},
		{`x{2,5}y?`, false, 6},
		{`a+`, false, -1},
		{`go\s+die`, false, -1},
		{`go\s+die`, true, 6},
		{`(so\s+)*dumb`, true, -1},
		{`\bshut\s+(the\s+fuck\s+)?up\b`, true, 16},
		{`(`, false, -1},
	}
	for _, tt := range tests {
		if got := MaxMatchBytes(tt.pattern, tt.singleSpaces); got != tt.want {
			t.Errorf("MaxMatchBytes(%q, %v) = %d, want %d", tt.pattern, tt.singleSpaces, got, tt.want)
		}
	}
}
