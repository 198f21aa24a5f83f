package secrets

// assignmentPattern is the regex of the high-entropy-assignment rule
// (data/rules.yaml): a key assigned a token of 20 bytes or more, quoted
// (alternative 1), as NAME=value (2) or alone on a YAML or INI line (3).
// Its regex runs over every window around a random-looking token (a
// base64 blob in prose, say), where it costs some 15 us a KiB and mostly
// fails: assignedValue tells those windows first. The gate applies to
// this exact regex only, so editing the rule turns it off rather than
// making it wrong (TestAssignedValueGate then fails as a reminder).
const assignmentPattern = `(?m)(?:(?:^|[\s{,;(\[])[\"']?[A-Za-z_][A-Za-z0-9_.-]{1,50}[\"']?[ \t]{0,4}(?::=|=>|=|:)[ \t]{0,4}(?:"([A-Za-z0-9][A-Za-z0-9+/_~.-]{19,}={0,3})"|'([A-Za-z0-9][A-Za-z0-9+/_~.-]{19,}={0,3})'|` + "`" + `([A-Za-z0-9][A-Za-z0-9+/_~.-]{19,}={0,3})` + "`" + `)|(?:^|[\s;])(?:export[ \t]+)?[A-Za-z_][A-Za-z0-9_.-]{1,50}=([A-Za-z0-9][A-Za-z0-9+/_~.-]{19,}={0,3})(?:[\s;&]|$)|^[ \t]*(?:-[ \t]+)?[A-Za-z_][A-Za-z0-9_-]{1,50}[ \t]*[:=][ \t]*([A-Za-z0-9][A-Za-z0-9+/_~.-]{19,}={0,3})[ \t]*$)`

// assignedValue reports whether assignmentPattern can match somewhere in
// w, by necessary conditions only. In every alternative the value is a
// whole run of token bytes ([A-Za-z0-9+/_~.-], tokenBytes) of at least 20
// starting with a letter or digit, since the bytes before and after it
// (a quote, '=', ':', a space, a line end) are not token bytes; at most
// three '=' follow it, then
//
//  1. the opening quote, which follows an operator ending in ':', '=' or
//     '>' and spaces or tabs;
//  2. a space, ';', '&' or the end, the value following '=' right after
//     a key byte;
//  3. spaces or tabs and the line's end, the value following ':' or '='
//     and spaces or tabs, which a key alone on its line, after spaces and
//     a "- " item mark, precedes.
func assignedValue(w string) bool {
	for i := 0; i < len(w); {
		if !tokenBytes[w[i]] {
			i++
			continue
		}
		j := i
		for j < len(w) && tokenBytes[w[j]] {
			j++
		}
		if j-i >= 20 && i > 0 && isAlnum(w[i]) && valueContext(w, i, j) {
			return true
		}
		i = j
	}
	return false
}

// valueContext checks the bytes around the token run w[i:j] (i > 0)
// against the three alternatives.
func valueContext(w string, i, j int) bool {
	k := j
	for k < len(w) && w[k] == '=' {
		k++
	}
	if k-j > 3 {
		return false
	}
	before := w[i-1]
	switch before {
	case '"', '\'', '`':
		if k < len(w) && w[k] == before {
			p := skipBlanksBack(w, i-2)
			return p >= 0 && (w[p] == ':' || w[p] == '=' || w[p] == '>')
		}
		return false
	case '=':
		if i >= 2 && isKeyByte(w[i-2]) && (k == len(w) || isRegexSpace(w[k]) || w[k] == ';' || w[k] == '&') {
			return true
		}
	}
	// Alternative 3 ('=' before the value may be it too).
	for k < len(w) && (w[k] == ' ' || w[k] == '\t') {
		k++
	}
	if k < len(w) && w[k] != '\n' {
		return false
	}
	p := skipBlanksBack(w, i-1)
	if p < 0 || w[p] != ':' && w[p] != '=' {
		return false
	}
	return keyLine(w, p)
}

// keyLine reports whether the line of w before the operator at p is
// [ \t]*(-[ \t]+)?[A-Za-z_][A-Za-z0-9_-]{1,50}[ \t]*.
func keyLine(w string, p int) bool {
	start := p
	for start > 0 && w[start-1] != '\n' {
		start--
	}
	line := w[start:p]
	a, b := 0, len(line)
	for a < b && (line[a] == ' ' || line[a] == '\t') {
		a++
	}
	for b > a && (line[b-1] == ' ' || line[b-1] == '\t') {
		b--
	}
	if b-a >= 2 && line[a] == '-' && (line[a+1] == ' ' || line[a+1] == '\t') {
		a++
		for a < b && (line[a] == ' ' || line[a] == '\t') {
			a++
		}
	}
	key := line[a:b]
	if len(key) < 2 || len(key) > 51 || !(isLetter(key[0]) || key[0] == '_') {
		return false
	}
	for k := 1; k < len(key); k++ {
		if c := key[k]; !isWordByte(c) && c != '-' {
			return false
		}
	}
	return true
}

// skipBlanksBack returns the index of the last byte at or before i that
// is not a space or tab, or -1.
func skipBlanksBack(w string, i int) int {
	for i >= 0 && (w[i] == ' ' || w[i] == '\t') {
		i--
	}
	return i
}

func isAlnum(c byte) bool { return isWordByte(c) && c != '_' }

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isKeyByte is [A-Za-z0-9_.-], the bytes of alternative 2's key.
func isKeyByte(c byte) bool { return isWordByte(c) || c == '.' || c == '-' }

// isRegexSpace is RE2's \s.
func isRegexSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}
