package offiaccount

import "unicode/utf8"

// Fast checks of character data, word by word: a text message may carry hundreds of
// kilobytes, and checking it one rune at a time took longer than decrypting it.

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// load64 reads 8 bytes of s at i, little-endian (the compiler makes it one load).
func load64(s string, i int) uint64 {
	_ = s[i+7]
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// mayHaveLess reports whether a byte of v may be below n (n <= 128): no false negatives, and
// false positives only next to a true one or on bytes >= 0x80.
func mayHaveLess(v uint64, n byte) bool {
	return (v-lsb*uint64(n))&^v&msb != 0
}

// mayHaveByte reports whether a byte of v may be c, with the same guarantees.
func mayHaveByte(v uint64, c byte) bool {
	return mayHaveLess(v^(lsb*uint64(c)), 1)
}

// xmlTextClean reports whether s is valid UTF-8 made only of characters XML 1.0 allows, with
// no carriage return (which XML turns into a line feed) and, when amp is set, no '&'. It is
// exact: the caller falls back to a rune-by-rune loop only to say what is wrong.
func xmlTextClean(s string, amp bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0xE1 && c != 0xED && i+2 < len(s) {
			// Three bytes, the shape of most CJK text, whose continuation bytes are simply
			// 0x80-0xBF for these lead bytes (0xE0 and 0xED have narrower ranges).
			c1, c2 := s[i+1], s[i+2]
			if c <= 0xEF && c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
				if c == 0xEF && c1 == 0xBF && c2 >= 0xBE {
					return false // U+FFFE, U+FFFF
				}
				i += 3
				continue
			}
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			// Surrogates decode as RuneError; U+FFFE and U+FFFF are valid UTF-8 but not XML.
			if r == utf8.RuneError && size == 1 || r == 0xFFFE || r == 0xFFFF {
				return false
			}
			i += size
			continue
		}
		if c < 0x20 && c != '\t' && c != '\n' || amp && c == '&' {
			return false
		}
		i++
		// Inside a run of ASCII, eight bytes at once while none is a control character or '&'.
		for i+8 <= len(s) {
			v := load64(s, i)
			if v&msb != 0 || mayHaveLess(v, 0x20) || amp && mayHaveByte(v, '&') {
				break
			}
			i += 8
		}
	}
	return true
}
