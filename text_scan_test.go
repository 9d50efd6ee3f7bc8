package offiaccount

import (
	"strconv"
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

func BenchmarkXMLTextCleanShapes(b *testing.B) {
	for _, in := range []struct{ name, unit string }{
		{"mixed", "你好，公众号! hello <b>&</b> 42"},
		{"ascii", "hello world, how are you <b>&</b> 42\n"},
		{"cjk", "你好公众号我们都是好朋友"},
	} {
		for _, size := range []int{10 << 10, 500 << 10} {
			s := strings.Repeat(in.unit, size/len(in.unit))
			b.Run(in.name+"/"+strconv.Itoa(size>>10)+"KB", func(b *testing.B) {
				b.SetBytes(int64(len(s)))
				for i := 0; i < b.N; i++ {
					if !xmlTextClean(s, false) {
						b.Fatal("not clean")
					}
				}
			})
		}
	}
}

// hasHighPlanes reports whether s holds a character of planes 4 to 16, which the automaton
// leaves to the scalar check.
func hasHighPlanes(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return r >= 0x40000 }) >= 0
}

// TestPairTextCleanAtEveryOffset puts characters at every position around the middle of a
// long text, where the automaton splits it in two, and at its ends.
func TestPairTextCleanAtEveryOffset(t *testing.T) {
	base := strings.Repeat("你好，公众号! hello <b>&</b> 42\n\t", 20)
	specials := []string{
		"a", "你", "，", "😀", "\U0010FFFD", "\U00040000", "\uFFFD", "\uFFEF", "\u00e9", "\u0800", "\uD7FF", "\uE000",
		"\uFFFE", "\uFFFF", "\xed\xa0\x80", "\xed\xbf\xbf", "\xe0\x80\x80", "\xe0\x9f\xbf", "\xc0\x80", "\xc1\xbf",
		"\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf", "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xff", "\x80", "\xbf\xbf\xbf\xbf",
		"\xe4\xbd", "\xe4", "\xf0\x9f\x98", "\r", "\x00", "\x1f", "\x0b", "\x7f", "]]>",
	}
	for _, sp := range specials {
		for _, at := range []int{0, 1, 2, 3, 4, len(base)/2 - 5} {
			for k := 0; k < 12; k++ {
				pos := at + k
				s := base[:pos] + sp + base[pos:]
				want := slowTextClean(s, false)
				assert.Equal(t, want, xmlTextClean(s, false), "%q at %d", sp, pos)
				if got := pairTextClean(s); got != want {
					assert.True(t, want && hasHighPlanes(s), "automaton %v for %q at %d", got, sp, pos)
				}
			}
		}
		s := base + sp
		assert.Equal(t, slowTextClean(s, false), xmlTextClean(s, false), "%q at the end", sp)
	}
}

// FuzzPairTextClean checks the automaton against the rune-by-rune rules on text of every
// length, and on the input repeated past pairScanMin at a fuzzed offset, so that the split and
// the tails see every shape.
func FuzzPairTextClean(f *testing.F) {
	for _, s := range []string{"", "a", "你好", "\uFFFE", "😀", "\U0010FFFD", "\xed\xa0\x80", "a\rb", strings.Repeat("你好，hello ", 9)} {
		f.Add(s, uint8(0))
		f.Add(s, uint8(3))
	}
	f.Fuzz(func(t *testing.T, s string, pad uint8) {
		check := func(s string) {
			want := slowTextClean(s, false)
			if got := pairTextClean(s); got != want && !(want && hasHighPlanes(s)) {
				t.Fatalf("pairTextClean(%q) = %v, rune by rune %v", s, got, want)
			}
			for _, amp := range []bool{false, true} {
				if got, want := xmlTextClean(s, amp), slowTextClean(s, amp); got != want {
					t.Fatalf("xmlTextClean(%q, %v) = %v, rune by rune %v", s, amp, got, want)
				}
			}
		}
		check(s)
		if s != "" {
			check(strings.Repeat("x", int(pad)) + strings.Repeat(s, 1+pairScanMin/len(s)))
		}
	})
}
