package simulator

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"time"
	"unicode/utf8"
)

// kv is one key and value of a JSON object built by hand.
type kv struct {
	k string
	v any
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string, escaping like encoding/json.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendValue appends v as JSON, with fast paths for the common kinds.
func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case *string:
		if x == nil {
			return append(b, "null"...)
		}
		return appendString(b, *x)
	case bool:
		return strconv.AppendBool(b, x)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case json.RawMessage:
		return append(b, x...)
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, s)
		}
		return append(b, ']')
	case time.Time:
		b = append(b, '"')
		b = x.UTC().AppendFormat(b, time.RFC3339Nano)
		return append(b, '"')
	}
	js, err := json.Marshal(v)
	if err != nil {
		return append(b, "null"...)
	}
	return append(b, js...)
}

const base58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"

// newID makes an id like the API's: prefix, "01", 22 base58 characters.
func newID(rng *rand.Rand, prefix string) string {
	b := make([]byte, 0, len(prefix)+24)
	b = append(b, prefix...)
	b = append(b, '0', '1')
	for range 22 {
		b = append(b, base58[rng.IntN(len(base58))])
	}
	return string(b)
}

// newUUID makes a version 4 UUID from rng.
func newUUID(rng *rand.Rand) string {
	var u [16]byte
	for i := 0; i < 16; i += 8 {
		v := rng.Uint64()
		for j := range 8 {
			u[i+j] = byte(v >> (8 * j))
		}
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	b := make([]byte, 36)
	hexAt := func(dst []byte, src []byte) {
		for i, c := range src {
			dst[2*i], dst[2*i+1] = hexDigits[c>>4], hexDigits[c&0xf]
		}
	}
	hexAt(b[0:8], u[0:4])
	b[8] = '-'
	hexAt(b[9:13], u[4:6])
	b[13] = '-'
	hexAt(b[14:18], u[6:8])
	b[18] = '-'
	hexAt(b[19:23], u[8:10])
	b[23] = '-'
	hexAt(b[24:36], u[10:16])
	return string(b)
}

func ptr[T any](v T) *T { return &v }
