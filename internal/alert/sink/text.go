package sink

import (
	"strings"
	"unicode/utf8"
)

// Clip makes s valid UTF-8 (each invalid sequence becomes U+FFFD) and cuts it
// to at most max bytes on a rune boundary. truncated reports a cut; max <= 0
// means no limit.
func Clip(s string, max int) (clipped string, truncated bool) {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if max <= 0 || len(s) <= max {
		return s, false
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], true
}
