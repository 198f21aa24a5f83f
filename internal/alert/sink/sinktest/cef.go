package sinktest

import (
	"fmt"
	"strings"
)

// CEF is a parsed CEF record.
type CEF struct {
	// Header holds Version, Device Vendor, Device Product, Device Version,
	// Signature ID, Name and Severity, unescaped.
	Header [7]string
	// Ext maps extension keys to unescaped values.
	Ext map[string]string
}

// ParseCEF parses "CEF:Version|Vendor|Product|DevVersion|SigID|Name|Severity|Extension"
// strictly: header fields escape only '|' and '\', extension values escape
// '=', '\', newline and CR; an unescaped '=' in a value, a raw newline
// anywhere or a stray backslash is an error.
func ParseCEF(s string) (CEF, error) {
	var c CEF
	if !strings.HasPrefix(s, "CEF:") {
		return c, fmt.Errorf("cef: missing CEF: prefix")
	}
	if strings.ContainsAny(s, "\r\n") {
		return c, fmt.Errorf("cef: raw line break in record")
	}
	s = s[len("CEF:"):]
	for f := range 7 {
		var b strings.Builder
		i := 0
		for ; i < len(s) && s[i] != '|'; i++ {
			if s[i] == '\\' {
				if i+1 >= len(s) || (s[i+1] != '|' && s[i+1] != '\\') {
					return c, fmt.Errorf("cef: stray backslash in header field %d", f)
				}
				i++
			}
			b.WriteByte(s[i])
		}
		if i == len(s) {
			return c, fmt.Errorf("cef: header has %d fields, want 7", f+1)
		}
		c.Header[f] = b.String()
		s = s[i+1:]
	}
	ext, err := parseExtension(s)
	c.Ext = ext
	return c, err
}

// parseExtension splits "k1=v1 k2=v with spaces k3=v3". Keys are
// [A-Za-z0-9_]+; a value runs to the space before the next key.
func parseExtension(s string) (map[string]string, error) {
	ext := map[string]string{}
	type kv struct{ key, raw string }
	var pairs []kv
	for len(s) > 0 {
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return ext, fmt.Errorf("cef: extension %q has no key=", s)
		}
		key := s[:eq]
		for _, r := range key {
			if !(r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
				return ext, fmt.Errorf("cef: bad extension key %q", key)
			}
		}
		rest := s[eq+1:]
		end := nextKey(rest)
		pairs = append(pairs, kv{key, rest[:end]})
		s = strings.TrimPrefix(rest[end:], " ")
	}
	for _, p := range pairs {
		v, err := unescapeExt(p.raw)
		if err != nil {
			return ext, fmt.Errorf("cef: key %s: %w", p.key, err)
		}
		if _, dup := ext[p.key]; dup {
			return ext, fmt.Errorf("cef: duplicate key %s", p.key)
		}
		ext[p.key] = v
	}
	return ext, nil
}

// nextKey returns the index of the space that starts the next "key=", or
// len(s) when the value runs to the end.
func nextKey(s string) int {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=':
			sp := strings.LastIndexByte(s[:i], ' ')
			if sp < 0 {
				return len(s) // '=' unescaped inside the value: caught by unescapeExt
			}
			return sp
		}
	}
	return len(s)
}

func unescapeExt(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '=' {
			return "", fmt.Errorf("unescaped = in value %q", s)
		}
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		if i+1 == len(s) {
			return "", fmt.Errorf("trailing backslash")
		}
		i++
		switch s[i] {
		case '\\', '=':
			b.WriteByte(s[i])
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		default:
			return "", fmt.Errorf("bad escape \\%c", s[i])
		}
	}
	return b.String(), nil
}
