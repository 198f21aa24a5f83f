package sinktest

import (
	"bufio"
	"strings"
	"testing"
)

func TestParseSyslog(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		check   func(SyslogMessage) bool
	}{
		{"full", `<131>1 2026-03-14T15:09:26.535Z host app - alert [x@1 a="b\"c\\d\]e" n="2"] body`, false, func(m SyslogMessage) bool {
			v, _ := m.Param("x@1", "a")
			return m.Priority == 131 && m.Hostname == "host" && m.MsgID == "alert" && v == `b"c\d]e` && string(m.Msg) == "body"
		}},
		{"nil sd no msg", `<14>1 - - - - - -`, false, func(m SyslogMessage) bool { return m.Data == nil && m.Msg == nil }},
		{"bom stripped", "<14>1 - - - - - - \xEF\xBB\xBFhi", false, func(m SyslogMessage) bool { return string(m.Msg) == "hi" }},
		{"unescaped bracket", `<14>1 - - - - - [x@1 a="]"]`, true, nil},
		{"stray backslash", `<14>1 - - - - - [x@1 a="\n"]`, true, nil},
		{"pri too large", `<192>1 - - - - - -`, true, nil},
		{"bad timestamp", `<14>1 yesterday - - - - -`, true, nil},
		{"newline in header", "<14>1 - ho\nst - - - -", true, nil},
		{"invalid utf-8 value", "<14>1 - - - - - [x@1 a=\"\xff\"]", true, nil},
		{"unterminated value", `<14>1 - - - - - [x@1 a="b]`, true, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseSyslog([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(m) {
				t.Errorf("parsed %+v", m)
			}
		})
	}
}

func TestParseCEF(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
		wantExt map[string]string
		wantSig string
	}{
		{"escapes", `CEF:0|V|P|1|sig\|1|name\\x|5|msg=a\=b c\\d\ne suser=x`, false, map[string]string{"msg": "a=b c\\d\ne", "suser": "x"}, "sig|1"},
		{"raw newline", "CEF:0|V|P|1|s|n|5|msg=a\nb", true, nil, ""},
		{"unescaped equals", `CEF:0|V|P|1|s|n|5|msg=a=b`, true, nil, ""},
		{"short header", `CEF:0|V|P|1|s`, true, nil, ""},
		{"bad escape", `CEF:0|V|P|1|s|n|5|msg=a\qb`, true, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseCEF(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if c.Header[4] != tt.wantSig {
				t.Errorf("signature %q", c.Header[4])
			}
			for k, v := range tt.wantExt {
				if c.Ext[k] != v {
					t.Errorf("%s = %q, want %q", k, c.Ext[k], v)
				}
			}
		})
	}
}

func TestReadFrame(t *testing.T) {
	r := bufio.NewReader(strings.NewReader("5 hello3 a\nb"))
	for _, want := range []string{"hello", "a\nb"} {
		got, err := ReadFrame(r)
		if err != nil || string(got) != want {
			t.Fatalf("ReadFrame = %q, %v; want %q", got, err, want)
		}
	}
	if _, err := ReadFrame(bufio.NewReader(strings.NewReader("<14>1 - - -"))); err == nil {
		t.Error("non-octet-counted frame accepted")
	}
}

func FuzzParseSyslog(f *testing.F) {
	f.Add([]byte(`<131>1 2026-03-14T15:09:26.535Z host app - alert [x@1 a="b\"c"] body`))
	f.Add([]byte(`<14>1 - - - - - -`))
	f.Fuzz(func(t *testing.T, b []byte) {
		ParseSyslog(b) // must not panic
	})
}

func FuzzParseCEF(f *testing.F) {
	f.Add(`CEF:0|V|P|1|sig\|1|name|5|msg=a\=b c suser=x`)
	f.Fuzz(func(t *testing.T, s string) {
		ParseCEF(s) // must not panic
	})
}
