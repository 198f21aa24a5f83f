package compliance

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// readBody returns the body whatever the size the server announced, and
// at most limit bytes.
func TestReadBody(t *testing.T) {
	body := strings.Repeat("0123456789", 100_000) // 1 MB, several chunks
	for _, tc := range []struct {
		name  string
		body  string
		size  int64
		limit int64
		want  string
	}{
		{"announced", body, int64(len(body)), 1 << 30, body},
		{"unknown", body, -1, 1 << 30, body},
		{"announced short", body, 10, 1 << 30, body},
		{"announced long", body[:10], 20, 1 << 30, body[:10]},
		{"empty", "", 0, 100, ""},
		{"empty unknown", "", -1, 100, ""},
		{"limited", body, -1, 12345, body[:12345]},
		{"limited announced", body, int64(len(body)), 12345, body[:12345]},
		{"small", "{}", -1, 100, "{}"},
	} {
		got, err := readBody(io.NopCloser(bytes.NewReader([]byte(tc.body))), tc.size, tc.limit)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if string(got) != tc.want {
			t.Errorf("%s: got %d bytes, want %d", tc.name, len(got), len(tc.want))
		}
	}
}

// A body cut short of its announced length is an error, as with io.ReadAll.
func TestReadBodyCutShort(t *testing.T) {
	r := io.MultiReader(strings.NewReader("partial"), errReader{io.ErrUnexpectedEOF})
	for _, size := range []int64{100, -1} {
		if _, err := readBody(r, size, 1<<20); err != io.ErrUnexpectedEOF {
			t.Errorf("size %d: %v, want unexpected EOF", size, err)
		}
	}
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }
