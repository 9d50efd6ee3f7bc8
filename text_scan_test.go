package offiaccount

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
)

// slowTextClean is xmlTextClean rune by rune, as the XML 1.0 character rules read.
func slowTextClean(s string, amp bool) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1, r == '\r', amp && r == '&', !isXMLChar(r):
			return false
		}
		i += size
	}
	return true
}

func TestXMLTextClean(t *testing.T) {
	long := strings.Repeat("你好，公众号! hello <b>x</b> 42\n\t", 40)
	tests := []struct {
		name string
		s    string
		amp  bool
		want bool
	}{
		{"empty", "", true, true},
		{"ascii", "hello world", true, true},
		{"cjk", "你好，公众号", true, true},
		{"long clean", long, true, true},
		{"tab and newline", "a\tb\nc", true, true},
		{"carriage return", "a\rb", false, false},
		{"control in a word", long + "\x01" + long, false, false},
		{"control in the tail", "abc\x1f", false, false},
		{"nul", strings.Repeat("a", 16) + "\x00", false, false},
		{"ampersand with refs", long + "&amp;", true, false},
		{"ampersand without refs", long + "&", false, true},
		{"invalid utf-8", long + "\xff" + long, false, false},
		{"truncated rune", "你"[:2], false, false},
		{"surrogate", "\xed\xa0\x80", false, false},
		{"U+FFFE", long + "\uFFFE", false, false},
		{"U+FFFF", "\uFFFF", false, false},
		{"U+FFFD", "\uFFFD", false, true},
		{"DEL is allowed", "\x7f", false, true},
		{"high bytes near a false positive", "\u0080\u00a0" + strings.Repeat("\u00a0", 8), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, xmlTextClean(tt.s, tt.amp))
			assert.Equal(t, tt.want, slowTextClean(tt.s, tt.amp), "the table agrees with the rules")
		})
	}
}

func FuzzXMLTextClean(f *testing.F) {
	for _, s := range []string{"", "hello", "你好\n", "a&b", "\x01\x1f\r", "\uFFFE\uFFFF", "\xed\xa0\x80", strings.Repeat("ab\t", 9)} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, s string, amp bool) {
		if got, want := xmlTextClean(s, amp), slowTextClean(s, amp); got != want {
			t.Fatalf("xmlTextClean(%q, %v) = %v, rune by rune %v", s, amp, got, want)
		}
	})
}

func BenchmarkXMLTextClean(b *testing.B) {
	s := strings.Repeat("你好，公众号! hello <b>&</b> 42", 500<<10/38)
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		if !xmlTextClean(s, false) {
			b.Fatal("not clean")
		}
	}
}

func BenchmarkValidString(b *testing.B) {
	s := strings.Repeat("你好，公众号! hello <b>&</b> 42", 500<<10/38)
	b.SetBytes(int64(len(s)))
	for i := 0; i < b.N; i++ {
		if !utf8.ValidString(s) {
			b.Fatal("not valid")
		}
	}
}
