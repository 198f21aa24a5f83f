package web

import (
	"strings"
	"testing"

	"github.com/claudit/claudit/internal/store"
)

func TestRedactText(t *testing.T) {
	text := "key sk-ant-XYZ123 and mail bob@x.org, again sk-ant-XYZ123; ünïcode"
	k := strings.Index(text, "sk-ant-XYZ123")
	m := strings.Index(text, "bob@x.org")
	for _, tc := range []struct {
		name string
		fs   []store.Finding
		want string
	}{
		{"no findings", nil, text},
		{"span and repeat", []store.Finding{{EventID: "e", Start: k, End: k + 13}}, "key [REDACTED] and mail bob@x.org, again [REDACTED]; ünïcode"},
		{"two spans", []store.Finding{{EventID: "e", Start: m, End: m + 9}, {EventID: "e", Start: k, End: k + 13}}, "key [REDACTED] and mail [REDACTED], again [REDACTED]; ünïcode"},
		{"overlapping spans merge", []store.Finding{{EventID: "e", Start: k, End: k + 6}, {EventID: "e", Start: k + 3, End: k + 13}}, "key [REDACTED] and mail bob@x.org, again [REDACTED]; ünïcode"},
		{"out of range ignored", []store.Finding{{EventID: "e", Start: 5, End: 5000}}, text},
		{"mid-rune span ignored", []store.Finding{{EventID: "e", Start: len(text) - 5, End: len(text) - 1}}, text},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secrets := secretsOf(map[string]string{"e": text}, tc.fs)
			if got := redactText(text, tc.fs, secrets); got != tc.want {
				t.Fatalf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestSegmentsKeepText(t *testing.T) {
	text := "a <b>x</b> secret here"
	i := strings.Index(text, "secret")
	segs := segmentsOf(text, hitsOf(text, []store.Finding{{Start: i, End: i + 6, Policy: "p", Severity: "high"}}, nil), false)
	var b strings.Builder
	for _, s := range segs {
		b.WriteString(s.Text)
	}
	if b.String() != text || len(segs) != 3 || !segs[1].Hit || segs[1].Text != "secret" {
		t.Fatalf("segments %+v", segs)
	}
}

func TestTokenUsage(t *testing.T) {
	chat := []store.Message{
		{ID: "u1", Role: "user", Tokens: 10}, {ID: "a1", Role: "assistant", Tokens: 20},
		{ID: "u2", Role: "user", Tokens: 5}, {ID: "a2", Role: "assistant", Tokens: 7},
	}
	for _, tc := range []struct {
		id   string
		want TokenUsage
	}{
		{"u1", TokenUsage{Estimated: true, Total: 30, Context: 0, Prompt: 10, Response: 20}},
		{"u2", TokenUsage{Estimated: true, Total: 42, Context: 30, Prompt: 5, Response: 7}},
		{"a2", TokenUsage{Estimated: true, Total: 42, Context: 30, Prompt: 5, Response: 7}},
		{"zz", TokenUsage{Estimated: true, Total: 3, Prompt: 3}},
	} {
		m := &store.Message{ID: tc.id, Role: "user", Tokens: 3}
		for i := range chat {
			if chat[i].ID == tc.id {
				m = &chat[i]
			}
		}
		if got := tokenUsage(m, chat); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.id, got, tc.want)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/events?kind=prompt": "/events?kind=prompt", "//evil.example": "/", "https://evil.example": "/", "/\\evil.example": "/", "javascript:alert(1)": "/",
		// Browsers drop tabs and newlines and read a backslash as a slash.
		"/\t/evil.example": "/", "/\n/evil.example": "/", "/\r\n//evil.example": "/", "\t//evil.example": "/",
		"/x\\y": "/", "/\x00": "/", "/\x7f": "/",
		// The same, percent-encoded once or twice.
		"/%09/evil.example": "/", "/%2F/evil.example": "/", "/%2f%2fevil.example": "/", "%2F%2Fevil.example": "/",
		"/%5Cevil.example": "/", "/%252F/evil.example": "/", "/%25252F%25252Fevil.example": "/",
		// Bad escapes and other schemes.
		"/%zz": "/", "/%": "/", "http:/evil.example": "/",
		// Local paths, with encoded values in the query, stay as they are.
		"/events?kind=prompt&q=%2F%2Fx": "/events?kind=prompt&q=%2F%2Fx", "/sessions/1/chat-leak": "/sessions/1/chat-leak",
		"/users/1/u%40x": "/users/1/u%40x", "/alerts#top": "/alerts#top",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestMaskIP(t *testing.T) {
	for in, want := range map[string]string{"203.0.113.7": "203.0.113.x", "2001:db8::1": "2001:x", "": ""} {
		if got := maskIP(in); got != want {
			t.Errorf("maskIP(%q) = %q", in, got)
		}
	}
}
