package classifier

import "strings"

// minSpacedRun is the fewest letters spelled out one by one ("I g n o r e")
// that unspace joins.
const minSpacedRun = 4

// isRunLetter reports an ASCII letter.
func isRunLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isRunWordByte reports a byte that glues a letter into a longer word.
func isRunWordByte(c byte) bool { return isRunLetter(c) || c >= '0' && c <= '9' || c >= 0x80 }

// spacedRun returns the end of the spaced run that starts at s[i] (a lone
// letter, then more lone letters each after one to three spaces, at least
// minSpacedRun in all), and how many letters it holds; 0 when none starts
// there.
func spacedRun(s string, i int) (end, letters int) {
	if !isRunLetter(s[i]) || i > 0 && isRunWordByte(s[i-1]) {
		return 0, 0
	}
	j := i
	for {
		if j+1 < len(s) && isRunWordByte(s[j+1]) {
			break // not a lone letter
		}
		letters++
		end = j + 1
		k := end
		for k < len(s) && s[k] == ' ' && k-end < 3 {
			k++
		}
		if k == end || k >= len(s) || !isRunLetter(s[k]) {
			break
		}
		j = k
	}
	if letters < minSpacedRun {
		return 0, 0
	}
	return end, letters
}

// hasSpacedRun reports whether s spells letters out one by one anywhere.
func hasSpacedRun(s string) bool {
	for i := 0; i+2*minSpacedRun-1 <= len(s); i++ {
		if s[i+1] == ' ' && isRunLetter(s[i]) {
			if end, _ := spacedRun(s, i); end > 0 {
				return true
			}
		}
	}
	return false
}

// unspace joins letters spelled out one by one: "I g n o r e   a l l"
// becomes "Ignore all" (one space inside a word, more between words), so
// the models read the words rather than runs of single letters they never
// saw in training. Text without such a run comes back as it is.
func unspace(s string) string {
	if !hasSpacedRun(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		end, _ := spacedRun(s, i)
		if end == 0 {
			b.WriteByte(s[i])
			i++
			continue
		}
		for j := i; j < end; j++ {
			switch {
			case s[j] != ' ':
				b.WriteByte(s[j])
			case s[j+1] == ' ' && (j == i || s[j-1] != ' '):
				b.WriteByte(' ') // the first of two or more spaces: a word gap
			}
		}
		i = end
	}
	return b.String()
}
