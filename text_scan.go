package offiaccount

import (
	"sync"
	"unicode/utf8"
)

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
	// Long character data (text in CDATA sections, where '&' is plain text) goes through the
	// automaton two bytes at a time; what it cannot vouch for is decided below.
	if !amp && len(s) >= pairScanMin && pairTextClean(s) {
		return true
	}
	return scalarTextClean(s, amp)
}

// scalarTextClean is xmlTextClean byte by byte, with words of ASCII eight bytes at a time.
func scalarTextClean(s string, amp bool) bool {
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

// The automaton below checks long character data at about 2.5 times the speed of
// scalarTextClean on mixed CJK and ASCII text. It is a shift-based DFA: a state is a bit
// offset, and row>>state&63 is the state after the input the row stands for. A row stands
// for a pair of bytes, so the chain of dependent instructions is one shift per two bytes, and
// two halves of the text run side by side. It accepts exactly the text scalarTextClean does,
// minus characters of planes 4 to 16 (lead bytes F1 to F4, in practice never sent): for
// those it ends in scanBad and the scalar check decides.

// pairScanMin is the length from which the automaton pays for itself.
const pairScanMin = 256

// Byte classes: the automaton's transitions depend only on these.
const (
	clsASCII = iota // tab, line feed, 0x20-0x7F
	clsBad          // other C0 controls (carriage return too), bytes C0, C1 and F1-FF
	clsK0           // continuation bytes 80-8F
	clsK1           // 90-9F
	clsK2           // A0-BD
	clsK3           // BE
	clsK4           // BF
	clsL2           // C2-DF: lead of two bytes
	clsE0           // E0: lead of three, second byte A0-BF
	clsE            // E1-EC, EE: lead of three
	clsED           // ED: lead of three, second byte 80-9F (no surrogates)
	clsEF           // EF: lead of three, no U+FFFE, U+FFFF
	clsF0           // F0: lead of four, second byte 90-BF
	numCls
)

// States, as bit offsets into a row. scanBad is 0 so that it stays put whatever the row.
const (
	scanBad  = 0
	scanOK   = 6  // between characters
	scanC1   = 12 // one continuation byte to go
	scanC2   = 18 // two to go
	scanE0   = 24 // after E0
	scanED   = 30 // after ED
	scanEF   = 36 // after EF
	scanEFBF = 42 // after EF BF: 80-BD only
	scanF0   = 48 // after F0
)

var scanStates = [...]uint64{scanOK, scanC1, scanC2, scanE0, scanED, scanEF, scanEFBF, scanF0}

// scanNext is one transition of the automaton.
func scanNext(state uint64, cls uint8) uint64 {
	cont := cls >= clsK0 && cls <= clsK4
	switch state {
	case scanOK:
		switch cls {
		case clsASCII:
			return scanOK
		case clsL2:
			return scanC1
		case clsE0:
			return scanE0
		case clsE:
			return scanC2
		case clsED:
			return scanED
		case clsEF:
			return scanEF
		case clsF0:
			return scanF0
		}
	case scanC1:
		if cont {
			return scanOK
		}
	case scanC2:
		if cont {
			return scanC1
		}
	case scanE0:
		if cls >= clsK2 && cls <= clsK4 {
			return scanC1
		}
	case scanED:
		if cls == clsK0 || cls == clsK1 {
			return scanC1
		}
	case scanEF:
		if cls == clsK4 {
			return scanEFBF
		}
		if cont {
			return scanC1
		}
	case scanEFBF:
		if cls >= clsK0 && cls <= clsK2 {
			return scanOK
		}
	case scanF0:
		if cls >= clsK1 && cls <= clsK4 {
			return scanC2
		}
	}
	return scanBad
}

func byteClass(b byte) uint8 {
	switch {
	case b == '\t' || b == '\n' || b >= 0x20 && b < 0x80:
		return clsASCII
	case b < 0x90 && b >= 0x80:
		return clsK0
	case b >= 0x90 && b < 0xA0:
		return clsK1
	case b >= 0xA0 && b < 0xBE:
		return clsK2
	case b == 0xBE:
		return clsK3
	case b == 0xBF:
		return clsK4
	case b >= 0xC2 && b < 0xE0:
		return clsL2
	case b == 0xE0:
		return clsE0
	case b == 0xED:
		return clsED
	case b == 0xEF:
		return clsEF
	case b > 0xE0 && b < 0xEF:
		return clsE
	case b == 0xF0:
		return clsF0
	}
	return clsBad
}

// scanTables holds the automaton: classRow is a byte's row, pairRow a pair's row, by
// pairClass, which maps two bytes read little-endian to their pair of classes.
type scanTables struct {
	classRow  [256]uint64
	pairRow   [256]uint64 // numCls*numCls used; 256 so that a uint8 index needs no check
	pairClass [1 << 16]uint8
}

var (
	scanTablesOnce sync.Once
	scanTablesPtr  *scanTables
)

// getScanTables builds the tables (64 KiB) the first time long text is checked.
func getScanTables() *scanTables {
	scanTablesOnce.Do(func() {
		t := new(scanTables)
		var cls [256]uint8
		for b := range cls {
			cls[b] = byteClass(byte(b))
		}
		for b := range t.classRow {
			for _, s := range scanStates {
				t.classRow[b] |= scanNext(s, cls[b]) << s
			}
		}
		for c0 := uint8(0); c0 < numCls; c0++ {
			for c1 := uint8(0); c1 < numCls; c1++ {
				var row uint64
				for _, s := range scanStates {
					row |= scanNext(scanNext(s, c0), c1) << s
				}
				t.pairRow[int(c0)*numCls+int(c1)] = row
			}
		}
		for v := range t.pairClass {
			t.pairClass[v] = cls[v&0xFF]*numCls + cls[v>>8]
		}
		scanTablesPtr = t
	})
	return scanTablesPtr
}

// pairTextClean reports whether the automaton accepts s: true means s is clean (as
// xmlTextClean with amp unset), false that it is not or has a character of planes 4 to 16.
func pairTextClean(s string) bool {
	t := getScanTables()
	if len(s) < 64 {
		st := uint64(scanOK)
		for i := 0; i < len(s); i++ {
			st = t.classRow[s[i]] >> (st & 63)
		}
		return st&63 == scanOK
	}
	// Two halves, the second starting on a character's first byte; valid text has no run of
	// four continuation bytes, so one is found within four bytes of the middle or s is bad.
	mid := len(s) / 2
	for k := 0; k < 4 && !utf8.RuneStart(s[mid]); k++ {
		mid--
	}
	if !utf8.RuneStart(s[mid]) {
		return false
	}
	a, b := s[:mid], s[mid:]
	n := min(len(a), len(b)) &^ 3
	a2, b2 := a[:n], b[:n]
	sa, sb := uint64(scanOK), uint64(scanOK)
	for i := 0; i+3 < len(a2) && i+3 < len(b2); i += 4 {
		// The shift count's mask lets the compiler emit a bare shift; the bits above the
		// state's six are ignored by the next shift and by the check at the end.
		sa = t.pairRow[t.pairClass[uint16(a2[i])|uint16(a2[i+1])<<8]] >> (sa & 63)
		sb = t.pairRow[t.pairClass[uint16(b2[i])|uint16(b2[i+1])<<8]] >> (sb & 63)
		sa = t.pairRow[t.pairClass[uint16(a2[i+2])|uint16(a2[i+3])<<8]] >> (sa & 63)
		sb = t.pairRow[t.pairClass[uint16(b2[i+2])|uint16(b2[i+3])<<8]] >> (sb & 63)
	}
	for i := n; i < len(a); i++ {
		sa = t.classRow[a[i]] >> (sa & 63)
	}
	for i := n; i < len(b); i++ {
		sb = t.classRow[b[i]] >> (sb & 63)
	}
	return sa&63 == scanOK && sb&63 == scanOK
}
